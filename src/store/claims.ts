import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** Ledger entries whose insurance claim is still in flight: they must clear in Dentrix before cutover. */
export const IN_FLIGHT_CLAIM_STATUSES = ['sent', 'pending'] as const;

export interface InFlightClaims {
  count: number;
  total: number;
  /** By guarantor id (a Dentrix key, not a name): for the report file only, never for Temporal. */
  byGuarantor: { guarantorId: string | null; claims: number; total: number }[];
}

/** The in-flight claims among the staged ledger rows (as of the last read of the source). */
export async function inFlightClaims(pool: Pool, migrationId: string): Promise<InFlightClaims> {
  // The columns are inside the staged row's jsonb `data`: a reporting query, in SQL.
  const { rows } = await sql<{ guar_id: string | null; n: string; total: string | null }>`
    SELECT data->>'guar_id' AS guar_id, count(*) AS n, sum((data->>'amount')::numeric) AS total FROM staged_rows
     WHERE migration_id = ${migrationId} AND source_table = 'ledger' AND data->>'claim_status' = ANY(${[...IN_FLIGHT_CLAIM_STATUSES]}::text[])
     GROUP BY 1 ORDER BY 1`.execute(storeDb(pool));
  return {
    count: rows.reduce((n, r) => n + Number(r.n), 0),
    total: rows.reduce((n, r) => n + Number(r.total ?? 0), 0),
    byGuarantor: rows.map((r) => ({ guarantorId: r.guar_id, claims: Number(r.n), total: Number(r.total ?? 0) })),
  };
}
