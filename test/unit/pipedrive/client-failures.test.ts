import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import util from 'node:util';
import { type PipedriveClient } from '../../../src/pipedrive/client';
import { PipedriveError } from '../../../src/pipedrive/errors';
import { clientFor, ok, startScriptedServer, TEST_TOKEN, type ScriptedServer } from './support/scripted-server';

/** The error a call failed with (fails the test if it succeeded or threw something else). */
async function failureOf(call: Promise<unknown>): Promise<PipedriveError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PipedriveError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const PATIENT = { name: 'Jane Doe', emails: [{ value: 'jane.doe@example.com' }] };

describe('PipedriveClient failures and retries', () => {
  let server: ScriptedServer;
  let client: PipedriveClient;

  beforeEach(async () => {
    server = await startScriptedServer();
    client = clientFor(server);
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('authenticates with the x-api-token header, never the query', async () => {
    server.script = () => ok({ id: 1, name: 'x' });
    await client.get('persons', 1);
    const [req] = server.requests;
    expect(req!.headers['x-api-token']).toBe(TEST_TOKEN);
    expect(req!.query.has('api_token')).toBe(false);
    expect(req!.path).toBe('/api/v2/persons/1');
  });

  it('does not show the token when the client object is logged', () => {
    expect(util.inspect(client, { depth: 10, showHidden: true })).not.toContain(TEST_TOKEN);
    expect(JSON.stringify(client)).not.toContain(TEST_TOKEN);
  });

  it('400 ERR_SCHEMA_VALIDATION_FAILED: permanent, not retried, no patient data or token in the error', async () => {
    server.script = () => ({
      status: 400,
      json: {
        success: false,
        error: "Validation failed: emails: 'jane.doe@example.com' rejected for 'Jane Doe'",
        code: 'ERR_SCHEMA_VALIDATION_FAILED',
      },
    });
    const err = await failureOf(client.create('persons', PATIENT));
    expect(err).toMatchObject({
      failureType: 'permanent',
      reason: 'validation',
      status: 400,
      code: 'ERR_SCHEMA_VALIDATION_FAILED',
      endpoint: 'POST /api/v2/persons',
      outcomeUnknown: false,
    });
    expect(server.requests).toHaveLength(1);
    const everything = `${err.message} ${err.stack ?? ''} ${JSON.stringify(err)}`;
    for (const secret of ['Jane', 'jane.doe', TEST_TOKEN]) expect(everything).not.toContain(secret);
  });

  it('404: get gives undefined, remove gives not_found, update throws with a templated endpoint', async () => {
    server.script = () => ({ status: 404, json: { success: false, error: 'Person not found' } });
    await expect(client.get('persons', 41)).resolves.toBeUndefined();
    await expect(client.remove('persons', 42)).resolves.toBe('not_found');
    const err = await failureOf(client.update('persons', 43, { name: 'x' }));
    expect(err).toMatchObject({ failureType: 'permanent', reason: 'not_found', endpoint: 'PATCH /api/v2/persons/{id}' });
    expect(err.message).not.toContain('43');
    expect(server.requests).toHaveLength(3);
  });

  it('Cloudflare 403 HTML: permanent with an ops message, and the client stops sending', async () => {
    server.script = () => ({ status: 403, text: '<!DOCTYPE html><html><body>Sorry, you have been blocked</body></html>' });
    const err = await failureOf(client.listAll('persons'));
    expect(err).toMatchObject({ failureType: 'permanent', reason: 'abuse_block', status: 403 });
    expect(err.message).toMatch(/Stop every worker/);
    const again = await failureOf(client.get('deals', 1));
    expect(again).toMatchObject({ reason: 'abuse_block', endpoint: 'GET /api/v2/deals/{id}' });
    expect(again.message).toMatch(/^Not sent/);
    expect(server.requests).toHaveLength(1);
    expect(client.usage().refusedLocally).toBe(1);
  });

  it('burst 429: waits as the headers say, retries, succeeds — and holds back concurrent callers meanwhile', async () => {
    server.script = (_req, i) =>
      i === 0
        ? { status: 429, json: { success: false, error: 'Too many requests' }, headers: { 'retry-after': '0.3', 'x-ratelimit-remaining': '0' } }
        : ok({ id: i });
    const first = client.get('persons', 1);
    await new Promise((r) => setTimeout(r, 50));
    const second = client.get('persons', 2);
    await expect(first).resolves.toEqual({ id: expect.any(Number) });
    await expect(second).resolves.toEqual({ id: expect.any(Number) });
    const [refused, ...rest] = server.requests;
    expect(rest).toHaveLength(2);
    for (const r of rest) expect(r.arrivedAt - refused!.arrivedAt).toBeGreaterThanOrEqual(300);
    expect(client.usage()).toMatchObject({ rateLimited: 1, internalRetries: 1 });
  });

  it('burst 429 on a POST is retried too: the request was refused before it ran', async () => {
    server.script = (_req, i) => (i === 0 ? { status: 429, headers: { 'x-ratelimit-reset': '0.1' } } : ok({ id: 7 }));
    await expect(client.create('persons', PATIENT)).resolves.toEqual({ id: 7 });
    expect(server.requests).toHaveLength(2);
  });

  it('a burst 429 asking for a longer wait than the client may do goes back to the caller', async () => {
    server.script = () => ({ status: 429, headers: { 'retry-after': '60' } });
    const err = await failureOf(client.get('persons', 1));
    expect(err).toMatchObject({ failureType: 'rate_limited', reason: 'burst_limit', retryAfterMs: 60_000, dailyBudgetExhausted: false });
    expect(server.requests).toHaveLength(1);
  });

  it('persistent burst 429s are retried maxInternalRetries times, then surfaced', async () => {
    client = clientFor(server, { maxInternalRetries: 2 });
    server.script = () => ({ status: 429, headers: { 'retry-after': '0.05' } });
    const err = await failureOf(client.get('persons', 1));
    expect(err.reason).toBe('burst_limit');
    expect(server.requests).toHaveLength(3);
  });

  it('daily 429: surfaced at once with the delay to midnight, and nothing more is sent until then', async () => {
    client = clientFor(server, { now: () => new Date('2025-03-10T22:30:00Z') });
    server.script = () => ({
      status: 429,
      json: { success: false, error: 'Daily limit reached' },
      headers: { 'x-daily-ratelimit-token-remaining': '0', 'x-daily-ratelimit-token-limit': '30000' },
    });
    const err = await failureOf(client.get('persons', 1));
    expect(err).toMatchObject({ failureType: 'rate_limited', reason: 'daily_budget', dailyBudgetExhausted: true, retryAfterMs: 90 * 60_000 });
    expect(err.retryAt?.toISOString()).toBe('2025-03-11T00:00:00.000Z');
    const again = await failureOf(client.create('persons', PATIENT));
    expect(again).toMatchObject({ dailyBudgetExhausted: true, endpoint: 'POST /api/v2/persons' });
    expect(server.requests).toHaveLength(1);
    expect(client.usage().dailyBudget).toEqual({ remaining: 0, limit: 30000, observedAt: '2025-03-10T22:30:00.000Z' });
  });

  it('daily 429 with retry-after uses it', async () => {
    client = clientFor(server, { now: () => new Date('2025-03-10T22:30:00Z') });
    server.script = () => ({ status: 429, headers: { 'x-daily-ratelimit-token-remaining': '0', 'retry-after': '7200' } });
    const err = await failureOf(client.get('persons', 1));
    expect(err.retryAfterMs).toBe(7_200_000);
  });

  it('5xx on GET is retried', async () => {
    server.script = (_req, i) => (i < 2 ? { status: 503, json: { success: false, error: 'Service Unavailable' } } : ok([{ id: 1 }]));
    await expect(client.listAll('persons')).resolves.toEqual([{ id: 1 }]);
    expect(server.requests).toHaveLength(3);
  });

  it('5xx on GET, every time: surfaced as transient after the retries, outcome known', async () => {
    client = clientFor(server, { maxInternalRetries: 1 });
    server.script = () => ({ status: 500, json: { success: false, error: 'Internal Server Error', code: 'ERR_UNKNOWN' } });
    const err = await failureOf(client.get('persons', 1));
    expect(err).toMatchObject({ failureType: 'transient', reason: 'server_error', outcomeUnknown: false, code: 'ERR_UNKNOWN' });
    expect(server.requests).toHaveLength(2);
  });

  it('5xx on POST is not retried and the outcome is unknown', async () => {
    server.script = () => ({ status: 500, json: { success: false, error: 'Internal Server Error', code: 'ERR_UNKNOWN' } });
    const err = await failureOf(client.create('persons', PATIENT));
    expect(err).toMatchObject({ failureType: 'transient', reason: 'server_error', outcomeUnknown: true });
    expect(server.requests).toHaveLength(1);
  });

  it('connection dropped after a POST was sent: transient, outcome unknown, not retried', async () => {
    server.script = () => ({ destroy: true });
    const err = await failureOf(client.create('persons', PATIENT));
    expect(err).toMatchObject({ failureType: 'transient', reason: 'network', outcomeUnknown: true, status: undefined });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.length).toBeGreaterThan(0);
    expect(client.usage().byStatus).toEqual({ no_response: 1 });
  });

  it('connection dropped on a GET: retried', async () => {
    server.script = (_req, i) => (i === 0 ? { destroy: true } : ok({ id: 5 }));
    await expect(client.get('persons', 5)).resolves.toEqual({ id: 5 });
    expect(server.requests).toHaveLength(2);
  });

  it('a POST after a pause is not sent on a kept-alive socket the server is closing (ECONNRESET: an unknown outcome)', async () => {
    client.close();
    await server.close();
    // This server closes connections idle for 2 s, and says so (Keep-Alive: timeout=2).
    server = await startScriptedServer(() => ok({ id: 1 }), { keepAliveTimeoutMs: 2_000 });
    client = clientFor(server);
    await Promise.all(Array.from({ length: 10 }, () => client.create('persons', PATIENT)));
    // The event loop blocked across the server's idle deadline, as a loaded worker's is: when it runs again, the next
    // creates are due before the server's idle timers, so without an idle timeout of its own the client sends them on
    // the sockets the server closes next.
    setTimeout(() => {
      const until = Date.now() + 2_500;
      while (Date.now() < until);
    }, 1_500);
    await new Promise((r) => setTimeout(r, 1_600));
    const again = await Promise.allSettled(Array.from({ length: 10 }, () => client.create('persons', PATIENT)));
    expect(again.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(server.requests).toHaveLength(20);
    expect(client.usage().byStatus).toEqual({ 200: 20 });
  });

  it('a kept-alive socket turns TCP keep-alive on once, not twice per request (system calls a worker paid per record)', async () => {
    const setKeepAlive = jest.spyOn(net.Socket.prototype, 'setKeepAlive');
    try {
      for (let i = 0; i < 10; i += 1) await client.create('persons', PATIENT);
      expect(server.requests).toHaveLength(10);
      // The pool may open a second socket while the first finishes its response; each is kept alive and set once.
      expect(server.connections).toBeLessThanOrEqual(2);
      expect(setKeepAlive.mock.calls).toEqual(Array.from({ length: server.connections }, () => [true, 60_000]));
    } finally {
      setKeepAlive.mockRestore();
    }
  });

  it('reaches Pipedrive through the proxy HTTP(S)_PROXY names, unless NO_PROXY exempts its host (as with axios)', async () => {
    const tunnels: string[] = [];
    const sockets = new Set<net.Socket>();
    const proxy = http.createServer();
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => (socket.destroy(), upstream.destroy()));
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    try {
      for (const name of names) delete process.env[name];
      process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const proxied = clientFor(server);
      await proxied.create('persons', PATIENT);
      proxied.close();
      expect(tunnels).toEqual([new URL(server.baseUrl).host]);

      process.env.NO_PROXY = '127.0.0.1';
      const direct = clientFor(server);
      await direct.create('persons', PATIENT);
      direct.close();
      expect(tunnels).toHaveLength(1);
      expect(server.requests).toHaveLength(2);
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('timeout on POST: transient, outcome unknown, not retried', async () => {
    client = clientFor(server, { timeoutMs: 150 });
    server.script = () => ({ hang: true });
    const started = Date.now();
    const err = await failureOf(client.create('deals', { title: 'Crown' }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toMatchObject({ failureType: 'transient', reason: 'timeout', outcomeUnknown: true });
    expect(server.requests).toHaveLength(1);
  });

  it('timeout on GET: retried, then surfaced with a known outcome', async () => {
    client = clientFor(server, { timeoutMs: 100, maxInternalRetries: 1 });
    server.script = () => ({ hang: true });
    const err = await failureOf(client.get('deals', 1));
    expect(err).toMatchObject({ failureType: 'transient', reason: 'timeout', outcomeUnknown: false });
    expect(server.requests).toHaveLength(2);
  });

  it('a refused connection on POST never reached Pipedrive: the outcome is known', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const offline = clientFor({ ...server, baseUrl: `http://127.0.0.1:${port}` });
    const err = await failureOf(offline.create('persons', PATIENT));
    offline.close();
    expect(err).toMatchObject({ failureType: 'transient', reason: 'network', networkCode: 'ECONNREFUSED', outcomeUnknown: false });
  });

  it('a 2xx that is not a Pipedrive envelope (wrong base URL) fails clearly', async () => {
    server.script = () => ({ status: 200, text: '<html>Welcome to nginx</html>' });
    const err = await failureOf(client.create('persons', PATIENT));
    expect(err).toMatchObject({ failureType: 'permanent', reason: 'bad_response', outcomeUnknown: true });
    expect(err.message).toMatch(/base URL/);
  });

  it('refuses an obviously wrong base URL or time zone at construction, naming the setting', () => {
    expect(() => clientFor(server, { baseUrl: 'https://acme.pipedrive.com/api/v2' })).toThrow(/baseUrl must be the account root/);
    expect(() => clientFor(server, { budgetResetTimeZone: 'Mars/Olympus' })).toThrow(/budgetResetTimeZone/);
  });
});
