import { Context } from '@temporalio/activity';
import { type Pool } from 'pg';
import { type DeclaredFile, type DocumentFileRefusalKind, readDocumentFile } from '../dentrix/confined-files';
import {
  buildRecord,
  redirectRef,
  sourceKeys,
  referencesOf,
  withDuplicateContacts,
  type BuildContext,
  type BuildOutcome,
  type RefKey,
  type SourceBundle,
  type TargetEntity,
} from '../mapping';
import { checkpointOf, emptyCounts, loadBatch as loadEngineBatch } from '../engine/load';
import type { StagingSource } from '../engine/ports';
import { registryOperations } from '../engine/registry-operations';
import { pgAuditLog, pgLedger } from '../store/engine-store';
import { Ledger } from '../store/ledger';
import { getRun, type MigrationRun } from '../store/runs';
import { countWorkItems, nextBatchRanges, planWorkItems, workItemsInRange } from '../store/work';
import { withSharedWriteLock } from '../store/write-lock';
import { withLiveHeartbeat } from './heartbeat';
import { derivedConcurrency } from '../engine/concurrency';
import { fetchBundles, keyPrefix } from './bundles';
import type { BatchCounts, BatchInput, BatchRange, NextBatchesInput, PlanWorkInput, RunPlan } from './contracts';
import { createAccountGuard } from './account';
import { type ActivityDeps } from './deps';
import { loadAccountFieldKeys } from './field-keys';
import { permanent } from '../failures';
import { approvedMapLoader, type ApprovedMap } from './mapping';
import { isDataObjectType, LOAD_ORDER, loadWaves } from '../object-types/registry';
import { rethrowAsFailure } from '../failures';
import { fetchPlan } from '../mapping';
import { FALLBACK_OWNER_KEY } from './schema';

/** Phases in which writes are refused: a rollback has begun. */
const FROZEN_PHASES = new Set(['ROLLING_BACK', 'ROLLING_BACK_SAMPLE', 'ROLLED_BACK']);

/** Builds every record of a batch from staging: bundles, references resolved from the id map, pure builders. */
export async function buildBatch(
  pool: Pool,
  world: { run: MigrationRun; approved: ApprovedMap },
  entity: TargetEntity,
  sourceKeys: string[],
  settings: ActivityDeps['settings'],
): Promise<Map<string, { bundle?: SourceBundle; outcome: BuildOutcome }>> {
  const { run, approved } = world;
  const options = approved.map.options;
  const bundles = await fetchBundles(pool, run.migrationId, entity, sourceKeys, { newPatientBooking: options.newPatientBooking });
  const refs: RefKey[] = [{ objectType: 'user', sourceKey: FALLBACK_OWNER_KEY }];
  // A merged duplicate's records link to its survivor's person.
  for (const bundle of bundles.values()) refs.push(...referencesOf(entity, bundle as never, approved.map, options).map((r) => redirectRef(approved.merges, r)));
  const resolved = await new Ledger(pool).resolve(run.migrationId, refs);
  const fallbackOwnerId = resolved.get(`user|${FALLBACK_OWNER_KEY}`);
  if (fallbackOwnerId === undefined) throw permanent('providers are not resolved yet (no fallback owner): run the SCHEMA phase first');
  const ctx: BuildContext = {
    timezone: run.timezone ?? 'UTC',
    currency: run.currency ?? permanentMissing('the practice currency is not recorded: run EXTRACT first'),
    resolveRef: (objectType, sourceKey) => {
      const ref = redirectRef(approved.merges, { objectType, sourceKey });
      return resolved.get(`${ref.objectType}|${ref.sourceKey}`);
    },
    fallbackOwnerId,
    phi: approved.phi,
    options: { imageArchiveBaseUrl: settings.imageArchiveBaseUrl },
    map: approved.map,
    merges: approved.merges,
  };
  const out = new Map<string, { bundle?: SourceBundle; outcome: BuildOutcome }>();
  for (const key of sourceKeys) {
    const bundle = bundles.get(key);
    out.set(
      key,
      bundle
        ? { bundle, outcome: buildRecord(entity, bundle as never, ctx) }
        : { outcome: { kind: 'reject', entity, sourceKey: key, column: null, reason: 'the source row is no longer in staging' } },
    );
  }
  if (entity === 'person') await addDuplicateContacts(pool, run.migrationId, out, ctx);
  return out;
}

/**
 * A merged pair's survivor also holds the contact details of the duplicates merged into it: each duplicate is built
 * as if it were not merged (the same approved map and PHI decisions), and its emails and phones the survivor lacks
 * are added to the survivor's record. Verification rebuilds the same way; a delta change to a duplicate re-plans its
 * survivor (see deltaPoll).
 */
async function addDuplicateContacts(
  pool: Pool,
  migrationId: string,
  built: Map<string, { bundle?: SourceBundle; outcome: BuildOutcome }>,
  ctx: BuildContext,
): Promise<void> {
  const survivors = [...built].filter(
    ([, b]) => b.bundle?.kind === 'patient' && b.outcome.kind === 'record' && ctx.merges?.duplicatesOf.has(b.bundle.patient.patient_id),
  );
  if (survivors.length === 0) return;
  const duplicateKeys = survivors
    .flatMap(([, b]) => (b.bundle?.kind === 'patient' ? (ctx.merges?.duplicatesOf.get(b.bundle.patient.patient_id) ?? []) : []))
    .map((id) => sourceKeys.patient(id));
  const duplicates = await fetchBundles(pool, migrationId, 'person', duplicateKeys, { newPatientBooking: ctx.map.options.newPatientBooking });
  const unmerged: BuildContext = { ...ctx, merges: undefined };
  for (const [, b] of survivors) {
    if (b.bundle?.kind !== 'patient' || b.outcome.kind !== 'record') continue;
    const records = (ctx.merges?.duplicatesOf.get(b.bundle.patient.patient_id) ?? []).flatMap((id) => {
      const bundle = duplicates.get(sourceKeys.patient(id));
      const outcome = bundle && buildRecord('person', bundle as never, unmerged);
      return outcome?.kind === 'record' ? [outcome.record] : [];
    });
    b.outcome = { ...b.outcome, record: withDuplicateContacts(b.outcome.record, records) };
  }
}

function permanentMissing(message: string): never {
  throw permanent(message);
}

function asEntity(objectType: string): TargetEntity {
  if (!isDataObjectType(objectType)) throw permanent(`unknown object type "${objectType}"`);
  return objectType;
}

/**
 * The document's file, read once and checked, or why it cannot be uploaded (the record is then rejected with that
 * reason): confined to the real extract folder (or a SQL mirror's documents folder), a regular file, and the
 * declared size_bytes and sha256 (each when declared) match the bytes read. See `readDocumentFile`.
 */
export async function documentFile(
  run: MigrationRun,
  filePath: string | null,
  declared: DeclaredFile = {},
): Promise<{ path: string; content: Buffer } | { reason: string; kind: DocumentFileRefusalKind }> {
  return readDocumentFile(run.source, filePath, declared);
}

/** What a batch writes: its records built from staging, and a document's checked bytes (the write engine's StagingSource). */
function stagingSource(pool: Pool, run: MigrationRun, approved: ApprovedMap, settings: ActivityDeps['settings']): StagingSource {
  return {
    async build(entity, sourceKeys) {
      const built = await buildBatch(pool, { run, approved }, entity, sourceKeys, settings);
      return new Map(
        [...built].map(([key, { bundle, outcome }]) => {
          const document = bundle?.kind === 'document' ? bundle.document : undefined;
          return [key, { outcome, declared: document ? { sizeBytes: document.size_bytes, sha256: document.sha256 } : undefined }];
        }),
      );
    },
    documentFile: (filePath, declared) => documentFile(run, filePath, declared),
  };
}

/** Sample selection, work planning and the batch loader: thin adapters over the write engine (src/engine). */
export function createLoadActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  const loadApproved = approvedMapLoader(pool);
  const accounts = createAccountGuard(deps);

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
      const concurrency = derivedConcurrency(deps.pipedriveFor(run.pipedriveBaseUrl).pacing());
      return { objectTypes: inRun, waves: loadWaves(inRun), concurrency };
    },

    /**
     * The run's work items for one object type: every driving row (full), the sample's members (sample), or the
     * rows that changed since the last poll (delta). Idempotent.
     */
    async planObjectWork({ migrationId, objectType, runKind }: PlanWorkInput): Promise<{ total: number }> {
      const entity = asEntity(objectType);
      const approved = await loadApproved(migrationId);
      if (runKind !== 'delta') {
        for (const plan of fetchPlan(entity, { newPatientBooking: approved.map.options.newPatientBooking })) {
          await planWorkItems(pool, {
            migrationId,
            runKind,
            objectType,
            plan,
            keyPrefix: keyPrefix(plan),
            memberTable: plan.kind === 'household' ? 'household' : plan.table,
          });
        }
      }
      return { total: await countWorkItems(pool, migrationId, runKind, objectType) };
    },

    async nextBatches(input: NextBatchesInput): Promise<BatchRange[]> {
      return nextBatchRanges(pool, input);
    },

    /**
     * Loads one batch with the write engine (create exactly once, recover, update with before-image): under the
     * migration's shared write lock, refused once a rollback has begun; heartbeats its checkpoint per record.
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
      const run = await getRun(pool, migrationId);
      const client = await accounts.clientFor(run, 'load records');
      const approved = await loadApproved(migrationId);
      const fieldKeys = await loadAccountFieldKeys(pool, migrationId);
      const info = ctx.info;
      const auditContext = {
        workflowId: info.workflowExecution?.workflowId,
        runId: info.workflowExecution?.runId,
        activityId: info.activityId,
        attempt: info.attempt,
      };
      return withLiveHeartbeat((heartbeat) =>
        withSharedWriteLock(pool, migrationId, async () => {
          const phase = (await getRun(pool, migrationId)).phase;
          if (FROZEN_PHASES.has(phase)) throw permanent(`migration ${migrationId} is ${phase}: no more writes`);
          try {
            return await loadEngineBatch(
              {
                ledger: pgLedger(pool, migrationId, auditContext),
                audit: pgAuditLog(pool, migrationId, auditContext),
                account: registryOperations(client),
                staging: stagingSource(pool, run, approved, settings),
                fieldKeys,
              },
              {
                entity,
                runKind,
                sourceKeys: items.map((i) => i.sourceKey),
                resumed,
                progress: heartbeat,
                checkStop: () => {
                  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
                },
              },
            );
          } catch (err) {
            rethrowAsFailure(err, settings.budgetResetTimeZone);
          }
        }),
      );
    },
  };
}
