import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** The tables a migration fills in bulk and then reads by key, batch after batch. */
export type BulkFilledTable = 'staged_rows' | 'work_items' | 'id_map';

/**
 * Refreshes the planner's statistics of tables just filled in bulk. Without them (a fresh store's first migration:
 * autovacuum's first ANALYZE comes a minute or more later), PostgreSQL guesses that a migration's rows are 0.5% of a
 * table and picks any index on `migration_id`, then filters every row of the migration by the rest of the key: each
 * batch's lookups grew with the table (measured on a 600-patient practice: a batch's 30 staged procedures read by
 * scanning all 8,888 of them, 28 ms; its links resolved against every created record, 10 ms and growing).
 * SKIP_LOCKED: a table autovacuum is analyzing already is left to it, never waited for. A store user that does not own
 * a table gets PostgreSQL's warning, not an error: the plans are then the server's business.
 */
export async function refreshStatistics(pool: Pool, tables: readonly BulkFilledTable[]): Promise<void> {
  if (tables.length === 0) return;
  await sql`ANALYZE (SKIP_LOCKED) ${sql.join(tables.map((t) => sql.table(t)))}`.execute(storeDb(pool));
}
