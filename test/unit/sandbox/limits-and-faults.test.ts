/** Token accounting, the burst and search windows, the daily budget, and every kind of injected fault. */
import type { RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { call, created, start, v2, type Json } from './helpers';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits', () => {
  let sandbox: RunningSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('charges each request its spec token cost and reports the budget in headers and /_sandbox/usage', async () => {
    sandbox = await start({ plan: 'growth', seats: 5, burstLimit: undefined });
    const create = await v2(sandbox, 'POST', '/persons', { body: { name: 'A' } });
    expect(create.headers.get('x-daily-ratelimit-token-limit')).toBe('300000');
    expect(create.headers.get('x-daily-ratelimit-token-remaining')).toBe(String(300_000 - 5));
    const list = await v2(sandbox, 'GET', '/persons');
    expect(list.headers.get('x-daily-ratelimit-token-remaining')).toBe(String(300_000 - 15));
    await v2(sandbox, 'DELETE', `/persons/${create.body.data.id as number}`);
    const usage = sandbox.usage();
    expect(usage).toMatchObject({ tokensSpentToday: 18, dailyTokenBudget: 300_000, remainingTokens: 299_982 });
    expect(usage.byRoute['POST /api/v2/persons']).toEqual({ requests: 1, tokens: 5 });
    expect(usage.byRoute['DELETE /api/v2/persons/{id}']).toEqual({ requests: 1, tokens: 3 });
    const viaAdmin = await call(sandbox, 'GET', '/_sandbox/usage', { token: null });
    expect(viaAdmin.body.tokensSpentToday).toBe(18);
  });

  it('answers 429 once the rolling 2-second window is full, with headers, and lets requests through again after it', async () => {
    sandbox = await start({ plan: 'lite', burstLimit: undefined });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await v2(sandbox, 'GET', '/pipelines'));
    expect(answers.slice(0, 20).every((a) => a.status === 200)).toBe(true);
    expect(answers[0]!.headers.get('x-ratelimit-limit')).toBe('20');
    expect(answers[19]!.headers.get('x-ratelimit-remaining')).toBe('0');
    const limited = answers[20]!;
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, error: 'Rate limit exceeded' });
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('x-daily-ratelimit-token-remaining'))).toBeGreaterThan(0);
    expect(sandbox.usage().requests.rateLimited).toBe(1);
    await sleep(2_100);
    expect((await v2(sandbox, 'GET', '/pipelines')).status).toBe(200);
  });

  it('limits search separately to 10 requests per 2 seconds', async () => {
    sandbox = await start({ plan: 'ultimate', burstLimit: undefined, searchBurstLimit: undefined });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await v2(sandbox, 'GET', '/persons/search', { query: { term: 'anyone' } })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
    expect((await v2(sandbox, 'GET', '/persons')).status).toBe(200);
  });

  it('answers every request 429 with retry-after once the daily budget is spent, until the day resets', async () => {
    sandbox = await start({ dailyTokenBudget: 12, dayLengthMs: 2_500 });
    expect((await v2(sandbox, 'GET', '/persons')).status).toBe(200); // 10 tokens
    expect((await v2(sandbox, 'GET', '/persons/1')).status).toBe(404); // 1 token: failed requests are charged too
    const lastAdmitted = await v2(sandbox, 'POST', '/persons', { body: { name: 'A' } }); // 5 tokens: admitted while tokens remain
    expect(lastAdmitted.status).toBe(200);
    expect(lastAdmitted.headers.get('x-daily-ratelimit-token-remaining')).toBe('0');
    const spent = await v2(sandbox, 'GET', '/pipelines');
    expect(spent.status).toBe(429);
    expect(spent.headers.get('x-daily-ratelimit-token-remaining')).toBe('0');
    const retryAfter = Number(spent.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect((await call(sandbox, 'GET', '/api/v1/users/me')).status).toBe(429);
    await sleep(retryAfter * 1_000 + 100);
    const fresh = await v2(sandbox, 'GET', '/pipelines');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-daily-ratelimit-token-remaining')).toBe('7');
  });

  it('resets the day on demand through the admin API', async () => {
    sandbox = await start({ dailyTokenBudget: 5 });
    await v2(sandbox, 'GET', '/pipelines');
    expect((await v2(sandbox, 'GET', '/pipelines')).status).toBe(429);
    const usage = await call(sandbox, 'POST', '/_sandbox/clock/advance-day', { token: null });
    expect(usage.body.remainingTokens).toBe(5);
    expect((await v2(sandbox, 'GET', '/pipelines')).status).toBe(200);
  });

  it('answers 403 with an HTML page after consecutive 429s when configured', async () => {
    sandbox = await start({ dailyTokenBudget: 0, blockAfterConsecutive429s: 2 });
    expect((await v2(sandbox, 'GET', '/pipelines')).status).toBe(429);
    expect((await v2(sandbox, 'GET', '/pipelines')).status).toBe(429);
    const blocked = await v2(sandbox, 'GET', '/pipelines');
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get('content-type')).toContain('text/html');
    expect(String(blocked.body)).toContain('Cloudflare');
  });
});

describe('fault injection', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await start();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    sandbox.setFaults({});
  });

  it('answers 500/503 at the configured rate, deterministically for a seed', async () => {
    const run = async (): Promise<number[]> => {
      sandbox.setFaults({ errorRate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await v2(sandbox, 'GET', '/pipelines')).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.some((s) => s === 500 || s === 503)).toBe(true);
    expect(first.some((s) => s === 200)).toBe(true);
    const error = await (async () => {
      sandbox.setFaults({ errorRate: 1, seed: 1 });
      for (;;) {
        const res = await v2(sandbox, 'GET', '/pipelines');
        if (res.status === 500) return res.body;
      }
    })();
    expect(error).toEqual({ success: false, error: 'Internal Server Error', code: 'ERR_UNKNOWN' });
  });

  it('adds latency', async () => {
    sandbox.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await v2(sandbox, 'GET', '/pipelines');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops connections: the client sees a socket error', async () => {
    sandbox.setFaults({ dropConnectionRate: 1 });
    await expect(v2(sandbox, 'GET', '/pipelines')).rejects.toThrow();
    expect(sandbox.usage().requests.byStatus.dropped).toBe(1);
  });

  it('loses create responses after storing the record', async () => {
    sandbox.setFaults({ lostResponseRate: 1 });
    await expect(v2(sandbox, 'POST', '/persons', { body: { name: 'Stored Though' } })).rejects.toThrow();
    sandbox.setFaults({});
    const listed = await v2(sandbox, 'GET', '/persons');
    expect(listed.body.data.map((p: Json) => p.name)).toEqual(['Stored Though']);
    expect(sandbox.usage().requests.byStatus.lost_response).toBe(1);
  });

  it('never touches the admin API, which configures faults and adds users', async () => {
    const put = await call(sandbox, 'PUT', '/_sandbox/faults', { token: null, body: { errorRate: 1, dropConnectionRate: 1, seed: 3 } });
    expect(put.body).toEqual({ errorRate: 1, dropConnectionRate: 1, seed: 3 });
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null })).status).toBe(200);
    expect((await call(sandbox, 'GET', '/_sandbox/faults', { token: null })).body.errorRate).toBe(1);
    expect((await call(sandbox, 'PUT', '/_sandbox/faults', { token: null, body: { errorRate: 2 } })).status).toBe(400);
    sandbox.setFaults({});
    const [added] = await created<Json[]>(
      call(sandbox, 'POST', '/_sandbox/users', { token: null, body: { name: 'Dr Nia Okafor', email: 'nia.okafor@lakeside-dental.example' } }),
    );
    const users = await call(sandbox, 'GET', '/api/v1/users');
    expect(users.body.data.find((u: Json) => u.id === added.id)).toMatchObject({ name: 'Dr Nia Okafor', active_flag: true });
  });
});
