import { type Pool } from 'pg';
import { inFlightClaimRow } from './source-audit';

/**
 * In-flight insurance claims, one definition for the Data Quality Report (AUDIT), the delta window's polls and
 * `cutover`: ledger entries whose claim is sent or pending (any case, spaces trimmed) must clear in Dentrix before
 * cutover. The ledger has no claim id: the in-flight entries of one visit (guarantor, patient, date) are one claim, so
 * every count says claims and ledger entries apart (e.g. 20 claims over 66 ledger entries).
 */
export const IN_FLIGHT_CLAIM_STATUSES = ['sent', 'pending'] as const;

export const IN_FLIGHT_CLAIM_RULE =
  "ledger entries with claim_status 'sent' or 'pending'; one claim = the in-flight entries of one guarantor, patient and date";

export interface InFlightClaims {
  /** Claims in flight: visits (guarantor, patient, date) with an entry sent or pending. */
  count: number;
  /** The ledger entries of those claims. */
  ledgerEntries: number;
  /** Net of the in-flight ledger entries. */
  total: number;
  /** By guarantor id (a Dentrix key, not a name): for the report file only, never for Temporal. */
  byGuarantor: { guarantorId: string | null; claims: number; ledgerEntries: number; charges: number; insuranceEstimate: number }[];
}

const cents = (value: number | null | undefined): number => Math.round((value ?? 0) * 100) / 100;

/** The in-flight claims among the staged ledger rows (as of the last read of the source), every guarantor listed. */
export async function inFlightClaims(pool: Pool, migrationId: string): Promise<InFlightClaims> {
  const row = await inFlightClaimRow(pool, { migrationId, maxListed: Number.MAX_SAFE_INTEGER }, IN_FLIGHT_CLAIM_STATUSES);
  return {
    count: row.claims,
    ledgerEntries: row.entries,
    total: cents(row.net),
    byGuarantor: row.by_guarantor.map((g) => ({
      guarantorId: g.guarantor_id === null ? null : String(g.guarantor_id),
      claims: g.claims,
      ledgerEntries: g.entries,
      charges: cents(g.charges),
      insuranceEstimate: cents(g.estimate),
    })),
  };
}
