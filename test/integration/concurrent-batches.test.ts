import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createActivities } from '../../src/activities';
import { loadObjectWorkflow, type LoadObjectResult } from '../../src/workflows/load-object';
import { activityRunner, prepareMigration } from '../support/activities';
import { createHarness, type Harness } from '../support/harness';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';

jest.setTimeout(3 * 60 * 1000);

const SLOTS = 16;

/**
 * Issue 14.1: a load batch holds a store connection for the migration's write lock while its queries take others.
 * With the pool fixed at 10 connections, 16 batches in flight each held a lock connection and waited for a query
 * connection no one freed: the load stopped, heartbeats timed out, the worker hung. The worker's pool is now sized
 * from its activity slots (storePoolSize); here 16 slots run 16 batches of one load at once, on the real worker.
 */
describe('a worker with 16 activity slots loading 16 batches at once', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract = '';
  const migrationId = 'sixteen-at-once';

  beforeAll(async () => {
    h = await createHarness({ WORKER_MAX_CONCURRENT_ACTIVITIES: String(SLOTS) });
    extract = await generatedPractice(h.dataDir, 42, 'demo', COMPACT_PATIENTS);
    sandbox = await sandboxFor(extract);
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
  });

  it('loads every person exactly once without a deadlock', async () => {
    const worker = await h.startWorker();
    const acts = createActivities(worker.deps);
    await prepareMigration(worker.pool, acts, migrationId, extract, sandbox.url);
    const planned = await activityRunner()(acts.planObjectWork, { migrationId, objectType: 'person', runKind: 'full' });
    expect(planned.total).toBeGreaterThanOrEqual(2 * SLOTS); // batches of 2: all 16 slots busy at once

    const result: LoadObjectResult = await h.client.workflow.execute(loadObjectWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `${migrationId}-person`,
      args: [{ migrationId, objectType: 'person', runKind: 'full', mode: 'load', batchSize: 2, concurrency: SLOTS }],
      // A deadlock shows as batches timing out on heartbeats forever: fail well before jest's timeout.
      workflowExecutionTimeout: '90 seconds',
    });
    expect(result.totals.migrated + result.totals.rejected).toBe(planned.total);
    const created = await worker.pool.query<{ n: string; distinct_ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT pipedrive_id) AS distinct_ids FROM id_map WHERE migration_id = $1 AND object_type = 'person' AND state = 'created'`,
      [migrationId],
    );
    expect(Number(created.rows[0]!.n)).toBe(result.totals.migrated);
    expect(created.rows[0]!.distinct_ids).toBe(created.rows[0]!.n);
  });
});
