/**
 * Field-level diff of what we meant to write (the built record) against what Pipedrive holds (read back), after
 * normalising both sides (phones E.164, emails lower case, money in cents, dates, instants, HTML as text).
 * Each mismatch gets the category ops act on:
 * - missing_record: nothing came back; rejected_by_api: the API refused the record or field;
 * - missing_custom_field: the account has no such field; option_not_allowed: a pick-list value the field lacks;
 * - time_zone: a date-time off by whole hours; truncation: the value was cut (by us or by Pipedrive);
 * - not_kept: a source value refused or cut that neither a field of its record nor its review file holds (review.ts);
 * - source_value_missing: a source value kept for review on the built record that Pipedrive does not hold;
 * - value_mismatch: anything else.
 * Discrepancies name fields and source keys only; values appear only in the per-field report rows.
 */
import { customFieldOf, type FieldMap } from './field-map';
import { SOURCE_KEY_FIELD, SOURCE_KEY_LOCATIONS, parseFileNameKey, parseMarker } from './source-keys';
import { STANDARD_FIELDS, type StandardFieldKind } from './standard-fields';
import { hoursMinutes, parseUtcTimestamp } from './transforms/datetime';
import { toCents } from './transforms/money';
import { comparablePhone } from './transforms/phones';
import { htmlToComparableText } from './transforms/text';
import { valueKey } from './transforms/value-map';
import type { FieldValue, LogicalRecord, TargetEntity } from './types';

export const DISCREPANCY_CATEGORIES = [
  'missing_record',
  'missing_custom_field',
  'option_not_allowed',
  'time_zone',
  'truncation',
  'rejected_by_api',
  'not_kept',
  'source_value_missing',
  'value_mismatch',
] as const;
export type DiscrepancyCategory = (typeof DISCREPANCY_CATEGORIES)[number];

/** One compared field, with normalised values: for the report file (PHI) and the field_diffs table only. */
export interface FieldDiff {
  field: string;
  matched: boolean;
  category?: DiscrepancyCategory;
  expected: unknown;
  actual: unknown;
}

export interface RecordDiff {
  entity: TargetEntity;
  sourceKey: string;
  fields: FieldDiff[];
}

/** A mismatch without values: safe for summaries, logs and workflow results. */
export interface Discrepancy {
  entity: TargetEntity;
  sourceKey: string;
  field: string;
  category: DiscrepancyCategory;
}

export interface DiffOptions {
  /** Defaults to the key kept in the expected record (Dentrix Source Key, marker or file-name prefix). */
  sourceKey?: string;
  /** The API refused to create the record (e.g. 400): every field is rejected_by_api rather than missing. */
  rejectedByApi?: boolean;
  /** Fields left out of the body or refused by the API, by field id (`name`, `custom:Birth Date`). */
  fieldProblems?: Record<string, 'missing_custom_field' | 'option_not_allowed' | 'rejected_by_api'>;
}

/** Standard fields the server fills in when the body leaves them out. */
const SERVER_STAMPED = new Set(['add_time']);

export function diffRecord(
  entity: TargetEntity,
  expected: LogicalRecord,
  actual: LogicalRecord | undefined,
  map: FieldMap,
  options: DiffOptions = {},
): RecordDiff {
  const sourceKey = options.sourceKey ?? logicalSourceKey(expected) ?? '(unknown)';
  const fields: FieldDiff[] = [];
  const compare = (id: string, kind: Comparable, expectedValue: FieldValue, actualValue: FieldValue | undefined, present: boolean) => {
    const e = normalise(kind, expectedValue);
    if (!actual) {
      fields.push({ field: id, matched: false, category: options.rejectedByApi ? 'rejected_by_api' : 'missing_record', expected: e, actual: null });
      return;
    }
    if (!present) {
      fields.push({ field: id, matched: false, category: 'missing_custom_field', expected: e, actual: null });
      return;
    }
    const a = normalise(kind, actualValue ?? null);
    const truncatedByUs = expected.truncated.includes(id);
    if (sameValue(e, a)) {
      fields.push(
        truncatedByUs ? { field: id, matched: false, category: 'truncation', expected: e, actual: a } : { field: id, matched: true, expected: e, actual: a },
      );
      return;
    }
    const category = options.fieldProblems?.[id] ?? categorise(kind, e, a, truncatedByUs);
    fields.push({ field: id, matched: false, category, expected: e, actual: a });
  };

  for (const [name, value] of Object.entries(expected.fields)) {
    const kind = STANDARD_FIELDS[entity][name];
    if (kind === undefined || kind === 'local_path') continue;
    // With no source value, Pipedrive stamps add_time itself: nothing was written, so nothing to compare.
    if (SERVER_STAMPED.has(name) && value === null) continue;
    compare(name, { kind }, value, actual?.fields[name], true);
  }
  for (const [name, value] of Object.entries(expected.custom)) {
    const def = customFieldOf(map, entity, name);
    compare(
      `custom:${name}`,
      { kind: 'custom', type: def?.field_type ?? 'varchar', options: def?.options },
      value,
      actual?.custom[name],
      actual ? name in actual.custom : false,
    );
  }
  if (entity === 'activity' && actual) refineActivityDue(fields);
  return { entity, sourceKey, fields };
}

export function discrepanciesOf(diff: RecordDiff): Discrepancy[] {
  return diff.fields
    .filter((f) => !f.matched)
    .map((f) => ({ entity: diff.entity, sourceKey: diff.sourceKey, field: f.field, category: f.category ?? 'value_mismatch' }));
}

/** The source key a built record carries (where the engine will find it in Pipedrive too). */
export function logicalSourceKey(record: LogicalRecord): string | undefined {
  const location = SOURCE_KEY_LOCATIONS[record.entity];
  switch (location.in) {
    case 'custom_field': {
      const key = record.custom[SOURCE_KEY_FIELD];
      return typeof key === 'string' ? key : undefined;
    }
    case 'marker': {
      const text = record.fields[location.field];
      return parseMarker(typeof text === 'string' ? text : undefined);
    }
    case 'file_name_prefix': {
      const name = record.fields.name;
      return parseFileNameKey(typeof name === 'string' ? name : undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export interface AccuracyCounts {
  recordsCompared: number;
  fieldsCompared: number;
  fieldsMatched: number;
  discrepancies: number;
  /** fieldsMatched / fieldsCompared (1 when nothing was compared). */
  accuracy: number;
}

export interface DiffSummary extends AccuracyCounts {
  byObject: Record<string, AccuracyCounts>;
  /** By `<entity>.<field id>`. */
  byField: Record<string, AccuracyCounts>;
  byCategory: Record<DiscrepancyCategory, number>;
}

/** Accuracy per field and per object type, counts per category: no values, no source keys. */
export function summariseDiff(results: readonly RecordDiff[]): DiffSummary {
  const empty = (): AccuracyCounts => ({ recordsCompared: 0, fieldsCompared: 0, fieldsMatched: 0, discrepancies: 0, accuracy: 1 });
  const summary: DiffSummary = {
    ...empty(),
    byObject: {},
    byField: {},
    byCategory: Object.fromEntries(DISCREPANCY_CATEGORIES.map((c) => [c, 0])) as Record<DiscrepancyCategory, number>,
  };
  const count = (counts: AccuracyCounts, field: FieldDiff) => {
    counts.fieldsCompared += 1;
    if (field.matched) counts.fieldsMatched += 1;
    else counts.discrepancies += 1;
  };
  for (const result of results) {
    const object = (summary.byObject[result.entity] ??= empty());
    summary.recordsCompared += 1;
    object.recordsCompared += 1;
    for (const field of result.fields) {
      const byField = (summary.byField[`${result.entity}.${field.field}`] ??= empty());
      byField.recordsCompared += 1;
      count(summary, field);
      count(object, field);
      count(byField, field);
      if (!field.matched) summary.byCategory[field.category ?? 'value_mismatch'] += 1;
    }
  }
  for (const counts of [summary, ...Object.values(summary.byObject), ...Object.values(summary.byField)]) {
    counts.accuracy = counts.fieldsCompared === 0 ? 1 : counts.fieldsMatched / counts.fieldsCompared;
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------------------------
// Normalisation and categories

type Comparable = { kind: StandardFieldKind } | { kind: 'custom'; type: string; options: string[] | undefined };

type Normalised = null | string | number | boolean | string[];

function normalise(comparable: Comparable, value: FieldValue): Normalised {
  if (value === null || value === undefined) return null;
  if (comparable.kind === 'custom') return normaliseCustom(comparable.type, value);
  switch (comparable.kind) {
    case 'text':
    case 'address':
      return collapse(asText(value));
    case 'long_text':
      return emptyToNull(asText(value).replace(/\r\n?/gu, '\n').trim());
    case 'html':
      return emptyToNull(htmlToComparableText(asText(value)));
    case 'id':
    case 'number':
      return typeof value === 'number' ? toCents(value) / 100 : Number.isFinite(Number(value)) ? Number(value) : asText(value);
    case 'code':
      return valueKey(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'emails':
      return listOf(value, (v) => v.trim().toLowerCase());
    case 'phones':
      return listOf(value, (v) => comparablePhone(v));
    case 'prices':
      return Array.isArray(value)
        ? (value as { currency?: string; price?: number }[]).map((p) => `${(p.currency ?? '').toUpperCase()} ${toCents(Number(p.price ?? 0))}`).sort()
        : null;
    case 'date':
      return asDate(value);
    case 'time':
      return hoursMinutes(asText(value));
    case 'timestamp': {
      const ms = parseUtcTimestamp(asText(value));
      return ms ?? asText(value);
    }
    case 'local_path':
      return asText(value);
  }
}

function normaliseCustom(type: string, value: FieldValue): Normalised {
  switch (type) {
    case 'monetary':
    case 'double':
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value) return toCents(value.value) / 100;
      return typeof value === 'number' ? toCents(value) / 100 : asText(value);
    case 'date':
      return asDate(value);
    case 'enum':
      return valueKey(Array.isArray(value) ? value[0] : value);
    case 'set':
      return Array.isArray(value) ? (value as unknown[]).map((v) => valueKey(v) ?? '').sort() : [valueKey(value) ?? ''];
    case 'org':
    case 'user':
    case 'people':
      return typeof value === 'number' ? value : Number(value);
    case 'phone':
      return comparablePhone(asText(value));
    case 'text':
      return emptyToNull(asText(value).replace(/\r\n?/gu, '\n').trim());
    default:
      return collapse(Array.isArray(value) ? (value as unknown[]).map(String).join(', ') : asText(value));
  }
}

function asText(value: FieldValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function collapse(text: string): string | null {
  return emptyToNull(text.replace(/\s+/gu, ' ').trim());
}

function emptyToNull(text: string): string | null {
  return text === '' ? null : text;
}

function asDate(value: FieldValue): string | null {
  const text = asText(value).trim();
  const match = /^(\d{4}-\d{2}-\d{2})/u.exec(text);
  return match ? match[1]! : emptyToNull(text);
}

function listOf(value: FieldValue, normaliseOne: (v: string) => string): string[] | null {
  if (!Array.isArray(value)) return null;
  const values = (value as unknown[])
    .map((entry) => (typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null && 'value' in entry ? String(entry.value) : ''))
    .filter((v) => v.trim() !== '')
    .map(normaliseOne);
  return values.length === 0 ? null : [...new Set(values)].sort();
}

function sameValue(a: Normalised, b: Normalised): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

const HOUR_MS = 3_600_000;

function categorise(comparable: Comparable, expected: Normalised, actual: Normalised, truncatedByUs: boolean): DiscrepancyCategory {
  if (comparable.kind === 'custom' && (comparable.type === 'enum' || comparable.type === 'set')) {
    const allowed = new Set((comparable.options ?? []).map((o) => valueKey(o)));
    const wanted = Array.isArray(expected) ? expected : expected === null ? [] : [String(expected)];
    if (wanted.some((label) => !allowed.has(label))) return 'option_not_allowed';
  }
  if (comparable.kind === 'timestamp' && typeof expected === 'number' && typeof actual === 'number' && isWholeHourShift(actual - expected)) {
    return 'time_zone';
  }
  if (typeof expected === 'string' && typeof actual === 'string' && actual.length < expected.length && expected.startsWith(actual.replace(/[.…\s]+$/u, ''))) {
    return 'truncation';
  }
  if (truncatedByUs) return 'truncation';
  return 'value_mismatch';
}

function isWholeHourShift(ms: number): boolean {
  return ms !== 0 && ms % HOUR_MS === 0 && Math.abs(ms) <= 26 * HOUR_MS;
}

/** due_date and due_time are one instant: a whole-hour shift of it is a time-zone error on whichever part differs. */
function refineActivityDue(fields: FieldDiff[]): void {
  const date = fields.find((f) => f.field === 'due_date');
  const time = fields.find((f) => f.field === 'due_time');
  if (!date || !time || (date.matched && time.matched)) return;
  const instant = (d: unknown, t: unknown) => (typeof d === 'string' && typeof t === 'string' ? parseUtcTimestamp(`${d} ${t}:00`) : null);
  const expected = instant(date.expected, time.expected);
  const actual = instant(date.actual, time.actual);
  if (expected === null || actual === null || !isWholeHourShift(actual - expected)) return;
  for (const field of [date, time]) if (!field.matched) field.category = 'time_zone';
}
