import { ApplicationFailure } from '@temporalio/activity';
import { createAccountActivities } from '../../../src/activities/account';
import { type ActivitySettings } from '../../../src/activities/deps';
import { rethrowAsFailure } from '../../../src/failures';
import { type PipedriveClient } from '../../../src/pipedrive/client';
import { PipedriveError } from '../../../src/pipedrive/errors';
import { clientFor, ok, startScriptedServer, type Reply, type ScriptedServer } from './support/scripted-server';

async function failureOf(call: Promise<unknown>): Promise<PipedriveError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PipedriveError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** A fake account with a daily budget: charges each admitted request its cost and reports what is left. */
function budgetScript(server: ScriptedServer, budget: { limit: number; remaining: number }, costOf: (method: string) => number) {
  server.script = (req): Reply => {
    if (budget.remaining <= 0) {
      return { status: 429, headers: { 'x-daily-ratelimit-token-remaining': '0', 'retry-after': '3600' } };
    }
    budget.remaining -= costOf(req.method);
    return {
      ...ok({ id: 1 }, undefined, req.method === 'POST' ? 201 : 200),
      headers: {
        'x-daily-ratelimit-token-limit': String(budget.limit),
        'x-daily-ratelimit-token-remaining': String(Math.max(0, budget.remaining)),
      },
    };
  };
}

describe('the client stops on the daily budget before Pipedrive has to say 429', () => {
  let server: ScriptedServer;
  let client: PipedriveClient;
  const now = () => new Date('2025-03-10T22:30:00Z');

  beforeEach(async () => {
    server = await startScriptedServer();
  });
  afterEach(async () => {
    client?.close();
    await server.close();
  });

  it('refuses the create that would dip into the reserve, with the daily-budget failure the workflow sleeps on', async () => {
    const budget = { limit: 200, remaining: 200 };
    budgetScript(server, budget, (m) => (m === 'POST' ? 5 : 1)); // v2 create 5, v2 get 1
    // The configured budget (lite, 1 seat: 30,000) is overridden by the headers' 200; 10 % reserve = 20 tokens.
    client = clientFor(server, { now, budgetReserve: { percent: 10 }, budgetRecheckMs: 15 * 60_000 });
    let created = 0;
    let err: PipedriveError | undefined;
    while (!err) {
      err = await client.create('persons', { name: 'x' }).then(
        () => void created++,
        (e: unknown) => {
          if (e instanceof PipedriveError) return e;
          throw e;
        },
      );
    }
    // 200 − 20 reserve = 180 → 36 creates of 5; the 37th is refused without being sent.
    expect(created).toBe(36);
    expect(server.requests).toHaveLength(36);
    expect(budget.remaining).toBe(20);
    expect(err).toMatchObject({ failureType: 'rate_limited', reason: 'daily_budget', dailyBudgetExhausted: true, endpoint: 'POST /api/v2/persons' });
    // The reset is a guess (midnight UTC is 90 min away): the client looks again after the recheck interval.
    expect(err.retryAt?.toISOString()).toBe('2025-03-10T22:45:00.000Z');
    expect(err.retryAfterMs).toBe(15 * 60_000);
    expect(err.message).not.toMatch(/x-api-token|test-token/);
    expect(client.usage()).toMatchObject({ rateLimited: 0, refusedByBudget: 1, budget: { limit: 200, remaining: 20, reserve: 20 } });

    // The activities turn it into the same typed failure as a daily 429.
    let failure: unknown;
    try {
      rethrowAsFailure(err, 'UTC');
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DailyBudgetExhausted', nonRetryable: true, details: [{ resumeAt: '2025-03-10T22:45:00.000Z' }] });

    // Rollback's view of the same client may spend the reserve; the original still may not.
    const rollback = client.withBudgetReserve();
    for (let i = 0; i < 4; i++) await rollback.remove('persons', 1 + i);
    expect(budget.remaining).toBe(16);
    await expect(client.get('persons', 1)).rejects.toMatchObject({ reason: 'daily_budget' });
    expect(server.requests).toHaveLength(40);
    expect(client.usage().rateLimited).toBe(0);
  });

  it("start's preflight checks the token from the reserve when the day is spent down to it (another practice's migration spent it)", async () => {
    const budget = { limit: 200, remaining: 200 };
    budgetScript(server, budget, (m) => (m === 'POST' ? 5 : 1));
    const script = server.script;
    server.script = (req, i) => {
      const reply = script(req, i);
      return req.path === '/api/v1/users/me' && 'status' in reply && reply.status === 200
        ? { ...reply, json: { success: true, data: { id: 7, company_id: 42, company_name: 'Group Dental' } } }
        : reply;
    };
    client = clientFor(server, { now, budgetReserve: { percent: 10 } });
    // Other work spends the day down to the reserve: creates until the client refuses one.
    let refused: PipedriveError | undefined;
    while (!refused)
      refused = await client.create('persons', { name: 'x' }).then(
        () => undefined,
        (e: PipedriveError) => e,
      );
    expect(refused.reason).toBe('daily_budget');
    expect(budget.remaining).toBe(20);
    // Migrations' work waits for tomorrow; the one identity check may spend a token of the reserve.
    await expect(client.me()).rejects.toMatchObject({ reason: 'daily_budget' });
    const preflight = createAccountActivities({ pipedriveFor: () => client, settings: { budgetResetTimeZone: 'UTC' } as ActivitySettings });
    await expect(preflight.identifyPipedriveAccount({ pipedriveBaseUrl: server.baseUrl })).resolves.toMatchObject({ userId: 7, companyName: 'Group Dental' });
    expect(budget.remaining).toBe(19);
    expect(client.usage().rateLimited).toBe(0);
  });

  it('concurrent callers share the budget: none of them gets a 429', async () => {
    const budget = { limit: 300, remaining: 300 };
    budgetScript(server, budget, () => 5);
    client = clientFor(server, { now, budgetReserve: { tokens: 0 } });
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () =>
        client.create('persons', { name: 'x' }).then(
          () => 'created',
          (e: PipedriveError) => e.reason,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(60);
    expect(outcomes.filter((o) => o === 'daily_budget')).toHaveLength(40);
    expect(server.requests).toHaveLength(60);
    expect(budget.remaining).toBe(0);
    expect(client.usage().rateLimited).toBe(0);
  });

  it('without daily headers it counts the specs’ token costs against plan × seats', async () => {
    server.script = () => ok({ id: 1 }, undefined, 201);
    // lite × 1 seat would be 30,000; an explicit budget of 60 with a 10-token reserve leaves 50: ten v2 creates.
    client = clientFor(server, { now, dailyTokenBudget: 60, budgetReserve: { tokens: 10 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++)
      outcomes.push(
        await client.create('persons', { name: 'x' }).then(
          () => 'created',
          (e: PipedriveError) => e.reason,
        ),
      );
    expect(outcomes).toEqual([...Array(10).fill('created'), 'daily_budget', 'daily_budget']);
    expect(server.requests).toHaveLength(10);
    // Nothing to look at without headers: the pause lasts until the (assumed) midnight reset.
    const err = await failureOf(client.create('persons', { name: 'x' }));
    expect(err.retryAt?.toISOString()).toBe('2025-03-11T00:00:00.000Z');
  });

  it('uses plan and seats for the budget it starts from', async () => {
    server.script = () => ok({ id: 1 });
    client = clientFor(server, { now, plan: 'growth', seats: 5 });
    await client.get('persons', 1);
    expect(client.usage().budget).toMatchObject({ limit: 300_000, limitSource: 'config', remaining: 300_000 - 1, reserve: 15_000 });
  });
});
