import { performance } from 'node:perf_hooks';
import { startSandbox, DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { type Pool } from 'pg';
import { createLogger } from '../../src/logging';
import { createPool } from '../../src/store/db';
import { PipedriveClient } from '../../src/pipedrive/client';
import { BURST_WINDOW_MS } from '../../src/pipedrive/rate-limiter';
import { TokenShares } from '../../src/runtime/token-shares';

jest.setTimeout(60_000);

const TICK_MS = 200;
const LIVE_SECONDS = 1;
/** What a client joining others waits at least: their next look, then one window for what they sent before it. */
const JOIN_HOLD_MS = TICK_MS + BURST_WINDOW_MS;

/**
 * Workers on one token share its burst window through the store. While more than one is live on it, every request takes
 * its time on the token's send timeline (src/store/token-pacer.ts): together they keep an even pace under the limit,
 * whichever has the work. A client the others do not count yet (new, or back after going quiet) sends nothing until
 * they have looked and what they sent on their own has left the window: its requests would otherwise go on top of a
 * window they fill between them (429s in clusters, measured in the shared throughput bench).
 */
describe('token shares: joining, coming back and the shared timeline', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let shares: TokenShares;
  let pool: Pool;
  /** When the sandbox answered each request (no latency: when it arrived), and its status. */
  const answered: { at: number; status: number | string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, plan: 'premium', onRequest: (entry) => answered.push({ at: performance.now(), status: entry.status }) });
    // A pool the size of a worker's (two connections per activity slot and one): every request in flight takes its
    // send time through it, and the test's five would queue the looks behind them for longer than LIVE_SECONDS.
    pool = createPool(db.url, { max: 17 });
    shares = new TokenShares(pool, createLogger('silent'), { tickMs: TICK_MS, liveSeconds: LIVE_SECONDS });
  });
  afterAll(async () => {
    await shares?.close();
    await pool?.end();
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
  /** Requests answered in [from, to), and the most in any window of BURST_WINDOW_MS within it. */
  const arrivals = (from: number, to: number) => {
    const times = answered.filter((a) => a.at >= from && a.at < to).map((a) => a.at);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= BURST_WINDOW_MS) j++;
      most = Math.max(most, i - j + 1);
    }
    return { count: times.length, most };
  };

  it('a client alone sends at once; one joining it waits for the others to look; both then share the timeline; one back from quiet waits again', async () => {
    const a = newClient();
    shares.watch(a);
    expect(await timed(a)).toBeLessThan(1_000);
    expect(a.pacing()).toMatchObject({ requestsPerSecond: 50, sharedTimeline: false });

    // A keeps sending; B joins, and keeps sending too.
    const keepSending = (client: PipedriveClient) => {
      const lane = { sending: true, done: Promise.resolve() };
      lane.done = (async () => {
        while (lane.sending) {
          await client.me();
          await sleep(50);
        }
      })();
      return lane;
    };
    const laneA = keepSending(a);
    const b = newClient();
    shares.watch(b);
    expect(await timed(b)).toBeGreaterThanOrEqual(JOIN_HOLD_MS);
    const laneB = keepSending(b);
    await sleep(2 * TICK_MS);
    expect([a.pacing().sharedTimeline, b.pacing().sharedTimeline]).toEqual([true, true]);

    // B goes quiet: A is alone again, off the timeline.
    laneB.sending = false;
    await laneB.done;
    await sleep(LIVE_SECONDS * 1000 + 3 * TICK_MS);
    expect(a.pacing().sharedTimeline).toBe(false);

    // B back: not counted by A yet, so it waits again before its first request.
    expect(await timed(b)).toBeGreaterThanOrEqual(JOIN_HOLD_MS);
    laneA.sending = false;
    await laneA.done;
  });

  it('three clients with more work than the window holds fill it together, evenly paced, without a 429', async () => {
    const clients = [newClient(), newClient(), newClient()];
    let sending = true;
    // A light one (a request every 100 ms) and two busy ones with more requests at once than the window holds.
    const lanes = [
      (async () => {
        while (sending) {
          await clients[0]!.me();
          await sleep(100);
        }
      })(),
      ...clients.slice(1).flatMap((c) =>
        Array.from({ length: 30 }, async () => {
          while (sending) await c.me();
        }),
      ),
    ];
    // Looks a little further apart in time than the first test's may take, as a loaded machine's do (each look is
    // three statements per client): a client seen a second ago is still live.
    const patient = new TokenShares(pool, createLogger('silent'), { tickMs: TICK_MS, liveSeconds: 3 });
    for (const c of clients) patient.watch(c);
    // Until the three count each other and send on the timeline (the joining holds, a few seconds).
    for (const until = performance.now() + 15_000; performance.now() < until && !clients.every((c) => c.pacing().sharedTimeline);) await sleep(TICK_MS);
    const from = performance.now();
    await sleep(2 * BURST_WINDOW_MS);
    const to = performance.now();
    const onTimeline = clients.map((c) => c.pacing().sharedTimeline);
    sending = false;
    await Promise.all(lanes);
    await patient.close();
    const { count, most } = arrivals(from, to);
    const perSecond = count / ((to - from) / 1000);
    expect(onTimeline).toEqual([true, true, true]);
    // The token's 50 requests a second, less the room left for arrival jitter (the spacing is (2 s + 50 ms) / 99).
    expect(perSecond).toBeGreaterThan(42);
    expect(most).toBeLessThanOrEqual(100);
    for (const c of clients) expect(c.usage().byStatus[429] ?? 0).toBe(0);
  });
});
