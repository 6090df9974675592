/**
 * The sample diff's and the verification's HTML page: one self-contained file (inline CSS and SVG, no scripts, no
 * external assets) that tells an operator whether to approve. Accuracy per object type and per field as bar charts
 * against the approval threshold, a decision hint, the discrepancy categories with example ids, the rejected records
 * with their reasons, and the exact commands to approve or reject. Ids, field names and counts only: the compared
 * values (PHI) stay in the JSON report and the store's field diffs, never on this page. Pure.
 */
import { escapeHtml } from '../audit/render-html';
import type { KeptForReview } from '../activities/kept-for-review';
import type { LinkReconciliation } from '../activities/reconciliation';
import { gateCommandsFor } from '../workflows/gate-actions';

export interface AccuracyRow {
  compared: number;
  matched: number;
  accuracy: number;
}

export interface AccuracyPageInput {
  migrationId: string;
  runKind: string;
  generatedAt: string;
  accuracy: number;
  fieldsCompared: number;
  recordsCompared: number;
  /** The approval threshold (%): the migration's `sampleAccuracyThreshold`. */
  threshold: number;
  byObject: Record<string, AccuracyRow & { records: number }>;
  byField: (AccuracyRow & { object: string; field: string })[];
  byCategory: { object: string; category: string; count: number }[];
  /** Example records per object type and category: ids and field names only. */
  examples: { objectType: string; category: string; sourceKey: string; pipedriveId: string | null; fields: string[] }[];
  /** Rejected records by object type and reason (reasons are PHI-free: columns, rules, Pipedrive's codes). */
  rejected: { objectType: string; reason: string; records: number; sourceKeys: string[] }[];
  keptForReview: KeptForReview;
  recreated: Record<string, number>;
  links?: LinkReconciliation;
}

/** What each category means and where to look: the diff's categories (src/mapping/diff.ts). */
const CATEGORY_HINTS: Record<string, string> = {
  missing_record: 'nothing came back from Pipedrive for the record (deleted there, or never created)',
  rejected_by_api: 'Pipedrive refused the record or the field (see Rejected records)',
  missing_custom_field: 'the account has no such custom field: SCHEMA did not create it, or it was deleted',
  option_not_allowed: "a pick-list value the field's options lack: check the value map",
  time_zone: "a date-time off by whole hours: check the practice's time zone",
  truncation: 'the value was cut (by Pipedrive, or by the map without keeping the rest)',
  not_kept: 'a source value refused or cut that neither a field of its record nor its review file holds',
  source_value_missing: 'a value kept for review that Pipedrive does not hold (its review field emptied?)',
  value_mismatch: "Pipedrive holds another value: an automation in the account, or the map's transform",
};

const EXAMPLES_SHOWN = 5;
const fmtPct = (n: number): string => `${n.toFixed(2)}%`;
const fmtInt = (n: number): string => n.toLocaleString('en-US');
const e = (s: string | number): string => escapeHtml(String(s));

/** One row of a bar chart: a label, the accuracy, and data attributes naming what it is. */
interface Bar {
  label: string;
  accuracy: number;
  detail: string;
  attrs: Record<string, string>;
}

/**
 * Where the page's charts start: the ten below the lowest accuracy or the threshold (so 97% and 99% look apart when
 * everything is high), 0% when something is far below. Every chart on a page shares it, and says it.
 */
export function axisStart(accuracies: readonly number[], threshold: number): number {
  const lowest = Math.min(threshold, ...accuracies);
  return Math.max(0, 10 * Math.floor((lowest - 1) / 10));
}

/** A horizontal bar chart from `lo`% to 100%, with the threshold marked; bars below it are red. Inline SVG. */
function barChart(id: string, title: string, bars: Bar[], threshold: number, lo: number): string {
  const labelW = 230;
  const barW = 420;
  const rowH = 20;
  const top = 22;
  const width = labelW + barW + 90;
  const height = top + bars.length * rowH + 22;
  const x = (pct: number) => labelW + (barW * (Math.max(lo, Math.min(100, pct)) - lo)) / (100 - lo);
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const ok = b.accuracy >= threshold;
    const attrs = Object.entries(b.attrs)
      .map(([k, v]) => ` data-${k}="${e(v)}"`)
      .join('');
    return (
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="label">${e(b.label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${barW}" height="${rowH - 6}" class="track"/>` +
      `<rect class="bar ${ok ? 'ok' : 'low'}"${attrs} x="${labelW}" y="${y + 3}" width="${(x(b.accuracy) - labelW).toFixed(1)}" height="${rowH - 6}">` +
      `<title>${e(b.label)}: ${fmtPct(b.accuracy)} (${e(b.detail)})</title></rect>` +
      `<text x="${labelW + barW + 6}" y="${y + 14}" class="value${ok ? '' : ' low'}">${fmtPct(b.accuracy)}</text>`
    );
  });
  const tx = x(threshold).toFixed(1);
  return `<figure class="chart" id="${e(id)}"><figcaption>${e(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(title)}">
<text x="${labelW}" y="14" class="axis">${lo}%</text><text x="${labelW + barW}" y="14" text-anchor="end" class="axis">100%</text>
${rows.join('\n')}
<line class="threshold" x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${height - 16}"/><text x="${tx}" y="${height - 4}" text-anchor="middle" class="threshold-label">threshold ${e(threshold)}%</text>
</svg></figure>`;
}

function table(headers: string[], rows: string[][], numericFrom = headers.length): string {
  if (rows.length === 0) return '<p class="none">None.</p>';
  const th = headers.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** What approving does, or what to look at, for this run and this accuracy. */
function decision(r: AccuracyPageInput): { verdict: string; hint: string; commands: { label: string; command: string }[] } {
  const above = r.accuracy >= r.threshold;
  const verdict = `Accuracy ${fmtPct(r.accuracy)} over ${fmtInt(r.fieldsCompared)} fields of ${fmtInt(r.recordsCompared)} records: ${above ? 'at or above' : 'below'} the approval threshold of ${r.threshold}%.`;
  const worst = r.byField
    .filter((f) => f.accuracy < r.threshold)
    .sort((a, b) => a.accuracy - b.accuracy)
    .slice(0, 5)
    .map((f) => `${f.object}.${f.field} (${fmtPct(f.accuracy)})`);
  const lookAt = worst.length ? ` Start with the fields below the threshold: ${worst.join(', ')}.` : '';
  if (r.runKind === 'sample') {
    const c = gateCommandsFor('SAMPLE_REVIEW', r.migrationId);
    return above
      ? {
          verdict,
          hint:
            'Approving starts the full run (FULL): every record is loaded with the approved map version, then verified. ' +
            'Look over the discrepancy categories and rejected records below first: what they show moves as it is.' +
            lookAt,
          commands: [
            { label: 'Approve (starts the full run)', command: c.approve },
            { label: 'Reject (rolls the sample back and returns to MAPPING_REVIEW)', command: c.reject },
          ],
        }
      : {
          verdict,
          hint:
            'Below the threshold, approval needs a written override reason (kept in the audit log). Look at the discrepancy ' +
            'categories and their example records in Pipedrive, fix the map (`map export`, `map import`), and reject: the ' +
            "sample's records are rolled back and the migration returns to MAPPING_REVIEW." +
            lookAt,
          commands: [
            { label: 'Reject (rolls the sample back and returns to MAPPING_REVIEW)', command: c.reject },
            { label: 'Approve anyway (starts the full run; the reason is audited)', command: c.approveOverride ?? c.approve },
          ],
        };
  }
  if (r.runKind === 'full') {
    const c = gateCommandsFor('VERIFY_REVIEW', r.migrationId);
    const commands = [
      { label: 'Go on to DELTA (only when it waits at VERIFY_REVIEW; the reason is audited)', command: c.approve },
      { label: 'Reject (rolls everything back)', command: c.reject },
    ];
    return above
      ? {
          verdict,
          hint:
            'At or above the threshold: when the reconciliation balances (source = migrated + skipped + rejected for every ' +
            'object type) the migration goes on to DELTA without waiting; otherwise it waits at VERIFY_REVIEW for a decision.' +
            lookAt,
          commands,
        }
      : {
          verdict,
          hint:
            'Below the threshold the migration waits at VERIFY_REVIEW. Look at the discrepancy categories and their example ' +
            'records in Pipedrive: going on needs a written override reason; rejecting rolls every record back.' +
            lookAt,
          commands,
        };
  }
  return { verdict, hint: `A ${r.runKind} verification: informational, no gate waits on it.${lookAt}`, commands: [] };
}

function categoriesHtml(r: AccuracyPageInput): string {
  const rows = r.byCategory.map((c) => {
    const examples = r.examples
      .filter((x) => x.objectType === c.object && x.category === c.category)
      .slice(0, EXAMPLES_SHOWN)
      .map((x) => `<code>${e(x.sourceKey)}</code> → ${x.pipedriveId ? `Pipedrive ${e(x.pipedriveId)}` : 'no Pipedrive record'} (${e(x.fields.join(', '))})`)
      .join('<br>');
    return [e(c.object), `<code>${e(c.category)}</code>`, e(CATEGORY_HINTS[c.category] ?? ''), examples || '—', e(fmtInt(c.count))];
  });
  return `<h2 id="categories">Discrepancies by category</h2>
<p>Examples are ids only: the Dentrix source key and the Pipedrive id of up to ${EXAMPLES_SHOWN} records per category, with the fields that differ. Open them in Pipedrive to see the values.</p>
${table(['object', 'category', 'what it means', 'examples (source key → Pipedrive id, fields)', 'fields'], rows, 4)}`;
}

function rejectedHtml(r: AccuracyPageInput): string {
  const total = r.rejected.reduce((n, g) => n + g.records, 0);
  const rows = r.rejected.map((g) => [
    e(g.objectType),
    e(g.reason.length > 300 ? `${g.reason.slice(0, 300)}…` : g.reason),
    g.sourceKeys.map((k) => `<code>${e(k)}</code>`).join(', ') +
      (g.records > g.sourceKeys.length ? ` … and ${fmtInt(g.records - g.sourceKeys.length)} more` : ''),
    e(fmtInt(g.records)),
  ]);
  return `<h2 id="rejected">Rejected records <span class="${total ? 'warn' : 'good'}">${fmtInt(total)}</span></h2>
<p>${r.runKind === 'sample' ? 'Records the sample run rejected' : 'Records the migration rejected'}, by reason, as the ledger records them: they are not in Pipedrive (source = migrated + skipped + rejected).</p>
${table(['object', 'reason', 'source keys', 'records'], rows, 3)}`;
}

/** Source values refused or shortened by the map, and how many Pipedrive holds on their record. */
function keptForReviewHtml(k: KeptForReview): string {
  const cls = k.inPipedrive === k.values ? 'good' : 'bad';
  const rows = k.byField.map((r) => [r.object, r.field, r.kind, r.values, r.inPipedrive].map(e));
  return `<h2>Values kept for review <span class="${cls}">${k.inPipedrive}/${k.values} on their record in Pipedrive</span></h2>
<p>Source values the map refused or cut to Pipedrive's limit, and a merged duplicate's values its survivor does not hold, kept whole on their record (Values Needing Review, or the note-like field).</p>
${table(['object', 'field', 'kind', 'values', 'in Pipedrive'], rows, 3)}`;
}

/** Records the load created again because the one the id map held was gone from Pipedrive (an account reset, a hand delete). */
function recreatedHtml(recreated: Record<string, number>): string {
  const types = Object.entries(recreated).filter(([, n]) => n > 0);
  if (types.length === 0) return '';
  return `<p>Recreated (the record the id map held was gone from Pipedrive): ${types.map(([type, n]) => `${e(type)} ${n}`).join(', ')}.</p>`;
}

function linksHtml(links: LinkReconciliation): string {
  const linkRows = Object.values(links.links).flatMap((byName) =>
    Object.entries(byName).map(([name, l]) => [name, l.field, l.expected, l.present, l.correct, l.missing, l.wrong, l.unexpected].map(e)),
  );
  const ownerRows = Object.entries(links.owners).map(([type, o]) => [type, o.field, o.records, o.correct, o.fallback, o.wrong, o.notAMigrationUser].map(e));
  const t = links.totals;
  const ownersClass = t.ownersCorrect === t.ownersChecked ? (t.fallbackOwners ? 'warn' : 'good') : 'bad';
  return `<h2>Links <span class="${links.ok ? 'good' : 'bad'}">${t.linksCorrect}/${t.linksExpected} correct</span></h2>
${table(['link', 'field', 'expected', 'present', 'correct', 'missing', 'wrong', 'unexpected'], linkRows, 2)}
<h2>Owners <span class="${ownersClass}">${t.ownersCorrect}/${t.ownersChecked} correct</span>, ${t.fallbackOwners} fallback</h2>
${links.warnings.map((w) => `<p class="warn"><b>Warning:</b> ${e(w)}</p>`).join('\n')}
${table(['object', 'field', 'records', 'correct', 'fallback owner', 'wrong', 'not a migration user'], ownerRows, 2)}`;
}

export function renderAccuracyHtml(r: AccuracyPageInput): string {
  const name = r.runKind === 'sample' ? 'Sample diff' : r.runKind === 'full' ? 'Verification' : `Verification (${r.runKind})`;
  const title = `${name} — ${r.migrationId}`;
  const d = decision(r);
  const above = r.accuracy >= r.threshold;
  const lo = axisStart([...Object.values(r.byObject).map((o) => o.accuracy), ...r.byField.map((f) => f.accuracy)], r.threshold);
  const objects = Object.entries(r.byObject).map(([object, o]) => ({
    label: object,
    accuracy: o.accuracy,
    detail: `${fmtInt(o.matched)}/${fmtInt(o.compared)} fields of ${fmtInt(o.records)} records`,
    attrs: { object },
  }));
  const fieldCharts = [...new Set(r.byField.map((f) => f.object))].map((object) =>
    barChart(
      `chart-fields-${object}`,
      `${object}: accuracy per field`,
      r.byField
        .filter((f) => f.object === object)
        .map((f) => ({ label: f.field, accuracy: f.accuracy, detail: `${fmtInt(f.matched)}/${fmtInt(f.compared)}`, attrs: { object, field: f.field } })),
      r.threshold,
      lo,
    ),
  );
  const commands = d.commands.length
    ? `<h2 id="commands">Commands</h2>
<p>Replace <code>&lt;you&gt;</code> with your name and <code>&lt;why&gt;</code> with a written reason (both go to the audit log).</p>
${d.commands.map((c) => `<p>${e(c.label)}:</p><pre class="command">${e(c.command)}</pre>`).join('\n')}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; margin: 0 auto; max-width: 1180px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
  .meta { color: #5b6576; margin: 0 0 16px; }
  .decision { border: 1px solid; border-radius: 6px; padding: 12px 16px; } .decision.above { border-color: #6bb37e; background: #eef8f0; }
  .decision.below { border-color: #d66; background: #fdecec; } .decision .verdict { font-size: 16px; font-weight: 600; margin: 0 0 6px; }
  pre.command { background: #1d2430; color: #f4f6f9; padding: 8px 12px; border-radius: 4px; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; } th, td { border-bottom: 1px solid #e6e9ef; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #eef1f5; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  code { font-family: ui-monospace, monospace; font-size: 12px; } .none { color: #5b6576; }
  .good { color: #070; } .bad { color: #b00; } .warn { color: #b60; }
  figure.chart { margin: 8px 0 16px; } figcaption { font-weight: 600; margin-bottom: 2px; }
  svg text { font: 12px system-ui, sans-serif; fill: #1d2430; } svg text.axis, svg text.threshold-label { fill: #5b6576; font-size: 11px; }
  svg .track { fill: #eef1f5; } svg .bar.ok { fill: #4c9a5f; } svg .bar.low { fill: #d64545; } svg text.value.low { fill: #b00; font-weight: 600; }
  svg .threshold { stroke: #1d2430; stroke-width: 1.5; stroke-dasharray: 4 3; }
</style></head><body>
<h1>${e(title)}</h1>
<p class="meta">Migration ${e(r.migrationId)} · ${e(r.runKind)} run · generated ${e(r.generatedAt)} · ids, field names and counts only: no names, birth dates, notes, insurance ids, e-mails or phones appear on this page (the compared values are in the JSON report).</p>
<div class="decision ${above ? 'above' : 'below'}"><p class="verdict">${e(d.verdict)}</p><p class="hint">${e(d.hint)}</p></div>
${commands}
<h2 id="accuracy">Accuracy</h2>
<p class="none">The bars start at ${lo}%${lo > 0 ? ' (every accuracy on this page is above it)' : ''}; the dashed line is the approval threshold.</p>
${barChart('chart-objects', 'Accuracy per object type', objects, r.threshold, lo)}
${fieldCharts.join('\n')}
${categoriesHtml(r)}
${rejectedHtml(r)}
${recreatedHtml(r.recreated)}
${keptForReviewHtml(r.keptForReview)}
${r.links ? linksHtml(r.links) : ''}
</body></html>
`;
}
