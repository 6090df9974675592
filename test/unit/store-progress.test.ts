import { storeDb } from '../../src/store/db';
import { storeProgress } from '../../src/cli/commands';
import { barRows } from '../../src/cli/status-view';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * Issue 16: the progress `status` shows is the phase's. During FULL a type the full run has not reached shows what it
 * will load, not the sample's records as if they were the full run's; a rollback's bars move as it deletes.
 */
describe("the store's progress of the phase a migration is in", () => {
  let db: TestDatabase;
  const M = 'p';
  const workItems = (runKind: string, objectType: string, keys: string[]) =>
    storeDb(db.pool)
      .insertInto('work_items')
      .values(keys.map((k) => ({ migration_id: M, run_kind: runKind, object_type: objectType, source_key: k })))
      .execute();
  const ledger = (objectType: string, runKind: string, state: string, keys: string[]) =>
    storeDb(db.pool)
      .insertInto('id_map')
      .values(keys.map((k) => ({ migration_id: M, object_type: objectType, source_key: k, state, run_kind: runKind, pipedrive_id: '1' })))
      .execute();
  const setPhase = (phase: string) => db.pool.query('UPDATE migration_runs SET phase = $2 WHERE migration_id = $1', [M, phase]);
  const keys = (prefix: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}:${from + i}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url, phase) VALUES ($1, '{}', 'http://sandbox', 'SAMPLE')`, [M]);
    // Staging: 5 patients and 3 appointments, one of them a new patient's (no patient_id): 6 persons for the full run.
    const staged = [
      ...[1, 2, 3, 4, 5].map((id) => ({ table: 'patient', key: String(id), data: { patient_id: id } })),
      ...[1, 2, 3].map((id) => ({ table: 'appt', key: String(id), data: { appointment_id: id, patient_id: id === 3 ? null : id } })),
    ];
    await storeDb(db.pool)
      .insertInto('staged_rows')
      .values(
        staged.map((r, i) => ({ migration_id: M, source_table: r.table, source_key: r.key, row_seq: i, content_hash: 'h', data: JSON.stringify(r.data) })),
      )
      .execute();
    // The sample: 2 organizations, 2 persons, all created.
    await workItems('sample', 'organization', keys('employer', 2));
    await workItems('sample', 'person', keys('patient', 2, 1));
    await ledger('organization', 'sample', 'created', keys('employer', 2));
    await ledger('person', 'sample', 'created', keys('patient', 2, 1));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("shows the sample's own records during SAMPLE", async () => {
    const p = await storeProgress(db.pool, M, 'UTC');
    expect(p.scope).toBe('sample');
    expect(p.objects.person).toMatchObject({ planned: 2, migrated: 2, state: 'done' });
    expect(p.rate).toMatchObject({ remaining: 0 });
  });

  it("during FULL a type not reached yet is not started, with what it will load, never the sample's counts", async () => {
    await setPhase('FULL');
    // The full organization load has begun: 5 planned, the sample's 2 already there, 1 more created since.
    await workItems('full', 'organization', keys('employer', 5));
    await ledger('organization', 'full', 'created', ['employer:2']);
    const p = await storeProgress(db.pool, M, 'UTC');
    expect(p.scope).toBe('full');
    expect(p.objects.organization).toMatchObject({ planned: 5, migrated: 3, state: 'running' });
    expect(p.objects.person).toMatchObject({ planned: 6, migrated: 0, state: 'waiting' });
    expect(Object.keys(p.objects)).toEqual(['organization', 'person']);
    expect(barRows(p).map((r) => [r.object, `${r.value}/${r.total}`, r.detail])).toEqual([
      ['organization', '3/5', 'migrated 3 · skipped 0 · rejected 0'],
      ['person', '0/6', 'not started (6 to load)'],
    ]);
    // 2 + 6 left; the one record created within the last minute gives a rate, and an ETA for the 8 left.
    expect(p.rate).toMatchObject({ remaining: 8 });
    expect(p.rate!.perSecond).toBeGreaterThan(0);
    expect(p.rate!.etaSeconds).toBeGreaterThan(0);
  });

  it('during ROLLING_BACK the bars count what this rollback deleted over what it has to delete', async () => {
    // An earlier rejected sample's deleted row is not this rollback's.
    await ledger('person', 'sample', 'deleted', ['patient:9']);
    await db.pool.query("UPDATE id_map SET updated_at = now() - interval '1 hour' WHERE source_key = 'patient:9'");
    await setPhase('ROLLING_BACK');
    await db.pool.query(
      `INSERT INTO audit_log (migration_id, at, action, object_type, method, endpoint) VALUES ($1, now() - interval '1 second', 'update', 'migration', 'SIGNAL', 'rollback:all')`,
      [M],
    );
    let p = await storeProgress(db.pool, M, 'UTC');
    expect(p.scope).toBe('rollback');
    expect(p.rollback!.objects).toEqual({ organization: { deleted: 0, left: 3 }, person: { deleted: 0, left: 2 } });
    expect(p.rate).toMatchObject({ remaining: 5, perSecond: 0 });

    await db.pool.query(`UPDATE id_map SET state = 'deleted', updated_at = now() WHERE migration_id = $1 AND source_key IN ('patient:1', 'patient:2')`, [M]);
    p = await storeProgress(db.pool, M, 'UTC');
    expect(p.rollback!.objects.person).toEqual({ deleted: 2, left: 0 });
    expect(barRows(p).map((r) => [r.object, `${r.value}/${r.total}`])).toEqual([
      ['organization', '0/3'],
      ['person', '2/2'],
    ]);
    expect(p.rate).toMatchObject({ remaining: 3 });
    expect(p.rate!.perSecond).toBeGreaterThan(0);
    // `status --json`'s fields as before: the ledger's states of every record the migration holds.
    expect(p.objects.person).toMatchObject({ migrated: 0, rolledBack: 3 });
  });
});
