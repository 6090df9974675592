import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { startSandbox, DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createLogger } from '../../src/logging';
import { PipedriveClient } from '../../src/pipedrive/client';
import { BURST_WINDOW_MS } from '../../src/pipedrive/rate-limiter';
import { TokenShares } from '../../src/runtime/token-shares';

jest.setTimeout(60_000);

const TICK_MS = 200;
const LIVE_SECONDS = 1;
/** What a client joining others waits at least: their next look, then one window for what they sent before it. */
const JOIN_HOLD_MS = TICK_MS + BURST_WINDOW_MS;

/**
 * Workers on one token keep to their shares of its burst window, counted in the store and split by demand. A client the
 * others do not count yet (new, or back after going quiet) sends nothing until they have cut their shares: its requests
 * would otherwise go on top of a window they fill between them (429s in clusters, measured in the shared throughput
 * bench). A client that uses little of the window leaves the rest to one that wants more.
 */
describe('token shares: joining and coming back', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let shares: TokenShares;

  beforeAll(async () => {
    db = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, plan: 'premium' });
    shares = new TokenShares(db.pool, createLogger('silent'), { tickMs: TICK_MS, liveSeconds: LIVE_SECONDS });
  });
  afterAll(async () => {
    await shares?.close();
    await sandbox?.close();
    await db?.drop();
  });

  const newClient = () => new PipedriveClient({ baseUrl: sandbox.url, apiToken: DEFAULT_API_TOKEN, plan: 'premium' });
  /** How long one request waits and takes. */
  const timed = async (client: PipedriveClient) => {
    const start = performance.now();
    await client.me();
    return performance.now() - start;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a client alone sends at once; one joining it waits for the shares to be cut; one back from quiet waits again', async () => {
    const a = newClient();
    shares.watch(a);
    expect(await timed(a)).toBeLessThan(1_000);
    expect(a.pacing().requestsPerSecond).toBe(50);

    // A keeps sending; B joins.
    let sending = true;
    const keepSending = (async () => {
      while (sending) {
        await a.me();
        await sleep(50);
      }
    })();
    const b = newClient();
    shares.watch(b);
    expect(await timed(b)).toBeGreaterThanOrEqual(JOIN_HOLD_MS);
    // B wanted more than it had (it waited), A used less than half: B gets at least an equal share, the two no more than all.
    const [rateA, rateB] = [a.pacing().requestsPerSecond, b.pacing().requestsPerSecond];
    expect(rateB).toBeGreaterThanOrEqual(25);
    expect(rateA).toBeGreaterThan(0);
    expect(rateA + rateB).toBeLessThanOrEqual(50);

    // B goes quiet: its share goes back to A.
    await sleep(LIVE_SECONDS * 1000 + 3 * TICK_MS);
    expect(a.pacing().requestsPerSecond).toBe(50);

    // B back: not counted by A yet, so it waits again before its first request.
    expect(await timed(b)).toBeGreaterThanOrEqual(JOIN_HOLD_MS);
    expect(a.pacing().requestsPerSecond).toBeLessThan(50);
    sending = false;
    await keepSending;
  });

  it('a client using little of the window leaves the rest to one that wants more, without a 429', async () => {
    const light = newClient();
    shares.watch(light);
    let sending = true;
    // Light: one request every 100 ms, alone at first. Busy joins it with more requests at once than the window holds,
    // so some always wait for room.
    const lanes = [
      (async () => {
        while (sending) {
          await light.me();
          await sleep(100);
        }
      })(),
    ];
    await sleep(BURST_WINDOW_MS);
    const busy = newClient();
    shares.watch(busy);
    await busy.me(); // once the others count it
    lanes.push(
      ...Array.from({ length: 30 }, async () => {
        while (sending) await busy.me();
      }),
    );
    // Busy's rate, sampled for two windows: an equal share would be 25 requests a second each, all along.
    let highest = 0;
    for (const until = performance.now() + 2 * BURST_WINDOW_MS; performance.now() < until; await sleep(TICK_MS / 2)) {
      highest = Math.max(highest, busy.pacing().requestsPerSecond);
    }
    sending = false;
    await Promise.all(lanes);
    expect(highest).toBeGreaterThan(30);
    expect(busy.usage().byStatus[429] ?? 0).toBe(0);
    expect(light.usage().byStatus[429] ?? 0).toBe(0);
  });
});

/**
 * A worker stopping: once its shares are closed (before its pool ends), a look still asked for (a joining hold's timer,
 * a request that waits to be counted) touches the store no more. Such a look used to run on the ended pool and warn
 * that the window could not be shared (seen at the end of the shared throughput bench).
 */
describe('token shares: closed', () => {
  it('looks no more once closed', async () => {
    const db = await createTestDatabase();
    const sandbox = await startSandbox({ port: 0, plan: 'premium' });
    try {
      const pool = new Pool({ connectionString: db.url, max: 2 });
      const logger = createLogger('warn');
      const warn = jest.spyOn(logger, 'warn');
      const shares = new TokenShares(pool, logger, { tickMs: TICK_MS, liveSeconds: LIVE_SECONDS });
      const client = new PipedriveClient({ baseUrl: sandbox.url, apiToken: DEFAULT_API_TOKEN, plan: 'premium' });
      shares.watch(client);
      await client.me();
      await shares.close();
      await pool.end();
      await shares.tick();
      expect(warn).not.toHaveBeenCalled();
      client.close();
    } finally {
      await sandbox.close();
      await db.drop();
    }
  });
});
