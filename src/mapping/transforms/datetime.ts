/**
 * Dentrix date-times are wall-clock times in the practice's zone; Pipedrive wants UTC (activities' due_date and
 * due_time, notes' add_time) or RFC 3339 (v2 add_time). Daylight-saving edges are resolved explicitly:
 * - a local time in the spring-forward gap (02:30 on the change day) does not exist: it is shifted forward by the
 *   gap, as luxon does (02:30 CST → 03:30 CDT);
 * - a local time in the fall-back overlap (01:30 happens twice) takes the earlier offset, i.e. the first
 *   occurrence (01:30 CDT), which is when a front desk booking "1:30" on that morning most likely meant.
 */
import { DateTime, IANAZone } from 'luxon';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/u;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/u;

export class InvalidDateTimeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidDateTimeError';
  }
}

/** Zones found valid (a zone does not stop being one while the process runs). */
const validZones = new Set<string>();

export function isValidTimeZone(zone: string): boolean {
  if (validZones.has(zone)) return true;
  const valid = DateTime.local().setZone(zone).isValid;
  if (valid) validZones.add(zone);
  return valid;
}

export function isValidLocalDate(date: string): boolean {
  if (!LOCAL_DATE.test(date)) return false;
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const asUtc = wallAsUtc({ year, month, day, hour: 0, minute: 0, second: 0 });
  // Years before 1000 (Date.UTC's 19xx reading) are luxon's to judge.
  return asUtc !== undefined || (year < 1000 && DateTime.fromISO(date, { zone: 'UTC' }).isValid);
}

export interface UtcConversion {
  /** The instant, ms since the epoch. */
  utcMs: number;
  /** The local time did not exist (spring-forward gap) and was shifted forward. */
  dstGap: boolean;
  /** The local time happened twice (fall-back overlap); the earlier offset was used. */
  dstOverlap: boolean;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Beyond any UTC offset (−12 h … +14 h): the instants around a local day that every wall time of it lies between. */
const OFFSET_SPAN_MS = 15 * HOUR_MS;
/** Local days remembered per process (a few practices' worth of years in a few zones); cleared when full. */
const STEADY_DAYS_MAX = 100_000;
const steadyDayOffsets = new Map<string, number | null>();

/**
 * The zone's UTC offset (minutes) all through a local day, or null when it changes around that day. Every wall time
 * of the day lies between the instants 15 h before its UTC midnight and 15 h after the next; if the offset is the same
 * at both, no change lies between (changes are months apart), so each wall time exists once, at wall − offset.
 */
function steadyDayOffset(zone: string, year: number, month: number, day: number): number | null {
  const key = `${zone} ${year}-${month}-${day}`;
  let offset = steadyDayOffsets.get(key);
  if (offset === undefined) {
    const midnight = Date.UTC(year, month - 1, day);
    const tz = IANAZone.create(zone);
    const before = tz.offset(midnight - OFFSET_SPAN_MS);
    offset = before === tz.offset(midnight + DAY_MS + OFFSET_SPAN_MS) ? before : null;
    if (steadyDayOffsets.size >= STEADY_DAYS_MAX) steadyDayOffsets.clear();
    steadyDayOffsets.set(key, offset);
  }
  return offset;
}

/** The wall time as if it were UTC, when it is a calendar date-time Date.UTC can hold as written; else undefined. */
function wallAsUtc(wall: { year: number; month: number; day: number; hour: number; minute: number; second: number }): number | undefined {
  // Date.UTC reads years below 100 as 19xx; luxon's rules (and its errors) settle those.
  if (wall.year < 1000 || wall.hour > 23 || wall.minute > 59 || wall.second > 59) return undefined;
  const ms = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const back = new Date(ms);
  // 2024-02-30 rolls over to March: not a calendar date.
  return back.getUTCMonth() === wall.month - 1 && back.getUTCDate() === wall.day ? ms : undefined;
}

/**
 * A wall time in the zone as an instant. Days without a daylight-saving change (all but a few a year) take the
 * offset remembered for the day; the others go through luxon's gap and overlap rules (see the module comment).
 */
export function localToUtc(local: string, zone: string): UtcConversion {
  const match = LOCAL_DATE_TIME.exec(local);
  if (!match) throw new InvalidDateTimeError('not a local date-time (YYYY-MM-DDTHH:mm:ss)');
  if (!isValidTimeZone(zone)) throw new InvalidDateTimeError('unknown IANA time zone');
  const part = (i: number): number => Number(match[i] ?? 0);
  const wall = { year: part(1), month: part(2), day: part(3), hour: part(4), minute: part(5), second: part(6) };
  const asUtc = wallAsUtc(wall);
  const steady = asUtc === undefined ? null : steadyDayOffset(zone, wall.year, wall.month, wall.day);
  if (asUtc !== undefined && steady !== null) return { utcMs: asUtc - steady * 60_000, dstGap: false, dstOverlap: false };
  const resolved = DateTime.fromObject(wall, { zone });
  if (!resolved.isValid) throw new InvalidDateTimeError('not a calendar date-time');
  const candidates = resolved.getPossibleOffsets();
  const dstOverlap = candidates.length > 1;
  const chosen = dstOverlap ? candidates.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b)) : resolved;
  const dstGap = chosen.hour !== wall.hour || chosen.minute !== wall.minute || chosen.day !== wall.day;
  return { utcMs: chosen.toMillis(), dstGap, dstOverlap };
}

/** `YYYY-MM-DDTHH:mm:ss` of an instant in UTC (years 1000–9999, which the local formats allow). */
function utcWall(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export interface UtcDue extends Omit<UtcConversion, 'utcMs'> {
  /** `YYYY-MM-DD` in UTC. */
  due_date: string;
  /** `HH:MM` in UTC. */
  due_time: string;
}

export function toUtcDue(local: string, zone: string): UtcDue {
  const { utcMs, dstGap, dstOverlap } = localToUtc(local, zone);
  const utc = utcWall(utcMs);
  return { due_date: utc.slice(0, 10), due_time: utc.slice(11, 16), dstGap, dstOverlap };
}

/** `YYYY-MM-DD HH:MM:SS` in UTC: the v1 timestamp format (notes' add_time). */
export function toUtcTimestamp(local: string, zone: string): UtcConversion & { timestamp: string } {
  const conversion = localToUtc(local, zone);
  return { ...conversion, timestamp: utcWall(conversion.utcMs).replace('T', ' ') };
}

/** RFC 3339 in UTC without milliseconds: the v2 timestamp format (persons' and organizations' add_time). */
export function toUtcIso(local: string, zone: string): UtcConversion & { iso: string } {
  const conversion = localToUtc(local, zone);
  return { ...conversion, iso: `${utcWall(conversion.utcMs)}Z` };
}

/** A local date's start of day (midnight, or the first instant after a midnight gap) as RFC 3339 UTC. */
export function localDateToUtcIso(date: string, zone: string): string {
  if (!isValidLocalDate(date)) throw new InvalidDateTimeError('not a local date (YYYY-MM-DD)');
  if (!isValidTimeZone(zone)) throw new InvalidDateTimeError('unknown IANA time zone');
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const steady = year >= 1000 ? steadyDayOffset(zone, year, month, day) : null;
  if (steady !== null) return `${utcWall(Date.UTC(year, month - 1, day) - steady * 60_000)}Z`;
  return DateTime.fromISO(date, { zone }).startOf('day').toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
}

/** `2024-03-10` + 9:05 → `2024-03-10T09:05:00`; null when the date or the hour is missing or out of range. */
export function composeLocalDateTime(date: string | null, hour: number | null, minute: number | null): string | null {
  if (date === null || hour === null || !isValidLocalDate(date)) return null;
  const m = minute ?? 0;
  if (!Number.isInteger(hour) || hour < 0 || hour > 23 || !Number.isInteger(m) || m < 0 || m > 59) return null;
  return `${date}T${String(hour).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
}

/** Minutes → Pipedrive's `HH:MM` duration; null for missing or non-positive lengths. */
export function formatDuration(minutes: number | null | undefined): string | null {
  if (minutes == null || !Number.isFinite(minutes) || minutes <= 0) return null;
  const whole = Math.round(minutes);
  return `${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** Any timestamp form Pipedrive returns (`2024-01-01T06:00:00Z`, `2024-01-01 06:00:00`, with or without ms) → epoch ms (UTC). */
export function parseUtcTimestamp(value: string): number | null {
  const text = value.trim();
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/u.test(text) ? DateTime.fromISO(text) : DateTime.fromISO(text.replace(' ', 'T'), { zone: 'UTC' });
  return iso.isValid ? iso.toMillis() : null;
}

/** `15:00:00` or `15:00` → `15:00`; other text unchanged. */
export function hoursMinutes(value: string): string {
  const match = /^(\d{1,2}):(\d{2})(?::\d{2})?$/u.exec(value.trim());
  return match ? `${match[1]!.padStart(2, '0')}:${match[2]}` : value;
}
