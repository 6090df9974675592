import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type Pool } from 'pg';
import { type createActivities } from '../../src/activities';
import { registerRun } from '../../src/store/runs';
import type { VerifyBatchResult } from '../../src/activities/contracts';
import type { BatchCounts } from '../../src/workflows/messages';

type Activities = ReturnType<typeof createActivities>;

/** Runs an activity function in a mock activity context (attempt 1), as the worker would. */
export function activityRunner(env = new MockActivityEnvironment()) {
  return <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run<A, R, (...a: A) => Promise<R>>(fn, ...args);
}

/** Registers a migration of an extract folder and takes it through EXTRACT, the map (all PHI approved) and SCHEMA. */
export async function prepareMigration(pool: Pool, acts: Activities, migrationId: string, extract: string, pipedriveBaseUrl: string): Promise<void> {
  const run = activityRunner();
  await registerRun(pool, { migrationId, source: { kind: 'folder', path: extract }, pipedriveBaseUrl });
  await run(acts.extractSource, { migrationId });
  await run(acts.proposeMap, { migrationId });
  expect((await run(acts.approveMap, { migrationId, by: 'test', includeAllPhi: true })).errors).toEqual([]);
  await run(acts.resolveProviders, { migrationId });
  await run(acts.createSchema, { migrationId });
}

/**
 * Loads one object type of the full run batch by batch, as its load workflow would. A failed batch is attempted
 * again up to `attempts` times in all (Temporal's retry; a lost response can fail a batch).
 */
export async function loadAllBatches(
  acts: Activities,
  migrationId: string,
  objectType: string,
  { batchSize = 200, attempts = 1 }: { batchSize?: number; attempts?: number } = {},
): Promise<BatchCounts[]> {
  const run = activityRunner();
  await run(acts.planObjectWork, { migrationId, objectType, runKind: 'full' });
  const results: BatchCounts[] = [];
  let afterSeq = 0;
  let batchNumber = 0;
  for (;;) {
    const ranges = await run(acts.nextBatches, { migrationId, objectType, runKind: 'full', afterSeq, batchSize, maxBatches: 50 });
    if (ranges.length === 0) return results;
    for (const range of ranges) {
      const batch = { migrationId, objectType, runKind: 'full' as const, ...range, batchNumber: ++batchNumber };
      for (let attempt = 1; ; attempt++) {
        try {
          results.push(await new MockActivityEnvironment({ attempt }).run<[typeof batch], BatchCounts, typeof acts.loadBatch>(acts.loadBatch, batch));
          break;
        } catch (err) {
          if (attempt >= attempts) throw err;
        }
      }
      afterSeq = range.toSeq;
    }
  }
}

/** Verifies one object type of the full run batch by batch, as its verify workflow would; the batches' totals. */
export async function verifyAllBatches(acts: Activities, migrationId: string, objectType: string): Promise<VerifyBatchResult> {
  // Each call is a verification of its own, as each verify workflow run is: its batches share one account listing.
  const run = activityRunner(new MockActivityEnvironment({ workflowExecution: { workflowId: `verify-${objectType}`, runId: randomUUID() } }));
  const total: VerifyBatchResult = { recordsCompared: 0, fieldsCompared: 0, fieldsMatched: 0, discrepancies: 0 };
  let afterSeq = 0;
  for (;;) {
    const ranges = await run(acts.nextBatches, { migrationId, objectType, runKind: 'full', afterSeq, batchSize: 200, maxBatches: 50 });
    if (ranges.length === 0) return total;
    for (const range of ranges) {
      const r = await run(acts.verifyBatch, { migrationId, objectType, runKind: 'full', ...range, batchNumber: 1 });
      for (const k of Object.keys(total) as (keyof VerifyBatchResult)[]) total[k] += r[k];
      afterSeq = range.toSeq;
    }
  }
}
