import pg, { type PoolClient } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { storeDb } from '../../src/store/db';
import { pgAuditLog, pgLedger } from '../../src/store/engine-store';
import { Ledger } from '../../src/store/ledger';
import { registerRun, setRunAccount } from '../../src/store/runs';

/** The write engine's ledger over PostgreSQL (id_map, before_images, audit_log): the state rules the protocol relies on. */
describe('the PostgreSQL ledger', () => {
  let db: TestDatabase;
  const run = (migrationId: string) =>
    registerRun(db.pool, { migrationId, source: { kind: 'folder', path: `/${migrationId}` }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('claims before a create, records the id with its audit row, and never claims or rejects a created record again', async () => {
    await run('states');
    const ledger = pgLedger(db.pool, 'states', { activityId: 'a1', attempt: 1 });
    await ledger.claim({ objectType: 'person', sourceKey: 'patient:1', runKind: 'full', contentHash: 'h1' });
    expect((await ledger.getMany('person', ['patient:1'])).get('patient:1')).toMatchObject({ state: 'pending', pipedriveId: null, contentHash: 'h1' });
    await ledger.recordCreated(
      { objectType: 'person', sourceKey: 'patient:1', pipedriveId: 7, runKind: 'full' },
      { action: 'create', objectType: 'person', sourceKey: 'patient:1', pipedriveId: '7', method: 'POST', endpoint: 'POST /api/v2/persons', tokens: 5 },
    );
    // The hash of the claim is kept when the create records none.
    expect((await ledger.getMany('person', ['patient:1'])).get('patient:1')).toMatchObject({ state: 'created', pipedriveId: '7', contentHash: 'h1' });
    const audit = await storeDb(db.pool).selectFrom('audit_log').selectAll().where('migration_id', '=', 'states').execute();
    expect(audit).toEqual([expect.objectContaining({ action: 'create', pipedrive_id: '7', activity_id: 'a1', attempt: 1, tokens: 5 })]);

    await ledger.claim({ objectType: 'person', sourceKey: 'patient:1', runKind: 'full' });
    await ledger.recordOutcome({ objectType: 'person', sourceKey: 'patient:1', state: 'rejected', reason: 'x', runKind: 'full' });
    expect((await ledger.getMany('person', ['patient:1'])).get('patient:1')).toMatchObject({ state: 'created', pipedriveId: '7', reason: null });

    // A rejected record may be claimed again (the next run retries it).
    await ledger.recordOutcome({ objectType: 'person', sourceKey: 'patient:2', state: 'rejected', reason: 'bad date', runKind: 'full' });
    await ledger.claim({ objectType: 'person', sourceKey: 'patient:2', runKind: 'full' });
    expect((await ledger.getMany('person', ['patient:2'])).get('patient:2')).toMatchObject({ state: 'pending', reason: null });
    expect(
      await new Ledger(db.pool).resolve('states', [
        { objectType: 'person', sourceKey: 'patient:1' },
        { objectType: 'person', sourceKey: 'patient:2' },
      ]),
    ).toEqual(new Map([['person|patient:1', 7]]));
    expect(await new Ledger(db.pool).countsByState('states')).toEqual({ person: { created: 1, pending: 1 } });
  });

  it('an id and its audit row are committed together: a failing audit row leaves the claim pending', async () => {
    await run('atomic');
    const ledger = pgLedger(db.pool, 'atomic', {});
    await ledger.claim({ objectType: 'person', sourceKey: 'patient:1', runKind: 'full' });
    const badAudit = { action: 'create' as const, objectType: 'person', method: 'POST', endpoint: 'x'.repeat(10), tokens: Number.NaN };
    await expect(ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:1', pipedriveId: 9, runKind: 'full' }, badAudit)).rejects.toThrow();
    expect((await ledger.getMany('person', ['patient:1'])).get('patient:1')).toMatchObject({ state: 'pending', pipedriveId: null });
  });

  it("records a chunk's ids and audit rows in the next chunk's claiming statement: one statement, all or none", async () => {
    await run('chunks');
    const ledger = pgLedger(db.pool, 'chunks', { activityId: 'a1', attempt: 1 });
    const first = ['patient:1', 'patient:2'];
    await ledger.claimAll(first.map((sourceKey) => ({ objectType: 'person', sourceKey, runKind: 'full', contentHash: `h-${sourceKey}` })));
    const created = (bad = false) =>
      first.map((sourceKey, i) => ({
        entry: { objectType: 'person', sourceKey, pipedriveId: 10 + i, runKind: 'full' },
        audit: {
          action: 'create' as const,
          objectType: 'person',
          sourceKey,
          pipedriveId: String(10 + i),
          method: 'POST',
          endpoint: 'POST /api/v2/persons',
          tokens: bad ? Number.NaN : 5,
        },
      }));
    const next = [{ objectType: 'person', sourceKey: 'patient:3', runKind: 'full' }];
    // A statement that fails (an audit row the table refuses) records none of the ids and claims nothing.
    await expect(ledger.claimAll(next, created(true))).rejects.toThrow();
    expect([...(await ledger.getMany('person', ['patient:1', 'patient:2', 'patient:3'])).values()].map((e) => e.state)).toEqual(['pending', 'pending']);

    const statements = jest.spyOn(pg.Client.prototype, 'query');
    try {
      await ledger.claimAll(next, created());
      expect(statements).toHaveBeenCalledTimes(1);
      // Named: PostgreSQL parses and plans it once per connection, not per chunk.
      expect(statements.mock.calls[0]![0]).toMatchObject({ name: expect.any(String) });
    } finally {
      statements.mockRestore();
    }
    const after = await ledger.getMany('person', ['patient:1', 'patient:2', 'patient:3']);
    expect(after.get('patient:1')).toMatchObject({ state: 'created', pipedriveId: '10', contentHash: 'h-patient:1' });
    expect(after.get('patient:2')).toMatchObject({ state: 'created', pipedriveId: '11' });
    expect(after.get('patient:3')).toMatchObject({ state: 'pending', pipedriveId: null });
    const audit = await storeDb(db.pool)
      .selectFrom('audit_log')
      .select(['source_key', 'pipedrive_id', 'activity_id'])
      .where('migration_id', '=', 'chunks')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { source_key: 'patient:1', pipedrive_id: '10', activity_id: 'a1' },
      { source_key: 'patient:2', pipedrive_id: '11', activity_id: 'a1' },
    ]);
  });

  it('claims whose creates were never sent are released: a new row removed, an earlier state restored, an earlier pending kept', async () => {
    await run('release');
    const ledger = pgLedger(db.pool, 'release', {});
    await ledger.recordOutcome({ objectType: 'person', sourceKey: 'patient:2', state: 'rejected', reason: 'bad date', runKind: 'full' });
    await ledger.claim({ objectType: 'person', sourceKey: 'patient:3', runKind: 'full' });
    const prior = await ledger.getMany('person', ['patient:1', 'patient:2', 'patient:3']);
    await ledger.claimAll(['patient:1', 'patient:2', 'patient:3'].map((sourceKey) => ({ objectType: 'person', sourceKey, runKind: 'full' })));
    await ledger.releaseClaims(['patient:1', 'patient:2', 'patient:3'].map((sourceKey) => ({ objectType: 'person', sourceKey, prior: prior.get(sourceKey) })));
    const after = await ledger.getMany('person', ['patient:1', 'patient:2', 'patient:3']);
    expect(after.get('patient:1')).toBeUndefined();
    expect(after.get('patient:2')).toMatchObject({ state: 'rejected', reason: 'bad date' });
    expect(after.get('patient:3')).toMatchObject({ state: 'pending' });
  });

  it('a record found gone goes back to pending with its gone id kept through a retried claim and the create; a fresh claim clears it', async () => {
    await run('gone');
    const ledger = pgLedger(db.pool, 'gone', {});
    const store = new Ledger(db.pool);
    const entry = async (key: string) => (await ledger.getMany('person', [key])).get(key);
    await ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:1', pipedriveId: 7, runKind: 'full' });
    await ledger.recordCreated({ objectType: 'product', sourceKey: 'cdt:D1110', pipedriveId: 3, runKind: 'full', state: 'reused' });
    // Only the row still holding the id found gone changes.
    expect(await ledger.markGone({ objectType: 'person', sourceKey: 'patient:1', goneId: '8', runKind: 'sample' })).toBe(false);
    expect(await ledger.markGone({ objectType: 'person', sourceKey: 'patient:1', goneId: '7', runKind: 'sample' })).toBe(true);
    expect(await entry('patient:1')).toMatchObject({ state: 'pending', pipedriveId: null, replacedPipedriveId: '7', runKind: 'sample' });
    expect(await ledger.markGone({ objectType: 'person', sourceKey: 'patient:1', goneId: '7', runKind: 'sample' })).toBe(false);
    expect(await ledger.markGone({ objectType: 'product', sourceKey: 'cdt:D1110', goneId: '3', runKind: 'full' })).toBe(true);
    expect(await store.recreatedByType('gone')).toEqual({});

    await ledger.claim({ objectType: 'person', sourceKey: 'patient:1', runKind: 'sample' }); // a retried attempt's claim
    await ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:1', pipedriveId: 12, runKind: 'sample' });
    expect(await entry('patient:1')).toMatchObject({ state: 'created', pipedriveId: '12', replacedPipedriveId: '7' });
    await ledger.recordCreated({ objectType: 'product', sourceKey: 'cdt:D1110', pipedriveId: 4, runKind: 'full', state: 'reused' });
    expect(await store.recreatedByType('gone')).toEqual({ person: 1, product: 1 });

    // Rolled back, then created afresh by a later run: a first creation again, not a recreation.
    await ledger.markDeleted('person', 'patient:1');
    expect(await store.recreatedByType('gone')).toEqual({ product: 1 });
    await ledger.claim({ objectType: 'person', sourceKey: 'patient:1', runKind: 'full' });
    expect(await entry('patient:1')).toMatchObject({ state: 'pending', replacedPipedriveId: null });
  });

  it('keeps the first before-image, restores only those of records the rollback kept, once', async () => {
    await run('images');
    const ledger = pgLedger(db.pool, 'images', {});
    await ledger.saveBeforeImage({ objectType: 'person', pipedriveId: '1', body: { name: 'First' } });
    await ledger.saveBeforeImage({ objectType: 'person', pipedriveId: '1', body: { name: 'Second' } });
    await ledger.saveBeforeImage({ objectType: 'person', pipedriveId: '2', body: { name: 'Created by us' } });
    await ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:2', pipedriveId: '2', runKind: 'full' });
    await ledger.markDeleted('person', 'patient:2');
    expect(await ledger.beforeImagesToRestore()).toEqual([{ objectType: 'person', pipedriveId: '1', body: { name: 'First' } }]);
    await ledger.markRestored('person', '1');
    expect(await ledger.beforeImagesToRestore()).toEqual([]);
    expect(await ledger.beforeImagesKept()).toEqual([{ objectType: 'person', pipedriveId: '1', body: { name: 'First' }, restored: true }]);
    expect(await ledger.deletedIds('all')).toEqual(new Map([['person', ['2']]]));
    expect(await ledger.deletedIds('sample')).toEqual(new Map());
  });

  it('counts what a rollback has left per type and scope, lists it in key order, and forgets deleted custom fields’ keys', async () => {
    await run('undo');
    const ledger = pgLedger(db.pool, 'undo', {});
    await ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:2', pipedriveId: '12', runKind: 'sample' });
    await ledger.recordCreated({ objectType: 'person', sourceKey: 'patient:1', pipedriveId: '11', runKind: 'full' });
    await ledger.claim({ objectType: 'note', sourceKey: 'clinical_note:1', runKind: 'full' });
    await ledger.recordOutcome({ objectType: 'note', sourceKey: 'clinical_note:2', state: 'skipped', reason: 'empty', runKind: 'full' });
    await ledger.recordCreated({ objectType: 'custom_field', sourceKey: 'field:person:Birth Date', pipedriveId: 'person/abc', runKind: 'schema' });
    expect(await ledger.remainingByType('all')).toEqual(
      new Map([
        ['person', 2],
        ['note', 1],
        ['custom_field', 1],
      ]),
    );
    expect(await ledger.remainingByType('sample')).toEqual(new Map([['person', 1]]));
    expect((await ledger.toUndo('person', 'all', 10)).map((e) => e.sourceKey)).toEqual(['patient:1', 'patient:2']);
    expect(await new Ledger(db.pool).countRemaining('undo', 'all')).toBe(4);
    expect(await ledger.createdFieldCodes()).toEqual(new Set(['abc']));

    await storeDb(db.pool)
      .insertInto('field_keys')
      .values([
        { migration_id: 'undo', entity: 'person', field_code: 'abc', field_name: 'Birth Date', field_type: 'date', created_by_us: true },
        { migration_id: 'undo', entity: 'person', field_code: 'def', field_name: 'Kept', field_type: 'varchar', created_by_us: false },
      ])
      .execute();
    await ledger.markDeleted('custom_field', 'field:person:Birth Date');
    await new Ledger(db.pool).forgetDeletedFieldKeys('undo');
    const left = await storeDb(db.pool).selectFrom('field_keys').select('field_code').where('migration_id', '=', 'undo').execute();
    expect(left).toEqual([{ field_code: 'def' }]);
  });

  it('tells a record another migration into the same account created from the account’s own and another account’s', async () => {
    for (const id of ['mine', 'theirs', 'elsewhere']) await run(id);
    await setRunAccount(db.pool, 'mine', 'acct#1');
    await setRunAccount(db.pool, 'theirs', 'acct#1');
    await setRunAccount(db.pool, 'elsewhere', 'acct#2');
    await pgLedger(db.pool, 'theirs', {}).recordCreated({ objectType: 'person', sourceKey: 'patient:5', pipedriveId: '50', runKind: 'full' });
    await pgLedger(db.pool, 'theirs', {}).recordCreated({
      objectType: 'product',
      sourceKey: 'proccode:1',
      pipedriveId: '60',
      runKind: 'full',
      state: 'reused',
    });
    await pgLedger(db.pool, 'elsewhere', {}).recordCreated({ objectType: 'person', sourceKey: 'patient:5', pipedriveId: '70', runKind: 'full' });
    const mine = pgLedger(db.pool, 'mine', {});
    expect(await mine.createdByAnotherMigration('person', '50')).toBe(true);
    expect(await mine.createdByAnotherMigration('product', '60')).toBe(false);
    expect(await mine.createdByAnotherMigration('person', '70')).toBe(false);
    await pgAuditLog(db.pool, 'mine', { workflowId: 'wf' }).append({ action: 'recover', objectType: 'person', method: 'GET', endpoint: 'recover person' });
    expect(await storeDb(db.pool).selectFrom('audit_log').select(['workflow_id', 'action']).where('migration_id', '=', 'mine').execute()).toEqual([
      { workflow_id: 'wf', action: 'recover' },
    ]);
  });
  it('resolves links by primary key even where the table has no planner statistics yet (a fresh store’s first run)', async () => {
    await run('plans');
    const client = await db.pool.connect();
    try {
      await client.query('ALTER TABLE id_map SET (autovacuum_enabled = false)'); // no ANALYZE behind the test's back
      await client.query(
        `INSERT INTO id_map (migration_id, object_type, source_key, pipedrive_id, state, run_kind)
         SELECT 'plans', t, t || ':' || g, g::text, 'created', 'full' FROM generate_series(1, 5000) g, unnest(ARRAY['person', 'deal']) t`,
      );
      // The ledger on a connection that answers every statement with its plan (and no rows).
      const plans: string[] = [];
      const explaining = {
        query: async (text: string, values?: unknown[]) => {
          const plan = await client.query('EXPLAIN (FORMAT JSON) ' + text, values);
          plans.push(JSON.stringify(plan.rows));
          return { rows: [], rowCount: 0, command: 'SELECT', fields: [] };
        },
        release: () => undefined,
      } as unknown as PoolClient;
      const refs = Array.from({ length: 50 }, (_, i) => ({ objectType: i % 2 ? 'person' : 'deal', sourceKey: `${i % 2 ? 'person' : 'deal'}:${i * 90 + 1}` }));
      await new Ledger(explaining).resolve('plans', refs);
      expect(plans).toHaveLength(1);
      // A semi-join planned on a guess scans every record of the migration against every reference.
      expect(plans[0]).toContain('"Index Name":"id_map_pkey"');
      expect(plans[0]).not.toContain('"Join Type":"Semi"');
      expect((await new Ledger(db.pool).resolve('plans', refs.slice(0, 2))).get('deal|deal:1')).toBe(1);
    } finally {
      await client.query('ALTER TABLE id_map RESET (autovacuum_enabled)');
      client.release();
    }
  });
});
