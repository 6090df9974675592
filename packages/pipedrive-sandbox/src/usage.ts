import type { RateLimiter } from './rate-limits';

export interface SandboxUsage {
  tokensSpentToday: number;
  dailyTokenBudget: number;
  remainingTokens: number;
  /** When the daily budget resets (ISO 8601). */
  dayResetsAt: string;
  burstLimit: number;
  searchBurstLimit: number;
  requests: {
    total: number;
    /** By HTTP status, plus "dropped" and "lost_response" for injected connection faults. */
    byStatus: Record<string, number>;
    /** 429 answers (burst, search and daily limits together). */
    rateLimited: number;
  };
  /** By route template, e.g. "POST /api/v2/persons". */
  byRoute: Record<string, { requests: number; tokens: number }>;
}

/** Request counters for the admin API; tokens come from the rate limiter, which owns the budget. */
export class UsageCounters {
  private total = 0;
  private byStatus: Record<string, number> = {};
  private byRoute: Record<string, { requests: number; tokens: number }> = {};

  record(route: string | undefined, status: number | 'dropped' | 'lost_response', tokens: number): void {
    this.total += 1;
    this.byStatus[String(status)] = (this.byStatus[String(status)] ?? 0) + 1;
    if (route) {
      const entry = (this.byRoute[route] ??= { requests: 0, tokens: 0 });
      entry.requests += 1;
      entry.tokens += tokens;
    }
  }

  reset(): void {
    this.total = 0;
    this.byStatus = {};
    this.byRoute = {};
  }

  report(limiter: RateLimiter): SandboxUsage {
    return {
      tokensSpentToday: limiter.spentToday(),
      dailyTokenBudget: limiter.dailyBudget,
      remainingTokens: limiter.remainingTokens(),
      dayResetsAt: new Date(limiter.dayResetsAtMs()).toISOString(),
      burstLimit: limiter.burstLimit,
      searchBurstLimit: limiter.limits.searchBurstLimit,
      requests: { total: this.total, byStatus: { ...this.byStatus }, rateLimited: this.byStatus['429'] ?? 0 },
      byRoute: structuredClone(this.byRoute),
    };
  }
}
