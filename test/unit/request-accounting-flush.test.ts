import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { RequestAccounting } from '../../src/runtime/request-accounting';
import { tokenSpend } from '../../src/store/request-tokens';
import { createLogger } from '../../src/logging';
import { registerRun } from '../../src/store/runs';
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
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('books the counts every flush interval before the activity ends, and the rest when it ends', async () => {
    const accounting = new RequestAccounting(db.pool, createLogger('silent'), 50);
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
  });
});
