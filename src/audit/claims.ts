import type { InFlightClaims } from './report';
import { type AuditContext, cents, oneRow } from './sql';

export const IN_FLIGHT_CLAIM_STATUSES = ['sent', 'pending'] as const;

const IN_FLIGHT = `migration_id = $1 AND source_table = 'ledger' AND lower(btrim(data->>'claim_status')) = ANY($2::text[])`;

/**
 * Insurance claims still in flight (ledger `claim_status` sent or pending) must clear before cutover. The ledger
 * has no claim id: the entries of one visit (guarantor, patient, date) are counted as one claim.
 */
export async function inFlightClaims(ctx: AuditContext): Promise<InFlightClaims> {
  const result = await oneRow<{
    entries: number;
    claims: number;
    charges: number | null;
    estimate: number | null;
    net: number | null;
    guarantors: number;
    by_status: Record<string, number> | null;
    by_guarantor: { guarantor_id: number | null; claims: number; entries: number; charges: number; estimate: number }[];
  }>(
    ctx.db,
    `WITH entry AS MATERIALIZED (
       SELECT (data->>'guar_id')::bigint AS guarantor_id,
              data->>'patient_id' AS patient_id,
              data->>'entry_date' AS entry_date,
              lower(btrim(data->>'claim_status')) AS status,
              lower(btrim(data->>'entry_type')) AS entry_type,
              coalesce((data->>'amount')::numeric, 0) AS amount
         FROM staged_rows WHERE ${IN_FLIGHT}
     ),
     per_guarantor AS (
       SELECT guarantor_id,
              count(DISTINCT (patient_id, entry_date))::int AS claims,
              count(*)::int AS entries,
              sum(amount) FILTER (WHERE entry_type = 'charge')::float8 AS charges,
              coalesce(-sum(amount) FILTER (WHERE entry_type = 'insurance_estimate'), 0)::float8 AS estimate
         FROM entry GROUP BY guarantor_id
     )
     SELECT (SELECT count(*)::int FROM entry) AS entries,
            (SELECT count(DISTINCT (guarantor_id, patient_id, entry_date))::int FROM entry) AS claims,
            (SELECT sum(amount) FILTER (WHERE entry_type = 'charge')::float8 FROM entry) AS charges,
            (SELECT -sum(amount) FILTER (WHERE entry_type = 'insurance_estimate')::float8 FROM entry) AS estimate,
            (SELECT sum(amount)::float8 FROM entry) AS net,
            (SELECT count(*)::int FROM per_guarantor) AS guarantors,
            (SELECT json_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM entry GROUP BY status) s) AS by_status,
            (SELECT coalesce(json_agg(g ORDER BY g.estimate DESC, g.guarantor_id), '[]'::json)
               FROM (SELECT * FROM per_guarantor ORDER BY estimate DESC, guarantor_id LIMIT $3) g) AS by_guarantor`,
    [ctx.migrationId, IN_FLIGHT_CLAIM_STATUSES, ctx.maxListed],
  );
  return {
    rule: "ledger entries with claim_status 'sent' or 'pending'; one claim = the in-flight entries of one guarantor, patient and date",
    claims: result.claims,
    ledgerEntries: result.entries,
    byStatus: result.by_status ?? {},
    charges: cents(result.charges),
    insuranceEstimate: cents(result.estimate),
    netAmount: cents(result.net),
    guarantors: result.guarantors,
    byGuarantor: result.by_guarantor.map((g) => ({
      guarantorId: g.guarantor_id,
      claims: g.claims,
      ledgerEntries: g.entries,
      charges: cents(g.charges),
      insuranceEstimate: cents(g.estimate),
    })),
    byGuarantorTruncated: result.guarantors > result.by_guarantor.length,
  };
}
