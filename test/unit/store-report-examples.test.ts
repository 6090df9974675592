import { createTestDatabase, type TestDatabase } from '../support/db';
import { saveFieldDiffs } from '../../src/store/field-diffs';
import { Ledger } from '../../src/store/ledger';
import { discrepancyExamples, rejectedRecords } from '../../src/store/report-examples';
import { registerRun } from '../../src/store/runs';

/** The ids the sample diff's and verification's page show: examples per discrepancy category, rejected records by reason. */
describe('report examples from the store', () => {
  let db: TestDatabase;
  const M = 'examples';
  beforeAll(async () => {
    db = await createTestDatabase();
    await registerRun(db.pool, { migrationId: M, source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    const ledger = new Ledger(db.pool);
    for (const n of [1, 2, 3]) {
      await ledger.markCreated(M, { objectType: 'person', sourceKey: `patient:${n}`, pipedriveId: 100 + n, runKind: 'sample', state: 'created' });
    }
    const diff = (sourceKey: string, field: string, category: string | null) => ({
      objectType: 'person',
      sourceKey,
      field,
      matched: category === null,
      category,
      expected: 'Zoe Ng',
      actual: 'Zoe Nq',
    });
    await saveFieldDiffs(db.pool, M, 'sample', [
      diff('patient:1', 'name', 'value_mismatch'),
      diff('patient:1', 'emails', 'value_mismatch'),
      diff('patient:2', 'name', 'value_mismatch'),
      diff('patient:3', 'name', 'value_mismatch'),
      diff('patient:3', 'custom:Birth Date', 'time_zone'),
      diff('patient:9', 'name', 'missing_record'),
      diff('patient:2', 'emails', null),
    ]);
    await ledger.markOutcomes(M, [
      { objectType: 'person', sourceKey: 'patient:7', state: 'rejected', reason: 'first_name: no name', runKind: 'sample' },
      { objectType: 'person', sourceKey: 'patient:8', state: 'rejected', reason: 'first_name: no name', runKind: 'full' },
      { objectType: 'person', sourceKey: 'patient:6', state: 'rejected', reason: 'first_name: no name', runKind: 'full' },
      { objectType: 'deal', sourceKey: 'plan:1', state: 'rejected', reason: 'status: value not in the value map', runKind: 'full' },
      { objectType: 'deal', sourceKey: 'plan:2', state: 'skipped', reason: 'inactive', runKind: 'full' },
    ]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('names up to N records per object type and category, with their Pipedrive id and fields, no values', async () => {
    const examples = await discrepancyExamples(db.pool, M, 'sample', 2);
    expect(examples).toEqual([
      { objectType: 'person', category: 'missing_record', sourceKey: 'patient:9', pipedriveId: null, fields: ['name'] },
      { objectType: 'person', category: 'time_zone', sourceKey: 'patient:3', pipedriveId: '103', fields: ['custom:Birth Date'] },
      { objectType: 'person', category: 'value_mismatch', sourceKey: 'patient:1', pipedriveId: '101', fields: ['emails', 'name'] },
      { objectType: 'person', category: 'value_mismatch', sourceKey: 'patient:2', pipedriveId: '102', fields: ['name'] },
    ]);
    expect(JSON.stringify(examples)).not.toContain('Zoe');
    expect(await discrepancyExamples(db.pool, M, 'full', 2)).toEqual([]);
  });

  it("groups rejected records by object type and reason, most first, every run's or the sample's", async () => {
    expect(await rejectedRecords(db.pool, M, 'all', 2)).toEqual([
      { objectType: 'deal', reason: 'status: value not in the value map', records: 1, sourceKeys: ['plan:1'] },
      { objectType: 'person', reason: 'first_name: no name', records: 3, sourceKeys: ['patient:6', 'patient:7'] },
    ]);
    expect(await rejectedRecords(db.pool, M, 'sample', 2)).toEqual([
      { objectType: 'person', reason: 'first_name: no name', records: 1, sourceKeys: ['patient:7'] },
    ]);
  });
});
