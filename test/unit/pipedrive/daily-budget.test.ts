import {
  configuredDailyBudget,
  DailyBudgetTracker,
  parseBudgetReserve,
  reserveTokens,
  type BudgetAdmission,
  type BudgetTicket,
} from '../../../src/pipedrive/daily-budget';

const T0 = Date.parse('2025-03-10T12:00:00Z');
const MIDNIGHT = Date.parse('2025-03-11T00:00:00Z');
const HOUR = 3_600_000;

function tracker(opts: Partial<ConstructorParameters<typeof DailyBudgetTracker>[0]> = {}, now = T0): DailyBudgetTracker {
  return new DailyBudgetTracker({ limit: 1000, reserve: { tokens: 100 }, resetTimeZone: 'UTC', recheckMs: HOUR, ...opts }, now);
}

function sent(a: BudgetAdmission): BudgetTicket {
  if (a.kind !== 'send') throw new Error(`expected send, got ${JSON.stringify(a)}`);
  return a.ticket;
}

/** Sends and settles one request that the server answers with `remaining` (or no header). */
function spend(t: DailyBudgetTracker, cost: number, now: number, remaining?: number): void {
  t.settle(sent(t.admit(cost, now)), { answered: true, spent: cost, ...(remaining !== undefined && { remaining }) }, now);
}

describe('the daily budget from plan, seats and reserve settings', () => {
  it('is 30,000 × plan multiplier × seats', () => {
    expect(configuredDailyBudget('growth', 5)).toBe(300_000);
    expect(configuredDailyBudget('lite', 1)).toBe(30_000);
    expect(configuredDailyBudget('ultimate', 3)).toBe(630_000);
    expect(() => configuredDailyBudget('growth', 0)).toThrow(/seats/);
  });

  it('reads a reserve as a percentage of the budget or as tokens', () => {
    expect(parseBudgetReserve('5%')).toEqual({ percent: 5 });
    expect(parseBudgetReserve(' 12.5 % ')).toEqual({ percent: 12.5 });
    expect(parseBudgetReserve('2000')).toEqual({ tokens: 2000 });
    for (const bad of ['100%', '-5', '5 tokens', '', '1e3']) expect(parseBudgetReserve(bad)).toBeUndefined();
    expect(reserveTokens({ percent: 5 }, 300_000)).toBe(15_000);
    expect(reserveTokens({ percent: 5 }, 901)).toBe(46);
    expect(reserveTokens({ tokens: 2000 }, 300_000)).toBe(2000);
  });
});

describe('DailyBudgetTracker', () => {
  it('refuses the request whose cost would dip into the reserve, before it is sent, until midnight without headers', () => {
    const t = tracker();
    // Own accounting (no headers): 1000 − 100 reserve = 900 to spend.
    for (let i = 0; i < 89; i++) spend(t, 10, T0 + i);
    expect(t.state(T0 + 100).remaining).toBe(110);
    spend(t, 10, T0 + 100); // 100 left: exactly the reserve
    const refused = t.admit(5, T0 + 200);
    expect(refused).toEqual({ kind: 'refuse', resumeAt: new Date(MIDNIGHT), cost: 5, available: 0, reserve: 100 });
    // Nothing to look at without headers, so no recheck before the reset; a free request still goes.
    expect(t.admit(5, T0 + 2 * HOUR)).toMatchObject({ kind: 'refuse', resumeAt: new Date(MIDNIGHT) });
    expect(t.admit(0, T0 + 300).kind).toBe('send');
    // After midnight: a new day with the full budget.
    expect(t.admit(10, MIDNIGHT).kind).toBe('send');
    expect(t.state(MIDNIGHT).remaining).toBe(1000);
  });

  it('lets rollback (useReserve) spend the reserve, but not past zero', () => {
    const t = tracker();
    spend(t, 880, T0); // 120 left
    expect(t.admit(30, T0).kind).toBe('refuse');
    const a = sent(t.admit(100, T0, { useReserve: true }));
    t.settle(a, { answered: true, spent: 100 }, T0);
    expect(t.admit(21, T0, { useReserve: true }).kind).toBe('refuse');
    expect(t.admit(20, T0, { useReserve: true }).kind).toBe('send');
  });

  it('holds the cost of requests in flight, so concurrent callers never add up past the line', () => {
    const t = tracker({ reserve: { tokens: 0 } });
    spend(t, 900, T0); // 100 left
    const inFlight = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10].map((c) => sent(t.admit(c, T0)));
    expect(t.admit(1, T0).kind).toBe('refuse');
    expect(t.state(T0)).toMatchObject({ remaining: 100, inFlight: 100 });
    for (const ticket of inFlight) t.settle(ticket, { answered: true, spent: 10 }, T0);
    expect(t.state(T0)).toMatchObject({ remaining: 0, inFlight: 0 });
  });

  it('takes the budget and the remaining tokens from the headers, and only lowers them within a day', () => {
    const t = tracker({ limit: 30_000, reserve: { percent: 10 } });
    t.settle(sent(t.admit(5, T0)), { answered: true, spent: 5, remaining: 400, limit: 2000 }, T0);
    expect(t.state(T0)).toMatchObject({ limit: 2000, limitSource: 'headers', remaining: 400, reserve: 200, verified: true });
    // Two in flight, answers out of order: the older (higher) header must not raise the estimate.
    const a = sent(t.admit(10, T0));
    const b = sent(t.admit(10, T0));
    t.settle(b, { answered: true, spent: 10, remaining: 380 }, T0);
    t.settle(a, { answered: true, spent: 10, remaining: 390 }, T0);
    expect(t.state(T0).remaining).toBe(370);
    // Without headers on a response, its cost comes off the estimate.
    t.settle(sent(t.admit(10, T0)), { answered: true, spent: 10 }, T0);
    expect(t.state(T0).remaining).toBe(360);
    // Another integration spent tokens meanwhile: the header says so.
    spend(t, 5, T0, 210);
    expect(t.admit(20, T0).kind).toBe('refuse');
  });

  it('sends the first request alone, and the others wait for its answer', () => {
    const t = tracker({ limit: 30_000 });
    const probe = sent(t.admit(5, T0));
    expect(probe.probe).toBe(true);
    expect(t.admit(5, T0)).toEqual({ kind: 'wait' });
    t.settle(probe, { answered: true, spent: 5, remaining: 50, limit: 900 }, T0);
    // The configured 30,000 was wrong: 50 left, reserve 100 → refused, not sent.
    expect(t.admit(5, T0).kind).toBe('refuse');
  });

  it('a probe that gets no answer leaves the budget unverified: the next request goes alone again', () => {
    const t = tracker();
    const probe = sent(t.admit(5, T0));
    t.settle(probe, { answered: false, spent: 5 }, T0);
    const next = sent(t.admit(5, T0));
    expect(next.probe).toBe(true);
    expect(t.admit(5, T0).kind).toBe('wait');
  });

  it('with headers, a refusal lasts at most the recheck interval; then one request looks, and a reset lets the migration go on', () => {
    const t = tracker({ limit: 30_000, recheckMs: 5_000 });
    spend(t, 5, T0, 120); // first request: the probe; 120 left of 1000 (the header limit)
    t.settle(sent(t.admit(5, T0)), { answered: true, spent: 5, remaining: 115, limit: 1000 }, T0);
    const first = t.admit(20, T0 + 1000);
    expect(first).toMatchObject({ kind: 'refuse', resumeAt: new Date(T0 + 6000) });
    // Concurrent callers get the same time, not a later one.
    expect(t.admit(20, T0 + 3000)).toMatchObject({ kind: 'refuse', resumeAt: new Date(T0 + 6000) });
    // At the recheck: one request is sent (it may use the reserve), the rest wait for its answer.
    const look = sent(t.admit(20, T0 + 6000));
    expect(look.probe).toBe(true);
    expect(t.admit(20, T0 + 6000).kind).toBe('wait');
    // Still the same day on the server: refused again until the next recheck.
    t.settle(look, { answered: true, spent: 20, remaining: 95 }, T0 + 6001);
    expect(t.admit(20, T0 + 6002)).toMatchObject({ kind: 'refuse', resumeAt: new Date(T0 + 11_002) });
    // The server's day rolled over (at a time the tracker could not know): the next look sees it and takes it.
    const look2 = sent(t.admit(20, T0 + 11_002));
    t.settle(look2, { answered: true, spent: 20, remaining: 980 }, T0 + 11_003);
    expect(t.admit(20, T0 + 11_004).kind).toBe('send');
    expect(t.state(T0 + 11_004).remaining).toBe(980);
  });

  it('after a daily 429 the reset time is exact: no rechecks before it, a new day at it', () => {
    const t = tracker({ recheckMs: 5_000 });
    spend(t, 5, T0, 500);
    const resetsAt = new Date(T0 + 60_000);
    t.settle(sent(t.admit(5, T0)), { answered: true, spent: 0, remaining: 0, resetsAt }, T0);
    expect(t.admit(5, T0 + 10).kind).toBe('refuse');
    expect(t.admit(5, T0 + 30_000)).toMatchObject({ kind: 'refuse', resumeAt: resetsAt });
    // A new day: headers were seen, so the first request confirms the fresh budget alone.
    const probe = sent(t.admit(5, T0 + 60_000));
    expect(probe.probe).toBe(true);
    expect(t.state(T0 + 60_000)).toMatchObject({ remaining: 1000, dayEndExact: false, dayEndsAt: new Date(MIDNIGHT).toISOString() });
  });

  it('ignores what a request sent before the reset says about the day after it', () => {
    const t = tracker();
    spend(t, 5, T0, 900);
    const old = sent(t.admit(10, MIDNIGHT - 1));
    const probe = sent(t.admit(10, MIDNIGHT));
    t.settle(probe, { answered: true, spent: 10, remaining: 990 }, MIDNIGHT + 1);
    t.settle(old, { answered: true, spent: 10, remaining: 120 }, MIDNIGHT + 2);
    expect(t.state(MIDNIGHT + 3)).toMatchObject({ remaining: 990, inFlight: 0 });
  });

  it('resets at midnight in the configured zone', () => {
    const t = tracker({ resetTimeZone: 'America/New_York' });
    spend(t, 900, T0);
    // 2025-03-10 12:00Z is 08:00 in New York (EDT, UTC−4): the reset is at 04:00Z the next day.
    expect(t.admit(5, T0)).toMatchObject({ kind: 'refuse', resumeAt: new Date('2025-03-11T04:00:00Z') });
  });

  it('rejects nonsense settings', () => {
    expect(() => tracker({ limit: 0 })).toThrow(/daily budget/);
    expect(() => tracker({ recheckMs: 0 })).toThrow(/recheck/);
    expect(() => tracker({ reserve: { percent: 100 } })).toThrow(/reserve/);
    expect(() => tracker({ reserve: { tokens: -1 } })).toThrow(/reserve/);
  });
});
