import { storeDb } from '../../src/store/db';
import { MIN_SPLIT_BATCH, nextBatchRanges, plannedSourceCounts } from '../../src/store/work';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** Issue 14.3: a small object type (or a big one's end) loads in several batches side by side, not in one. */
describe('the next batch ranges of a load', () => {
  let db: TestDatabase;
  const sizes = (ranges: { fromSeq: number; toSeq: number }[]) => ranges.map((r) => r.toSeq - r.fromSeq);

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ('w', '{}', 'http://sandbox')`);
    const rows = (objectType: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ migration_id: 'w', run_kind: 'full', object_type: objectType, source_key: `${objectType}:${i}` }));
    await storeDb(db.pool).insertInto('work_items').values(rows('organization', 50)).execute();
    await storeDb(db.pool).insertInto('work_items').values(rows('person', 520)).execute();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const ranges = (objectType: string, afterSeq: number, splitTail: boolean) =>
    nextBatchRanges(db.pool, { migrationId: 'w', runKind: 'full', objectType, afterSeq, batchSize: 50, maxBatches: 9, splitTail });

  it('splits a type smaller than a window over the window, down to the smallest batch', async () => {
    const start = Number((await db.pool.query<{ s: string }>(`SELECT min(seq) - 1 AS s FROM work_items WHERE object_type = 'organization'`)).rows[0]!.s);
    expect(sizes(await ranges('organization', start, false))).toEqual([50]);
    // One create chunk each (20): smaller batches would send no more creates at once.
    expect(MIN_SPLIT_BATCH).toBe(20);
    expect(sizes(await ranges('organization', start, true))).toEqual([20, 20, 10]);
    // The window holds every item left: its last range says so, and only that one.
    expect((await ranges('organization', start, true)).map((r) => r.last)).toEqual([undefined, undefined, true]);
    expect((await ranges('organization', start, false)).map((r) => r.last)).toEqual([true]);
  });

  it('keeps whole batches while a window is full, then splits what is left', async () => {
    // Ranges start after a sequence number; persons' come after the organizations'.
    const start = Number((await db.pool.query<{ s: string }>(`SELECT min(seq) - 1 AS s FROM work_items WHERE object_type = 'person'`)).rows[0]!.s);
    const first = await ranges('person', start, true);
    expect(sizes(first)).toEqual(Array(9).fill(50));
    // 520 − 450 = 70 left: 9 batches of 8 would be below the smallest, so batches of 20.
    const rest = await ranges('person', first.at(-1)!.toSeq, true);
    expect(sizes(rest)).toEqual([20, 20, 20, 10]);
    expect(rest[0]!.fromSeq).toBe(first.at(-1)!.toSeq);
    // A full window may have more after it: not marked; the rest is, on its last range.
    expect(first.some((r) => r.last)).toBe(false);
    expect(rest.map((r) => r.last)).toEqual([undefined, undefined, undefined, true]);
  });

  it("counts a record's review file as no source record, also when a delta run wrote it", async () => {
    const row = (source_key: string, object_type = 'file') => ({
      migration_id: 'w',
      object_type,
      source_key,
      run_kind: 'delta',
      state: 'created',
      pipedrive_id: '1',
    });
    await storeDb(db.pool)
      .insertInto('id_map')
      .values([row('document:9'), row('review:patient:3'), row('patient:900', 'person')])
      .execute();
    const counts = await plannedSourceCounts(db.pool, 'w');
    expect(counts).toMatchObject({ organization: 50, person: 521, file: 1 });
  });
});
