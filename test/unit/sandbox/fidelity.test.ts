/** v2 strictness, pagination, soft delete, search and auth: the sandbox behaves as Pipedrive documents. */
import type { RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { call, created, createField, start, v1, v2, type Json } from './helpers';

describe('sandbox fidelity', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await start();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  describe('auth', () => {
    it.each([
      ['no token', null],
      ['a bad token', 'not-a-token'],
    ])('answers 401 with %s', async (_label, token) => {
      const res = await v2(sandbox, 'GET', '/persons', { token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, error: 'unauthorized access' });
      expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
    });

    it('accepts the token as x-api-token, Bearer, or api_token query, and v1 under /v1 too', async () => {
      expect((await call(sandbox, 'GET', '/api/v2/persons', { token: null, headers: { authorization: 'Bearer sandbox-token' } })).status).toBe(200);
      expect((await call(sandbox, 'GET', '/api/v2/persons', { token: null, query: { api_token: 'sandbox-token' } })).status).toBe(200);
      expect((await call(sandbox, 'GET', '/v1/users/me')).body.data).toMatchObject({ id: 1, is_you: true });
    });
  });

  describe('v2 strictness', () => {
    let dentrixId: string;
    let status: { field_code: string; options: { id: number }[] | null };
    let tags: { field_code: string; options: { id: number }[] | null };
    let balance: string;
    beforeEach(async () => {
      dentrixId = (await createField(sandbox, 'person', { field_name: 'Dentrix ID', field_type: 'varchar' })).field_code;
      status = await createField(sandbox, 'person', { field_name: 'Status', field_type: 'enum', options: [{ label: 'Active' }, { label: 'Inactive' }] });
      tags = await createField(sandbox, 'person', { field_name: 'Flags', field_type: 'set', options: [{ label: 'Anxious' }, { label: 'Premed' }] });
      balance = (await createField(sandbox, 'person', { field_name: 'Balance', field_type: 'monetary' })).field_code;
    });

    const rejects = async (body: Json, message: RegExp): Promise<void> => {
      const res = await v2(sandbox, 'POST', '/persons', { body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(message), code: 'ERR_SCHEMA_VALIDATION_FAILED' });
    };

    it('rejects unknown top-level keys and custom-field hashes outside custom_fields', async () => {
      await rejects({ name: 'A', favourite_colour: 'blue' }, /^Parameter 'favourite_colour' is not allowed for this request$/);
      await rejects({ name: 'A', [dentrixId]: 'P-1' }, new RegExp(`^Parameter '${dentrixId}' is not allowed for this request$`));
    });

    it('rejects unknown keys inside custom_fields', async () => {
      await rejects({ name: 'A', custom_fields: { ['f'.repeat(40)]: 'x' } }, /Unknown custom field key/);
    });

    it('does not coerce types: booleans are booleans, numbers are numbers', async () => {
      const activity = await v2(sandbox, 'POST', '/activities', { body: { subject: 'x', done: 1 } });
      expect(activity.status).toBe(400);
      expect(activity.body.code).toBe('ERR_SCHEMA_VALIDATION_FAILED');
      await rejects({ name: 'A', owner_id: '1' }, /owner_id: Expected 'integer'/);
      await rejects({ name: 'A', custom_fields: { [balance]: { value: '12.50', currency: 'USD' } } }, /monetary/);
    });

    it('takes enum values as existing option ids, sets as non-empty number arrays, and null clears', async () => {
      await rejects({ name: 'A', custom_fields: { [status.field_code]: 'Active' } }, /Expected 'number' as value for single option field/);
      await rejects({ name: 'A', custom_fields: { [status.field_code]: 999_999 } }, /Option with id 999999 does not exist/);
      await rejects({ name: 'A', custom_fields: { [tags.field_code]: [] } }, /send null to clear it/);
      await rejects({ name: 'A', custom_fields: { [tags.field_code]: ['Premed'] } }, /array of numbers/);
      const person = await created(
        v2(sandbox, 'POST', '/persons', {
          body: {
            name: 'A',
            custom_fields: {
              [status.field_code]: status.options![0]!.id,
              [tags.field_code]: [tags.options![1]!.id],
              [balance]: { value: 12.5, currency: 'USD' },
            },
          },
        }),
      );
      expect(person.custom_fields).toMatchObject({
        [status.field_code]: status.options![0]!.id,
        [tags.field_code]: [tags.options![1]!.id],
        [balance]: { value: 12.5, currency: 'USD' },
      });
      const cleared = await created(v2(sandbox, 'PATCH', `/persons/${person.id as number}`, { body: { custom_fields: { [tags.field_code]: null } } }));
      expect(cleared.custom_fields[tags.field_code]).toBeNull();
      const labelled = await created(v2(sandbox, 'GET', `/persons/${person.id as number}`, { query: { include_option_labels: true } }));
      expect(labelled.custom_fields[status.field_code]).toEqual({ id: status.options![0]!.id, label: 'Active' });
    });

    it('caps varchar custom fields at 255 characters', async () => {
      await rejects({ name: 'A', custom_fields: { [dentrixId]: 'x'.repeat(256) } }, /at most 255 characters/);
      expect((await v2(sandbox, 'POST', '/persons', { body: { name: 'A', custom_fields: { [dentrixId]: 'x'.repeat(255) } } })).status).toBe(200);
    });

    it('caps long-text custom fields at 65,535 characters, refusing (never cutting) a longer value', async () => {
      const long = (await createField(sandbox, 'person', { field_name: 'Values Needing Review', field_type: 'text' })).field_code;
      await rejects({ name: 'A', custom_fields: { [long]: 'x'.repeat(65_536) } }, /at most 65535 characters/);
      const person = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'A', custom_fields: { [long]: 'x'.repeat(65_535) } } }));
      expect((person.custom_fields[long] as string).length).toBe(65_535);
      const update = await v2(sandbox, 'PATCH', `/persons/${person.id as number}`, { body: { custom_fields: { [long]: 'y'.repeat(70_000) } } });
      expect(update.status).toBe(400);
      const after = await created(v2(sandbox, 'GET', `/persons/${person.id as number}`));
      expect(after.custom_fields[long]).toBe('x'.repeat(65_535));
    });

    it('caps a note at 100,000 characters and an activity note at 100 KB of UTF-8', async () => {
      const person = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'A' } }));
      const tooLong = await v1(sandbox, 'POST', '/notes', { body: { content: 'x'.repeat(100_001), person_id: person.id } });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error).toMatch(/too long/);
      expect((await v1(sandbox, 'POST', '/notes', { body: { content: 'x'.repeat(100_000), person_id: person.id } })).status).toBe(200);
      // 50,001 characters, 100,002 bytes: the activity note's limit is in bytes.
      const wide = await v2(sandbox, 'POST', '/activities', { body: { subject: 's', person_id: person.id, note: 'é'.repeat(50_001) } });
      expect(wide.status).toBe(400);
      expect(wide.body.error).toMatch(/at most 100000 bytes/);
      expect((await v2(sandbox, 'POST', '/activities', { body: { subject: 's', person_id: person.id, note: 'é'.repeat(50_000) } })).status).toBe(200);
    });

    it('gives every account its own random 40-hex field keys and numeric option ids', async () => {
      const other = await start();
      try {
        const again = await createField(other, 'person', { field_name: 'Dentrix ID', field_type: 'varchar' });
        expect(again.field_code).toMatch(/^[0-9a-f]{40}$/);
        expect(again.field_code).not.toBe(dentrixId);
        expect(status.options!.every((o) => Number.isInteger(o.id))).toBe(true);
      } finally {
        await other.close();
      }
    });

    it('answers 403 for a visible_to value the plan does not have', async () => {
      const lite = await start({ plan: 'lite' });
      try {
        expect((await v2(lite, 'POST', '/persons', { body: { name: 'A', visible_to: 7 } })).status).toBe(403);
        expect((await v2(lite, 'POST', '/persons', { body: { name: 'A', visible_to: 3 } })).status).toBe(200);
      } finally {
        await lite.close();
      }
    });
  });

  it('answers POST with the spec status codes: 200 for persons, 201 for products and deal products', async () => {
    expect((await v2(sandbox, 'POST', '/persons', { body: { name: 'A' } })).status).toBe(200);
    const product = await v2(sandbox, 'POST', '/products', { body: { name: 'D0120 Periodic oral evaluation' } });
    expect(product.status).toBe(201);
    const deal = await created(v2(sandbox, 'POST', '/deals', { body: { title: 'Plan' } }));
    const attached = await v2(sandbox, 'POST', `/deals/${deal.id as number}/products`, {
      body: { product_id: product.body.data.id, item_price: 80, quantity: 2 },
    });
    expect(attached.status).toBe(201);
    expect((await created(v2(sandbox, 'GET', `/deals/${deal.id as number}`))).value).toBe(160);
  });

  describe('pagination', () => {
    it('walks v2 lists with cursors (default 100, max 500, null cursor on the last page)', async () => {
      for (let i = 0; i < 7; i++) await created(v2(sandbox, 'POST', '/organizations', { body: { name: `Org ${i}` } }));
      const seen: number[] = [];
      let cursor: string | null | undefined;
      let pages = 0;
      do {
        const res = await v2(sandbox, 'GET', '/organizations', { query: { limit: 3, ...(cursor ? { cursor } : {}) } });
        seen.push(...res.body.data.map((o: Json) => o.id as number));
        cursor = res.body.additional_data.next_cursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const desc = await v2(sandbox, 'GET', '/organizations', { query: { sort_direction: 'desc', limit: 2 } });
      expect(desc.body.data.map((o: Json) => o.id)).toEqual([7, 6]);
      expect((await v2(sandbox, 'GET', '/organizations', { query: { limit: 501 } })).status).toBe(400);
      expect((await v2(sandbox, 'GET', '/organizations', { query: { ids: '2,5,99' } })).body.data.map((o: Json) => o.id)).toEqual([2, 5]);
    });

    it('pages v1 lists with start/limit and more_items_in_collection', async () => {
      const person = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Noted' } }));
      for (let i = 0; i < 5; i++) await created(v1(sandbox, 'POST', '/notes', { body: { content: `note ${i}`, person_id: person.id } }));
      const first = await v1(sandbox, 'GET', '/notes', { query: { limit: 2 } });
      expect(first.body.additional_data.pagination).toEqual({ start: 0, limit: 2, more_items_in_collection: true, next_start: 2 });
      const last = await v1(sandbox, 'GET', '/notes', { query: { start: 4, limit: 2 } });
      expect(last.body.data.map((n: Json) => n.content)).toEqual(['note 4']);
      expect(last.body.additional_data.pagination).toEqual({ start: 4, limit: 2, more_items_in_collection: false });
    });
  });

  describe('soft delete', () => {
    it('hides deleted records from lists and search, keeps GET one with is_deleted, and lists deals with status=deleted', async () => {
      const person = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Gone Soon' } }));
      const deal = await created(v2(sandbox, 'POST', '/deals', { body: { title: 'Gone deal', person_id: person.id } }));
      expect((await v2(sandbox, 'DELETE', `/persons/${person.id as number}`)).body).toEqual({ success: true, data: { id: person.id } });
      await v2(sandbox, 'DELETE', `/deals/${deal.id as number}`);

      expect((await v2(sandbox, 'GET', '/persons')).body.data).toEqual([]);
      // A list by ids leaves out deleted ones as it does missing ones (the spec: "not included in the response"):
      // what a migration's check that its id map still matches the account relies on.
      expect((await v2(sandbox, 'GET', '/persons', { query: { ids: `${person.id as number},424242` } })).body.data).toEqual([]);
      expect((await v2(sandbox, 'GET', '/persons/search', { query: { term: 'Gone Soon', exact_match: true } })).body.data.items).toEqual([]);
      const one = await v2(sandbox, 'GET', `/persons/${person.id as number}`);
      expect(one.status).toBe(200);
      expect(one.body.data.is_deleted).toBe(true);
      expect((await v2(sandbox, 'PATCH', `/persons/${person.id as number}`, { body: { name: 'x' } })).status).toBe(404);
      expect((await v2(sandbox, 'DELETE', `/persons/${person.id as number}`)).status).toBe(404);
      expect((await v2(sandbox, 'GET', '/deals')).body.data).toEqual([]);
      expect((await v2(sandbox, 'GET', '/deals', { query: { status: 'deleted' } })).body.data.map((d: Json) => d.id)).toEqual([deal.id]);
    });

    it('answers 404 with the entity name for a record that never existed', async () => {
      const res = await v2(sandbox, 'GET', '/persons/424242');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, error: 'Person not found' });
    });
  });

  describe('search', () => {
    it('finds a person by a custom varchar field with exact match, ignoring case, and nothing partial', async () => {
      const key = (await createField(sandbox, 'person', { field_name: 'Dentrix ID', field_type: 'varchar' })).field_code;
      const wanted = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Pat One', custom_fields: { [key]: 'PAT-1001' } } }));
      await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Pat Two', custom_fields: { [key]: 'PAT-10010' } } }));
      const exact = await v2(sandbox, 'GET', '/persons/search', { query: { term: 'pat-1001', fields: 'custom_fields', exact_match: true } });
      expect(exact.body.data.items.map((i: Json) => i.item.id)).toEqual([wanted.id]);
      expect(exact.body.data.items[0].item.custom_fields).toEqual(['PAT-1001']);
      const partial = await v2(sandbox, 'GET', '/persons/search', { query: { term: 'PAT-100', fields: 'custom_fields' } });
      expect(partial.body.data.items).toHaveLength(2);
      // A value changed after the index was built is found by its new value only.
      await v2(sandbox, 'PATCH', `/persons/${wanted.id as number}`, { body: { custom_fields: { [key]: 'PAT-2002' } } });
      const moved = await v2(sandbox, 'GET', '/itemSearch/field', { query: { term: 'PAT-2002', entity_type: 'person', field: key } });
      expect(moved.body.data).toEqual([{ id: wanted.id, name: 'Pat One' }]);
      expect((await v2(sandbox, 'GET', '/itemSearch/field', { query: { term: 'pat-2002', entity_type: 'person', field: key } })).body.data).toEqual([]);
      expect(
        (await v2(sandbox, 'GET', '/persons/search', { query: { term: 'PAT-1001', fields: 'custom_fields', exact_match: true } })).body.data.items,
      ).toEqual([]);
    });

    it('requires at least 2 characters, or 1 with exact_match', async () => {
      expect((await v2(sandbox, 'GET', '/persons/search', { query: { term: 'a' } })).status).toBe(400);
      expect((await v2(sandbox, 'GET', '/persons/search', { query: { term: 'a', exact_match: true } })).status).toBe(200);
    });
  });
});
