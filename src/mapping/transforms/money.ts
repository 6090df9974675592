/**
 * Money in whole cents, so sums do not drift (0.1 + 0.2) and halves round away from zero like a ledger does.
 */
import type { MonetaryValue } from '../types';

export function toCents(amount: number): number {
  // toPrecision(12) drops binary noise first: 1.005 * 100 = 100.49999999999999 must round to 101.
  const scaled = Number((Math.abs(amount) * 100).toPrecision(12));
  const cents = Math.round(scaled);
  return amount < 0 && cents !== 0 ? -cents : cents;
}

export function fromCents(cents: number): number {
  return cents / 100;
}

export function roundMoney(amount: number): number {
  return fromCents(toCents(amount));
}

/** The sum of the amounts that are numbers, in cents arithmetic; null when there is none. */
export function sumMoney(amounts: readonly (number | null | undefined)[]): number | null {
  const present = amounts.filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
  if (present.length === 0) return null;
  return fromCents(present.reduce((total, a) => total + toCents(a), 0));
}

export function monetary(amount: number, currency: string): MonetaryValue {
  return { value: roundMoney(amount), currency: currency.toUpperCase() };
}
