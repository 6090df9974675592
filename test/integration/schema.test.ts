import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { defaultFieldMap } from '../../src/mapping';
import { activityDeps } from '../../src/runtime/worker';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
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
});
