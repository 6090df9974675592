import { createTestDatabase, type TestDatabase } from '../support/db';
import { readBatchContext } from '../../src/store/batch-context';
import { approveFieldMap, latestFieldMapVersion, saveProposedMap } from '../../src/store/field-maps';
import { loadFieldKeys, saveFieldKey } from '../../src/store/field-keys';
import { getRun, recordPractice, registerRun, UnknownMigrationError } from '../../src/store/runs';

/** A batch's one read before it writes (issue 14) gives what the three reads it replaces gave. */
describe("a batch's context in one statement", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('before a map is approved or a field created: the run alone', async () => {
    await registerRun(db.pool, { migrationId: 'new', source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    await saveProposedMap(db.pool, 'new', { map: {} });
    const context = await readBatchContext(db.pool, 'new');
    expect(context).toEqual({ run: await getRun(db.pool, 'new'), approvedMapVersion: undefined, fieldKeys: [] });
  });

  it("the run, the latest approved map's version and the account's field keys, as their own reads give them", async () => {
    const M = 'loading';
    await registerRun(db.pool, { migrationId: M, source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    await recordPractice(db.pool, M, { name: 'Maple Dental', timezone: 'America/Toronto', currency: 'CAD' });
    for (const version of [await saveProposedMap(db.pool, M, { map: {} }), await saveProposedMap(db.pool, M, { map: {} })])
      await approveFieldMap(db.pool, M, version, 'ops@example.com', { map: {} });
    await saveProposedMap(db.pool, M, { map: {} }); // proposed after the approval: not what batches load with
    await saveFieldKey(db.pool, M, {
      entity: 'person',
      fieldName: 'recall_type',
      fieldCode: 'abc123',
      fieldType: 'enum',
      options: [{ id: 7, label: 'Hygiene' }],
      createdByUs: true,
    });
    await saveFieldKey(db.pool, M, { entity: 'deal', fieldName: 'cdt_code', fieldCode: 'def456', fieldType: 'varchar', options: [], createdByUs: false });
    // Another migration's key is not this one's.
    await saveFieldKey(db.pool, 'new', { entity: 'person', fieldName: 'x', fieldCode: 'zzz', fieldType: 'varchar', options: [], createdByUs: true });

    const context = await readBatchContext(db.pool, M);
    expect(context.run).toEqual(await getRun(db.pool, M));
    expect(context.approvedMapVersion).toBe(await latestFieldMapVersion(db.pool, M, 'approved'));
    expect(context.approvedMapVersion).toBe(2);
    expect(context.fieldKeys).toEqual(await loadFieldKeys(db.pool, M));
    expect(context.fieldKeys.map((k) => k.fieldName)).toEqual(['cdt_code', 'recall_type']);
  });

  it('an unknown migration is named', async () => {
    await expect(readBatchContext(db.pool, 'nope')).rejects.toThrow(UnknownMigrationError);
  });
});
