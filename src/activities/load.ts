import { Context } from '@temporalio/activity';
import { type Pool } from 'pg';
import { readDocumentFile } from '../dentrix/confined-files';
import type { TargetEntity } from '../mapping';
import { stagingSource, type BuildSettings, type StagingReads } from '../engine/build';
import { checkpointOf, emptyCounts, loadBatch as loadEngineBatch } from '../engine/load';
import { registryOperations } from '../engine/registry-operations';
import { pgAuditLog, pgLedger } from '../store/engine-store';
import { Ledger } from '../store/ledger';
import { getRun, type MigrationRun } from '../store/runs';
import { readBatchContext } from '../store/batch-context';
import { countWorkItems, nextBatchRanges, planWorkItems, workItemsInRange } from '../store/work';
import { refreshStatistics } from '../store/statistics';
import { withSharedWriteLock } from '../store/write-lock';
import { heartbeat } from './heartbeat';
import { derivedConcurrency } from '../engine/concurrency';
import { fetchBundles, keyPrefix } from './bundles';
import type { BatchCounts, BatchInput, BatchRange, NextBatchesInput, PlannedWork, PlanWorkAheadInput, RunPlan } from './contracts';
import { createAccountGuard } from './account';
import { createDayShares } from './day-share';
import { type ActivityDeps } from './deps';
import { accountFieldKeys } from './field-keys';
import { permanent } from '../failures';
import { approvedMapLoader, type ApprovedMap } from './mapping';
import { isDataObjectType, LOAD_ORDER, loadGraph, loadWaves } from '../object-types/registry';
import { rethrowAsFailure } from '../failures';
import { fetchPlan } from '../mapping';
import { plannableCount } from '../store/progress';
import { FALLBACK_OWNER_KEY } from './schema';

/** Phases in which writes are refused: a rollback has begun. */
const FROZEN_PHASES = new Set(['ROLLING_BACK', 'ROLLING_BACK_SAMPLE', 'ROLLED_BACK']);

function asEntity(objectType: string): TargetEntity {
  if (!isDataObjectType(objectType)) throw permanent(`unknown object type "${objectType}"`);
  return objectType;
}

/**
 * The write engine's reads of one run (src/engine/build.ts): bundles from staging, references from the id map, and a
 * document's file read once and checked (confined to the real extract folder or a SQL mirror's documents folder, a
 * regular file, its declared size_bytes and sha256 matching the bytes read; see `readDocumentFile`).
 */
export function stagingReads(pool: Pool, run: MigrationRun): StagingReads {
  return {
    bundles: (entity, keys, options) => fetchBundles(pool, run.migrationId, entity, keys, options),
    resolve: (refs) => new Ledger(pool).resolve(run.migrationId, refs),
    documentFile: (filePath, declared) => readDocumentFile(run.source, filePath, declared),
  };
}

/** What the run's records are built with: its practice, its approved map, the worker's image archive. */
export function buildSettings(run: MigrationRun, approved: ApprovedMap, settings: ActivityDeps['settings']): BuildSettings {
  return {
    timezone: run.timezone,
    currency: run.currency,
    approved,
    imageArchiveBaseUrl: settings.imageArchiveBaseUrl,
    fallbackOwnerKey: FALLBACK_OWNER_KEY,
  };
}

/** Sample selection, work planning and the batch loader: thin adapters over the write engine (src/engine). */
export function createLoadActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  const loadApproved = approvedMapLoader(pool);
  const accounts = createAccountGuard(deps);
  const dayShares = createDayShares(deps);

  return {
    /**
     * The object types of this run, in dependency order and in waves of types that load at the same time, and the
     * batches per object type to keep in flight when ops did not set it: from the account's request rate and the
     * round trip this worker has seen (engine/concurrency.ts).
     */
    async planRun({ migrationId, objectTypes }: { migrationId: string; objectTypes?: string[] }): Promise<RunPlan> {
      const wanted = objectTypes?.length ? new Set(objectTypes) : undefined;
      for (const t of wanted ?? []) if (!isDataObjectType(t)) throw permanent(`unknown object type "${t}" in objectTypes`);
      const inRun = LOAD_ORDER.filter((t) => !wanted || wanted.has(t));
      const run = await getRun(pool, migrationId);
      const pacing = deps.pipedriveFor(run.pipedriveBaseUrl).pacing();
      // The token's whole rate, not this worker's share of it: the run's batches go to every worker on the token.
      const concurrency = derivedConcurrency({ ...pacing, requestsPerSecond: pacing.accountRequestsPerSecond }, settings.activitySlots);
      const { newPatientBooking } = (await loadApproved(migrationId)).map.options;
      const fullTotals: Record<string, number> = {};
      for (const t of inRun) fullTotals[t] = await plannableCount(pool, migrationId, fetchPlan(asEntity(t), { newPatientBooking }));
      return { objectTypes: inRun, waves: loadWaves(inRun), loadsAfter: loadGraph(inRun), concurrency, fullTotals };
    },

    /**
     * The run's work items for one object type: every driving row (full), the sample's members (sample), or the
     * rows that changed since the last poll (delta). Idempotent.
     */
    async planObjectWork({ migrationId, objectType, runKind, firstBatches }: PlanWorkAheadInput): Promise<PlannedWork> {
      const entity = asEntity(objectType);
      const approved = await loadApproved(migrationId);
      let newItems = 0;
      if (runKind !== 'delta') {
        for (const plan of fetchPlan(entity, { newPatientBooking: approved.map.options.newPatientBooking })) {
          newItems += await planWorkItems(pool, {
            migrationId,
            runKind,
            objectType,
            plan,
            keyPrefix: keyPrefix(plan),
            memberTable: plan.kind === 'household' ? 'household' : plan.table,
          });
        }
      }
      // The batches about to run look their items and the ledger up by key: with the statistics of a fresh store's
      // first run, each lookup scanned all of the migration's rows (src/store/statistics.ts). Only when this planned
      // new work: a verification's planning (of work planned already) finds the tables as the load left them.
      if (newItems > 0) await refreshStatistics(pool, ['work_items', 'id_map']);
      const total = await countWorkItems(pool, migrationId, runKind, objectType);
      if (!firstBatches) return { total };
      return { total, firstRanges: await nextBatchRanges(pool, { migrationId, objectType, runKind, afterSeq: 0, ...firstBatches }) };
    },

    async nextBatches(input: NextBatchesInput): Promise<BatchRange[]> {
      return nextBatchRanges(pool, input);
    },

    /**
     * Loads one batch with the write engine (create exactly once, recover, update with before-image): under the
     * migration's shared write lock, refused once a rollback has begun; heartbeats its checkpoint as it moves (and a
     * liveness tick every 2 s, activities/heartbeat.ts).
     */
    async loadBatch(input: BatchInput): Promise<BatchCounts> {
      const ctx = Context.current();
      const { migrationId, objectType, runKind } = input;
      const entity = asEntity(objectType);
      const items = await workItemsInRange(pool, input);
      // A retry resumes from the last attempt's checkpoint: its counts carry on, so the batch reports what it
      // did once, not what the last attempt found already done.
      const resumed = ctx.info.attempt > 1 ? checkpointOf(ctx.info.heartbeatDetails, items.length) : undefined;
      if (items.length === 0) return resumed ? { ...resumed.counts } : emptyCounts();
      const info = ctx.info;
      const auditContext = {
        workflowId: info.workflowExecution?.workflowId,
        runId: info.workflowExecution?.runId,
        activityId: info.activityId,
        attempt: info.attempt,
      };
      return withSharedWriteLock(pool, migrationId, async () => {
        // Read under the lock, so a rollback that has begun is seen; the one read of the run the batch makes (with the
        // approved map's version and the account's field keys).
        const context = await readBatchContext(pool, migrationId);
        const { run } = context;
        if (FROZEN_PHASES.has(run.phase)) throw permanent(`migration ${migrationId} is ${run.phase}: no more writes`);
        const client = await accounts.clientFor(run, 'load records');
        // The sample's and the full run's bulk of writes keep to their part of the day's budget; a delta's few do not wait.
        if (runKind !== 'delta') await dayShares.check(run, client);
        const approved = await loadApproved(migrationId, context.approvedMapVersion);
        const fieldKeys = accountFieldKeys(context.fieldKeys);
        try {
          return await loadEngineBatch(
            {
              ledger: pgLedger(pool, migrationId, auditContext),
              audit: pgAuditLog(pool, migrationId, auditContext),
              account: registryOperations(client),
              staging: stagingSource(stagingReads(pool, run), buildSettings(run, approved, settings)),
              fieldKeys,
            },
            {
              entity,
              runKind,
              sourceKeys: items.map((i) => i.sourceKey),
              resumed,
              progress: (checkpoint) => heartbeat(checkpoint, ctx),
              checkStop: () => {
                if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
              },
            },
          );
        } catch (err) {
          rethrowAsFailure(err, settings.budgetResetTimeZone);
        }
      });
    },
  };
}
