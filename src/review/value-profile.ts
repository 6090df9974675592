/**
 * Value profiling: what a column's values look like (email-like, 10-digit phones, ISO dates, a small set of codes),
 * from a sample of staged values. Pure. A profile keeps a few sample values for the local mapping workbook; only its
 * *shape* (`valueShape`) may leave the machine, because sample values can be PHI.
 */
import { isNeverStoredToken, SSN_SHAPE } from '../dentrix/never-stored';

export const VALUE_KINDS = [
  'empty',
  'boolean',
  'email',
  'url',
  'phone',
  'ssn',
  'date',
  'us_date',
  'datetime',
  'money',
  'integer',
  'decimal',
  'code',
  'text',
  'long_text',
] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

export interface ColumnProfile {
  /** Rows sampled from the table. */
  sampled: number;
  /** Sampled rows with a non-empty value. */
  nonNull: number;
  /** Distinct non-empty values in the sample (counted up to DISTINCT_CAP). */
  distinct: number;
  /** The dominant kind of the non-empty values (`empty` when there are none). */
  kind: ValueKind;
  /** Share of the non-empty values that are of `kind` (0–1). */
  kindShare: number;
  maxLength: number;
  /** The most common number of digits in numeric-looking values (10 for US phones), null when not numeric. */
  digits: number | null;
  /** Every non-empty value differs from the others (an identifier). */
  unique: boolean;
  /** The observed values, most frequent first, when the column is a small enumeration; else null. */
  options: string[] | null;
  /** A few distinct values for the local workbook. May be PHI: never logged, never sent anywhere. */
  samples: string[];
}

/** Profiles by table and column (`profiles.patient.fname`). */
export type ColumnProfiles = Partial<Record<string, Record<string, ColumnProfile>>>;

const DISTINCT_CAP = 1000;
const ENUM_MAX_OPTIONS = 12;
const ENUM_MIN_VALUES = 4;
const ENUM_MAX_LABEL = 60;
const SAMPLE_COUNT = 5;
const SAMPLE_MAX_LENGTH = 80;
export const LONG_TEXT_LENGTH = 255;

const BOOLEAN_WORDS = /^(y|n|yes|no|true|false|t|f)$/iu;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const URL_LIKE = /^https?:\/\/\S+$/iu;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/u;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/u;
const US_DATE = /^\d{1,2}\/\d{1,2}\/\d{4}$/u;
const US_DATETIME = /^\d{1,2}\/\d{1,2}\/\d{4}\s+\d{1,2}:\d{2}(:\d{2})?(\s*[AP]M)?$/iu;
const NANP_PHONE = /^(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(\s*(x|ext\.?)\s*\d{1,6})?$/iu;
const INTERNATIONAL_PHONE = /^\+\d[\d\s().-]{7,}\d$/u;
const MONEY = /^-?\$?(\d{1,3}(,\d{3})+|\d+)\.\d{2}$|^-?\$\d+$/u;
const INTEGER = /^-?\d+$/u;
const DECIMAL = /^-?\d*\.\d+$/u;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,19}$/u;

/** The kind of one value as staged (contract columns are typed, practice-specific columns are text). */
export function kindOfValue(value: unknown): ValueKind {
  if (value === null || value === undefined) return 'empty';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'empty';
    if (Number.isInteger(value)) return 'integer';
    return Number.isInteger(Math.round(value * 100)) && Math.abs(value * 100 - Math.round(value * 100)) < 1e-6 ? 'money' : 'decimal';
  }
  if (typeof value !== 'string') return 'text';
  const text = value.trim();
  if (text === '') return 'empty';
  if (BOOLEAN_WORDS.test(text)) return 'boolean';
  if (EMAIL.test(text)) return 'email';
  if (URL_LIKE.test(text)) return 'url';
  // Staging keeps only a keyed hash of an SSN (dentrix/never-stored.ts): it still profiles as one.
  if (SSN_SHAPE.test(text) || isNeverStoredToken(text)) return 'ssn';
  if (ISO_DATE.test(text)) return 'date';
  if (ISO_DATETIME.test(text) || US_DATETIME.test(text)) return 'datetime';
  if (US_DATE.test(text)) return 'us_date';
  // Bare digits (no separators, no +) are numbers: an NPI or an id has ten digits as often as a phone does.
  if ((NANP_PHONE.test(text) || INTERNATIONAL_PHONE.test(text)) && !INTEGER.test(text)) return 'phone';
  if (MONEY.test(text)) return 'money';
  if (INTEGER.test(text)) return 'integer';
  if (DECIMAL.test(text)) return 'decimal';
  // A code has digits or is upper case (D2750, DDS1, PPO); a lower-case word is text.
  if (CODE.test(text) && /[0-9]|^[^a-z]+$/u.test(text)) return 'code';
  return text.length > LONG_TEXT_LENGTH || text.includes('\n') ? 'long_text' : 'text';
}

const NUMERIC_KINDS: readonly ValueKind[] = ['integer', 'money', 'decimal'];
const TEXT_KINDS: readonly ValueKind[] = ['code', 'text', 'long_text'];

/** The profile of one column from its sampled values (one per sampled row, null for empty). */
export function profileValues(values: readonly unknown[]): ColumnProfile {
  const counts = new Map<ValueKind, number>();
  const frequency = new Map<string, number>();
  const digitCounts = new Map<number, number>();
  const samples: string[] = [];
  let nonNull = 0;
  let maxLength = 0;
  let multiline = false;

  for (const value of values) {
    const kind = kindOfValue(value);
    if (kind === 'empty') continue;
    nonNull += 1;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const text = displayText(value);
    maxLength = Math.max(maxLength, text.length);
    if (text.includes('\n')) multiline = true;
    const label = text.trim().replace(/\s+/gu, ' ');
    if (frequency.has(label)) frequency.set(label, frequency.get(label)! + 1);
    else if (frequency.size < DISTINCT_CAP) {
      frequency.set(label, 1);
      if (samples.length < SAMPLE_COUNT) samples.push(label.length > SAMPLE_MAX_LENGTH ? `${label.slice(0, SAMPLE_MAX_LENGTH - 1)}…` : label);
    }
    if (kind === 'phone' || kind === 'integer' || kind === 'ssn' || kind === 'code') {
      const digits = kind === 'ssn' ? 9 : text.replace(/\D/gu, '').length;
      if (digits > 0) digitCounts.set(digits, (digitCounts.get(digits) ?? 0) + 1);
    }
  }

  const { kind, share } = dominantKind(counts, nonNull);
  const textual = kind === 'text' || kind === 'long_text';
  const finalKind: ValueKind = textual && (multiline || maxLength > LONG_TEXT_LENGTH) ? 'long_text' : kind;
  const distinct = frequency.size;
  const unique = nonNull > 1 && distinct === nonNull;
  return {
    sampled: values.length,
    nonNull,
    distinct,
    kind: finalKind,
    kindShare: share,
    maxLength,
    digits: mostCommon(digitCounts),
    unique,
    options: enumOptions(finalKind, nonNull, frequency, maxLength),
    samples,
  };
}

function displayText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function dominantKind(counts: Map<ValueKind, number>, nonNull: number): { kind: ValueKind; share: number } {
  if (nonNull === 0) return { kind: 'empty', share: 0 };
  // Numbers of several kinds are one numeric column: money when any value has cents, decimal when any has more.
  const numeric = NUMERIC_KINDS.reduce((n, k) => n + (counts.get(k) ?? 0), 0);
  let best: ValueKind = 'text';
  let bestCount = 0;
  for (const [kind, count] of counts) {
    if (count > bestCount) {
      best = kind;
      bestCount = count;
    }
  }
  if (numeric > bestCount || (NUMERIC_KINDS.includes(best) && numeric >= bestCount)) {
    const kind: ValueKind = counts.has('decimal') ? 'decimal' : counts.has('money') ? 'money' : 'integer';
    return { kind, share: numeric / nonNull };
  }
  // Codes, short and long texts mixed are one text column (long when any value is).
  const texty = TEXT_KINDS.reduce((n, k) => n + (counts.get(k) ?? 0), 0);
  if (TEXT_KINDS.includes(best) && texty > bestCount) {
    const kind: ValueKind = counts.has('long_text') ? 'long_text' : counts.has('text') ? 'text' : 'code';
    return { kind, share: texty / nonNull };
  }
  return { kind: best, share: bestCount / nonNull };
}

function mostCommon(counts: Map<number, number>): number | null {
  let best: number | null = null;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function enumOptions(kind: ValueKind, nonNull: number, frequency: Map<string, number>, maxLength: number): string[] | null {
  if (!['text', 'code', 'integer', 'boolean'].includes(kind)) return null;
  if (nonNull < ENUM_MIN_VALUES || frequency.size > ENUM_MAX_OPTIONS || maxLength > ENUM_MAX_LABEL) return null;
  // An enumeration repeats its values; a column of mostly distinct values is not one.
  if (frequency.size > nonNull / 2) return null;
  return [...frequency.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label]) => label);
}

/**
 * What may be said about a column's values without showing any: kind, how full it is, how many distinct values
 * (as a cardinality, not the values), digits and length. This is all the LLM ever sees of the data.
 */
export interface ValueShape {
  kind: ValueKind;
  /** e.g. "email-like", "10 digits", "enumeration of 4 values", "free text up to 900 characters". */
  description: string;
  fill: number;
  kindShare: number;
  enumCardinality: number | null;
  digits: number | null;
  maxLength: number;
  unique: boolean;
}

export function valueShape(profile: ColumnProfile): ValueShape {
  const fill = profile.sampled === 0 ? 0 : round2(profile.nonNull / profile.sampled);
  return {
    kind: profile.kind,
    description: describeShape(profile),
    fill,
    kindShare: round2(profile.kindShare),
    enumCardinality: profile.options ? profile.options.length : null,
    digits: profile.digits,
    maxLength: profile.maxLength,
    unique: profile.unique,
  };
}

export function describeShape(profile: ColumnProfile): string {
  if (profile.nonNull === 0) return profile.sampled === 0 ? 'not sampled' : 'empty in the sample';
  const parts: string[] = [];
  switch (profile.kind) {
    case 'email':
      parts.push('email-like');
      break;
    case 'phone':
      parts.push(`phone-like${profile.digits ? `, ${profile.digits} digits` : ''}`);
      break;
    case 'date':
      parts.push('ISO dates');
      break;
    case 'us_date':
      parts.push('US dates (MM/DD/YYYY)');
      break;
    case 'datetime':
      parts.push('date-times');
      break;
    case 'money':
      parts.push('amounts with cents');
      break;
    case 'integer':
      parts.push(`integers${profile.digits ? `, mostly ${profile.digits} digits` : ''}`);
      break;
    case 'long_text':
      parts.push(`free text up to ${profile.maxLength} characters`);
      break;
    case 'text':
      parts.push(`short text up to ${profile.maxLength} characters`);
      break;
    case 'code':
      parts.push(`codes up to ${profile.maxLength} characters`);
      break;
    case 'ssn':
      parts.push('SSN-like (999-99-9999)');
      break;
    default:
      parts.push(profile.kind);
  }
  if (profile.options) parts.push(`enumeration of ${profile.options.length} values`);
  else if (profile.unique) parts.push('all distinct');
  if (profile.kindShare < 0.9) parts.push(`${Math.round(profile.kindShare * 100)}% of values`);
  return parts.join(', ');
}

/** A value reduced to its shape (letters x/X, digits 9), for showing PHI samples in the workbook; a staged SSN hash says so. */
export function maskValue(value: string): string {
  if (isNeverStoredToken(value)) return 'hashed SSN';
  const shape = value
    .replace(/\p{Lu}/gu, 'X')
    .replace(/\p{Ll}/gu, 'x')
    .replace(/\p{Nd}/gu, '9');
  return shape.length > 24 ? `${shape.slice(0, 23)}…` : shape;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
