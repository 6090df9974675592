import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { defaultFieldMap } from '../../src/mapping';
import { activityDeps } from '../../src/runtime/worker';
import { DEFAULT_API_TOKEN, startSandbox, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { storeProgress } from '../../src/cli/commands';
import { saveProposedMap } from '../../src/store/field-maps';
import { Ledger } from '../../src/store/ledger';
import { registerRun } from '../../src/store/runs';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('SCHEMA phase against the sandbox', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let acts: ReturnType<typeof createActivities>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-schema-'));
  const env = new MockActivityEnvironment();
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run<A, R, (...a: A) => Promise<R>>(fn, ...args);
  const migrationId = 'schema-twice';

  beforeAll(async () => {
    db = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, plan: 'ultimate', burstLimit: 1000 });
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '500' });
    acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: sandbox.url });
    await saveProposedMap(db.pool, migrationId, { map: defaultFieldMap() });
    const approval = await run(acts.approveMap, { migrationId, by: 'test', includeAllPhi: true });
    expect(approval.errors).toEqual([]);
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates every field, pipeline and stage once; a second run creates nothing and leaves the account as it was', async () => {
    const before = sandbox.fingerprint();
    const first = await run(acts.createSchema, { migrationId });
    expect(first.created).toBeGreaterThan(20);
    const afterFirst = sandbox.fingerprint();
    expect(afterFirst).not.toBe(before);

    const second = await run(acts.createSchema, { migrationId });
    expect(second.created).toBe(0);
    expect(sandbox.fingerprint()).toBe(afterFirst);

    const ledger = await new Ledger(db.pool).countsByState(migrationId);
    expect(ledger.custom_field?.created).toBeGreaterThan(20);
    expect(ledger.pipeline?.created).toBe(1);
    expect(ledger.stage?.created).toBeGreaterThanOrEqual(4);
    // Meeting and Task exist in every account: reused, never deleted by a rollback.
    expect(ledger.activity_type?.reused).toBeGreaterThanOrEqual(2);
  });

  it('recreates a field and a stage staff deleted by hand once, counted as recreated the way records are', async () => {
    const ledger = new Ledger(db.pool);
    const field = (await ledger.get(migrationId, 'custom_field', 'field:person:Values Needing Review'))!;
    const { rows } = await db.pool.query<{ source_key: string; pipedrive_id: string }>(
      "SELECT source_key, pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'stage' AND state = 'created' ORDER BY source_key LIMIT 1",
      [migrationId],
    );
    const stage = rows[0]!;
    const byHand = (pathname: string) =>
      fetch(`${sandbox.url}/api/v2${pathname}`, { method: 'DELETE', headers: { 'x-api-token': DEFAULT_API_TOKEN } }).then((r) => r.status);
    expect(await byHand(`/personFields/${field.pipedriveId!.split('/')[1]!}`)).toBe(200);
    expect(await byHand(`/stages/${stage.pipedrive_id}`)).toBe(200);

    const third = await run(acts.createSchema, { migrationId });
    expect(third).toMatchObject({ created: 2, recreated: 2 });
    expect(await ledger.recreatedByType(migrationId)).toEqual({ custom_field: 1, stage: 1 });
    const again = (await ledger.get(migrationId, 'custom_field', field.sourceKey))!;
    expect(again).toMatchObject({ state: 'created', replacedPipedriveId: field.pipedriveId });
    expect(again.pipedriveId).not.toBe(field.pipedriveId);
    expect(await ledger.get(migrationId, 'stage', stage.source_key)).toMatchObject({ state: 'created', replacedPipedriveId: stage.pipedrive_id });
    // Status shows it per type, as for records.
    const progress = await storeProgress(db.pool, migrationId, 'UTC');
    expect(progress.objects.custom_field).toMatchObject({ recreated: 1 });
    expect(progress.objects.stage).toMatchObject({ recreated: 1 });

    // Exactly once: a run after it creates nothing more.
    const fingerprint = sandbox.fingerprint();
    expect(await run(acts.createSchema, { migrationId })).toMatchObject({ created: 0, recreated: 0 });
    expect(sandbox.fingerprint()).toBe(fingerprint);
    expect(await ledger.recreatedByType(migrationId)).toEqual({ custom_field: 1, stage: 1 });
  });

  it('adopts an element whose create response was lost as ours (so rollback removes it), not as pre-existing', async () => {
    const other = 'schema-lost';
    await registerRun(db.pool, { migrationId: other, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: sandbox.url });
    await saveProposedMap(db.pool, other, { map: defaultFieldMap() });
    await run(acts.approveMap, { migrationId: other, by: 'test', includeAllPhi: true });
    sandbox.reset();
    sandbox.setFaults({ lostResponseRate: 1, seed: 3 });
    // Every create's response is lost: the activity either settles them itself or fails for a retry.
    await run(acts.createSchema, { migrationId: other }).catch(() => undefined);
    sandbox.setFaults({});
    const result = await run(acts.createSchema, { migrationId: other });
    expect(result.reused).toBeGreaterThanOrEqual(2); // only Meeting and Task existed before
    const states = await new Ledger(db.pool).countsByState(other);
    expect(states.custom_field?.reused ?? 0).toBe(0);
    expect(states.custom_field?.pending ?? 0).toBe(0);
  });
});

describe('options added to a field the account already had', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let acts: ReturnType<typeof createActivities>;
  let deps: ReturnType<typeof activityDeps>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-options-'));
  const env = new MockActivityEnvironment();
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run<A, R, (...a: A) => Promise<R>>(fn, ...args);
  const migrationId = 'schema-options';

  beforeAll(async () => {
    db = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, plan: 'ultimate', burstLimit: 1000 });
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '500' });
    deps = activityDeps(config, db.pool, createLogger('silent'));
    acts = createActivities(deps);
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: sandbox.url });
    await saveProposedMap(db.pool, migrationId, { map: defaultFieldMap() });
    await run(acts.approveMap, { migrationId, by: 'test', includeAllPhi: true });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('records each option it adds, even after a lost response, and a rollback removes exactly those', async () => {
    const client = deps.pipedriveFor(sandbox.url);
    // The practice's account already sorts organizations by a "Type" with two of the four values the map needs.
    const theirs = await client.createField('organization', {
      field_name: 'Type',
      field_type: 'enum',
      options: [{ label: 'Household' }, { label: 'Employer' }],
    });
    const before = sandbox.fingerprint();
    await run(acts.takeFingerprint, { migrationId, label: 'before_first_write' });

    // Every create's response is lost on the first try: the added options must still end as ours.
    sandbox.setFaults({ lostResponseRate: 1, seed: 5 });
    await run(acts.createSchema, { migrationId }).catch(() => undefined);
    sandbox.setFaults({});
    await run(acts.createSchema, { migrationId });

    const typeField = (await client.listFields('organization')).find((f) => f.field_code === theirs.field_code)!;
    expect(typeField.options!.map((o) => o.label).sort()).toEqual(['Employer', 'Household', 'Insurance Carrier', 'Referral Source']);
    const { rows } = await db.pool.query<{ source_key: string; state: string; pipedrive_id: string }>(
      "SELECT source_key, state, pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type IN ('field_option', 'custom_field') AND source_key LIKE '%organization:Type%' ORDER BY source_key",
      [migrationId],
    );
    const added = typeField.options!.filter((o) => o.label === 'Insurance Carrier' || o.label === 'Referral Source');
    expect(rows).toEqual([
      { source_key: 'field:organization:Type', state: 'reused', pipedrive_id: `organization/${theirs.field_code}` },
      {
        source_key: 'option:organization:Type:insurance carrier',
        state: 'created',
        pipedrive_id: `organization/${theirs.field_code}/${added.find((o) => o.label === 'Insurance Carrier')!.id}`,
      },
      {
        source_key: 'option:organization:Type:referral source',
        state: 'created',
        pipedrive_id: `organization/${theirs.field_code}/${added.find((o) => o.label === 'Referral Source')!.id}`,
      },
    ]);

    await run(acts.beginRollback, { migrationId, scope: 'all', by: 'test', reason: 'test' });
    for (
      let next = await run(acts.nextRollbackTarget, { migrationId, scope: 'all' });
      next;
      next = await run(acts.nextRollbackTarget, { migrationId, scope: 'all' })
    ) {
      await run(acts.rollbackBatch, { migrationId, objectType: next.objectType, scope: 'all', limit: 100 });
    }
    const proof = await run(acts.proveRollback, { migrationId, scope: 'all' });
    expect(proof).toMatchObject({ proven: true, remaining: 0 });
    // Each custom field's and option's delete is logged against its own entity's endpoint.
    const { rows: deletes } = await db.pool.query<{ object_type: string; pipedrive_id: string; endpoint: string }>(
      `SELECT object_type, pipedrive_id, endpoint FROM audit_log
       WHERE migration_id = $1 AND action = 'delete' AND object_type IN ('custom_field', 'field_option') AND pipedrive_id IS NOT NULL`,
      [migrationId],
    );
    const entities = new Set(deletes.map((d) => d.pipedrive_id.split('/')[0]));
    expect([...entities].sort()).toEqual(expect.arrayContaining(['organization', 'person']));
    for (const d of deletes) {
      const fields = `/api/v2/${d.pipedrive_id.split('/')[0]}Fields/{field_code}`;
      expect(d.endpoint).toBe(d.object_type === 'custom_field' ? `DELETE ${fields}` : `DELETE ${fields}/options`);
    }
    // Their field and their two options stay; the two we added are gone.
    const after = (await client.listFields('organization')).find((f) => f.field_code === theirs.field_code)!;
    expect(after.options!.map((o) => o.label).sort()).toEqual(['Employer', 'Household']);
    expect(sandbox.fingerprint()).toBe(before);
  });
});

describe('MAPPING_REVIEW approval', () => {
  let db: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-approve-'));
  const env = new MockActivityEnvironment();
  let acts: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir });
    acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies the PHI decisions imported with an edited workbook when the approval names none, and states them', async () => {
    const migrationId = 'phi-from-workbook';
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: 'http://127.0.0.1:9' });
    const version = await saveProposedMap(db.pool, migrationId, {
      map: defaultFieldMap(),
      phi: { include: [{ rule: 'patient.birth_date', deidentify: 'year_only' }] },
    });
    const approval = await env.run<[Parameters<typeof acts.approveMap>[0]], Awaited<ReturnType<typeof acts.approveMap>>, typeof acts.approveMap>(
      acts.approveMap,
      { migrationId, by: 'compliance officer' },
    );
    expect(approval).toMatchObject({ ok: true, version });
    const approved = JSON.parse(fs.readFileSync(approval.approvedMapPath!, 'utf8')) as { phi: { statement: string } };
    expect(approved.phi.statement).toContain('patient.birth_date (year_only)');
  });

  it('refuses an approval that includes SSN, naming the rule, and approves nothing', async () => {
    const migrationId = 'phi-ssn';
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: 'http://127.0.0.1:9' });
    await saveProposedMap(db.pool, migrationId, { map: defaultFieldMap() });
    const ssnRule = defaultFieldMap().rules.find((r) => r.phi === 'never')!.id;
    const refused = await env.run<[Parameters<typeof acts.approveMap>[0]], Awaited<ReturnType<typeof acts.approveMap>>, typeof acts.approveMap>(
      acts.approveMap,
      { migrationId, by: 'someone', phiInclude: [{ rule: ssnRule, deidentify: 'none' }] },
    );
    expect(refused.ok).toBe(false);
    expect(refused.errors.join(' ')).toContain(ssnRule);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM field_maps WHERE migration_id = $1 AND status = 'approved'", [migrationId]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses an approval of a map version that does not validate, naming the problem, and approves nothing', async () => {
    const migrationId = 'invalid-map';
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: 'http://127.0.0.1:9' });
    const good = await saveProposedMap(db.pool, migrationId, { map: defaultFieldMap() });
    // The kind of edit a reviewer makes in the workbook: a rule pointed at a custom field the map never declares.
    const edited = defaultFieldMap();
    const rule = edited.rules.find((r) => r.target.entity === 'person' && r.target.field.kind === 'custom' && r.phi === 'none')!;
    rule.target.field = { kind: 'custom', name: 'Favourite Colour' };
    const bad = await saveProposedMap(db.pool, migrationId, { map: edited });
    const approve = (version: number) =>
      env.run<[Parameters<typeof acts.approveMap>[0]], Awaited<ReturnType<typeof acts.approveMap>>, typeof acts.approveMap>(acts.approveMap, {
        migrationId,
        version,
        by: 'reviewer',
      });
    const refused = await approve(bad);
    expect(refused).toMatchObject({ ok: false, version: bad });
    expect(refused.errors.join('\n')).toContain(`${rule.id}: custom field person.Favourite Colour is not defined in objects.customFields`);
    const approvedRows = () => db.pool.query("SELECT version FROM field_maps WHERE migration_id = $1 AND status = 'approved'", [migrationId]);
    expect((await approvedRows()).rows).toEqual([]);
    // The gate stays usable: the valid version is approved afterwards.
    expect(await approve(good)).toMatchObject({ ok: true, version: good });
    expect((await approvedRows()).rows).toEqual([{ version: good }]);
  });

  it('proposes afresh when the latest proposed version does not validate, instead of failing the gate', async () => {
    const migrationId = 'invalid-latest';
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: dataDir }, pipedriveBaseUrl: 'http://127.0.0.1:9' });
    const edited = defaultFieldMap();
    const rule = edited.rules.find((r) => r.target.entity === 'person' && r.target.field.kind === 'custom' && r.phi === 'none')!;
    rule.target.field = { kind: 'custom', name: 'Favourite Colour' };
    const bad = await saveProposedMap(db.pool, migrationId, { map: edited });
    const proposed = await env.run<[{ migrationId: string }], Awaited<ReturnType<typeof acts.proposeMap>>, typeof acts.proposeMap>(acts.proposeMap, {
      migrationId,
    });
    expect(proposed.version).toBeGreaterThan(bad);
    const approved = await env.run<[Parameters<typeof acts.approveMap>[0]], Awaited<ReturnType<typeof acts.approveMap>>, typeof acts.approveMap>(
      acts.approveMap,
      {
        migrationId,
        version: proposed.version,
        by: 'reviewer',
      },
    );
    expect(approved).toMatchObject({ ok: true, version: proposed.version });
  });
});
