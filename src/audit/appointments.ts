import { DateTime, IANAZone } from 'luxon';
import type { AppointmentFindings, DstAppointments } from './report';
import { appointmentDateRange, forEachAppointmentOn, newPatientBookingRow } from '../store/source-audit';
import { type AuditContext, KeyCollector, keyList } from './sql';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export type LocalTimeKind = 'normal' | 'gap' | 'overlap';

/**
 * Whether a wall-clock time exists once, never (the clocks jump over it) or twice (the clocks repeat it) in a
 * zone. Each UTC offset the zone uses around that day is tried: the local time exists at every candidate instant
 * whose offset is the one that was tried.
 */
export function classifyLocalTime(zone: string, wall: { year: number; month: number; day: number; hour: number; minute: number }): LocalTimeKind {
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const offsets = new Set<number>();
  for (let shift = -DAY_MS; shift <= DAY_MS; shift += 3 * HOUR_MS) {
    offsets.add(DateTime.fromMillis(wallAsUtc + shift, { zone }).offset);
  }
  const instants = new Set<number>();
  for (const offset of offsets) {
    const instant = wallAsUtc - offset * 60_000;
    if (DateTime.fromMillis(instant, { zone }).offset === offset) instants.add(instant);
  }
  return instants.size === 0 ? 'gap' : instants.size > 1 ? 'overlap' : 'normal';
}

/** Local dates between `first` and `last` (ISO) on which the zone's UTC offset changes: the only days with gaps or overlaps. */
export function offsetChangeDates(zone: string, first: string, last: string): string[] {
  const dates: string[] = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  // The last instant before a local day begins, whether or not its midnight exists (luxon moves a missing one forward).
  const justBefore = (day: number): number => DateTime.fromISO(new Date(day).toISOString().slice(0, 10), { zone }).minus({ milliseconds: 1 }).offset;
  let before = justBefore(Date.parse(`${first}T00:00:00Z`));
  for (let day = Date.parse(`${first}T00:00:00Z`); day <= end; day += DAY_MS) {
    const after = justBefore(day + DAY_MS);
    if (before !== after) dates.push(new Date(day).toISOString().slice(0, 10));
    before = after;
  }
  return dates;
}

export async function appointmentFindings(ctx: AuditContext, timezone: string | null): Promise<AppointmentFindings> {
  const today = DateTime.fromJSDate(ctx.now, { zone: timezone && IANAZone.isValidZone(timezone) ? timezone : 'UTC' }).toISODate()!;
  const newPatient = await newPatientBookingRow(ctx.db, ctx, today);
  return {
    newPatientWithoutRecord: {
      ...keyList(newPatient.count, newPatient.keys),
      upcoming: newPatient.upcoming,
      withName: newPatient.with_name,
      withPhone: newPatient.with_phone,
    },
    dst: await dstAppointments(ctx, timezone),
  };
}

/**
 * Appointments booked at a local time that does not exist or exists twice in the practice's zone. Only the days
 * the offset changes can have them, so only those days' appointments leave the database.
 */
async function dstAppointments(ctx: AuditContext, timezone: string | null): Promise<DstAppointments> {
  const gap = new KeyCollector(ctx.maxListed);
  const overlap = new KeyCollector(ctx.maxListed);
  if (!timezone || !IANAZone.isValidZone(timezone)) {
    return {
      timezone,
      checked: 0,
      gap: gap.toList(),
      overlap: overlap.toList(),
      note: timezone ? 'the practice time zone is not a known IANA zone: not checked' : 'the practice time zone is not known yet: not checked',
    };
  }
  const range = await appointmentDateRange(ctx.db, ctx);
  const dates = range.first && range.last ? offsetChangeDates(timezone, range.first, range.last) : [];
  let checked = 0;
  if (dates.length > 0) {
    await forEachAppointmentOn(ctx.db, ctx, dates, (rows) => {
      for (const row of rows) {
        if (row.hour === null) continue;
        checked += 1;
        const [year, month, day] = row.date.split('-').map(Number) as [number, number, number];
        const kind = classifyLocalTime(timezone, { year, month, day, hour: row.hour, minute: row.minute ?? 0 });
        if (kind === 'gap') gap.add(row.source_key);
        else if (kind === 'overlap') overlap.add(row.source_key);
      }
    });
  }
  return { timezone, checked, gap: gap.toList(), overlap: overlap.toList() };
}
