import { type Pool } from 'pg';
import { storeDb } from './db';
import { dataText } from './staged-rows';

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
  const guarantor = dataText('guar_id');
  const rows = await storeDb(pool)
    .selectFrom('staged_rows')
    .select((eb) => [guarantor.as('guar_id'), eb.fn.countAll<string>().as('n'), eb.fn.sum<string | null>(eb.cast(dataText('amount'), 'numeric')).as('total')])
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', 'ledger')
    .where((eb) => eb(dataText('claim_status'), '=', eb.fn.any(eb.val([...IN_FLIGHT_CLAIM_STATUSES]))))
    .groupBy(guarantor)
    .orderBy(guarantor)
    .execute();
  return {
    count: rows.reduce((n, r) => n + Number(r.n), 0),
    total: rows.reduce((n, r) => n + Number(r.total ?? 0), 0),
    byGuarantor: rows.map((r) => ({ guarantorId: r.guar_id, claims: Number(r.n), total: Number(r.total ?? 0) })),
  };
}
