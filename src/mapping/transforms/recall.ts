/**
 * When a recall is due. Dentrix stores `due_date`, but it may be NULL: then the due date is the last visit of that
 * kind (`prior_date`) plus the recall type's interval, months first, then days (Dentrix's Prophy default is
 * 6 months + 1 day). Adding months clamps to the month's end (Aug 31 + 6 months = Feb 28/29), as luxon does.
 */
import { DateTime } from 'luxon';
import { isValidLocalDate } from './datetime';

export type RecallDue = { ok: true; date: string; computed: boolean } | { ok: false; column: 'due_date' | 'prior_date' | 'interval'; reason: string };

export function recallDueDate(dueDate: string | null, priorDate: string | null, intervalMonths: number | null, intervalDays: number | null): RecallDue {
  if (dueDate !== null) {
    return isValidLocalDate(dueDate)
      ? { ok: true, date: dueDate, computed: false }
      : { ok: false, column: 'due_date', reason: 'due date is not a calendar date' };
  }
  if (priorDate === null) return { ok: false, column: 'due_date', reason: 'no due date and no prior date to compute it from' };
  if (!isValidLocalDate(priorDate)) return { ok: false, column: 'prior_date', reason: 'prior date is not a calendar date' };
  const months = intervalMonths ?? 0;
  const days = intervalDays ?? 0;
  if (!Number.isInteger(months) || !Number.isInteger(days) || months < 0 || days < 0 || months + days === 0) {
    return { ok: false, column: 'interval', reason: 'no due date and the recall type has no usable interval' };
  }
  const date = DateTime.fromISO(priorDate, { zone: 'UTC' }).plus({ months }).plus({ days }).toFormat('yyyy-MM-dd');
  return { ok: true, date, computed: true };
}
