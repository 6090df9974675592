import type { PlanEstimate } from './estimate';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const decimal = (n: number): string => (n < 0.01 && n > 0 ? '<0.01' : n.toFixed(2));

function columns(rows: string[][], rightAlignedFrom: number): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i >= rightAlignedFrom ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The estimate as text for an operator's terminal: per phase requests, tokens, days at the daily budget and hours
 * at the burst limit, then totals and the assumptions; `detail` adds each phase's operations.
 */
export function formatPlanText(estimate: PlanEstimate, options: { detail?: boolean } = {}): string {
  const e = estimate;
  const lines: string[] = [];
  lines.push(
    `Pipedrive ${e.plan}, ${e.seats} seat${e.seats === 1 ? '' : 's'}: ${int(e.dailyBudget)} tokens/day` +
      `${e.spendablePerDay < e.dailyBudget ? ` (${int(e.spendablePerDay)} spendable after the reserve)` : ''}` +
      `${e.migrationsOnAccount > 1 ? `, split between ${e.migrationsOnAccount} migrations into the account: ${int(Math.floor(e.ownPerDay))} a day for this one` : ''}, ${e.burstPer2s} requests per 2 s`,
  );
  const r = e.records;
  lines.push(
    `Records: ${int(r.total)} — ${int(r.persons)} persons, ${int(r.organizations)} organizations, ${int(r.products)} products, ${int(r.deals)} deals, ` +
      `${int(r.dealProducts)} deal products, ${int(r.activities)} activities, ${int(r.notes)} notes, ${int(r.files)} files (sample ${int(e.sampleRecords.total)})`,
  );
  lines.push('');
  const rows = [['phase', 'requests', 'tokens', 'days at budget', 'hours at burst']];
  for (const p of e.phases) rows.push([p.phase, int(p.requests), int(p.tokens), decimal(p.days), decimal(p.burstHours)]);
  rows.push(['total without rollback', int(e.totals.requests), int(e.totals.tokens), decimal(e.totals.days), decimal(e.totals.burstHours)]);
  lines.push(columns(rows, 1));
  if (options.detail) {
    for (const p of e.phases) {
      lines.push('', `${p.phase}: ${p.title}`);
      const ops = [['  operation', 'endpoint', 'requests', 'tokens each', 'tokens']];
      for (const o of p.operations) ops.push([`  ${o.what}`, `${o.api} ${o.method} ${o.path}`, int(o.requests), int(o.tokensPerRequest), int(o.tokens)]);
      lines.push(columns(ops, 2));
    }
  }
  lines.push('', 'Assumptions:', ...e.assumptions.map((a) => `  - ${a}`));
  return lines.join('\n') + '\n';
}

/** The estimate as JSON (the CLI's `--json`). */
export function formatPlanJson(estimate: PlanEstimate): string {
  return JSON.stringify(estimate, null, 2) + '\n';
}
