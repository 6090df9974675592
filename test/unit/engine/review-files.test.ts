import { loadBatch } from '../../../src/engine/load';
import { nextToUndo, undoBatch } from '../../../src/engine/rollback';
import { reviewFileKey } from '../../../src/mapping/source-keys';
import { person, world } from './fakes';

/**
 * Review files (issue 13: no value lost silently): the values no field of a record holds whole go into a file attached
 * to the record, written exactly once with a ledger row of its own, replaced when they change, deleted by the rollback.
 */
describe('review files', () => {
  const keys = ['patient:1', 'patient:2'];
  const overflow = `preferred_name (shortened, the rest): ${'x'.repeat(70_000)}`;
  const setUp = () => {
    const w = world();
    keys.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    w.staging.reviewFiles.set('patient:2', overflow);
    return w;
  };
  const load = (w: ReturnType<typeof world>, runKind = 'full') => loadBatch(w, { entity: 'person', runKind, sourceKeys: keys });
  const files = (w: ReturnType<typeof world>) => w.account.live('file');

  it('attaches one file, named by its key, to the record that has values no field holds, and records it in the ledger', async () => {
    const w = setUp();
    expect(await load(w)).toMatchObject({ migrated: 2 });
    const personId = Number(w.ledger.entry('person', 'patient:2')!.pipedriveId);
    expect(files(w)).toEqual([
      expect.objectContaining({ person_id: personId, name: 'dentrix-review-patient-2__values-needing-review.txt', file_size: Buffer.byteLength(overflow) }),
    ]);
    const entry = w.ledger.entry('file', reviewFileKey('patient:2'))!;
    expect(entry).toMatchObject({ state: 'created', pipedriveId: String(files(w)[0]!.id), runKind: 'full' });
    expect(w.ledger.entry('file', reviewFileKey('patient:1'))).toBeUndefined();
    expect(w.audit.rows.filter((r) => r.objectType === 'file')).toEqual([
      expect.objectContaining({ action: 'create', sourceKey: 'review:patient:2', pipedriveId: entry.pipedriveId, method: 'POST' }),
    ]);
    // A second run of the batch finds it in the ledger: nothing uploaded again.
    await load(w);
    expect(files(w)).toHaveLength(1);
    expect(w.account.creates.filter((c) => c.entity === 'file')).toHaveLength(1);
  });

  it("a lost upload response: the retry finds the file by its name's key instead of uploading it again", async () => {
    const w = setUp();
    // The two persons' creates answer; the file's upload happens but its answer is lost, which fails the batch.
    const create = w.account.create.bind(w.account);
    let lost = false;
    w.account.create = (entity, input) => {
      if (entity === 'file' && !lost) {
        lost = true;
        w.account.loseNextResponses = 1;
      }
      return create(entity, input);
    };
    await expect(load(w)).rejects.toThrow(/socket hang up/u);
    expect(w.ledger.entry('file', 'review:patient:2')).toMatchObject({ state: 'pending' });
    await load(w);
    expect(files(w)).toHaveLength(1);
    expect(w.ledger.entry('file', 'review:patient:2')).toMatchObject({ state: 'created', pipedriveId: String(files(w)[0]!.id) });
    expect(w.audit.rows.find((r) => r.action === 'recover' && r.objectType === 'file')).toMatchObject({ sourceKey: 'review:patient:2' });
  });

  it('a record whose values needing review changed (a delta): the old file is deleted and the new one uploaded in its place', async () => {
    const w = setUp();
    await load(w);
    const oldId = w.ledger.entry('file', 'review:patient:2')!.pipedriveId!;
    w.staging.reviewFiles.set('patient:2', `${overflow} and more`);
    await load(w, 'delta');
    expect(files(w)).toEqual([expect.objectContaining({ file_size: Buffer.byteLength(`${overflow} and more`) })]);
    expect(w.account.deletes).toEqual([{ objectType: 'file', id: oldId }]);
    expect(w.ledger.entry('file', 'review:patient:2')).toMatchObject({ state: 'created', replacedPipedriveId: oldId, runKind: 'delta' });
  });

  it('a file gone from Pipedrive (deleted by hand) is uploaded again on the next run, the ledger keeping the id it replaces', async () => {
    const w = setUp();
    await load(w);
    const goneId = w.ledger.entry('file', 'review:patient:2')!.pipedriveId!;
    w.account.table('file').delete(goneId);
    await load(w);
    expect(files(w)).toHaveLength(1);
    expect(w.ledger.entry('file', 'review:patient:2')).toMatchObject({ state: 'created', replacedPipedriveId: goneId });
    expect(w.ledger.entry('file', 'review:patient:2')!.pipedriveId).not.toBe(goneId);
    expect(w.account.deletes).toEqual([]);
    expect(w.audit.rows.find((r) => r.endpoint === 'check review files of the id map still exist')).toMatchObject({
      note: '1 of 1 gone from Pipedrive: uploaded again',
    });
  });

  it('a record the load rejected gets no file; the rollback deletes the file before the records it is attached to', async () => {
    const w = setUp();
    w.staging.records.delete('patient:1');
    w.staging.reviewFiles.set('patient:1', overflow);
    expect(await load(w)).toMatchObject({ migrated: 1, rejected: 1 });
    expect(files(w)).toHaveLength(1);
    expect(w.ledger.entry('file', 'review:patient:1')).toBeUndefined();

    for (let next = await nextToUndo(w.ledger, 'all'); next; next = await nextToUndo(w.ledger, 'all')) {
      await undoBatch({ ...w, staging: {} }, { objectType: next.objectType, scope: 'all', limit: 10 });
    }
    expect(files(w)).toEqual([]);
    expect(w.account.live('person')).toEqual([]);
    expect(w.account.deletes.map((d) => d.objectType)).toEqual(['file', 'person']);
  });
});
