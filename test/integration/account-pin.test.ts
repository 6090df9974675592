import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { loadEnv, parseMigrationOptions } from '../../src/config';
import { queryStatus, startMigration } from '../../src/cli/commands';
import { createLogger } from '../../src/logging';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { activityDeps } from '../../src/runtime/worker';
import { startSandbox, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { findRun, getRun } from '../../src/store/runs';
import { activityRunner, loadAllBatches, prepareMigration } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createHarness, type Harness } from '../support/harness';
import { generatedPractice, sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';

jest.setTimeout(5 * 60 * 1000);

const OPTIONS = parseMigrationOptions({ sampleSize: 200, batchSize: 50, concurrency: 2, skipDelta: true });

/**
 * A migration's source and Pipedrive account are fixed before its first write (DESIGN §5.8): every write phase and
 * rollback refuses when the worker's token answers for another account, and a second `start` cannot re-point it.
 */
describe('one account per migration', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-account-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  describe('writes and rollback check the account', () => {
    let db: TestDatabase;
    let sandbox: RunningSandbox | undefined;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await sandbox?.close();
      await db?.drop();
    });

    it('refuses to load or roll back when the token answers for another company behind the same URL', async () => {
      const extract = await generatedPractice(dataDir);
      sandbox = await sandboxFor(extract);
      const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '1000' });
      const worker = () => createActivities(activityDeps(config, db.pool, createLogger('silent')));
      const acts = worker();
      await prepareMigration(db.pool, acts, 'pinned', extract, sandbox.url);
      await loadAllBatches(acts, 'pinned', 'organization');
      const recorded = (await getRun(db.pool, 'pinned')).pipedriveAccount;
      expect(recorded).toBe(`127.0.0.1:${sandbox.port}#7301`);

      // The same URL now answers for another company (a worker restarted with another account's token).
      const { port } = sandbox;
      await sandbox.close();
      sandbox = await startSandbox({ port, plan: 'ultimate', seats: 10, burstLimit: 2000, companyId: 9999 });
      const untouched = sandbox.fingerprint();
      const restarted = worker();
      await expect(loadAllBatches(restarted, 'pinned', 'person')).rejects.toThrow(
        new RegExp(`refusing to load records: migration pinned writes to Pipedrive account ${recorded} .* answers for 127\\.0\\.0\\.1:${port}#9999`, 'u'),
      );
      const run = activityRunner();
      await expect(run(restarted.rollbackBatch, { migrationId: 'pinned', objectType: 'organization', scope: 'all' as const, limit: 50 })).rejects.toThrow(
        /refusing to roll back: migration pinned writes to Pipedrive account/u,
      );
      await expect(run(restarted.restoreBeforeImages, { migrationId: 'pinned', scope: 'all' })).rejects.toThrow(/refusing to restore before-images/u);
      await expect(run(restarted.createSchema, { migrationId: 'pinned' })).rejects.toThrow(/refusing to create the schema/u);
      await expect(run(restarted.resolveProviders, { migrationId: 'pinned' })).rejects.toThrow(/refusing to resolve providers/u);
      // Nothing was written to the other account, and the recorded account did not move.
      expect(sandbox.fingerprint()).toBe(untouched);
      expect((await getRun(db.pool, 'pinned')).pipedriveAccount).toBe(recorded);
      // The failure is non-retryable and typed, so Temporal stops instead of retrying into the wrong account.
      const failure = await new MockActivityEnvironment()
        .run(restarted.rollbackBatch, { migrationId: 'pinned', objectType: 'organization', scope: 'all' as const, limit: 50 })
        .catch((err: unknown) => err as { type?: string; nonRetryable?: boolean });
      expect(failure).toMatchObject({ type: 'AccountMismatch', nonRetryable: true });
    });
  });

  describe('start', () => {
    let h: Harness;
    let sandbox: RunningSandbox;
    let other: RunningSandbox;
    let extract: string;
    beforeAll(async () => {
      h = await createHarness();
      extract = await generatedPractice(h.dataDir);
      sandbox = await sandboxFor(extract);
      other = await sandboxFor(extract);
      await h.startWorker();
    });
    afterAll(async () => {
      await h?.close();
      await sandbox?.close();
      await other?.close();
    });
    const start = (migrationId: string, over: { extract?: string; url?: string } = {}) =>
      startMigration(h.env, h.db.pool, h.client, {
        migrationId,
        source: { kind: 'folder', path: over.extract ?? extract },
        pipedriveBaseUrl: over.url ?? sandbox.url,
        options: OPTIONS,
      });

    it('refuses a second start that would re-point a running migration, and leaves it untouched', async () => {
      const otherBefore = other.fingerprint();
      const started = await start('fixed');
      expect(started.pipedriveAccount).toBe(`127.0.0.1:${sandbox.port}#7301`);
      await waitFor('fixed at MAPPING_REVIEW', async () => ((await queryStatus(h.client, 'fixed'))?.waitingFor === 'MAPPING_REVIEW' ? true : undefined), {
        timeoutMs: 120_000,
      });
      const before = await getRun(h.db.pool, 'fixed');

      await expect(start('fixed', { url: other.url })).rejects.toThrow(
        new RegExp(`migration fixed is running and it writes to http://127\\.0\\.0\\.1:${sandbox.port}, not http://127\\.0\\.0\\.1:${other.port}`, 'u'),
      );
      const copy = path.join(h.dataDir, 'another-extract');
      fs.cpSync(extract, copy, { recursive: true });
      await expect(start('fixed', { extract: copy })).rejects.toThrow(
        /migration fixed is running and it reads extract folder .* not extract folder .*another-extract/u,
      );
      // The same start again is harmless: it says the migration runs.
      expect((await start('fixed')).alreadyRunning).toBe(true);

      expect(await getRun(h.db.pool, 'fixed')).toEqual(before);
      expect(await queryStatus(h.client, 'fixed')).toMatchObject({ phase: 'MAPPING_REVIEW', waitingFor: 'MAPPING_REVIEW' });
      expect(other.fingerprint()).toBe(otherBefore);

      // A migration that never wrote and no longer runs may be pointed elsewhere (a restart after a failed extract).
      await h.client.workflow.getHandle(migrationWorkflowId('fixed')).terminate('test: stop before any write');
      const repointed = await start('fixed', { url: other.url });
      expect(repointed.pipedriveAccount).toBe(`127.0.0.1:${other.port}#7301`);
      expect((await getRun(h.db.pool, 'fixed')).pipedriveBaseUrl).toBe(other.url);
      await h.client.workflow.getHandle(migrationWorkflowId('fixed')).terminate('test: done');
    });

    it('refuses a token the account does not accept before reading the extract or registering anything', async () => {
      const wrong = await createHarness({ PIPEDRIVE_API_TOKEN: 'not-the-account-token' });
      try {
        await wrong.startWorker();
        await expect(
          startMigration(wrong.env, wrong.db.pool, wrong.client, {
            migrationId: 'wrong-token',
            source: { kind: 'folder', path: extract },
            pipedriveBaseUrl: sandbox.url,
            options: OPTIONS,
          }),
        ).rejects.toThrow(new RegExp(`^PIPEDRIVE_API_TOKEN on the worker is refused by 127\\.0\\.0\\.1:${sandbox.port} \\(.*401`, 'u'));
        expect(await findRun(wrong.db.pool, 'wrong-token')).toBeUndefined();
        const staged = await wrong.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM staged_rows');
        expect(staged.rows[0]!.n).toBe(0);
      } finally {
        await wrong.close();
      }
    });
  });
});
