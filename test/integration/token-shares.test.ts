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
const SOON_MS = 50;

/**
 * Workers on one token share its burst window as slots held in the store: a client sends only within the slots it
 * holds, takes free ones when it wants more and gives back what it no longer uses, and the live clients' slots never
 * add up to more than the window. A client alone holds the whole window; one joining takes what the others leave at
 * once; clients that all want more split it fairly; slots one gives back are another's within a look or two, without
 * waiting for anyone to go quiet (the wave ends of issue 14's figure c).
 */
describe('token shares: slots of the window held in the store', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let shares: TokenShares;
  /** Requests sent in the background by a test, and whether it has ended (they stop). */
  const running: Promise<unknown>[] = [];
  let testEnded = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    shares = new TokenShares(db.pool, createLogger('silent'), { tickMs: TICK_MS, liveSeconds: LIVE_SECONDS, soonMs: SOON_MS });
  });
  // A sandbox of its own for each test: another base URL is another token, so no test shares a window with the last.
  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, plan: 'premium' });
  });
  afterEach(async () => {
    // A test that failed half-way leaves no request running into the next.
    testEnded = true;
    await Promise.all(running.splice(0).map((r) => r.catch(() => undefined)));
    testEnded = false;
    await sandbox?.close();
  });
  afterAll(async () => {
    await shares?.close();
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
  /** `lanes` requests at a time, one after another, until `stop` says so or the test ends. */
  const keepBusy = (client: PipedriveClient, lanes: number, stop: () => boolean) => {
    const lanesDone = Promise.all(
      Array.from({ length: lanes }, async () => {
        while (!stop() && !testEnded) await client.me();
      }),
    );
    running.push(lanesDone);
    return lanesDone;
  };
  /** The slots the live clients on a token hold in the store. */
  const heldInStore = async (tokenKey: string) =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          'SELECT coalesce(sum(slots), 0) AS n FROM token_clients WHERE token_key = $1 AND seen_at >= clock_timestamp() - make_interval(secs => $2)',
          [tokenKey, LIVE_SECONDS],
        )
      ).rows[0]!.n,
    );
  /** Samples `read` every few ms while `during` runs: its highest value. */
  const highestWhile = async (read: () => Promise<number> | number, during: Promise<unknown>) => {
    let done = false;
    let highest = -Infinity;
    const sampling = (async () => {
      while (!done) {
        highest = Math.max(highest, await read());
        await sleep(20);
      }
    })();
    await during;
    done = true;
    await sampling;
    return highest;
  };

  it('a client alone holds the whole window; one joining takes what is left at once; two wanting more split it; none hold more than the window, no 429', async () => {
    const a = newClient();
    shares.watch(a);
    expect(await timed(a)).toBeLessThan(1_000);
    expect(a.pacing().requestsPerSecond).toBe(50);

    // A sends one request every 50 ms (about 20 a second, some 40 slots of the window's 100 held); B joins.
    let stopA = false;
    const lightA = (async () => {
      while (!stopA && !testEnded) {
        await a.me();
        await sleep(50);
      }
    })();
    running.push(lightA);
    await sleep(3 * TICK_MS);
    const b = newClient();
    shares.watch(b);
    // A leaves room beside what it uses once it is not alone: B is let in within a few looks, not a window and a tick.
    expect(await timed(b)).toBeLessThan(TICK_MS + 3 * SOON_MS + 200);

    // Both want more than there is: each ends with about half, the two never more than the window between them.
    stopA = true;
    await lightA;
    let stopBoth = false;
    const busy = Promise.all([keepBusy(a, 40, () => stopBoth), keepBusy(b, 40, () => stopBoth)]);
    const most = highestWhile(() => heldInStore(a.tokenKey()), sleep(3 * BURST_WINDOW_MS));
    expect(await most).toBeLessThanOrEqual(100);
    const [rateA, rateB] = [a.pacing().requestsPerSecond, b.pacing().requestsPerSecond];
    expect(rateA + rateB).toBeLessThanOrEqual(50);
    expect(Math.min(rateA, rateB)).toBeGreaterThanOrEqual(20);
    stopBoth = true;
    await busy;
    expect(a.usage().byStatus[429] ?? 0).toBe(0);
    expect(b.usage().byStatus[429] ?? 0).toBe(0);
  });

  it("slots one client gives back are the busy one's as they leave the window, not after a hold or once the idle one goes quiet", async () => {
    // Two busy clients, both at about half the window.
    // Looks a second apart and a client counted for six seconds after its last request, as a worker's are in kind: the
    // slots come back as they leave the window, not with a look's hold, nor because A went quiet.
    const slowShares = new TokenShares(db.pool, createLogger('silent'), { tickMs: 1_000, liveSeconds: 6, soonMs: SOON_MS });
    const [a, b] = [newClient(), newClient()];
    slowShares.watch(a);
    slowShares.watch(b);
    let stopA = false;
    let stopB = false;
    const busyA = keepBusy(a, 40, () => stopA);
    const busyB = keepBusy(b, 40, () => stopB);
    await sleep(2 * BURST_WINDOW_MS);
    expect(b.pacing().requestsPerSecond).toBeLessThanOrEqual(30);
    // A's work ends (a wave's last batches on another worker): B gets A's slots as they leave the window.
    stopA = true;
    await busyA;
    // A's slots are B's as A's last requests leave the window (a window after their answers, a look or two later), not
    // after a hold of a look and a window once A said it wants less (the portions this replaced: 2.45 s and more
    // here), nor once A goes quiet.
    await waitForRate(b, 45, BURST_WINDOW_MS + 8 * SOON_MS);
    stopB = true;
    await busyB;
    await slowShares.close();
    expect(a.usage().byStatus[429] ?? 0).toBe(0);
    expect(b.usage().byStatus[429] ?? 0).toBe(0);
  });

  it('a client alone with more of the window than it uses leaves the slack to one joining within a look or two, not its next tick', async () => {
    // Ticks five seconds apart, and each client in a share of its own, as in two worker processes (one process looks
    // at all its clients at once): only the looks of a client alone with slack let the joining one in this soon.
    const slowShares = new TokenShares(db.pool, createLogger('silent'), { tickMs: 5_000, liveSeconds: 6, soonMs: SOON_MS });
    const otherProcess = new TokenShares(db.pool, createLogger('silent'), { tickMs: 5_000, liveSeconds: 6, soonMs: SOON_MS });
    const [a, b] = [newClient(), newClient()];
    slowShares.watch(a);
    // A always has a request in flight (two lanes, 200 ms an answer) and uses a fifth of the window.
    sandbox.setFaults({ latencyMs: 200 });
    let stopA = false;
    const lightA = keepBusy(a, 2, () => stopA);
    await sleep(BURST_WINDOW_MS);
    expect(a.pacing().requestsPerSecond).toBe(50); // alone: the whole window
    otherProcess.watch(b);
    expect(await timed(b)).toBeLessThan(6 * SOON_MS + 500);
    stopA = true;
    await lightA;
    await slowShares.close();
    await otherProcess.close();
    expect(b.usage().byStatus[429] ?? 0).toBe(0);
  });

  /** Waits until `client` may send `rate` requests a second, failing after `withinMs`. */
  async function waitForRate(client: PipedriveClient, rate: number, withinMs: number): Promise<void> {
    const deadline = performance.now() + withinMs;
    while (client.pacing().requestsPerSecond < rate) {
      if (performance.now() > deadline) throw new Error(`rate ${client.pacing().requestsPerSecond} requests/s, not ${rate}, after ${withinMs} ms`);
      await sleep(10);
    }
  }
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
      const shares = new TokenShares(pool, logger, { tickMs: TICK_MS, liveSeconds: LIVE_SECONDS, soonMs: SOON_MS });
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
