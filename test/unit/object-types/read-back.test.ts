/**
 * Reads at the floor (issue 15.1): the registry reads records back with the cheapest reads the specs price for the job,
 * and a rollback deletes deal products without reading them first. A fake client counts the requests by endpoint.
 */
import { cheapestRead, FILE_READS, NOTE_READS, OBJECT_TYPES, v2Reads } from '../../../src/object-types/registry';
import type { ParentDeleteOps } from '../../../src/engine/ports';
import { undoBatch } from '../../../src/engine/rollback';
import type { PipedriveClient } from '../../../src/pipedrive/client';
import { SHARED_LISTING_TTL_MS, sharedListing } from '../../../src/object-types/shared-listing';
import { world } from '../engine/fakes';

type Row = Record<string, unknown> & { id: number };

/** An account of notes, files and persons, answering like the client does, counting each request by endpoint. */
class FakeAccount {
  requests: string[] = [];
  constructor(
    readonly notes: Row[] = [],
    readonly files: Row[] = [],
    readonly persons: Row[] = [],
    readonly dealProducts: (Row & { deal_id: number })[] = [],
  ) {}
  count(label: string): number {
    return this.requests.filter((r) => r === label).length;
  }
  private async *pages(label: string, rows: Row[], size: number): AsyncGenerator<Row[]> {
    for (let i = 0; i === 0 || i < rows.length; i += size) {
      this.requests.push(label);
      await Promise.resolve();
      yield rows.slice(i, i + size);
    }
  }
  client(): PipedriveClient {
    const fake = {
      listNotes: (q: { person_id?: number; limit?: number }) =>
        q.person_id === undefined
          ? this.pages('GET /v1/notes', this.notes, q.limit ?? 100)
          : this.pages(
              'GET /v1/notes?person_id',
              this.notes.filter((n) => n.person_id === q.person_id),
              q.limit ?? 100,
            ),
      getNote: (id: number) => {
        this.requests.push('GET /v1/notes/{id}');
        return Promise.resolve(this.notes.find((n) => n.id === id));
      },
      listFiles: (q: { person_id?: number; limit?: number }) =>
        q.person_id === undefined
          ? this.pages('GET /v1/files', this.files, Math.min(q.limit ?? 100, 100))
          : this.pages(
              'GET /v1/persons/{id}/files',
              this.files.filter((f) => f.person_id === q.person_id),
              100,
            ),
      getFile: (id: number) => {
        this.requests.push('GET /v1/files/{id}');
        return Promise.resolve(this.files.find((f) => f.id === id));
      },
      listPages: (_collection: string, q: { limit?: number }) => this.pages('GET /v2/persons', this.persons, q.limit ?? 100),
      listAll: (_collection: string, q: { ids: string }) => {
        this.requests.push('GET /v2/persons?ids');
        const ids = q.ids.split(',').map(Number);
        if (ids.length > 100) throw new Error('at most 100 ids');
        return Promise.resolve(this.persons.filter((p) => ids.includes(p.id)));
      },
      get: (_collection: string, id: number) => {
        this.requests.push('GET /v2/persons/{id}');
        return Promise.resolve(this.persons.find((p) => p.id === id));
      },
      deleteDealProduct: (dealId: number, id: number) => {
        this.requests.push('DELETE /v2/deals/{id}/products/{id}');
        const i = this.dealProducts.findIndex((p) => p.deal_id === dealId && p.id === id);
        if (i >= 0) this.dealProducts.splice(i, 1);
        return Promise.resolve(i >= 0 ? 'deleted' : 'not_found');
      },
      deleteDealProducts: (dealId: number, ids: number[]) => {
        this.requests.push('DELETE /v2/deals/{id}/products');
        const gone = this.dealProducts.filter((p) => p.deal_id === dealId && ids.includes(p.id)).map((p) => p.id);
        for (const id of gone)
          this.dealProducts.splice(
            this.dealProducts.findIndex((p) => p.id === id),
            1,
          );
        return Promise.resolve(gone);
      },
      listDealProducts: () => Promise.reject(new Error('a rollback reads no deal products before deleting them')),
    };
    return fake as unknown as PipedriveClient;
  }
}

/** `perPerson` notes for each of `persons` persons, ids from 1. */
function notesOf(persons: number, perPerson: number): Row[] {
  return Array.from({ length: persons * perPerson }, (_, i) => ({ id: i + 1, person_id: 1000 + Math.floor(i / perPerson), content: 'x' }));
}

const ids = (rows: Row[]) => rows.map((r) => String(r.id));
const personIds = (rows: Row[]) => [...new Set(rows.map((r) => r.person_id as number))];

describe('reading back at the floor', () => {
  it.each([10, 100, 240])('notes of %i persons: a constant number of note listings, not one per person', async (persons) => {
    const account = new FakeAccount(notesOf(persons, 2));
    const batch = account.notes;
    const found = await OBJECT_TYPES.note.ops.readBack(account.client(), ids(batch), personIds(batch), { key: `m/full-${persons}`, records: batch.length });
    expect(found.size).toBe(batch.length);
    // One page of 500 per 500 notes of the account (20 tokens each), whatever the number of persons.
    expect(account.count('GET /v1/notes')).toBe(Math.ceil(batch.length / 500));
    expect(account.count('GET /v1/notes?person_id')).toBe(0);
    expect(account.count('GET /v1/notes/{id}')).toBe(0);
  });

  it("a pass's batches share one account listing of notes", async () => {
    const account = new FakeAccount(notesOf(150, 4));
    const client = account.client();
    const pass = { key: 'shared/full', records: account.notes.length };
    for (let i = 0; i < account.notes.length; i += 50) {
      const batch = account.notes.slice(i, i + 50);
      const found = await OBJECT_TYPES.note.ops.readBack(client, ids(batch), personIds(batch), pass);
      expect(found.size).toBe(batch.length);
    }
    // 600 notes: two pages of 500, once for the twelve batches.
    expect(account.requests).toEqual(['GET /v1/notes', 'GET /v1/notes']);
  });

  it('a few notes in a big account: one GET each (2 tokens) instead of listing the account', async () => {
    const account = new FakeAccount(notesOf(3000, 2));
    const batch = account.notes.slice(0, 3);
    const found = await OBJECT_TYPES.note.ops.readBack(account.client(), ids(batch), personIds(batch));
    expect(found.size).toBe(3);
    expect(account.requests).toEqual(['GET /v1/notes/{id}', 'GET /v1/notes/{id}', 'GET /v1/notes/{id}']);
  });

  it('an account holding far more notes than the pass reads: the listing stops at the cost of a GET each', async () => {
    // The pass expects 20 notes (one page), the account holds 6,000: the listing is given up once it has cost as much
    // as reading the 20 by id would (40 tokens, two pages), and the batch is read by id.
    const account = new FakeAccount(notesOf(3000, 2));
    const batch = account.notes.slice(-20);
    const found = await OBJECT_TYPES.note.ops.readBack(account.client(), ids(batch), personIds(batch), { key: 'big/full', records: 20 });
    expect(found.size).toBe(20);
    expect(account.count('GET /v1/notes')).toBe(2);
    expect(account.count('GET /v1/notes/{id}')).toBe(20);
  });

  it('a record the shared listing does not hold (created after it, or gone) is read by id', async () => {
    const account = new FakeAccount(notesOf(10, 1));
    const client = account.client();
    const pass = { key: 'late/full', records: 11 };
    await OBJECT_TYPES.note.ops.readBack(client, ids(account.notes.slice(0, 5)), [], pass);
    account.notes.push({ id: 99, person_id: 1, content: 'x' });
    const found = await OBJECT_TYPES.note.ops.readBack(client, ['6', '99', '404'], [], pass);
    expect([...found.keys()].sort()).toEqual(['6', '99']);
    expect(account.requests).toEqual(['GET /v1/notes', 'GET /v1/notes/{id}', 'GET /v1/notes/{id}']);
  });

  it('a listing of its own (no pass) is taken now: what it does not hold is gone, not read again (a rollback proof)', async () => {
    const account = new FakeAccount(notesOf(10, 1));
    const found = await OBJECT_TYPES.note.ops.readBack(account.client(), ['1', ...Array.from({ length: 200 }, (_, i) => String(1000 + i))], []);
    expect([...found.keys()]).toEqual(['1']);
    expect(account.requests).toEqual(['GET /v1/notes']);
  });

  it('a shared listing is listed once while fresh, again once stale or after it failed', async () => {
    const client = {};
    let lists = 0;
    let clock = 0;
    const list = () => (++lists === 2 ? Promise.reject(new Error('429')) : Promise.resolve(new Map([['1', { id: 1 }]])));
    const now = () => clock;
    await sharedListing(client, 'm/full/t', list, now);
    await sharedListing(client, 'm/full/t', list, now);
    expect(lists).toBe(1);
    clock += SHARED_LISTING_TTL_MS + 1;
    await expect(sharedListing(client, 'm/full/t', list, now)).rejects.toThrow('429');
    await expect(sharedListing(client, 'm/full/t', list, now)).resolves.toBeDefined();
    expect(lists).toBe(3);
  });

  it('files: the account listing in pages of 100 (its maximum), not one listing per person', async () => {
    const files = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, person_id: 1000 + i, name: 'f' }));
    const account = new FakeAccount([], files);
    const found = await OBJECT_TYPES.file.ops.readBack(account.client(), ids(files), personIds(files), { key: 'f/full', records: 250 });
    expect(found.size).toBe(250);
    expect(account.requests).toEqual(['GET /v1/files', 'GET /v1/files', 'GET /v1/files']);
  });

  it('v2 records: a shared listing of 500 a page for a pass, ids of 100 or one GET each for a batch alone', async () => {
    const persons = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, name: 'p' }));
    const pass = new FakeAccount([], [], persons);
    const client = pass.client();
    for (let i = 0; i < 150; i += 50) await OBJECT_TYPES.person.ops.readBack(client, ids(persons.slice(i, i + 50)), [], { key: 'p/full', records: 150 });
    expect(pass.requests).toEqual(['GET /v2/persons']);

    // A batch alone in an account of 5,000: the listing would cost more than two `ids` requests, and is given up.
    const big = new FakeAccount(
      [],
      [],
      Array.from({ length: 5000 }, (_, i) => ({ id: i + 1, name: 'p' })),
    );
    const found = await OBJECT_TYPES.person.ops.readBack(big.client(), ids(big.persons.slice(0, 150)), []);
    expect(found.size).toBe(150);
    expect(big.requests).toEqual(['GET /v2/persons', 'GET /v2/persons', 'GET /v2/persons?ids', 'GET /v2/persons?ids']);

    // Five records: five GETs (1 token each) cost less than one list (10).
    const few = new FakeAccount([], [], persons);
    await OBJECT_TYPES.person.ops.readBack(few.client(), ['1', '2', '3', '4', '5'], []);
    expect(few.requests).toEqual(Array(5).fill('GET /v2/persons/{id}'));
  });

  it('chooses by the specs’ token costs', () => {
    // 200 notes of 100 persons in a pass of 2,000: one listing of four pages (80) beats GETs (4,000) and persons (20,000).
    expect(cheapestRead(NOTE_READS, { records: 200, persons: 100, passRecords: 2000 })).toEqual({ method: 'account_listing', passTokens: 80 });
    // Three notes alone: GETs (6) beat a listing (20).
    expect(cheapestRead(NOTE_READS, { records: 3, persons: 3 }).method).toBe('get_each');
    // Files of one person with many files: its listing (20) beats 30 GETs (60) when the account listing is out.
    expect(cheapestRead(FILE_READS, { records: 30, persons: 1 }, ['account_listing']).method).toBe('by_person');
    const persons = v2Reads(OBJECT_TYPES.person.endpoints);
    expect(cheapestRead(persons, { records: 100 }, ['account_listing'])).toEqual({ method: 'ids', passTokens: 10 });
    expect(cheapestRead(persons, { records: 9 }, ['account_listing']).method).toBe('get_each');
  });
});

describe('deleting deal products at the floor', () => {
  const attach = (deal: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: deal * 100 + i, deal_id: deal }));
  const byParent = OBJECT_TYPES.deal_product.ops.deleteByParent;

  it('many of one deal: one bulk request, which says what it deleted; nothing read first', async () => {
    const account = new FakeAccount([], [], [], attach(7, 8));
    const wanted = [...attach(7, 8).map((p) => `7/${p.id}`), '7/799'];
    const deleted = await byParent.remove(account.client(), 7, wanted, wanted.length > byParent.bulkAbove);
    expect(deleted.size).toBe(8);
    expect(deleted.has('7/799')).toBe(false);
    expect(account.requests).toEqual(['DELETE /v2/deals/{id}/products']);
  });

  it('a few: single deletes (3 tokens each, below the bulk request’s 15), a 404 for one already gone', async () => {
    expect(byParent.bulkAbove).toBe(5);
    const account = new FakeAccount([], [], [], attach(3, 2));
    const deleted = await byParent.remove(account.client(), 3, ['3/300', '3/301', '3/399'], false);
    expect([...deleted].sort()).toEqual(['3/300', '3/301']);
    expect(account.requests).toEqual(Array(3).fill('DELETE /v2/deals/{id}/products/{id}'));
  });

  it('a rollback batch: per deal, bulk or single deletes priced as sent, an attachment already gone counted as such', async () => {
    const account = new FakeAccount([], [], [], [...attach(7, 8), ...attach(3, 2)]);
    const client = account.client();
    const w = world();
    const ops: ParentDeleteOps = {
      parentOf: byParent.parentOf,
      bulkAbove: byParent.bulkAbove,
      bulkMax: byParent.bulkMax,
      remove: (parent, ids, bulk) => byParent.remove(client, parent, ids, bulk),
    };
    Object.assign(w.account, { parentDelete: () => ops });
    const ledgerIds = [...attach(7, 8).map((p) => `7/${p.id}`), '3/300', '3/301', '3/302'];
    for (const [i, id] of ledgerIds.entries()) {
      await w.ledger.recordCreated({ objectType: 'deal_product', sourceKey: `procedure:${String(i).padStart(2, '0')}`, pipedriveId: id, runKind: 'full' });
    }
    const r = await undoBatch({ ...w, staging: {} }, { objectType: 'deal_product', scope: 'all', limit: 100 });
    expect(r).toEqual({ deleted: 10, alreadyGone: 1 });
    // Deal 7: one bulk request (15 tokens, booked once); deal 3: three single deletes (3 each), 3/302 already gone.
    expect(account.requests).toEqual(['DELETE /v2/deals/{id}/products', ...Array(3).fill('DELETE /v2/deals/{id}/products/{id}')]);
    const audited = w.audit.rows.filter((a) => a.action === 'delete');
    expect(audited.reduce((n, a) => n + (a.tokens ?? 0), 0)).toBe(15 + 3 * 3);
    expect(audited.find((a) => a.pipedriveId === '3/302')).toMatchObject({ status: 404, note: 'already gone' });
  });
});
