import { type PipedriveClient } from '../../../src/pipedrive/client';
import { clientFor, ok, startScriptedServer, type RecordedRequest, type ScriptedServer } from './support/scripted-server';

/** The most requests the server saw inside any window of `windowMs` (a rolling window, as Pipedrive counts). */
function maxInAnyWindow(requests: RecordedRequest[], windowMs: number): number {
  const times = requests.map((r) => r.arrivedAt).sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; j < times.length; j += 1) {
    while (times[j]! - times[i]! >= windowMs) i += 1;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

describe('pacing', () => {
  let server: ScriptedServer;
  let client: PipedriveClient;
  /** Requests the server saw within the last `windowMs`, the one being answered included. */
  const inWindow = (windowMs: number) => server.requests.filter((r) => r.arrivedAt > performance.now() - windowMs).length;

  beforeEach(async () => {
    server = await startScriptedServer();
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('concurrent callers never exceed the burst limit in any rolling window, as the server measures it', async () => {
    client = clientFor(server, { burstLimit: 4, burstWindowMs: 250 });
    // Uneven latencies, so responses come back out of order.
    server.script = (_req, i) => ({ ...ok({ id: i }), delayMs: (i * 7) % 30 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 16 }, (_, i) => client.get('persons', i + 1)));
    const elapsed = performance.now() - started;

    expect(server.requests).toHaveLength(16);
    expect(maxInAnyWindow(server.requests, 250)).toBeLessThanOrEqual(4);
    // …and it does use the limit: 16 requests at 4 per window need 3 more windows, not 15.
    expect(maxInAnyWindow(server.requests, 250)).toBe(4);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 250);
    // At half the limit the 16 requests would need 7 more windows (1,750 ms): below that it paced at the full limit,
    // with a second of slack for a loaded machine (CI once took 1,604 ms against a 1,500-ms bound).
    expect(elapsed).toBeLessThan(7 * 250);
  });

  it('search has its own, lower limit, shared with other traffic', async () => {
    client = clientFor(server, { burstLimit: 20, searchBurstLimit: 3, burstWindowMs: 200 });
    server.script = (req) => (req.path.endsWith('/search') ? ok({ items: [] }) : ok({ id: 1 }));
    await Promise.all([
      ...Array.from({ length: 9 }, () => client.search('persons', { term: 'P-1001', exactMatch: true })),
      ...Array.from({ length: 6 }, (_, i) => client.get('deals', i + 1)),
    ]);
    const searches = server.requests.filter((r) => r.path.endsWith('/search'));
    expect(searches).toHaveLength(9);
    expect(maxInAnyWindow(searches, 200)).toBeLessThanOrEqual(3);
    // Plain requests are not held up behind the searches: behind them they would arrive after the last search, two
    // search windows (400 ms) in; a loaded machine once took 153 ms to send them all, so the bound is well below 400.
    const firstDeals = server.requests.filter((r) => r.path.startsWith('/api/v2/deals/'));
    expect(Math.max(...firstDeals.map((r) => r.arrivedAt)) - server.requests[0]!.arrivedAt).toBeLessThan(300);
    expect(Math.max(...firstDeals.map((r) => r.arrivedAt))).toBeLessThan(Math.max(...searches.map((r) => r.arrivedAt)));
  });

  it('x-ratelimit-remaining: 0 (another process shares the token) holds the next request until the reset', async () => {
    client = clientFor(server, { burstLimit: 50 });
    server.script = (_req, i) =>
      i === 0 ? { ...ok({ id: 1 }), headers: { 'x-ratelimit-limit': '40', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.3' } } : ok({ id: 2 });
    await client.get('persons', 1);
    await client.get('persons', 2);
    const [a, b] = server.requests;
    expect(b!.arrivedAt - a!.arrivedAt).toBeGreaterThanOrEqual(300);
  });

  it('a search response whose headers describe the search window holds back searches only', async () => {
    client = clientFor(server, { searchBurstLimit: 10 });
    server.script = (req, i) =>
      i === 0
        ? { ...ok({ items: [] }), headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.3' } }
        : req.path.endsWith('/search')
          ? ok({ items: [] })
          : ok({ id: 1 });
    await client.search('persons', { term: 'P-1', exactMatch: true });
    await client.get('persons', 1);
    await client.search('persons', { term: 'P-2', exactMatch: true });
    const [search1, get, search2] = server.requests;
    expect(get!.arrivedAt - search1!.arrivedAt).toBeLessThan(150);
    expect(search2!.arrivedAt - search1!.arrivedAt).toBeGreaterThanOrEqual(300);
  });

  it("the room x-ratelimit-remaining confirms is used, never beyond the server's window, whatever the latency", async () => {
    client = clientFor(server, { burstLimit: 4, burstWindowMs: 250 });
    server.script = (_req, i) => ({
      ...ok({ id: i }),
      delayMs: 20 + ((i * 13) % 40),
      headers: { 'x-ratelimit-limit': '4', 'x-ratelimit-remaining': String(Math.max(0, 4 - inWindow(250))) },
    });
    await Promise.all(Array.from({ length: 24 }, (_, i) => client.get('persons', i + 1)));
    expect(server.requests).toHaveLength(24);
    expect(maxInAnyWindow(server.requests, 250)).toBeLessThanOrEqual(4);
  });

  it('x-ratelimit-limit lowers the pace to what the server allows', async () => {
    client = clientFor(server, { burstLimit: 10, burstWindowMs: 200 });
    // The server's window is 2: what is left of it, as a server counts it (the requests that arrived within 200 ms).
    server.script = () => ({ ...ok({ id: 1 }), headers: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': String(Math.max(0, 2 - inWindow(200))) } });
    await client.get('persons', 1);
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.get('persons', i + 2)));
    expect(maxInAnyWindow(server.requests.slice(1), 200)).toBeLessThanOrEqual(2);
  });
});
