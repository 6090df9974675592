/** Days, date-times, amounts and slugs as the generator writes them (days count from the Unix epoch, UTC). */
export const DAY_MS = 86_400_000;
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayOf = (iso: string): number => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / DAY_MS;
export const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
export const isoDateTime = (day: number, minuteOfDay: number, second = 0): string =>
  `${isoDay(day)} ${pad2(Math.floor(minuteOfDay / 60) % 24)}:${pad2(minuteOfDay % 60)}:${pad2(second)}`;
export const money = (cents: number): string => (cents / 100).toFixed(2);
export const addMonths = (day: number, months: number, days: number): number => {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate() + days) / DAY_MS;
};
/** Moves Saturday and Sunday visits to Monday: the office is closed at weekends. */
export const weekday = (day: number): number => {
  const dow = new Date(day * DAY_MS).getUTCDay();
  return dow === 6 ? day + 2 : dow === 0 ? day + 1 : day;
};
export const slug = (text: string): string =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
