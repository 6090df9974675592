/**
 * Values kept for review: nothing a transform refuses (an address that is not one, a phone that does not parse, a
 * date that is not a date, a code the value map does not know) or shortens (text cut to Pipedrive's limit) is
 * dropped silently. The builder keeps each such value, as typed, on its own record: in the entity's review field
 * (`Values Needing Review`, a long-text custom field) where the map declares one, else in the record's note-like
 * field (an activity's note, a deal product's comments, a note's content), unless another field of the record already
 * holds it (the invalid phones' `Phones Needing Review`). The values themselves may be PHI: they go to Pipedrive and
 * the store only; counts by field and kind (`reviewCounts`) are what reports, logs and Temporal see.
 */
import { htmlToComparableText, truncateChars } from './transforms/text';
import type { FieldValue, LogicalRecord, ReviewKind, ReviewValue } from './types';

/** The long-text custom field a record's refused and shortened values are kept in, on entities that take custom fields. */
export const REVIEW_FIELD = 'Values Needing Review';

/** One line per value: `<field> (<kind>): <value>`; the whole text cut to `maxChars`. */
export function reviewText(values: readonly Pick<ReviewValue, 'field' | 'kind' | 'value'>[], maxChars: number | null): string | null {
  if (values.length === 0) return null;
  const text = values.map((v) => `${v.field.replace(/^custom:/u, '')} (${v.kind}): ${v.value}`).join('\n');
  return maxChars === null ? text : truncateChars(text, maxChars).text;
}

/** Whitespace runs as one space, HTML reduced to its text: how a value is looked for on a record. */
function comparable(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

function strings(value: FieldValue | undefined): string[] {
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

/** Counts by entity, field and kind: `not_kept` counts values too long for any field of their record. PHI-free. */
export interface ReviewCount {
  object: string;
  field: string;
  kind: ReviewKind;
  values: number;
  /** Of those, how many the record could not hold whole (over every limit even in the review field). */
  notKept: number;
}

export class ReviewCounter {
  private readonly counts = new Map<string, ReviewCount>();

  add(object: string, values: readonly Pick<ReviewValue, 'field' | 'kind' | 'kept'>[]): void {
    for (const v of values) {
      const key = `${object}\u0000${v.field}\u0000${v.kind}`;
      const count = this.counts.get(key) ?? { object, field: v.field, kind: v.kind, values: 0, notKept: 0 };
      count.values += 1;
      if (!v.kept) count.notKept += 1;
      this.counts.set(key, count);
    }
  }

  get rows(): ReviewCount[] {
    return [...this.counts.values()].sort((a, b) => a.object.localeCompare(b.object) || a.field.localeCompare(b.field) || a.kind.localeCompare(b.kind));
  }

  get total(): number {
    return this.rows.reduce((n, r) => n + r.values, 0);
  }
}
