/**
 * The sample diff's and the verification's count of source values kept for review (refused or shortened by the map, or
 * a merged duplicate's), by object type, field and kind, from the source-side check's diff rows
 * (`review:<kind>:<field>`): how many there were and how many Pipedrive holds on their record. Counts and field names
 * only.
 */
import { parseReviewDiffField, type ReviewKind } from '../mapping';

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
