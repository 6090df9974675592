import type { InFlightClaims } from './report';
import { inFlightClaimRow } from '../store/source-audit';
import { type AuditContext, cents } from './sql';

export const IN_FLIGHT_CLAIM_STATUSES = ['sent', 'pending'] as const;

/**
 * Insurance claims still in flight (ledger `claim_status` sent or pending) must clear before cutover. The ledger
 * has no claim id: the entries of one visit (guarantor, patient, date) are counted as one claim.
 */
export async function inFlightClaims(ctx: AuditContext): Promise<InFlightClaims> {
  const result = await inFlightClaimRow(ctx.db, ctx, IN_FLIGHT_CLAIM_STATUSES);
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
