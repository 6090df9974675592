import { emptyCounts, loadBatch, restorableBody, type LoadCheckpoint } from '../../../src/engine/load';
import { nextToUndo, restoreBeforeImages, undoBatch } from '../../../src/engine/rollback';
import { person, SOURCE_KEY_CODE, world } from './fakes';

/**
 * The write engine against in-memory fakes of its ports: create exactly once (DESIGN §5.1) whatever happens to a
 * create's response, update with a before-image, and the saga's compensation (§5.3) in reverse dependency order.
 */
describe('the write engine', () => {
  const keys = ['patient:1', 'patient:2', 'patient:3'];
  const staged = (w: ReturnType<typeof world>) => {
    keys.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
  };
  const load = (w: ReturnType<typeof world>, extra: { runKind?: string; resumed?: LoadCheckpoint; sourceKeys?: string[] } = {}) =>
    loadBatch(w, { entity: 'person', runKind: extra.runKind ?? 'full', sourceKeys: extra.sourceKeys ?? keys, resumed: extra.resumed });
  const keysOnAccount = (w: ReturnType<typeof world>) =>
    w.account
      .live('person')
      .map((r) => (r.custom_fields as Record<string, unknown>)[SOURCE_KEY_CODE])
      .sort();

  it('creates each record once, records its id, and logs the create with it', async () => {
    const w = world();
    staged(w);
    expect(await load(w)).toEqual({ migrated: 3, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 });
    expect(keysOnAccount(w)).toEqual(keys);
    for (const k of keys) {
      const entry = w.ledger.entry('person', k)!;
      expect(entry.state).toBe('created');
      expect(w.account.table('person').get(entry.pipedriveId!)).toBeDefined();
    }
    expect(w.audit.rows.filter((r) => r.action === 'create').map((r) => r.sourceKey)).toEqual(keys);
    // Run again: the ledger has them all; nothing is created twice.
    expect(await load(w)).toMatchObject({ migrated: 0, alreadyDone: 3 });
    expect(w.account.creates).toHaveLength(3);
  });

  it('a lost response after the create happened: the record is recovered by its Dentrix key, never created twice', async () => {
    const w = world();
    staged(w);
    w.account.loseNextResponses = 1;
    expect(await load(w)).toMatchObject({ migrated: 2, recovered: 1 });
    expect(w.account.creates).toHaveLength(3);
    expect(keysOnAccount(w)).toEqual(keys);
    const first = w.ledger.entry('person', 'patient:1')!;
    expect(first).toMatchObject({ state: 'created', pipedriveId: w.account.creates[0]!.id });
    expect(w.audit.rows.find((r) => r.action === 'recover')).toMatchObject({ sourceKey: 'patient:1', pipedriveId: first.pipedriveId, tokens: 10 });
  });

  it('a lost response when nothing was created: recovery finds nothing, and the create is sent once more', async () => {
    const w = world();
    staged(w);
    w.account.failNextCreatesBeforeSending = 1;
    expect(await load(w)).toMatchObject({ migrated: 3, recovered: 0 });
    expect(keysOnAccount(w)).toEqual(keys);
  });

  it('a worker that dies between the creates and recording their ids: the retry recovers the pending records instead of creating them again', async () => {
    const w = world();
    staged(w);
    w.ledger.crashOnNextRecord = true;
    await expect(load(w)).rejects.toThrow('worker died');
    // The batch's creates went out as one chunk, claimed together; the ids of none were recorded.
    for (const key of keys) expect(w.ledger.entry('person', key)!.state).toBe('pending');
    expect(w.account.creates).toHaveLength(keys.length);
    // The activity's retry resumes from its checkpoint (nothing settled yet).
    expect(
      await load(w, { resumed: { processed: 0, counts: { migrated: 0, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 } } }),
    ).toMatchObject({
      migrated: 0,
      recovered: keys.length,
    });
    expect(w.account.creates).toHaveLength(keys.length);
    expect(keysOnAccount(w)).toEqual(keys);
  });

  it('claims creates twenty at a time, records their ids with the next claims, and a checkpoint never passes a create whose id is not recorded yet', async () => {
    const w = world();
    const many = Array.from({ length: 45 }, (_, i) => `patient:${i + 1}`);
    many.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const commits: string[] = [];
    const claimAll = w.ledger.claimAll.bind(w.ledger);
    const recordAllCreated = w.ledger.recordAllCreated.bind(w.ledger);
    w.ledger.claimAll = (entries, recordFirst = []) => (
      commits.push(recordFirst.length > 0 ? `record ${recordFirst.length} + claim ${entries.length}` : `claim ${entries.length}`),
      claimAll(entries, recordFirst)
    );
    w.ledger.recordAllCreated = (records) => (commits.push(`record ${records.length}`), recordAllCreated(records));
    const checkpoints: { processed: number; recorded: number }[] = [];
    const progress = (c: LoadCheckpoint) =>
      checkpoints.push({ processed: c.processed, recorded: many.filter((k) => w.ledger.entry('person', k)?.state === 'created').length });
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many, progress })).toMatchObject({ migrated: 45 });
    expect(commits).toEqual(['claim 20', 'record 20 + claim 20', 'record 20 + claim 5', 'record 5']);
    for (const c of checkpoints) expect(c.processed).toBeLessThanOrEqual(c.recorded);
    expect(w.account.creates).toHaveLength(45);
  });

  it('tells a checkpoint only when it moved, and a resumed attempt never one before the point it resumed from', async () => {
    const w = world();
    const many = Array.from({ length: 45 }, (_, i) => `patient:${i + 1}`);
    many.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const told: LoadCheckpoint[] = [];
    const progress = (c: LoadCheckpoint) => told.push(c);
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many, progress })).toMatchObject({ migrated: 45 });
    // Chunks of 20: the first one's ids are recorded with the second's claims (the loop tells 20 at the next record),
    // the second's and the last's with the batch's end. Not one per record.
    expect(told.map((c) => `${c.processed}:${c.counts.migrated}`)).toEqual(['20:20', '45:45']);

    // A retry of a batch whose first attempt settled its first 30 records and then died: it passes over them without
    // telling a checkpoint before 30 (which a second crash would resume from, counting those 30 again).
    const second = world();
    many.forEach((k, i) => second.staging.records.set(k, person(k, `Person ${i + 1}`)));
    await loadBatch(second, { entity: 'person', runKind: 'full', sourceKeys: many.slice(0, 30) });
    const resumed = { processed: 30, counts: { ...emptyCounts(), migrated: 30 } };
    told.length = 0;
    expect(await loadBatch(second, { entity: 'person', runKind: 'full', sourceKeys: many, resumed, progress })).toMatchObject({ migrated: 45 });
    expect(told.length).toBeGreaterThan(0);
    for (const c of told) expect(c.processed).toBeGreaterThanOrEqual(30);
    expect(second.account.creates).toHaveLength(45);
  });

  it("settles a batch's rejected records in one statement before its creates, counting each once, also on a resumed attempt", async () => {
    const w = world();
    const keys = Array.from({ length: 30 }, (_, i) => `patient:${i + 1}`);
    // Every third record is not staged: the builder rejects it.
    keys.forEach((k, i) => i % 3 !== 2 && w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const statements: string[] = [];
    const recordOutcome = w.ledger.recordOutcome.bind(w.ledger);
    const recordOutcomes = w.ledger.recordOutcomes.bind(w.ledger);
    w.ledger.recordOutcome = (e) => (statements.push('outcome'), recordOutcome(e));
    w.ledger.recordOutcomes = (entries) => (statements.push(`outcomes ${entries.length}`), recordOutcomes(entries));
    const claimAll = w.ledger.claimAll.bind(w.ledger);
    w.ledger.claimAll = (entries, recordFirst) => (statements.push('claim'), claimAll(entries, recordFirst));
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: keys })).toMatchObject({ migrated: 20, rejected: 10 });
    expect(statements[0]).toBe('outcomes 10');
    expect(statements.filter((s) => s.startsWith('outcome'))).toEqual(['outcomes 10']);
    expect(keys.filter((k) => w.ledger.entry('person', k)?.state === 'rejected')).toHaveLength(10);

    // A retry resuming from a checkpoint after the 15th record (its counts: 10 created, 5 rejected) records again only
    // the outcomes after it, and counts the batch once.
    statements.length = 0;
    const resumed = { processed: 15, counts: { ...emptyCounts(), migrated: 10, rejected: 5 } };
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: keys, resumed })).toMatchObject({
      migrated: 10,
      rejected: 10,
      alreadyDone: 10,
    });
    expect(statements).toEqual(['outcomes 5']);
  });

  it("sends a chunk's creates together, never more than a chunk, and records them in work-item order whatever order the answers come in", async () => {
    const w = world();
    const many = Array.from({ length: 25 }, (_, i) => `patient:${i + 1}`);
    many.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const create = w.account.create.bind(w.account);
    let inFlight = 0;
    let most = 0;
    let sent = 0;
    w.account.create = async (entity, input) => {
      inFlight++;
      most = Math.max(most, inFlight);
      // Later creates answer sooner: the answers arrive out of order.
      await new Promise((r) => setTimeout(r, 60 - 2 * sent++));
      inFlight--;
      return create(entity, input);
    };
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many })).toMatchObject({ migrated: 25 });
    // The first chunk's twenty at once (its claims committed together), then the last five.
    expect(most).toBe(20);
    expect(w.audit.rows.filter((r) => r.action === 'create').map((r) => r.sourceKey)).toEqual(many);
    expect(many.every((k) => w.ledger.entry('person', k)?.state === 'created')).toBe(true);
  });

  it("sends a chunk's creates one at a time once someone else fills the token's window", async () => {
    const w = world();
    const many = Array.from({ length: 10 }, (_, i) => `patient:${i + 1}`);
    many.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const create = w.account.create.bind(w.account);
    const inFlightAt: number[] = [];
    let inFlight = 0;
    w.account.create = async (entity, input) => {
      inFlightAt.push(++inFlight);
      // The neighbour's burst comes during the chunk's first creates.
      if (inFlightAt.length === 2) w.account.contended = true;
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return create(entity, input);
    };
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many })).toMatchObject({ migrated: 10 });
    // Before: several at once; after the lanes already sending finish, one at a time.
    expect(Math.max(...inFlightAt.slice(0, 5))).toBeGreaterThan(1);
    expect(inFlightAt.slice(5)).toEqual(Array(5).fill(1));
    expect(w.audit.rows.filter((r) => r.action === 'create').map((r) => r.sourceKey)).toEqual(many);
  });

  it('a batch stopped mid-chunk (the daily budget spent): the creates never sent or refused outright are released, so the retry looks none up', async () => {
    const w = world();
    const many = Array.from({ length: 10 }, (_, i) => `patient:${i + 1}`);
    many.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    w.account.refuseCreatesAfter = 3;
    await expect(loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many })).rejects.toThrow('budget is spent');
    // The 429s created nothing (their claims go back), nor did the creates no lane had started yet.
    expect(many.map((k) => w.ledger.entry('person', k)?.state ?? 'none')).toEqual(['created', 'created', 'created', ...Array(7).fill('none')]);
    w.account.refuseCreatesAfter = undefined;
    expect(await loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: many })).toMatchObject({ migrated: 7, alreadyDone: 3 });
    expect(w.account.creates).toHaveLength(10);
    expect(w.audit.rows.filter((r) => r.action === 'recover')).toHaveLength(0); // the pending one was looked up, not found
  });

  it('recovery adopts only a record written since the attempt, and never one another migration into the account created', async () => {
    const w = world();
    staged(w);
    // Another practice's patient:1, written an hour before the attempt; and one another migration created just now.
    const older = w.account.seed(
      'person',
      { name: 'Other practice', custom_fields: { [SOURCE_KEY_CODE]: 'patient:1' } },
      new Date(Date.now() - 60 * 60 * 1000),
    );
    const theirs = w.account.seed('person', { name: 'Other migration', custom_fields: { [SOURCE_KEY_CODE]: 'patient:1' } });
    w.ledger.otherMigrationIds.add(`person/${theirs}`);
    w.account.loseNextResponses = 1;
    expect(await load(w, { sourceKeys: ['patient:1'] })).toMatchObject({ recovered: 1, migrated: 0 });
    const adopted = w.ledger.entry('person', 'patient:1')!.pipedriveId;
    expect(adopted).toBe(w.account.creates[0]!.id);
    expect([older, theirs]).not.toContain(adopted);
  });

  it('a delta update saves the first before-image, and restoring puts the record back as it was', async () => {
    const w = world();
    staged(w);
    await load(w, { sourceKeys: ['patient:1'] });
    const id = w.ledger.entry('person', 'patient:1')!.pipedriveId!;
    const original = restorableBody('person', w.account.table('person').get(id)!, w.fieldKeys);

    w.staging.records.set('patient:1', person('patient:1', 'Renamed Once'));
    expect(await load(w, { runKind: 'delta', sourceKeys: ['patient:1'] })).toMatchObject({ updated: 1 });
    w.staging.records.set('patient:1', person('patient:1', 'Renamed Twice'));
    expect(await load(w, { runKind: 'delta', sourceKeys: ['patient:1'] })).toMatchObject({ updated: 1 });
    expect(w.account.table('person').get(id)!.name).toBe('Renamed Twice');
    // Unchanged source: no update.
    expect(await load(w, { runKind: 'delta', sourceKeys: ['patient:1'] })).toMatchObject({ updated: 0, alreadyDone: 1 });
    expect(w.account.updates).toHaveLength(2);

    // The first before-image wins: the state before the migration's first update.
    expect([...w.ledger.beforeImages.values()]).toEqual([{ objectType: 'person', pipedriveId: id, body: original, restored: false }]);
    expect(await restoreBeforeImages(w)).toEqual({ restored: 1 });
    expect(w.account.table('person').get(id)!.name).toBe('Person 1');
    expect(restorableBody('person', w.account.table('person').get(id)!, w.fieldKeys)).toEqual(original);
    expect(w.audit.rows.filter((r) => r.action === 'restore')).toEqual([
      expect.objectContaining({ objectType: 'person', pipedriveId: id, note: 'before-image restored' }),
    ]);
    // Restored once: a second pass has nothing left to do.
    expect(await restoreBeforeImages(w)).toEqual({ restored: 0 });
  });

  it('rolls back in reverse dependency order: children before parents, pending creates recovered first, already-gone counted', async () => {
    const w = world();
    // Loaded in dependency order: organizations, persons, deals, activities, notes (one record each, ids from the account).
    const created: [string, string][] = [
      ['organization', 'employer:1'],
      ['person', 'patient:1'],
      ['deal', 'txcase:1'],
      ['activity', 'appt:1'],
      ['note', 'clinical_note:1'],
    ];
    for (const [objectType, sourceKey] of created) {
      const id = w.account.seed(objectType, { name: sourceKey });
      await w.ledger.recordCreated({ objectType, sourceKey, pipedriveId: id, runKind: 'full' });
    }
    // An organization whose create's outcome is unknown: it exists on the account, the ledger has no id yet.
    await w.ledger.claim({ objectType: 'organization', sourceKey: 'employer:2', runKind: 'full' });
    const pendingId = w.account.seed('organization', { name: 'Employer 2', custom_fields: { o1o2o3: 'employer:2' } });
    // Someone deleted the activity by hand before the rollback.
    w.account.table('activity').clear();

    const order: string[] = [];
    let totals = { deleted: 0, alreadyGone: 0 };
    for (let next = await nextToUndo(w.ledger, 'all'); next; next = await nextToUndo(w.ledger, 'all')) {
      order.push(next.objectType);
      const r = await undoBatch({ ...w, staging: {} }, { objectType: next.objectType, scope: 'all', limit: 10 });
      totals = { deleted: totals.deleted + r.deleted, alreadyGone: totals.alreadyGone + r.alreadyGone };
    }
    expect(order).toEqual(['note', 'activity', 'deal', 'person', 'organization']);
    expect(w.account.deletes.map((d) => d.objectType)).toEqual(['note', 'activity', 'deal', 'person', 'organization', 'organization']);
    expect(w.account.deletes.at(-1)!.id).toBe(pendingId);
    expect(totals).toEqual({ deleted: 5, alreadyGone: 1 });
    for (const t of ['note', 'activity', 'deal', 'person', 'organization']) expect(w.account.live(t)).toEqual([]);
    expect([...w.ledger.rows.values()].every((r) => r.state === 'deleted')).toBe(true);
    const deletes = w.audit.rows.filter((r) => r.action === 'delete');
    expect(deletes).toHaveLength(6);
    expect(deletes.find((r) => r.objectType === 'activity')).toMatchObject({ status: 404, note: 'already gone' });
    expect(deletes.find((r) => r.sourceKey === 'employer:2')).toMatchObject({
      pipedriveId: pendingId,
      note: 'pending create: id recovered by its Dentrix key first',
    });
  });
});
