/**
 * The plan beside the bill (issue 15.3): what a migration's own request accounting booked (`request_tokens`, by the
 * workflow phase an activity serves) summed into the plan's phases, and each phase's ratio to the estimate.
 */
import type { RequestTally, Spend } from '../store/request-tokens';
import type { Phase } from '../workflows/messages';
import { PLAN_PHASES, type PlanEstimate, type PlanPhase } from './estimate';

/**
 * The plan phase a booked phase's requests belong to: the account's identification and the users read for owner
 * matching are part of the schema's cost (before the first write); the end fingerprint is the verification's.
 */
const PLAN_PHASE_OF: Partial<Record<Phase, PlanPhase>> = {
  EXTRACT: 'schema',
  MAPPING_REVIEW: 'schema',
  SCHEMA: 'schema',
  SAMPLE: 'sample',
  FULL: 'full',
  VERIFY: 'verify',
  DONE: 'verify',
  DELTA: 'delta',
  ROLLING_BACK: 'rollback',
};

export interface PhaseComparison {
  phase: PlanPhase;
  planned: Spend;
  booked: Spend;
  /** planned ÷ booked: the estimate against the bill (1 when both are 0). */
  tokenRatio: number;
  requestRatio: number;
  /** By endpoint (`GET /api/v2/persons`): planned and booked. */
  endpoints: Record<string, { planned: Spend; booked: Spend }>;
}

const ratio = (planned: number, booked: number): number => (booked === 0 ? (planned === 0 ? 1 : Infinity) : planned / booked);

/** The estimate's phases beside what was booked, endpoint by endpoint. Booked phases the plan has no phase for are left out. */
export function comparePlan(estimate: PlanEstimate, booked: readonly RequestTally[]): PhaseComparison[] {
  return PLAN_PHASES.map((phase) => {
    const endpoints: PhaseComparison['endpoints'] = {};
    const at = (endpoint: string) => (endpoints[endpoint] ??= { planned: { requests: 0, tokens: 0 }, booked: { requests: 0, tokens: 0 } });
    const planned = { requests: 0, tokens: 0 };
    for (const o of estimate.phases.find((p) => p.phase === phase)?.operations ?? []) {
      const e = at(`${o.method} /api/${o.api}${o.path}`);
      e.planned.requests += o.requests;
      e.planned.tokens += o.tokens;
      planned.requests += o.requests;
      planned.tokens += o.tokens;
    }
    const spent = { requests: 0, tokens: 0 };
    for (const t of booked) {
      if (PLAN_PHASE_OF[t.phase as Phase] !== phase) continue;
      const e = at(t.endpoint);
      e.booked.requests += t.requests;
      e.booked.tokens += t.tokens;
      spent.requests += t.requests;
      spent.tokens += t.tokens;
    }
    return {
      phase,
      planned,
      booked: spent,
      tokenRatio: ratio(planned.tokens, spent.tokens),
      requestRatio: ratio(planned.requests, spent.requests),
      endpoints,
    };
  });
}

/** The comparison as text: a phase a line with the plan's difference from the bill, then (`detail`) each endpoint where they differ. */
export function formatComparison(rows: readonly PhaseComparison[], options: { detail?: boolean } = {}): string {
  const pct = (r: number): string => (Number.isFinite(r) ? `${((r - 1) * 100).toFixed(1).replace(/^(?!-)/u, '+')}%` : 'n/a');
  const lines = ['phase      planned tokens (requests)   booked tokens (requests)   plan vs booked: tokens  requests'];
  for (const r of rows) {
    if (r.planned.tokens === 0 && r.booked.tokens === 0) continue;
    lines.push(
      `${r.phase.padEnd(10)} ${`${r.planned.tokens} (${r.planned.requests})`.padStart(26)}   ${`${r.booked.tokens} (${r.booked.requests})`.padStart(24)}   ` +
        `${pct(r.tokenRatio).padStart(22)}  ${pct(r.requestRatio).padStart(8)}`,
    );
    if (!options.detail) continue;
    for (const [endpoint, e] of Object.entries(r.endpoints).sort(([a], [b]) => a.localeCompare(b))) {
      if (e.planned.tokens === e.booked.tokens && e.planned.requests === e.booked.requests) continue;
      lines.push(`    ${endpoint.padEnd(52)} planned ${e.planned.tokens} (${e.planned.requests})  booked ${e.booked.tokens} (${e.booked.requests})`);
    }
  }
  return lines.join('\n');
}
