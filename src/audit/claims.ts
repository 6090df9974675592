import type { InFlightClaims } from './report';
import { IN_FLIGHT_CLAIM_RULE, IN_FLIGHT_CLAIM_STATUSES } from '../store/claims';
import { inFlightClaimRow } from '../store/source-audit';
import { type AuditContext, cents } from './sql';

/**
 * Insurance claims still in flight must clear before cutover: the definition the delta window and `cutover` count
 * by too (src/store/claims.ts), so the report's claims are theirs.
 */
export async function inFlightClaims(ctx: AuditContext): Promise<InFlightClaims> {
  const result = await inFlightClaimRow(ctx.db, ctx, IN_FLIGHT_CLAIM_STATUSES);
  return {
    rule: IN_FLIGHT_CLAIM_RULE,
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
