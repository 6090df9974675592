/**
 * Values kept for review: nothing a transform refuses (an address that is not one, a phone that does not parse, a
 * date that is not a date, a code the value map does not know) or shortens (text cut to Pipedrive's limit) is
 * dropped silently. The builder keeps each such value, as typed, on its own record: in the entity's review field
 * (`Values Needing Review`, a long-text custom field) where the map declares one, else in the record's note-like
 * field (an activity's note, a deal product's comments, a note's content), unless another field of the record already
 * holds it (the invalid phones' `Phones Needing Review`). The values themselves may be PHI: they go to Pipedrive and
 * the store only; counts by field and kind (the reports' `keptForReview`, `valuesForReview`) are what reports, logs and
 * Temporal see.
 */
import type { FieldDiff } from './diff';
import { htmlToComparableText, truncateChars } from './transforms/text';
import { REVIEW_KINDS, type FieldValue, type LogicalRecord, type ReviewKind, type ReviewValue } from './types';

/** The long-text custom field a record's refused and shortened values are kept in, on entities that take custom fields. */
export const REVIEW_FIELD = 'Values Needing Review';

/**
 * One line per value, `<field> (refused): <value as typed>` or `<field> (shortened, the rest): <what was cut off>` (the
 * field and its review line hold the value whole); the whole text cut to `maxChars`.
 */
export function reviewText(values: readonly Pick<ReviewValue, 'field' | 'kind' | 'value' | 'from'>[], maxChars: number | null): string | null {
  if (values.length === 0) return null;
  const text = values.map(reviewLine).join('\n');
  return maxChars === null ? text : truncateChars(text, maxChars).text;
}

function reviewLine(v: Pick<ReviewValue, 'field' | 'kind' | 'value' | 'from'>): string {
  return `${v.field.replace(/^custom:/u, '')} (${KIND_LABELS[v.kind](v.from)}): ${v.value}`;
}

const KIND_LABELS: Record<ReviewKind, (from: string | undefined) => string> = {
  refused: () => 'refused',
  shortened: () => 'shortened, the rest',
  merged: (from) => `merged from ${from ?? 'a duplicate'}`,
};

/**
 * The values no field of the record holds whole (beyond the review field's limit, a note over 100 KB, a merged
 * duplicate's past the survivor's review field), each whole on its review line: the text of the file the load attaches
 * to the record (source-keys.ts, reviewFileKey). Marks them as in that file; undefined when every value is on the record.
 */
export function reviewFileOf(review: ReviewValue[]): string | undefined {
  const overflow = review.filter((v) => !v.kept);
  for (const v of overflow) v.inReviewFile = true;
  return reviewText(overflow, null) ?? undefined;
}

/**
 * What shows the value is on a record: a refused value anywhere (Phones Needing Review holds invalid phones as typed),
 * the rest of a shortened one and a merged duplicate's value on their review lines (the value alone could match the
 * field it was cut from, or the survivor's own value).
 */
export function reviewNeedle(v: Pick<ReviewValue, 'field' | 'kind' | 'value' | 'from'>): string {
  return v.kind === 'refused' ? v.value : reviewLine(v);
}

/** Whitespace runs as one space, HTML reduced to its text: how a value is looked for on a record. */
export function comparable(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** The text values of a field: a string, a number as text, a list's entries (contacts' `value`). */
export function strings(value: FieldValue | undefined): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value))
    return (value as unknown[]).flatMap((v) => (typeof v === 'string' ? [v] : v && typeof v === 'object' && 'value' in v ? [String(v.value)] : []));
  return [];
}

/**
 * Whether some text field of the record (as built, or as read back from Pipedrive) holds the whole value: compared
 * with whitespace collapsed, plain and with HTML reduced to text (note-like fields come back sanitised).
 */
export function keptOnRecord(record: Pick<LogicalRecord, 'fields' | 'custom'>, value: string, extra: readonly string[] = []): boolean {
  const wanted = comparable(value);
  if (wanted === '') return true;
  const texts = [...Object.values(record.fields), ...Object.values(record.custom)].flatMap(strings).concat(extra);
  return texts.some((text) => comparable(text).includes(wanted) || (text.includes('<') && comparable(htmlToComparableText(text)).includes(wanted)));
}

/** Field ids of the source-side check's rows: `review:<kind>:<field>`, `#2`, `#3`… for a second value of the same field. */
export const REVIEW_DIFF_PREFIX = 'review:';

const REVIEW_DIFF_FIELD = new RegExp(`^${REVIEW_DIFF_PREFIX}(${REVIEW_KINDS.join('|')}):(.+?)(?:#\\d+)?$`, 'u');

/** `review:refused:emails#2` → its kind and field; undefined for any other field id. */
export function parseReviewDiffField(id: string): { kind: ReviewKind; field: string } | undefined {
  const match = REVIEW_DIFF_FIELD.exec(id);
  return match ? { kind: match[1] as ReviewKind, field: match[2]! } : undefined;
}

/**
 * The source-side check of one record: each value the source had that the map could not put where it maps it (refused
 * or shortened), looked for in what Pipedrive holds for the record. Found anywhere on it (its review field, as a rule)
 * is a match; so is a value of the record's review file when Pipedrive holds that file whole (`reviewFile: 'held'`:
 * attached to the record, with the size its text has). Else `source_value_missing` when it should be there and is not
 * (on the record, or in a file that is missing or of another size), `not_kept` when nothing could hold it,
 * `missing_record` when the record did not come back. The values go to the diff rows only (PHI at rest).
 */
export function reviewDiffs(
  review: readonly ReviewValue[],
  actual: Pick<LogicalRecord, 'fields' | 'custom'> | undefined,
  reviewFile?: 'held' | 'missing',
): FieldDiff[] {
  const seen = new Map<string, number>();
  return review.map((v) => {
    const base = `${REVIEW_DIFF_PREFIX}${v.kind}:${v.field}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const field = n === 1 ? base : `${base}#${n}`;
    const found = actual !== undefined && (keptOnRecord(actual, reviewNeedle(v)) || (v.inReviewFile === true && reviewFile === 'held'));
    if (found) return { field, matched: true, expected: v.value, actual: v.value };
    const category = actual === undefined ? 'missing_record' : v.kept || v.inReviewFile ? 'source_value_missing' : 'not_kept';
    return { field, matched: false, category, expected: v.value, actual: null };
  });
}
