import { DateTime } from 'luxon';
import { msUntilNextMidnight } from './errors';
import type { PipedrivePlan } from './rate-limiter';

/** Pipedrive's daily budget: 30,000 base tokens × plan multiplier × seats (+ purchased top-ups), per company. */
export const BASE_DAILY_TOKENS = 30_000;
export const PLAN_DAILY_MULTIPLIERS: Record<PipedrivePlan, number> = { lite: 1, growth: 2, premium: 5, ultimate: 7 };

/** The budget the account's plan and seats give, before any response header says otherwise. */
export function configuredDailyBudget(plan: PipedrivePlan, seats: number): number {
  const multiplier = PLAN_DAILY_MULTIPLIERS[plan];
  if (multiplier === undefined) throw new Error(`plan must be one of ${Object.keys(PLAN_DAILY_MULTIPLIERS).join(', ')}; got "${String(plan)}"`);
  if (!Number.isInteger(seats) || seats < 1) throw new Error(`seats must be a positive integer, got ${seats}`);
  return BASE_DAILY_TOKENS * multiplier * seats;
}

/** The budget day a time falls in: its calendar date (YYYY-MM-DD) in the zone whose midnight resets the budget. */
export function budgetDayOf(at: Date, resetTimeZone: string): string {
  const local = DateTime.fromJSDate(at, { zone: resetTimeZone });
  if (!local.isValid) throw new Error(`invalid time zone "${resetTimeZone}"`);
  return local.toISODate();
}

/** Tokens the migration leaves unspent each day: for the account's other integrations and for a rollback. */
export type BudgetReserve = { tokens: number } | { percent: number };

export const DEFAULT_BUDGET_RESERVE: BudgetReserve = { percent: 5 };

/** `"5%"` (of the day's budget) or `"2000"` (tokens); undefined for anything else. */
export function parseBudgetReserve(text: string): BudgetReserve | undefined {
  const s = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (percent) {
    const p = Number(percent[1]);
    return p < 100 ? { percent: p } : undefined;
  }
  return /^\d+$/.test(s) ? { tokens: Number(s) } : undefined;
}

export function reserveTokens(reserve: BudgetReserve, limit: number): number {
  return 'percent' in reserve ? Math.ceil((limit * reserve.percent) / 100) : reserve.tokens;
}

export interface DailyBudgetOptions {
  /** The configured budget (`configuredDailyBudget`); `x-daily-ratelimit-token-limit` overrides it. */
  limit: number;
  reserve?: BudgetReserve;
  /** IANA zone whose midnight resets the budget (Pipedrive does not document it). */
  resetTimeZone: string;
  /**
   * The longest a refusal lasts before the tracker looks again (one request, sent alone), while the reset time is
   * only a guess from `resetTimeZone`. The look may spend that one request's tokens from the reserve.
   */
  recheckMs: number;
}

/** A request admitted against the budget; hand it back to `settle` once its outcome is known. */
export interface BudgetTicket {
  readonly cost: number;
  /** Sent alone to learn the budget (first request, a new day, the end of a refusal); others waited for it. */
  readonly probe: boolean;
  readonly day: number;
  settled: boolean;
}

export type BudgetAdmission =
  | { kind: 'send'; ticket: BudgetTicket }
  /** A probe is out: wait for it to settle, then ask again. */
  | { kind: 'wait' }
  | { kind: 'refuse'; resumeAt: Date; cost: number; available: number; reserve: number };

export interface BudgetOutcome {
  /** A response arrived (any status). False for a timeout or a dropped connection. */
  answered: boolean;
  /** Tokens the request is taken to have spent (0 for a 429). */
  spent: number;
  /** `x-daily-ratelimit-token-remaining` / `-limit`, when the response had them. */
  remaining?: number;
  limit?: number;
  /** A daily-budget 429 said when the budget resets (`Retry-After`): the exact end of the day. */
  resetsAt?: Date;
}

export interface DailyBudgetState {
  limit: number;
  limitSource: 'config' | 'headers';
  /** Tokens left today, best estimate: the last header, less what was spent since; own accounting without headers. */
  remaining: number;
  /** Reserved by requests in flight. */
  inFlight: number;
  reserve: number;
  /** When the day is taken to end: exact after a daily 429's `Retry-After`, else midnight in the reset zone. */
  dayEndsAt: string;
  dayEndExact: boolean;
  /** While set, requests that would dip into the reserve are refused; at this time the tracker looks again. */
  refusingUntil?: string;
  /** False until a response has confirmed the estimate (the next request goes alone). */
  verified: boolean;
  refusals: number;
}

/**
 * Knows Pipedrive's daily token budget for one account and decides, before a request is sent, whether its cost fits
 * in what is left above the reserve, so the budget runs out as a local refusal ("sleep until the reset") instead of
 * a 429. Pure: times come in as arguments. Concurrency-safe by accounting: an admitted request holds its cost until
 * it settles, so concurrent requests never add up past the line.
 *
 * What it believes, and when it looks again: the remaining tokens come from the response headers when Pipedrive
 * sends them (taken as is by a probe, otherwise only ever lowered within a day: responses can arrive out of order),
 * else from its own accounting of the specs' token costs. A probe, one request sent alone while others wait, checks
 * the estimate on the first request, at each (guessed) reset, and when a refusal ends, so a reset at an unknown
 * time is noticed within `recheckMs` at the price of one request.
 */
export class DailyBudgetTracker {
  private readonly reserveSetting: BudgetReserve;
  private readonly resetTimeZone: string;
  private readonly recheckMs: number;
  private limit: number;
  private limitFromHeaders = false;
  private remaining: number;
  private inFlight = 0;
  private day = 0;
  private dayEndsAtMs: number;
  private dayEndExact = false;
  private verified = false;
  private probe?: BudgetTicket;
  private refusingUntilMs?: number;
  private headersSeen = false;
  private refusals = 0;

  constructor(opts: DailyBudgetOptions, nowMs: number) {
    if (!(opts.limit > 0)) throw new Error(`daily budget must be positive, got ${opts.limit}`);
    if (!(opts.recheckMs > 0)) throw new Error(`budget recheck interval must be positive, got ${opts.recheckMs} ms`);
    const reserve = opts.reserve ?? DEFAULT_BUDGET_RESERVE;
    if ('percent' in reserve ? !(reserve.percent >= 0 && reserve.percent < 100) : !(Number.isInteger(reserve.tokens) && reserve.tokens >= 0)) {
      throw new Error(`budget reserve must be 0–99 % or a whole number of tokens, got ${JSON.stringify(reserve)}`);
    }
    this.limit = opts.limit;
    this.remaining = opts.limit;
    this.reserveSetting = reserve;
    this.resetTimeZone = opts.resetTimeZone;
    this.recheckMs = opts.recheckMs;
    this.dayEndsAtMs = this.nextMidnight(nowMs);
  }

  /** Whether a request of `cost` tokens may be sent now. `useReserve` (rollback) may spend the reserve too. */
  admit(cost: number, nowMs: number, opts: { useReserve?: boolean } = {}): BudgetAdmission {
    this.roll(nowMs);
    if (!this.verified) {
      if (this.probe) return { kind: 'wait' };
      // One request learns the budget; it is let through even into the reserve (at most one per recheck interval).
      this.probe = this.take(cost, true);
      return { kind: 'send', ticket: this.probe };
    }
    const reserve = opts.useReserve ? 0 : this.reserve();
    const available = this.remaining - this.inFlight - reserve;
    if (cost <= 0 || cost <= available) return { kind: 'send', ticket: this.take(cost, false) };
    this.refusals += 1;
    this.refusingUntilMs ??= this.headersSeen && !this.dayEndExact ? Math.min(this.dayEndsAtMs, nowMs + this.recheckMs) : this.dayEndsAtMs;
    return { kind: 'refuse', resumeAt: new Date(this.refusingUntilMs), cost, available: Math.max(0, available), reserve };
  }

  /** Records what an admitted request cost and what the response said about the budget. Idempotent per ticket. */
  settle(ticket: BudgetTicket, outcome: BudgetOutcome, nowMs: number): void {
    if (ticket.settled) return;
    ticket.settled = true;
    this.inFlight -= ticket.cost;
    const wasProbe = this.probe === ticket;
    if (wasProbe) this.probe = undefined;
    this.roll(nowMs);
    // A request sent before the day rolled over tells nothing about today.
    if (ticket.day !== this.day) return;
    if (outcome.limit !== undefined && outcome.limit > 0) {
      this.limit = outcome.limit;
      this.limitFromHeaders = true;
    }
    if (outcome.remaining !== undefined) {
      this.headersSeen = true;
      const header = Math.max(0, outcome.remaining);
      this.remaining = wasProbe ? header : Math.min(this.remaining - outcome.spent, header);
      if (wasProbe) this.verified = true;
    } else {
      this.remaining -= outcome.spent;
      if (wasProbe && outcome.answered) this.verified = true;
    }
    this.remaining = Math.max(0, this.remaining);
    if (outcome.resetsAt) {
      this.remaining = 0;
      this.dayEndsAtMs = outcome.resetsAt.getTime();
      this.dayEndExact = true;
      this.refusingUntilMs = undefined;
      this.verified = true;
    }
  }

  state(nowMs: number): DailyBudgetState {
    this.roll(nowMs);
    return {
      limit: this.limit,
      limitSource: this.limitFromHeaders ? 'headers' : 'config',
      remaining: this.remaining,
      inFlight: this.inFlight,
      reserve: this.reserve(),
      dayEndsAt: new Date(this.dayEndsAtMs).toISOString(),
      dayEndExact: this.dayEndExact,
      ...(this.refusingUntilMs !== undefined && { refusingUntil: new Date(this.refusingUntilMs).toISOString() }),
      verified: this.verified,
      refusals: this.refusals,
    };
  }

  private reserve(): number {
    return reserveTokens(this.reserveSetting, this.limit);
  }

  private take(cost: number, probe: boolean): BudgetTicket {
    const c = Math.max(0, cost);
    this.inFlight += c;
    return { cost: c, probe, day: this.day, settled: false };
  }

  private roll(nowMs: number): void {
    if (nowMs >= this.dayEndsAtMs) {
      this.day += 1;
      this.remaining = this.limit;
      this.dayEndsAtMs = this.nextMidnight(nowMs);
      this.dayEndExact = false;
      this.refusingUntilMs = undefined;
      this.probe = undefined;
      // Without headers there is nothing to look at: own accounting starts the day at the full budget.
      this.verified = !this.headersSeen;
    } else if (this.refusingUntilMs !== undefined && nowMs >= this.refusingUntilMs) {
      this.refusingUntilMs = undefined;
      this.verified = false;
    }
  }

  private nextMidnight(nowMs: number): number {
    return nowMs + msUntilNextMidnight(new Date(nowMs), this.resetTimeZone);
  }
}
