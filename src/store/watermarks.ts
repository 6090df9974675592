import { type Pool } from 'pg';
import { sql } from 'kysely';
import { inTransaction, storeDb } from './db';

/**
 * Delta pick-up watermarks, one row per (migration, source table). `POLL_WATERMARK` ('*') is the store's clock at the
 * start of the last poll that completed (staged rows changed since then are the changes to plan); a table's own row
 * is its change cursor's position in the source (SQL mirror `automodifiedtimestamp`), as the source renders it.
 */
export const POLL_WATERMARK = '*';

export async function readWatermarks(pool: Pool, migrationId: string): Promise<Map<string, string>> {
  const rows = await storeDb(pool).selectFrom('delta_watermarks').select(['source_table', 'watermark']).where('migration_id', '=', migrationId).execute();
  return new Map(rows.flatMap((r) => (r.watermark === null ? [] : [[r.source_table, r.watermark] as const])));
}

/** Saves a poll's watermarks in one transaction: a poll that fails half-way leaves all of them where they were. */
export async function saveWatermarks(pool: Pool, migrationId: string, watermarks: Map<string, string>): Promise<void> {
  await inTransaction(pool, async (_tx, db) => {
    for (const [table, watermark] of watermarks) {
      await db
        .insertInto('delta_watermarks')
        .values({ migration_id: migrationId, source_table: table, watermark })
        .onConflict((oc) =>
          oc.columns(['migration_id', 'source_table']).doUpdateSet((eb) => ({ watermark: eb.ref('excluded.watermark'), updated_at: sql`now()` })),
        )
        .execute();
    }
  });
}

/** Forgets every table's change cursor but keeps the poll clock: the next poll reads each table from the start. */
export async function resetTableWatermarks(pool: Pool, migrationId: string): Promise<void> {
  await storeDb(pool).deleteFrom('delta_watermarks').where('migration_id', '=', migrationId).where('source_table', '<>', POLL_WATERMARK).execute();
}
