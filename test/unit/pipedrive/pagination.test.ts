import { type PipedriveClient } from '../../../src/pipedrive/client';
import { cursorPages, offsetPages } from '../../../src/pipedrive/pagination';
import { clientFor, ok, startScriptedServer, type ScriptedServer } from './support/scripted-server';

describe('pagination', () => {
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

  it('v2: follows next_cursor page by page, asking for 500 at a time, keeping the filters', async () => {
    const pages: Record<string, { items: number[]; next: string | null }> = {
      '': { items: [1, 2], next: 'c1' },
      c1: { items: [3, 4], next: 'c2' },
      c2: { items: [5], next: null },
    };
    server.script = (req) => {
      const page = pages[req.query.get('cursor') ?? '']!;
      return ok(
        page.items.map((id) => ({ id })),
        { next_cursor: page.next },
      );
    };
    const seen: number[][] = [];
    for await (const page of client.listPages<{ id: number }>('persons', { updated_since: '2025-01-01T00:00:00Z', owner_id: 7 })) {
      seen.push(page.map((p) => p.id));
    }
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
    expect(server.requests.map((r) => r.query.get('cursor'))).toEqual([null, 'c1', 'c2']);
    for (const r of server.requests) {
      expect(r.query.get('limit')).toBe('500');
      expect(r.query.get('owner_id')).toBe('7');
      expect(r.query.get('updated_since')).toBe('2025-01-01T00:00:00Z');
    }
  });

  it('v2: a caller-given limit is kept, and capped at 500', async () => {
    server.script = () => ok([], { next_cursor: null });
    await client.listAll('deals', { limit: 50 });
    await client.listAll('deals', { limit: 5000 });
    expect(server.requests.map((r) => r.query.get('limit'))).toEqual(['50', '500']);
  });

  it('v2: stops with an error when the server repeats a cursor', async () => {
    server.script = () => ok([{ id: 1 }], { next_cursor: 'same' });
    await expect(client.listAll('persons')).rejects.toThrow(/same next_cursor twice/);
    expect(server.requests).toHaveLength(2);
  });

  it('v1: follows start/limit until more_items_in_collection is false', async () => {
    server.script = (req) => {
      const start = Number(req.query.get('start'));
      return ok(start === 0 ? [{ id: 1 }, { id: 2 }] : [{ id: 3 }], {
        pagination: { start, limit: 2, more_items_in_collection: start === 0, ...(start === 0 && { next_start: 2 }) },
      });
    };
    const seen: number[][] = [];
    for await (const page of client.listNotes({ person_id: 12 })) seen.push(page.map((n) => n.id));
    expect(seen).toEqual([[1, 2], [3]]);
    expect(server.requests.map((r) => [r.path, r.query.get('start'), r.query.get('limit'), r.query.get('person_id')])).toEqual([
      ['/api/v1/notes', '0', '500', '12'],
      ['/api/v1/notes', '2', '500', '12'],
    ]);
  });

  it('v1: an empty list comes back as data: null', async () => {
    server.script = () => ok(null, { pagination: { start: 0, limit: 100, more_items_in_collection: false } });
    const pages: unknown[][] = [];
    for await (const page of client.listFiles()) pages.push(page);
    expect(pages).toEqual([[]]);
    expect(server.requests[0]!.query.get('limit')).toBe('100');
  });

  it("v1: one person's files, whose pagination keys sit at the top of additional_data", async () => {
    server.script = (req) => {
      const start = Number(req.query.get('start'));
      return ok([{ id: 100 + start }], { start, limit: 1, more_items_in_collection: start === 0 });
    };
    const ids: number[] = [];
    for await (const page of client.listFiles({ person_id: 7 })) ids.push(...page.map((f) => f.id));
    expect(ids).toEqual([100, 101]);
    expect(server.requests.map((r) => r.path)).toEqual(['/api/v1/persons/7/files', '/api/v1/persons/7/files']);
  });

  it('the page walkers stop on a server that does not advance', async () => {
    const stuck = offsetPages(async () => ({ items: [1], pagination: { start: 0, limit: 1, more_items_in_collection: true, next_start: 0 } }));
    await expect(
      (async () => {
        for await (const _ of stuck);
      })(),
    ).rejects.toThrow(/does not advance/);
    const fine = cursorPages(async (cursor) => ({ items: [cursor ?? 'first'], nextCursor: cursor ? null : 'next' }));
    const got: string[][] = [];
    for await (const page of fine) got.push(page);
    expect(got).toEqual([['first'], ['next']]);
  });
});
