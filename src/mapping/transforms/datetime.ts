/**
 * Dentrix date-times are wall-clock times in the practice's zone; Pipedrive wants UTC (activities' due_date and
 * due_time, notes' add_time) or RFC 3339 (v2 add_time). Daylight-saving edges are resolved explicitly:
 * - a local time in the spring-forward gap (02:30 on the change day) does not exist: it is shifted forward by the
 *   gap, as luxon does (02:30 CST → 03:30 CDT);
 * - a local time in the fall-back overlap (01:30 happens twice) takes the earlier offset, i.e. the first
 *   occurrence (01:30 CDT), which is when a front desk booking "1:30" on that morning most likely meant.
 */
import { DateTime } from 'luxon';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/u;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/u;

export class InvalidDateTimeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidDateTimeError';
  }
}

export function isValidTimeZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

export function isValidLocalDate(date: string): boolean {
  return LOCAL_DATE.test(date) && DateTime.fromISO(date, { zone: 'UTC' }).isValid;
}

export interface UtcConversion {
  utc: DateTime;
  /** The local time did not exist (spring-forward gap) and was shifted forward. */
  dstGap: boolean;
  /** The local time happened twice (fall-back overlap); the earlier offset was used. */
  dstOverlap: boolean;
}

export function localToUtc(local: string, zone: string): UtcConversion {
  const match = LOCAL_DATE_TIME.exec(local);
  if (!match) throw new InvalidDateTimeError('not a local date-time (YYYY-MM-DDTHH:mm:ss)');
  if (!isValidTimeZone(zone)) throw new InvalidDateTimeError('unknown IANA time zone');
  const part = (i: number): number => Number(match[i] ?? 0);
  const wall = { year: part(1), month: part(2), day: part(3), hour: part(4), minute: part(5), second: part(6) };
  const resolved = DateTime.fromObject(wall, { zone });
  if (!resolved.isValid) throw new InvalidDateTimeError('not a calendar date-time');
  const candidates = resolved.getPossibleOffsets();
  const dstOverlap = candidates.length > 1;
  const chosen = dstOverlap ? candidates.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b)) : resolved;
  const dstGap = chosen.hour !== wall.hour || chosen.minute !== wall.minute || chosen.day !== wall.day;
  return { utc: chosen.toUTC(), dstGap, dstOverlap };
}

export interface UtcDue extends Omit<UtcConversion, 'utc'> {
  /** `YYYY-MM-DD` in UTC. */
  due_date: string;
  /** `HH:MM` in UTC. */
  due_time: string;
}

export function toUtcDue(local: string, zone: string): UtcDue {
  const { utc, dstGap, dstOverlap } = localToUtc(local, zone);
  return { due_date: utc.toFormat('yyyy-MM-dd'), due_time: utc.toFormat('HH:mm'), dstGap, dstOverlap };
}

/** `YYYY-MM-DD HH:MM:SS` in UTC: the v1 timestamp format (notes' add_time). */
export function toUtcTimestamp(local: string, zone: string): UtcConversion & { timestamp: string } {
  const conversion = localToUtc(local, zone);
  return { ...conversion, timestamp: conversion.utc.toFormat('yyyy-MM-dd HH:mm:ss') };
}

/** RFC 3339 in UTC without milliseconds: the v2 timestamp format (persons' and organizations' add_time). */
export function toUtcIso(local: string, zone: string): UtcConversion & { iso: string } {
  const conversion = localToUtc(local, zone);
  return { ...conversion, iso: conversion.utc.toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'") };
}

/** A local date's start of day (midnight, or the first instant after a midnight gap) as RFC 3339 UTC. */
export function localDateToUtcIso(date: string, zone: string): string {
  if (!isValidLocalDate(date)) throw new InvalidDateTimeError('not a local date (YYYY-MM-DD)');
  if (!isValidTimeZone(zone)) throw new InvalidDateTimeError('unknown IANA time zone');
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
