import { type PipedriveClient, type RequestEvent } from '../../../src/pipedrive/client';
import { clientFor, ok, startScriptedServer, type ScriptedServer } from './support/scripted-server';

describe('token accounting', () => {
  let server: ScriptedServer;
  let client: PipedriveClient;
  let events: RequestEvent[];

  beforeEach(async () => {
    server = await startScriptedServer();
    events = [];
    client = clientFor(server, { onRequest: (e) => events.push(e) });
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('charges each attempt its spec cost, reports it through onRequest, and sums it in usage()', async () => {
    server.script = (req, i) => {
      if (i === 0) return { status: 429, headers: { 'retry-after': '0.05' } };
      if (req.path === '/api/v2/persons' && req.method === 'GET') {
        return ok([{ id: 1 }], { next_cursor: req.query.get('cursor') ? null : 'c2' });
      }
      if (req.path === '/api/v2/persons/9' && req.method === 'GET') return { status: 404, json: { success: false, error: 'not found' } };
      return {
        ...ok({ id: 3 }, undefined, req.method === 'POST' ? 201 : 200),
        headers: { 'x-daily-ratelimit-token-remaining': '29000', 'x-daily-ratelimit-token-limit': '30000' },
      };
    };

    await client.create('persons', { name: 'x' }); // 429 (0), then 201 (5)
    await client.listAll('persons'); // two pages (10 + 10)
    await client.get('persons', 9); // 404 (1): counted, Pipedrive may charge failed requests
    await client.search('persons', { term: 'P-1', exactMatch: true }); // 20
    await client.remove('persons', 3); // 3
    await client.createNote({ content: 'x', person_id: 3 }); // v1: 10

    expect(events.map((e) => [e.endpoint, e.status, e.tokens, e.attempt])).toEqual([
      ['POST /api/v2/persons', 429, 0, 1],
      ['POST /api/v2/persons', 201, 5, 2],
      ['GET /api/v2/persons', 200, 10, 1],
      ['GET /api/v2/persons', 200, 10, 1],
      ['GET /api/v2/persons/{id}', 404, 1, 1],
      ['GET /api/v2/persons/search', 200, 20, 1],
      ['DELETE /api/v2/persons/{id}', 200, 3, 1],
      ['POST /api/v1/notes', 201, 10, 1],
    ]);
    expect(events.every((e) => e.durationMs >= 0)).toBe(true);
    expect(events.map((e) => e.version)).toEqual(['v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v1']);

    const usage = client.usage();
    expect(usage).toMatchObject({
      requests: 8,
      tokens: 5 + 10 + 10 + 1 + 20 + 3 + 10,
      byStatus: { '429': 1, '201': 2, '200': 4, '404': 1 },
      rateLimited: 1,
      internalRetries: 1,
    });
    expect(usage.dailyBudget).toMatchObject({ remaining: 29000, limit: 30000 });
  });

  it('a throwing hook does not change the outcome of the request', async () => {
    client.close();
    client = clientFor(server, {
      onRequest: () => {
        throw new Error('audit sink down');
      },
    });
    server.script = () => ok({ id: 11 });
    await expect(client.create('deals', { title: 'x' })).resolves.toEqual({ id: 11 });
    expect(client.usage().hookErrors).toBe(1);
  });

  it('usage() is a snapshot, not a live view', async () => {
    server.script = () => ok({ id: 1 });
    const before = client.usage();
    await client.get('deals', 1);
    expect(before.requests).toBe(0);
    expect(client.usage().requests).toBe(1);
  });
});
