import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { createHarness, type Harness } from '../support/harness';
import { sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';
import { parseMigrationOptions } from '../../src/config';
import { requestRollback, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { assertTemporalCli } from '../../src/devserver/dev-server';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import type { RollbackResult } from '../../src/workflows/rollback';

jest.setTimeout(8 * 60 * 1000);

const MIGRATION_ID = 'continue-as-new';
/** Events after which the server suggests continue-as-new (its default is thousands; a real practice reaches that). */
const SUGGEST_AFTER_EVENTS = 40;

/** The run ids of one workflow id, oldest first, with how each ended. */
async function runsOf(client: Client, workflowId: string): Promise<string[]> {
  const statuses: { start: number; status: string }[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    statuses.push({ start: info.startTime.getTime(), status: info.status.name });
  }
  return statuses.sort((a, b) => a.start - b.start).map((s) => s.status);
}

/**
 * A practice's loads and rollback run for hours and thousands of batches; their histories must stay bounded. On a
 * server told to suggest continue-as-new early, the per-object loads and the rollback continue as new several times
 * and the results are still exact.
 */
describe('continue-as-new in the loads and the rollback', () => {
  let server: TestWorkflowEnvironment;
  let h: Harness;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: assertTemporalCli() },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ip: '127.0.0.1',
        log: { format: 'pretty', level: 'error' },
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_AFTER_EVENTS}`],
      },
    });
    h = await createHarness({ TEMPORAL_ADDRESS: server.address });
    const extract = path.join(h.dataDir, 'practice');
    await generatePractice({ profile: 'demo', seed: 43, patients: 60, outDir: extract });
    sandbox = await sandboxFor(extract);
    await h.startWorker();
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId: MIGRATION_ID,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 20, allowSmallSample: true, batchSize: 5, concurrency: 2, skipDelta: true }),
    });
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
    await server?.teardown();
  });

  let fingerprintBefore: string | undefined;

  it('loads and verifies every object type exactly, the long loads continuing as new along the way', async () => {
    const { status } = await driveMigration(h.client, MIGRATION_ID, { by: 'can-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
    expect({ phase: status.phase, error: status.error }).toEqual({ phase: 'DONE', error: undefined });
    expect(status.verification!.accuracy).toBe(100);
    for (const [type, c] of Object.entries(status.objects)) expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    // Exactly one Pipedrive record per migrated person (the sample's included): the carried-over cursor neither repeats
    // nor skips a batch.
    const { rows } = await h.db.pool.query<{ n: number; distinct_ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT pipedrive_id)::int AS distinct_ids FROM id_map
       WHERE migration_id = $1 AND object_type = 'person' AND state = 'created'`,
      [MIGRATION_ID],
    );
    expect(rows[0]!.n).toBe(status.objects.person!.migrated);
    expect(rows[0]!.distinct_ids).toBe(rows[0]!.n);

    const personLoad = `${migrationWorkflowId(MIGRATION_ID)}-full-load-person`;
    const runs = await waitFor('the person load runs to be visible', async () => {
      const r = await runsOf(h.client, personLoad);
      return r.at(-1) === 'COMPLETED' ? r : undefined;
    });
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.slice(0, -1).every((s) => s === 'CONTINUED_AS_NEW')).toBe(true);
    fingerprintBefore = status.fingerprints.beforeFirstWrite;
    console.log(`continue-as-new e2e: the full person load ran as ${runs.length} runs`);
  });

  it('rolls the whole migration back across continue-as-new and proves the pre-migration fingerprint', async () => {
    expect(fingerprintBefore).toBeDefined();
    const { workflowId, mode } = await requestRollback(h.env, h.client, MIGRATION_ID, { by: 'can-e2e', reason: 'test' });
    expect(mode).toBe('started');
    // result() follows the chain of runs to the last one's result.
    const result: RollbackResult = await h.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ remaining: 0, proven: true, fingerprintAfter: fingerprintBefore });
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);
    const runs = await waitFor('the rollback runs to be visible', async () => {
      const r = await runsOf(h.client, workflowId);
      return r.at(-1) === 'COMPLETED' ? r : undefined;
    });
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, -1).every((s) => s === 'CONTINUED_AS_NEW')).toBe(true);
    // Counted across runs: each delete the audit log holds for this rollback is counted once in the carried totals.
    const { rows } = await h.db.pool.query<{ deleted: number; gone: number }>(
      `SELECT count(*) FILTER (WHERE status = 200)::int AS deleted, count(*) FILTER (WHERE status = 404)::int AS gone
       FROM audit_log WHERE migration_id = $1 AND action = 'delete'`,
      [MIGRATION_ID],
    );
    expect({ deleted: result.deleted, alreadyGone: result.alreadyGone }).toEqual({ deleted: rows[0]!.deleted, alreadyGone: rows[0]!.gone });
    expect(result.deleted).toBeGreaterThan(100);
    console.log(`continue-as-new e2e: the rollback ran as ${runs.length} runs, deleting ${result.deleted}`);
  });
});
