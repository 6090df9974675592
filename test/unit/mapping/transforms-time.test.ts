import { DateTime } from 'luxon';
import {
  InvalidDateTimeError,
  composeLocalDateTime,
  formatDuration,
  hoursMinutes,
  isValidLocalDate,
  localDateToUtcIso,
  localToUtc,
  parseUtcTimestamp,
  toUtcDue,
  toUtcIso,
  toUtcTimestamp,
} from '../../../src/mapping/transforms';

describe('local wall-clock time → UTC', () => {
  it.each([
    // zone, local, due_date, due_time, gap, overlap
    ['America/Chicago', '2024-07-15T09:30:00', '2024-07-15', '14:30', false, false], // CDT, UTC-5
    ['America/Chicago', '2024-01-15T09:30:00', '2024-01-15', '15:30', false, false], // CST, UTC-6
    ['America/Chicago', '2024-03-10T01:59:00', '2024-03-10', '07:59', false, false], // last minute of CST
    ['America/Chicago', '2024-03-10T02:30:00', '2024-03-10', '08:30', true, false], // gap: 02:30 → 03:30 CDT
    ['America/Chicago', '2024-03-10T03:00:00', '2024-03-10', '08:00', false, false], // first valid CDT time
    ['America/Chicago', '2024-11-03T01:30:00', '2024-11-03', '06:30', false, true], // overlap: earlier (CDT)
    ['America/Chicago', '2024-11-03T02:30:00', '2024-11-03', '08:30', false, false], // after the overlap, CST
    ['America/Chicago', '2024-12-31T20:00:00', '2025-01-01', '02:00', false, false], // crosses the UTC date
    ['America/New_York', '2024-03-10T02:15:00', '2024-03-10', '07:15', true, false], // gap: 02:15 → 03:15 EDT
    ['America/New_York', '2024-11-03T01:45:00', '2024-11-03', '05:45', false, true], // overlap: earlier (EDT)
    ['America/New_York', '2025-03-09T08:00:00', '2025-03-09', '12:00', false, false], // EDT, UTC-4
    ['America/Phoenix', '2024-03-10T02:30:00', '2024-03-10', '09:30', false, false], // no DST
  ])('%s %s → %s %s', (zone, local, date, time, gap, overlap) => {
    expect(toUtcDue(local, zone)).toEqual({ due_date: date, due_time: time, dstGap: gap, dstOverlap: overlap });
  });

  it("agrees with luxon's own resolution on every day of the year, daylight-saving days included, in zones that change at midnight, by half an hour or skip a day", () => {
    // The reference: luxon resolving each wall time (gap shifted forward, overlap's earlier offset), as before days
    // without a change took their remembered offset.
    const reference = (local: string, zone: string) => {
      const resolved = DateTime.fromISO(local, { zone });
      const candidates = resolved.getPossibleOffsets();
      const chosen = candidates.length > 1 ? candidates.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b)) : resolved;
      const wall = DateTime.fromISO(local, { zone: 'UTC' });
      const dstGap = chosen.hour !== wall.hour || chosen.minute !== wall.minute || chosen.day !== wall.day;
      return { utcMs: chosen.toMillis(), dstGap, dstOverlap: candidates.length > 1 };
    };
    const zones: [string, number][] = [
      ['America/Chicago', 2024],
      ['Australia/Lord_Howe', 2024], // half-hour changes
      ['America/Havana', 2024], // changes at midnight
      ['America/Santiago', 2024], // changes at midnight (24:00)
      ['Pacific/Apia', 2011], // skipped 2011-12-30 altogether
      ['Asia/Kolkata', 2024], // none, +05:30
    ];
    let compared = 0;
    for (const [zone, year] of zones) {
      for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 86_400_000) {
        const date = new Date(day).toISOString().slice(0, 10);
        for (const time of ['00:00:00', '00:30:00', '01:30:00', '02:00:00', '02:30:00', '03:15:00', '12:00:00', '23:30:00']) {
          const local = `${date}T${time}`;
          expect({ local, zone, ...localToUtc(local, zone) }).toEqual({ local, zone, ...reference(local, zone) });
          compared += 1;
        }
        const startOfDay = DateTime.fromISO(date, { zone }).startOf('day').toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
        expect({ date, zone, startOfDay: localDateToUtcIso(date, zone) }).toEqual({ date, zone, startOfDay });
      }
    }
    expect(compared).toBe(6 * 366 * 8 - 8);
  });

  it('tells calendar dates from others as luxon does', () => {
    const dates = [
      '2024-02-29',
      '2023-02-29',
      '2024-02-30',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '0999-01-01',
      '0050-02-29',
      '9999-12-31',
      '2024-1-01',
    ];
    expect(dates.map(isValidLocalDate)).toEqual(dates.map((d) => /^\d{4}-\d{2}-\d{2}$/u.test(d) && DateTime.fromISO(d, { zone: 'UTC' }).isValid));
    expect(dates.filter(isValidLocalDate)).toEqual(['2024-02-29', '0999-01-01', '9999-12-31']);
  });

  it('formats v1 timestamps and RFC 3339', () => {
    expect(toUtcTimestamp('2024-03-10T14:05:00', 'America/Chicago').timestamp).toBe('2024-03-10 19:05:00');
    expect(toUtcIso('2024-11-03T01:30:00', 'America/Chicago').iso).toBe('2024-11-03T06:30:00Z');
  });

  it('gives a local date the UTC instant of its start of day', () => {
    expect(localDateToUtcIso('2019-06-03', 'America/Chicago')).toBe('2019-06-03T05:00:00Z');
    expect(localDateToUtcIso('2019-01-03', 'America/New_York')).toBe('2019-01-03T05:00:00Z');
  });

  it.each([
    ['2024-02-30T10:00:00', 'America/Chicago'],
    ['2024-07-15 09:30', 'America/Chicago'],
    ['2024-07-15T09:30:00-05:00', 'America/Chicago'],
    ['2024-07-15T09:30:00', 'Mars/Olympus'],
  ])('rejects %j in %s with a reason and no value', (local, zone) => {
    expect(() => localToUtc(local, zone)).toThrow(InvalidDateTimeError);
  });

  it('composes an appointment start from date, hour and minute', () => {
    expect(composeLocalDateTime('2024-07-15', 9, 5)).toBe('2024-07-15T09:05:00');
    expect(composeLocalDateTime('2024-07-15', 14, null)).toBe('2024-07-15T14:00:00');
    expect(composeLocalDateTime('2024-07-15', null, 5)).toBeNull();
    expect(composeLocalDateTime('2024-07-15', 24, 0)).toBeNull();
    expect(composeLocalDateTime(null, 9, 0)).toBeNull();
  });

  it('formats durations as HH:MM', () => {
    expect(formatDuration(60)).toBe('01:00');
    expect(formatDuration(90)).toBe('01:30');
    expect(formatDuration(5)).toBe('00:05');
    expect(formatDuration(0)).toBeNull();
    expect(formatDuration(null)).toBeNull();
    expect(formatDuration(-15)).toBeNull();
  });

  it('reads Pipedrive timestamps in either format as the same instant', () => {
    const ms = Date.UTC(2024, 2, 10, 19, 5, 0);
    expect(parseUtcTimestamp('2024-03-10T19:05:00Z')).toBe(ms);
    expect(parseUtcTimestamp('2024-03-10 19:05:00')).toBe(ms);
    expect(parseUtcTimestamp('2024-03-10T14:05:00-05:00')).toBe(ms);
    expect(parseUtcTimestamp('yesterday')).toBeNull();
    expect(hoursMinutes('15:00:00')).toBe('15:00');
    expect(hoursMinutes('9:05')).toBe('09:05');
  });
});
