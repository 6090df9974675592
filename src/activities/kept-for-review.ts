/**
 * The sample diff's and the verification's count of source values kept for review (refused or shortened by the map),
 * by object type, field and kind, from the source-side check's diff rows (`review:<kind>:<field>`): how many there
 * were and how many Pipedrive holds on their record. Counts and field names only.
 */
import { parseReviewDiffField, type ReviewKind } from '../mapping';
import { escapeHtml } from './report-files';

export interface KeptForReviewRow {
  object: string;
  field: string;
  kind: ReviewKind;
  values: number;
  /** Found on the record in Pipedrive (its review field, or another field that holds it whole). */
  inPipedrive: number;
}

export interface KeptForReview {
  values: number;
  inPipedrive: number;
  byField: KeptForReviewRow[];
}

/** From the accuracy query's per-field rows (`compared`, `matched` as the store returns them). */
export function keptForReview(perField: readonly { object_type: string; field: string; compared: string | number; matched: string | number }[]): KeptForReview {
  const rows = new Map<string, KeptForReviewRow>();
  for (const r of perField) {
    const parsed = parseReviewDiffField(r.field);
    if (!parsed) continue;
    const key = `${r.object_type}\u0000${parsed.field}\u0000${parsed.kind}`;
    const row = rows.get(key) ?? { object: r.object_type, field: parsed.field, kind: parsed.kind, values: 0, inPipedrive: 0 };
    row.values += Number(r.compared);
    row.inPipedrive += Number(r.matched);
    rows.set(key, row);
  }
  const byField = [...rows.values()].sort((a, b) => a.object.localeCompare(b.object) || a.field.localeCompare(b.field) || a.kind.localeCompare(b.kind));
  return { values: byField.reduce((n, r) => n + r.values, 0), inPipedrive: byField.reduce((n, r) => n + r.inPipedrive, 0), byField };
}

export function keptForReviewHtml(k: KeptForReview): string {
  const cls = k.inPipedrive === k.values ? 'good' : 'bad';
  const rows = k.byField
    .map((r) => `<tr>${[r.object, r.field, r.kind, r.values, r.inPipedrive].map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h2>Values kept for review <span class="${cls}">${k.inPipedrive}/${k.values} on their record in Pipedrive</span></h2>
<p>Source values the map refused or cut to Pipedrive's limit, kept whole on their record (Values Needing Review, or the note-like field).</p>
<table><tr><th>object</th><th>field</th><th>kind</th><th>values</th><th>in Pipedrive</th></tr>
${rows}</table>`;
}
