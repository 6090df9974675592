import { BASE_DAILY_TOKENS, BURST_WINDOW_MS, PLAN_BURST_LIMIT, PLAN_MULTIPLIER, type LimitsUpdate, type SandboxPlan } from './options';

const CALENDAR_DAY_MS = 86_400_000;

export interface LimitsConfig {
  plan: SandboxPlan;
  seats: number;
  dailyTokenBudget?: number;
  burstLimit?: number;
  searchBurstLimit: number;
  /** Undefined: a calendar day ending at midnight UTC. */
  dayLengthMs?: number;
}

export type RateLimitHeaders = Record<string, string>;

export type Admission =
  | { admitted: true; headers: RateLimitHeaders }
  | { admitted: false; reason: 'daily_budget' | 'burst' | 'search_burst'; headers: RateLimitHeaders; consecutive429s: number };

/**
 * Pipedrive's two limits: a company-wide daily token budget and, per API token, a rolling 2-second window of
 * requests (with a separate, tighter window for search). Requests are admitted while the budget has tokens left,
 * and an admitted request is charged its full cost, so once the budget is gone every request gets a 429 whose
 * `x-daily-ratelimit-token-remaining` is 0: that is how a client tells the daily limit from the burst limit.
 */
export class RateLimiter {
  private dayStartedAtMs: number;
  private spentTokens = 0;
  private readonly windows = new Map<string, number[]>();
  private readonly searchWindows = new Map<string, number[]>();
  private readonly consecutive429s = new Map<string, number>();

  constructor(
    private config: LimitsConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.dayStartedAtMs = this.initialDayStart(now());
  }

  get limits(): Readonly<LimitsConfig> {
    return this.config;
  }

  get dailyBudget(): number {
    return this.config.dailyTokenBudget ?? BASE_DAILY_TOKENS * PLAN_MULTIPLIER[this.config.plan] * this.config.seats;
  }

  get burstLimit(): number {
    return this.config.burstLimit ?? PLAN_BURST_LIMIT[this.config.plan];
  }

  update(change: LimitsUpdate): void {
    const next: LimitsConfig = { ...this.config };
    if (change.plan !== undefined) next.plan = change.plan;
    if (change.seats !== undefined) next.seats = change.seats;
    if (change.dailyTokenBudget !== undefined) next.dailyTokenBudget = change.dailyTokenBudget ?? undefined;
    if (change.burstLimit !== undefined) next.burstLimit = change.burstLimit ?? undefined;
    if (change.searchBurstLimit !== undefined) next.searchBurstLimit = change.searchBurstLimit;
    if (change.dayLengthMs !== undefined) {
      next.dayLengthMs = change.dayLengthMs ?? undefined;
      this.config = next;
      this.dayStartedAtMs = this.initialDayStart(this.now());
      return;
    }
    this.config = next;
  }

  /** Decides whether a request runs and charges it; `cost` is its token cost, `isSearch` selects the search window. */
  admit(token: string, cost: number, isSearch: boolean): Admission {
    const now = this.now();
    this.rollDay(now);
    const window = pruned(this.windows, token, now);
    const searchWindow = isSearch ? pruned(this.searchWindows, token, now) : undefined;

    let reason: 'daily_budget' | 'burst' | 'search_burst' | undefined;
    if (this.remainingTokens() <= 0) reason = 'daily_budget';
    else if (window.length >= this.burstLimit) reason = 'burst';
    else if (searchWindow && searchWindow.length >= this.config.searchBurstLimit) reason = 'search_burst';

    if (reason) {
      const count = (this.consecutive429s.get(token) ?? 0) + 1;
      this.consecutive429s.set(token, count);
      const headers = this.headers(now, searchWindow ?? window, searchWindow ? this.config.searchBurstLimit : this.burstLimit);
      if (reason === 'daily_budget') headers['retry-after'] = String(this.secondsUntilDailyReset(now));
      return { admitted: false, reason, headers, consecutive429s: count };
    }

    this.consecutive429s.delete(token);
    window.push(now);
    searchWindow?.push(now);
    this.spentTokens += cost;
    return { admitted: true, headers: this.headers(now, searchWindow ?? window, searchWindow ? this.config.searchBurstLimit : this.burstLimit) };
  }

  /** Headers for a response that was not counted (e.g. 401), so every response carries them. */
  passiveHeaders(token: string | undefined): RateLimitHeaders {
    const now = this.now();
    this.rollDay(now);
    const window = token === undefined ? [] : pruned(this.windows, token, now);
    return this.headers(now, window, this.burstLimit);
  }

  remainingTokens(): number {
    return Math.max(0, this.dailyBudget - this.spentTokens);
  }

  spentToday(): number {
    this.rollDay(this.now());
    return this.spentTokens;
  }

  /** Forces the daily reset (the admin API's "advance day"). */
  resetDay(): void {
    const now = this.now();
    this.spentTokens = 0;
    this.dayStartedAtMs = this.config.dayLengthMs === undefined ? this.initialDayStart(now) : now;
  }

  /** Forgets burst windows and spending (the admin API's reset). */
  resetAll(): void {
    this.windows.clear();
    this.searchWindows.clear();
    this.consecutive429s.clear();
    this.resetDay();
  }

  dayResetsAtMs(): number {
    this.rollDay(this.now());
    return this.dayStartedAtMs + this.dayLength();
  }

  budgetState(): { dayStartedAtMs: number; spentTokens: number } {
    return { dayStartedAtMs: this.dayStartedAtMs, spentTokens: this.spentTokens };
  }

  restoreBudgetState(saved: { dayStartedAtMs: number; spentTokens: number }): void {
    this.dayStartedAtMs = saved.dayStartedAtMs;
    this.spentTokens = saved.spentTokens;
    this.rollDay(this.now());
  }

  private dayLength(): number {
    return this.config.dayLengthMs ?? CALENDAR_DAY_MS;
  }

  private initialDayStart(now: number): number {
    return this.config.dayLengthMs === undefined ? Math.floor(now / CALENDAR_DAY_MS) * CALENDAR_DAY_MS : now;
  }

  private rollDay(now: number): void {
    const length = this.dayLength();
    if (now < this.dayStartedAtMs + length) return;
    this.dayStartedAtMs += Math.floor((now - this.dayStartedAtMs) / length) * length;
    this.spentTokens = 0;
  }

  private secondsUntilDailyReset(now: number): number {
    return Math.max(1, Math.ceil((this.dayStartedAtMs + this.dayLength() - now) / 1000));
  }

  private headers(now: number, window: number[], limit: number): RateLimitHeaders {
    const oldest = window[0];
    const resetMs = oldest === undefined ? BURST_WINDOW_MS : oldest + BURST_WINDOW_MS - now;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.length)),
      'x-ratelimit-reset': String(Math.max(1, Math.ceil(resetMs / 1000))),
      'x-daily-ratelimit-token-limit': String(this.dailyBudget),
      'x-daily-ratelimit-token-remaining': String(this.remainingTokens()),
    };
  }
}

/** The token's request times within the last 2 seconds (older ones dropped). */
function pruned(windows: Map<string, number[]>, token: string, now: number): number[] {
  let window = windows.get(token);
  if (!window) {
    window = [];
    windows.set(token, window);
  }
  let drop = 0;
  while (drop < window.length && window[drop]! <= now - BURST_WINDOW_MS) drop++;
  if (drop > 0) window.splice(0, drop);
  return window;
}
