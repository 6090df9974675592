import { type Pool } from 'pg';
import { inTransaction } from './db';

/**
 * Delta pick-up watermarks, one row per (migration, source table). `POLL_WATERMARK` ('*') is the store's clock at the
 * start of the last poll that completed (staged rows changed since then are the changes to plan); a table's own row
 * is its change cursor's position in the source (SQL mirror `automodifiedtimestamp`), as the source renders it.
 */
export const POLL_WATERMARK = '*';

export async function readWatermarks(pool: Pool, migrationId: string): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ source_table: string; watermark: string | null }>(
    'SELECT source_table, watermark FROM delta_watermarks WHERE migration_id = $1',
    [migrationId],
  );
  return new Map(rows.flatMap((r) => (r.watermark === null ? [] : [[r.source_table, r.watermark] as const])));
}

/** Saves a poll's watermarks in one transaction: a poll that fails half-way leaves all of them where they were. */
export async function saveWatermarks(pool: Pool, migrationId: string, watermarks: Map<string, string>): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const [table, watermark] of watermarks) {
      await client.query(
        `INSERT INTO delta_watermarks (migration_id, source_table, watermark) VALUES ($1, $2, $3)
         ON CONFLICT (migration_id, source_table) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()`,
        [migrationId, table, watermark],
      );
    }
  });
}
