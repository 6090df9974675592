import { emptyCounts, loadBatch } from '../../../src/engine/load';
import { person, SOURCE_KEY_CODE, world } from './fakes';

/**
 * An id map that no longer matches the account (issue 13 point 7): the account was reset, or staff deleted records by
 * hand, and the same migration runs again. Before a batch relies on its id-map entries, the engine checks that their
 * records still exist; what is gone is created again exactly once, and the ledger tells it apart as recreated.
 */
describe('the write engine, when records of its id map are gone from Pipedrive', () => {
  const keys = ['patient:1', 'patient:2', 'patient:3', 'patient:4'];
  const staged = (w: ReturnType<typeof world>) => keys.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
  const load = (w: ReturnType<typeof world>, extra: { runKind?: string; resumed?: { processed: number } } = {}) =>
    loadBatch(w, {
      entity: 'person',
      runKind: extra.runKind ?? 'full',
      sourceKeys: keys,
      resumed: extra.resumed ? { processed: extra.resumed.processed, counts: emptyCounts() } : undefined,
    });
  const idOf = (w: ReturnType<typeof world>, key: string) => w.ledger.entry('person', key)!.pipedriveId!;
  const keysOnAccount = (w: ReturnType<typeof world>) =>
    w.account
      .live('person')
      .map((r) => (r.custom_fields as Record<string, unknown>)[SOURCE_KEY_CODE])
      .sort();

  it('recreates exactly the records that are gone, once, with one presence read per batch; the ledger keeps the gone id', async () => {
    const w = world();
    staged(w);
    await load(w);
    expect(w.account.presenceChecks).toEqual([]); // a first load has no id-map entry to rely on yet
    const before = Object.fromEntries(keys.map((k) => [k, idOf(w, k)]));
    // Staff delete two patients by hand.
    w.account.table('person').delete(before['patient:2']!);
    w.account.table('person').delete(before['patient:4']!);

    expect(await load(w)).toEqual({ ...emptyCounts(), migrated: 2, alreadyDone: 2 });
    expect(w.account.presenceChecks).toEqual([keys.map((k) => before[k])]);
    expect(keysOnAccount(w)).toEqual(keys);
    expect(w.account.creates).toHaveLength(6);
    for (const k of ['patient:1', 'patient:3']) expect(w.ledger.entry('person', k)).toMatchObject({ state: 'created', pipedriveId: before[k] });
    for (const k of ['patient:2', 'patient:4']) {
      const entry = w.ledger.entry('person', k)!;
      expect(entry).toMatchObject({ state: 'created', replacedPipedriveId: before[k] });
      expect(entry.pipedriveId).not.toBe(before[k]);
      expect(w.account.table('person').has(entry.pipedriveId!)).toBe(true);
    }
    expect(w.audit.rows.filter((r) => r.action === 'recover')).toEqual([
      expect.objectContaining({ objectType: 'person', tokens: 10, note: '2 of 4 gone from Pipedrive: created again' }),
    ]);
    const recreations = w.audit.rows.filter((r) => r.action === 'create' && r.note?.startsWith('recreated'));
    expect(recreations.map((r) => [r.sourceKey, r.note])).toEqual([
      ['patient:2', `recreated: person ${before['patient:2']} in the id map is gone from Pipedrive`],
      ['patient:4', `recreated: person ${before['patient:4']} in the id map is gone from Pipedrive`],
    ]);

    // Run again: everything is there; nothing more is created.
    expect(await load(w)).toEqual({ ...emptyCounts(), alreadyDone: 4 });
    expect(w.account.creates).toHaveLength(6);
  });

  it('an id that names another record now (the account was reset and refilled) counts as gone: ours carry our Dentrix key', async () => {
    const w = world();
    staged(w);
    await load(w);
    const reused = idOf(w, 'patient:1');
    w.account.table('person').set(reused, { id: Number(reused), name: 'Someone else', custom_fields: {} });
    expect(await load(w)).toMatchObject({ migrated: 1, alreadyDone: 3 });
    expect(w.ledger.entry('person', 'patient:1')).toMatchObject({ state: 'created', replacedPipedriveId: reused });
    expect(w.account.table('person').get(reused)!.name).toBe('Someone else');
  });

  it('a worker that dies after recreating a record: the retry recovers it by its Dentrix key, still marked recreated', async () => {
    const w = world();
    staged(w);
    await load(w);
    const gone = idOf(w, 'patient:1');
    w.account.table('person').delete(gone);
    w.ledger.crashOnNextRecord = true;
    await expect(load(w)).rejects.toThrow('worker died');
    expect(w.ledger.entry('person', 'patient:1')).toMatchObject({ state: 'pending', pipedriveId: null, replacedPipedriveId: gone });
    expect(w.account.creates).toHaveLength(5);

    expect(await load(w, { resumed: { processed: 0 } })).toMatchObject({ migrated: 0, recovered: 1, alreadyDone: 3 });
    expect(w.account.creates).toHaveLength(5);
    expect(keysOnAccount(w)).toEqual(keys);
    const entry = w.ledger.entry('person', 'patient:1')!;
    expect(entry).toMatchObject({ state: 'created', replacedPipedriveId: gone, pipedriveId: w.account.creates[4]!.id });
  });

  it('a delta run creates a gone record again instead of updating it', async () => {
    const w = world();
    staged(w);
    await load(w);
    const gone = idOf(w, 'patient:3');
    w.account.table('person').delete(gone);
    w.staging.records.set('patient:3', person('patient:3', 'Person 3 renamed'));
    expect(await load(w, { runKind: 'delta' })).toMatchObject({ migrated: 1, updated: 0, rejected: 0, alreadyDone: 3 });
    expect(w.account.updates).toEqual([]);
    const recreated = w.account.table('person').get(idOf(w, 'patient:3'))!;
    expect(recreated.name).toBe('Person 3 renamed');
    expect(w.ledger.entry('person', 'patient:3')!.replacedPipedriveId).toBe(gone);
  });

  it('a batch resumed after a crash checks only the records it has not been through', async () => {
    const w = world();
    staged(w);
    await load(w);
    w.account.table('person').delete(idOf(w, 'patient:1'));
    await load(w, { resumed: { processed: 2 } });
    expect(w.account.presenceChecks).toEqual([[idOf(w, 'patient:3'), idOf(w, 'patient:4')]]);
  });
});
