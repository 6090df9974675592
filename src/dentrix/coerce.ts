import { DateTime } from 'luxon';
import type { ColumnSpec } from './columns';
import type { LocalDate, LocalDateTime, Money } from './types';

/**
 * Coercion of one source value (CSV text, or a SQL mirror value) to the typed row's value. Pure and allocation-light:
 * it runs for every cell of a two-million-row extract. A failure carries a reason that never quotes the value.
 */
export type Coerced<V> = { ok: true; value: V | null } | { ok: false; reason: string };

export interface CoercionContext {
  /** IANA zone of the practice: date-times with an explicit offset are converted to local wall-clock time in it. */
  timezone: string;
}

const EMPTY = { ok: true, value: null } as const;

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function isBlank(raw: unknown): boolean {
  return raw === null || raw === undefined || raw === '';
}

export function coerceText(raw: unknown): Coerced<string> {
  if (isBlank(raw)) return EMPTY;
  if (typeof raw === 'string') return { ok: true, value: raw };
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return { ok: true, value: String(raw) };
  return fail('unsupported value type for a text column');
}

const INTEGER = /^[+-]?\d+(?:\.0*)?$/;

export function coerceInt(raw: unknown, spec?: ColumnSpec): Coerced<number> {
  if (isBlank(raw)) return EMPTY;
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string') {
    const trimmed = raw.trim();
    if (trimmed === '') return EMPTY;
    if (!INTEGER.test(trimmed)) return fail('not an integer');
    value = Number.parseInt(trimmed, 10);
  } else if (typeof raw === 'bigint') {
    value = Number(raw);
  } else {
    return fail('not an integer');
  }
  if (!Number.isSafeInteger(value)) return fail('not an integer in the safe range');
  if (spec?.min !== undefined && value < spec.min) return fail(`below the minimum of ${spec.min}`);
  if (spec?.max !== undefined && value > spec.max) return fail(`above the maximum of ${spec.max}`);
  return { ok: true, value };
}

// Decimal dollars; also tolerates a dollar sign, thousands separators and accounting parentheses for negatives.
const MONEY = /^([+-])?\$?(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/;

export function coerceMoney(raw: unknown): Coerced<Money> {
  if (isBlank(raw)) return EMPTY;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail('not an amount');
    return { ok: true, value: Math.round(raw * 100) / 100 };
  }
  if (typeof raw !== 'string') return fail('not an amount');
  let text = raw.trim();
  if (text === '') return EMPTY;
  let negative = false;
  if (text.startsWith('(') && text.endsWith(')')) {
    negative = true;
    text = text.slice(1, -1).trim();
  }
  const match = MONEY.exec(text);
  if (!match) return fail('not an amount');
  const whole = (match[2] ?? '').replace(/,/g, '');
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return fail('not an amount');
  if (match[1] === '-') negative = !negative;
  // Work in whole cents so 0.1 + 0.2 style errors never reach the ledger; half a cent rounds away from zero.
  let cents = Number(whole || '0') * 100 + Number((fraction + '00').slice(0, 2));
  if (fraction.length > 2 && fraction.charCodeAt(2) >= 53 /* '5' */) cents += 1;
  if (!Number.isSafeInteger(cents)) return fail('amount out of range');
  const value = cents / 100;
  return { ok: true, value: negative && value !== 0 ? -value : value };
}

const TRUE_WORDS = new Set(['1', 'true', 'y', 'yes', 't']);
const FALSE_WORDS = new Set(['0', 'false', 'n', 'no', 'f']);

export function coerceBool(raw: unknown): Coerced<boolean> {
  if (isBlank(raw)) return EMPTY;
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number') {
    if (raw === 1) return { ok: true, value: true };
    if (raw === 0) return { ok: true, value: false };
    return fail('not a boolean (1/0, true/false, Y/N)');
  }
  if (typeof raw !== 'string') return fail('not a boolean (1/0, true/false, Y/N)');
  const word = raw.trim().toLowerCase();
  if (word === '') return EMPTY;
  if (TRUE_WORDS.has(word)) return { ok: true, value: true };
  if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  return fail('not a boolean (1/0, true/false, Y/N)');
}

// ISO: 2024-03-10, 2024-03-10 14:30, 2024-03-10T14:30:00.123, optionally with an offset (SQL timestamptz, `Z`).
const ISO_DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
// US: 3/10/2024, 03/10/2024 2:30 PM, 03/10/2024 14:30:00.
const US_DATE_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AP])\.?M\.?)?)?$/i;

/** Dates before this are typing errors or c-tree placeholders, not dental history. */
const MIN_YEAR = 1850;
const MAX_YEAR = 2200;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  hasTime: boolean;
  offset: string | undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseWallClock(raw: string): WallClock | string {
  const text = raw.trim();
  let m = ISO_DATE_TIME.exec(text);
  let clock: WallClock;
  if (m) {
    clock = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: m[4] === undefined ? 0 : Number(m[4]),
      minute: m[5] === undefined ? 0 : Number(m[5]),
      second: m[6] === undefined ? 0 : Number(m[6]),
      hasTime: m[4] !== undefined,
      offset: m[7],
    };
  } else {
    m = US_DATE_TIME.exec(text);
    if (!m) return 'not a date (expected YYYY-MM-DD or MM/DD/YYYY)';
    let hour = m[4] === undefined ? 0 : Number(m[4]);
    const meridiem = m[7]?.toUpperCase();
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) return 'hour out of range for AM/PM time';
      hour = (hour % 12) + (meridiem === 'P' ? 12 : 0);
    }
    clock = {
      year: Number(m[3]),
      month: Number(m[1]),
      day: Number(m[2]),
      hour,
      minute: m[5] === undefined ? 0 : Number(m[5]),
      second: m[6] === undefined ? 0 : Number(m[6]),
      hasTime: m[4] !== undefined,
      offset: undefined,
    };
  }
  if (clock.month < 1 || clock.month > 12 || clock.day < 1 || clock.day > daysInMonth(clock.year, clock.month)) {
    return 'impossible calendar date';
  }
  if (clock.year < MIN_YEAR || clock.year > MAX_YEAR) return `year outside ${MIN_YEAR}-${MAX_YEAR}`;
  if (clock.hour > 23 || clock.minute > 59 || clock.second > 59) return 'impossible time of day';
  return clock;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad4 = (n: number): string => String(n).padStart(4, '0');

function formatDate(c: { year: number; month: number; day: number }): LocalDate {
  return `${pad4(c.year)}-${pad2(c.month)}-${pad2(c.day)}`;
}

function toPracticeClock(clock: WallClock, ctx: CoercionContext): WallClock | string {
  if (clock.offset === undefined) return clock;
  const zone = clock.offset.toUpperCase() === 'Z' ? 'UTC' : `UTC${normaliseOffset(clock.offset)}`;
  const local = DateTime.fromObject(
    { year: clock.year, month: clock.month, day: clock.day, hour: clock.hour, minute: clock.minute, second: clock.second },
    { zone },
  ).setZone(ctx.timezone);
  if (!local.isValid) return 'date-time offset cannot be converted to the practice time zone';
  return { ...clock, year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute, second: local.second };
}

function normaliseOffset(offset: string): string {
  // +05 → +05:00, -0530 → -05:30
  const sign = offset[0];
  const digits = offset.slice(1).replace(':', '');
  return `${sign}${digits.slice(0, 2)}:${(digits.slice(2) || '00').padEnd(2, '0')}`;
}

/** A date column; a date-time value keeps its date (Dentrix stores birth dates as date-times). */
export function coerceDate(raw: unknown, ctx: CoercionContext): Coerced<LocalDate> {
  if (isBlank(raw)) return EMPTY;
  if (typeof raw !== 'string') return fail('not a date');
  if (raw.trim() === '') return EMPTY;
  const clock = parseWallClock(raw);
  if (typeof clock === 'string') return fail(clock);
  const local = toPracticeClock(clock, ctx);
  if (typeof local === 'string') return fail(local);
  return { ok: true, value: formatDate(local) };
}

/** A date-time column: local wall-clock time in the practice's zone, seconds precision; a bare date is midnight. */
export function coerceDateTime(raw: unknown, ctx: CoercionContext): Coerced<LocalDateTime> {
  if (isBlank(raw)) return EMPTY;
  if (typeof raw !== 'string') return fail('not a date-time');
  if (raw.trim() === '') return EMPTY;
  const clock = parseWallClock(raw);
  if (typeof clock === 'string') return fail(clock);
  const local = toPracticeClock(clock, ctx);
  if (typeof local === 'string') return fail(local);
  return { ok: true, value: `${formatDate(local)}T${pad2(local.hour)}:${pad2(local.minute)}:${pad2(local.second)}` };
}

export function coerceValue(raw: unknown, spec: ColumnSpec, ctx: CoercionContext): Coerced<string | number | boolean> {
  switch (spec.kind) {
    case 'text':
      return coerceText(raw);
    case 'int':
      return coerceInt(raw, spec);
    case 'money':
      return coerceMoney(raw);
    case 'bool':
      return coerceBool(raw);
    case 'date':
      return coerceDate(raw, ctx);
    case 'datetime':
      return coerceDateTime(raw, ctx);
  }
}
