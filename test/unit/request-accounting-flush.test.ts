import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { RequestAccounting } from '../../src/runtime/request-accounting';
import { accountDaySpends, tokenSpend } from '../../src/store/request-tokens';
import { budgetDayOf } from '../../src/pipedrive/daily-budget';
import { createLogger } from '../../src/logging';
import { pipedriveAccountId, registerRun, setRunAccount } from '../../src/store/runs';
import type { RequestEvent } from '../../src/pipedrive/transport';

const request = (tokens: number): RequestEvent => ({
  method: 'POST',
  endpoint: 'POST /api/v2/persons',
  status: 201,
  tokens,
  durationMs: 5,
  version: 'v2',
  attempt: 1,
});

/** A running activity's requests reach the store while it runs: a worker killed mid-batch loses at most the last flush. */
describe('request accounting while an activity runs', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await registerRun(db.pool, { migrationId: 'flush', source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    await setRunAccount(db.pool, 'flush', pipedriveAccountId('http://127.0.0.1:1', 7));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('books the counts every flush interval before the activity ends, and the rest when it ends', async () => {
    const accounting = new RequestAccounting(db.pool, createLogger('silent'), 'UTC', 50);
    const { inbound } = accounting.interceptor()({ info: { activityType: 'loadBatch' } } as never) as { inbound: ActivityInboundCallsInterceptor };
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const running = inbound.execute!({ args: [{ migrationId: 'flush', objectType: 'person', runKind: 'full' }], headers: {} }, async () => {
      for (let i = 0; i < 3; i++) accounting.record(request(10));
      await held;
      accounting.record(request(10));
      return undefined;
    });
    // Still running: what it sent so far is in the store (a kill now would lose nothing of it).
    await new Promise((r) => setTimeout(r, 300));
    expect((await tokenSpend(db.pool, 'flush')).byPhase.FULL).toEqual({ requests: 3, tokens: 30 });
    release();
    await running;
    expect((await tokenSpend(db.pool, 'flush')).byPhase.FULL).toEqual({ requests: 4, tokens: 40 });
    // The same tokens are the migration's spend of the account's budget day (the zone's calendar date).
    const today = budgetDayOf(new Date(), 'UTC');
    const [spend, ...none] = await accountDaySpends(db.pool, pipedriveAccountId('http://127.0.0.1:1', 7), today);
    expect(none).toEqual([]);
    expect(spend).toMatchObject({ migrationId: 'flush', tokens: 40 });
    expect(Date.now() - spend!.lastSpentAt.getTime()).toBeLessThan(60_000);
    expect(await accountDaySpends(db.pool, pipedriveAccountId('http://127.0.0.1:1', 7), '2020-01-01')).toEqual([]);
    expect(await accountDaySpends(db.pool, pipedriveAccountId('http://127.0.0.1:1', 8), today)).toEqual([]);
  });
});
