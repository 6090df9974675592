import { type PipedriveClient, type RequestEvent } from '../../../src/pipedrive/client';
import { PipedriveError } from '../../../src/pipedrive/errors';
import { type DealProductInput } from '../../../src/pipedrive/types';
import { clientFor, jsonBody, ok, startScriptedServer, type ScriptedServer } from './support/scripted-server';

const FIELD_CODE = 'dcf558aac1ae4e8c4f849ba5e668430d8df9be12';

describe('endpoints', () => {
  let server: ScriptedServer;
  let client: PipedriveClient;
  let events: RequestEvent[];

  beforeEach(async () => {
    server = await startScriptedServer();
    events = [];
    client = clientFor(server, { onRequest: (e) => events.push(e) });
  });
  afterEach(async () => {
    // Every endpoint the client used has a cost in the specs' table (a 0 would mean an unknown operation).
    expect(events.filter((e) => e.status !== null && e.status < 300 && e.tokens === 0)).toEqual([]);
    client.close();
    await server.close();
  });

  const calls = () => server.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`);

  it('v2 CRUD returns data and sends JSON', async () => {
    server.script = (req) => (req.method === 'DELETE' ? ok({ id: 5 }) : ok({ id: 5, title: 'Implant' }, undefined, req.method === 'POST' ? 201 : 200));
    await expect(client.create('deals', { title: 'Implant', custom_fields: { [FIELD_CODE]: 'P-1' } })).resolves.toEqual({ id: 5, title: 'Implant' });
    await expect(client.get('deals', 5, { include_option_labels: true })).resolves.toEqual({ id: 5, title: 'Implant' });
    await client.update('deals', 5, { status: 'won' });
    await expect(client.remove('deals', 5)).resolves.toBe('deleted');
    expect(calls()).toEqual(['POST /api/v2/deals', 'GET /api/v2/deals/5?include_option_labels=true', 'PATCH /api/v2/deals/5', 'DELETE /api/v2/deals/5']);
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(jsonBody(server.requests[0]!)).toEqual({ title: 'Implant', custom_fields: { [FIELD_CODE]: 'P-1' } });
  });

  it('fields: list (all pages), create, add options, delete', async () => {
    server.script = (req) => {
      if (req.method === 'GET') return ok([{ field_code: 'name', field_name: 'Name', field_type: 'varchar', is_custom_field: false }], { next_cursor: null });
      if (req.path.endsWith('/options')) return ok([{ id: 31, label: 'Gold' }]);
      if (req.method === 'POST') return ok({ field_code: FIELD_CODE, field_name: 'Tier', field_type: 'enum', is_custom_field: true });
      return req.path.includes('gone') ? { status: 404, json: { success: false, error: 'Field not found' } } : ok({ field_code: FIELD_CODE });
    };
    await expect(client.listFields('activity')).resolves.toHaveLength(1);
    await client.createField('person', { field_name: 'Tier', field_type: 'enum', options: [{ label: 'Silver' }] });
    await expect(client.addFieldOptions('person', FIELD_CODE, ['Gold'])).resolves.toEqual([{ id: 31, label: 'Gold' }]);
    await expect(client.addFieldOptions('person', FIELD_CODE, [])).resolves.toEqual([]);
    await expect(client.deleteField('deal', FIELD_CODE)).resolves.toBe('deleted');
    await expect(client.deleteField('deal', 'gone')).resolves.toBe('not_found');
    expect(calls()).toEqual([
      'GET /api/v2/activityFields?limit=500',
      'POST /api/v2/personFields',
      `POST /api/v2/personFields/${FIELD_CODE}/options`,
      `DELETE /api/v2/dealFields/${FIELD_CODE}`,
      'DELETE /api/v2/dealFields/gone',
    ]);
    expect(jsonBody(server.requests[2]!)).toEqual([{ label: 'Gold' }]);
  });

  it('deal products: bulk in chunks of 100, single, list, list for many deals in chunks of 100, delete', async () => {
    server.script = (req) => {
      if (req.path.endsWith('/bulk')) {
        const { data } = jsonBody(req) as { data: DealProductInput[] };
        return ok(
          data.map((d, i) => ({ id: i + 1, deal_id: 9, product_id: d.product_id })),
          undefined,
          201,
        );
      }
      if (req.method === 'POST') return ok({ id: 1, deal_id: 9, product_id: 4 }, undefined, 201);
      if (req.method === 'GET') return ok([{ id: 1 }], { next_cursor: null });
      return ok({ ids: [1] });
    };
    const items = Array.from({ length: 230 }, (_, i) => ({ product_id: i + 1, item_price: 100, quantity: 1 }));
    await expect(client.addDealProducts(9, items)).resolves.toHaveLength(230);
    await client.addDealProduct(9, { product_id: 4, item_price: 120, quantity: 2 });
    await expect(client.listDealProducts(9)).resolves.toEqual([{ id: 1 }]);
    const dealIds = Array.from({ length: 150 }, (_, i) => i + 1);
    await expect(client.listProductsForDeals(dealIds)).resolves.toHaveLength(2);
    await client.deleteDealProducts(9, []);
    await client.deleteDealProducts(9, [11, 12, 11]);
    await client.deleteDealProduct(9, 11);

    const bulk = server.requests.filter((r) => r.path === '/api/v2/deals/9/products/bulk');
    expect(bulk.map((r) => (jsonBody(r) as { data: unknown[] }).data.length)).toEqual([100, 100, 30]);
    const many = server.requests.filter((r) => r.path === '/api/v2/deals/products');
    expect(many.map((r) => r.query.get('deal_ids')!.split(',').length)).toEqual([100, 50]);
    expect(many[1]!.query.get('deal_ids')!.startsWith('101,102')).toBe(true);
    // The empty list sent nothing: Pipedrive reads a missing `ids` as "every product of the deal".
    expect(calls().filter((c) => c.startsWith('DELETE'))).toEqual(['DELETE /api/v2/deals/9/products?ids=11%2C12', 'DELETE /api/v2/deals/9/products/11']);
  });

  it('search: one request with Pipedrive parameter names; itemSearch/field reads both documented shapes', async () => {
    server.script = (req) =>
      req.path === '/api/v2/itemSearch/field'
        ? ok([{ id: 1, name: 'P-1' }, { result_score: 1, item: { id: 2, name: 'P-1' } }, { nothing: true }])
        : ok({ items: [{ result_score: 0.9, item: { id: 3, type: 'person', name: 'x' } }] }, { next_cursor: 'more' });
    const hits = await client.search('persons', { term: 'P-1', fields: 'custom_fields', exactMatch: true, limit: 10 });
    expect(hits.map((h) => h.item.id)).toEqual([3]);
    await expect(client.searchField({ entityType: 'person', field: FIELD_CODE, term: 'P-1' })).resolves.toEqual([
      { id: 1, name: 'P-1' },
      { id: 2, name: 'P-1' },
    ]);
    expect(calls()).toEqual(
      [
        '/api/v2/persons/search?term=P-1&fields=custom_fields&exact_match=true&limit=10',
        `/api/v2/itemSearch/field?entity_type=person&field=${FIELD_CODE}&term=P-1&match=exact&limit=100`,
      ].map((c) => `GET ${c}`),
    );
  });

  it('search: a term too short for Pipedrive is refused before spending 20 tokens', async () => {
    await expect(client.search('persons', { term: 'P' })).rejects.toMatchObject({ reason: 'invalid_input', failureType: 'permanent' });
    expect(server.requests).toHaveLength(0);
  });

  it('users, activity types and organization relationships (v1)', async () => {
    server.script = (req) => {
      if (req.path === '/api/v1/users') return ok([{ id: 1, name: 'Dr A', email: 'a@example.com' }]);
      if (req.path === '/api/v1/users/me') return ok({ id: 1, name: 'Dr A', email: 'a@example.com', company_domain: 'acme' });
      if (req.path === '/api/v1/activityTypes' && req.method === 'GET') return ok(null);
      if (req.path === '/api/v1/organizationRelationships' && req.method === 'GET') return ok(null);
      if (req.method === 'DELETE' && req.path.endsWith('/404')) return { status: 410, json: { success: false, error: 'gone' } };
      return ok({ id: 77, key_string: 'recall' });
    };
    await expect(client.listUsers()).resolves.toHaveLength(1);
    await expect(client.me()).resolves.toMatchObject({ company_domain: 'acme' });
    await expect(client.listActivityTypes()).resolves.toEqual([]);
    await client.createActivityType({ name: 'Recall', icon_key: 'bell', color: 'FFAA00' });
    await expect(client.deleteActivityType(77)).resolves.toBe('deleted');
    await expect(client.deleteActivityType(404)).resolves.toBe('not_found');
    await client.createOrgRelationship({ type: 'parent', rel_owner_org_id: 1, rel_linked_org_id: 2 });
    await expect(client.listOrgRelationships(1)).resolves.toEqual([]);
    await client.deleteOrgRelationship(77);
    expect(calls()).toEqual([
      'GET /api/v1/users',
      'GET /api/v1/users/me',
      'GET /api/v1/activityTypes',
      'POST /api/v1/activityTypes',
      'DELETE /api/v1/activityTypes/77',
      'DELETE /api/v1/activityTypes/404',
      'POST /api/v1/organizationRelationships',
      'GET /api/v1/organizationRelationships?org_id=1',
      'DELETE /api/v1/organizationRelationships/77',
    ]);
    expect(jsonBody(server.requests[3]!)).toEqual({ name: 'Recall', icon_key: 'bell', color: 'FFAA00' });
  });

  it('notes (v1): create with a backdated add_time, get (undefined when gone), update, delete', async () => {
    server.script = (req) => (req.path.endsWith('/404') ? { status: 404, json: { success: false, error: 'Note not found' } } : ok({ id: 8, content: 'x' }));
    await client.createNote({ content: '<p>x</p>', person_id: 3, add_time: '2019-05-01 14:00:00' });
    await expect(client.getNote(8)).resolves.toEqual({ id: 8, content: 'x' });
    await expect(client.getNote(404)).resolves.toBeUndefined();
    await client.updateNote(8, { content: '<p>y</p>' });
    await expect(client.deleteNote(8)).resolves.toBe('deleted');
    expect(calls()).toEqual(['POST /api/v1/notes', 'GET /api/v1/notes/8', 'GET /api/v1/notes/404', 'PUT /api/v1/notes/8', 'DELETE /api/v1/notes/8']);
    expect(jsonBody(server.requests[0]!)).toEqual({ content: '<p>x</p>', person_id: 3, add_time: '2019-05-01 14:00:00' });
  });

  it('files (v1): multipart upload attached to a person, get, delete', async () => {
    server.script = (req) => (req.method === 'POST' ? ok({ id: 12, person_id: 3, file_name: 'xray.png' }) : ok({ id: 12 }));
    const content = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    await expect(client.uploadFile({ content, filename: 'xray.png', contentType: 'image/png', person_id: 3 })).resolves.toMatchObject({ id: 12 });
    await client.getFile(12);
    await expect(client.deleteFile(12)).resolves.toBe('deleted');

    const upload = server.requests[0]!;
    expect(upload.path).toBe('/api/v1/files');
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(Number(upload.headers['content-length'])).toBe(upload.body.length);
    const text = upload.body.toString('latin1');
    expect(text).toContain('name="file"; filename="xray.png"');
    expect(text).toContain('Content-Type: image/png');
    expect(text).toMatch(/name="person_id"\r\n\r\n3\r\n/);
    expect(upload.body.includes(content)).toBe(true);
    expect(calls().slice(1)).toEqual(['GET /api/v1/files/12', 'DELETE /api/v1/files/12']);
  });

  it('files: an upload attached to nothing is refused before sending', async () => {
    await expect(client.uploadFile({ content: Buffer.from('x'), filename: 'a.txt' })).rejects.toBeInstanceOf(PipedriveError);
    expect(server.requests).toHaveLength(0);
  });
});
