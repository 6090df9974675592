import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { type Pool, type PoolClient } from 'pg';
import { type DeclaredFile, type DocumentFileRefusalKind, readDocumentFile } from '../dentrix/confined-files';
import {
  buildRecord,
  convertToPipedriveBody,
  fromPipedriveRecord,
  referencesOf,
  type BuildContext,
  type BuildOutcome,
  type FieldKeys,
  type LogicalRecord,
  type PipedriveBody,
  type RefKey,
  type SourceBundle,
  type TargetEntity,
} from '../mapping';
import { PipedriveError } from '../pipedrive/errors';
import { type PipedriveClient } from '../pipedrive/client';
import { appendAudit } from '../store/audit';
import { Ledger, type LedgerEntry } from '../store/ledger';
import { inTransaction } from '../store/db';
import { getRun, writeLockKey, type MigrationRun } from '../store/runs';
import { countWorkItems, nextBatchRanges, workItemsInRange } from '../store/work';
import { fetchBundles, filterSql, keyPrefix } from './bundles';
import type { BatchCounts, BatchInput, BatchRange, NextBatchesInput, PlanWorkInput } from './contracts';
import { createAccountGuard } from './account';
import { type ActivityDeps } from './deps';
import { loadAccountFieldKeys } from './field-keys';
import { permanent, transientFailure } from './failures';
import { approvedMapLoader, type ApprovedMap } from './mapping';
import { composeDealProductId, dataObjectType, FileNotCheckedError, isDataObjectType, LOAD_ORDER, OBJECT_TYPES, writeOperation } from '../object-types/registry';
import { isRecordRejection, rethrowAsFailure } from './pipedrive-failures';
import { recoverCreatedId } from './recovery';
import { fetchPlan } from '../mapping';
import { sourceKeyOf } from '../mapping/source-keys';
import { FALLBACK_OWNER_KEY } from './schema';

/** Phases in which writes are refused: a rollback has begun. */
const FROZEN_PHASES = new Set(['ROLLING_BACK', 'ROLLING_BACK_SAMPLE', 'ROLLED_BACK']);
/** Deal products: one bulk request (25 tokens, ≤100 items) beats single attaches (5 tokens each) above 5 items. */
const BULK_DEAL_PRODUCTS_ABOVE = 5;

export function recordHash(record: LogicalRecord): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

interface BatchWorld {
  ledgerPool: Pool;
  run: MigrationRun;
  client: PipedriveClient;
  approved: ApprovedMap;
  fieldKeys: FieldKeys;
  ledger: Ledger;
}

/** Builds every record of a batch from staging: bundles, references resolved from the id map, pure builders. */
export async function buildBatch(
  pool: Pool,
  world: Pick<BatchWorld, 'run' | 'approved'>,
  entity: TargetEntity,
  sourceKeys: string[],
  settings: ActivityDeps['settings'],
): Promise<Map<string, { bundle?: SourceBundle; outcome: BuildOutcome }>> {
  const { run, approved } = world;
  const options = approved.map.options;
  const bundles = await fetchBundles(pool, run.migrationId, entity, sourceKeys, { newPatientBooking: options.newPatientBooking });
  const refs: RefKey[] = [{ objectType: 'user', sourceKey: FALLBACK_OWNER_KEY }];
  for (const bundle of bundles.values()) refs.push(...referencesOf(entity, bundle as never, approved.map, options));
  const resolved = await new Ledger(pool).resolve(run.migrationId, refs);
  const fallbackOwnerId = resolved.get(`user|${FALLBACK_OWNER_KEY}`);
  if (fallbackOwnerId === undefined) throw permanent('providers are not resolved yet (no fallback owner): run the SCHEMA phase first');
  const ctx: BuildContext = {
    timezone: run.timezone ?? 'UTC',
    currency: run.currency ?? permanentMissing('the practice currency is not recorded: run EXTRACT first'),
    resolveRef: (objectType, sourceKey) => resolved.get(`${objectType}|${sourceKey}`),
    fallbackOwnerId,
    phi: approved.phi,
    options: { imageArchiveBaseUrl: settings.imageArchiveBaseUrl },
    map: approved.map,
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
  return out;
}

function permanentMissing(message: string): never {
  throw permanent(message);
}

function asEntity(objectType: string): TargetEntity {
  if (!isDataObjectType(objectType)) throw permanent(`unknown object type "${objectType}"`);
  return objectType;
}

/** A short, PHI-free reason for a record Pipedrive refused. */
function refusalReason(err: PipedriveError): string {
  return `Pipedrive refused the record: ${err.status ?? ''} ${err.code ?? err.reason} on ${err.endpoint}`.trim();
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

/** Sends one create (the registry's operation for the type) and returns the ledger id. */
async function sendCreate(client: PipedriveClient, entity: TargetEntity, record: LogicalRecord, body: object): Promise<string> {
  try {
    return await dataObjectType(entity).ops.create(client, { body, fields: record.fields });
  } catch (err) {
    // documentFile reads and checks a document's bytes before the pending mark: without them this is a bug, not bad data.
    if (err instanceof FileNotCheckedError) throw permanent(err.message);
    throw err;
  }
}

async function withWriteLock<T>(pool: Pool, migrationId: string, fn: (lockClient: PoolClient) => Promise<T>): Promise<T> {
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock_shared(hashtext($1))', [writeLockKey(migrationId)]);
    try {
      return await fn(lockClient);
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock_shared(hashtext($1))', [writeLockKey(migrationId)]);
    }
  } finally {
    lockClient.release();
  }
}

/** Sample selection, work planning and the batch loader: the exactly-once protocol of DESIGN §5.1. */
export function createLoadActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  const loadApproved = approvedMapLoader(pool);
  const accounts = createAccountGuard(deps);

  async function world(migrationId: string): Promise<BatchWorld> {
    const run = await getRun(pool, migrationId);
    return {
      ledgerPool: pool,
      run,
      client: await accounts.clientFor(run, 'load records'),
      approved: await loadApproved(migrationId),
      fieldKeys: await loadAccountFieldKeys(pool, migrationId),
      ledger: new Ledger(pool),
    };
  }

  return {
    /** The object types of this run, in dependency order. */
    async planRun({ objectTypes }: { migrationId: string; objectTypes?: string[] }): Promise<{ objectTypes: string[] }> {
      const wanted = objectTypes?.length ? new Set(objectTypes) : undefined;
      for (const t of wanted ?? []) if (!isDataObjectType(t)) throw permanent(`unknown object type "${t}" in objectTypes`);
      return { objectTypes: LOAD_ORDER.filter((t) => !wanted || wanted.has(t)) };
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
          const memberTable = plan.kind === 'household' ? 'household' : plan.table;
          const sampleJoin =
            runKind === 'sample'
              ? `JOIN sample_members m ON m.migration_id = s.migration_id AND m.source_table = '${memberTable}' AND m.source_key = s.source_key`
              : '';
          await pool.query(
            `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
             SELECT $1, $2, $3, $4 || (s.data->>'${plan.keyColumn}')
             FROM staged_rows s ${sampleJoin}
             WHERE s.migration_id = $1 AND s.source_table = $5 ${filterSql(plan)}
             ORDER BY s.row_seq
             ON CONFLICT DO NOTHING`,
            [migrationId, runKind, objectType, keyPrefix(plan), plan.table],
          );
        }
      }
      return { total: await countWorkItems(pool, migrationId, runKind, objectType) };
    },

    async nextBatches(input: NextBatchesInput): Promise<BatchRange[]> {
      return nextBatchRanges(pool, input);
    },

    /**
     * Loads one batch. Per record: skip what the ledger already has; recover the id of a `pending` record (its
     * create's outcome is unknown) from Pipedrive; else build, mark pending, create, record the id and the audit
     * entry before moving on. Bad data is rejected with a reason; systemic failures stop the batch.
     */
    async loadBatch(input: BatchInput): Promise<BatchCounts> {
      const ctx = Context.current();
      const { migrationId, objectType, runKind } = input;
      const entity = asEntity(objectType);
      const items = await workItemsInRange(pool, input);
      // A retry resumes from the last attempt's checkpoint: its counts carry on, so the batch reports what it
      // did once, not what the last attempt found already done.
      const resumed = ctx.info.attempt > 1 ? checkpointOf(ctx.info.heartbeatDetails, items.length) : undefined;
      const counts: BatchCounts = resumed ? { ...resumed.counts } : { migrated: 0, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 };
      if (items.length === 0) return counts;
      const w = await world(migrationId);
      const info = ctx.info;
      const audit = (
        e: {
          action: 'create' | 'update' | 'recover';
          sourceKey: string;
          pipedriveId: string;
          method: string;
          endpoint: string;
          tokens?: number;
          status?: number;
          note?: string;
        },
        db: Pool | PoolClient = pool,
      ) =>
        appendAudit(db, {
          migrationId,
          objectType,
          ...e,
          workflowId: info.workflowExecution?.workflowId,
          runId: info.workflowExecution?.runId,
          activityId: info.activityId,
          attempt: info.attempt,
        });

      return withWriteLock(pool, migrationId, async () => {
        const phase = (await getRun(pool, migrationId)).phase;
        if (FROZEN_PHASES.has(phase)) throw permanent(`migration ${migrationId} is ${phase}: no more writes`);
        const keys = items.map((i) => i.sourceKey);
        const entries = await w.ledger.getMany(migrationId, objectType, keys);
        const built = await buildBatch(pool, w, entity, keys, settings);
        const bulkDeals = entity === 'deal_product' ? dealsWithManyProducts(built, entries) : new Set<number>();
        let catalog: Promise<Map<string, number>> | undefined;
        const accountProducts = () => (catalog ??= productsTheAccountHad(w.client, w.fieldKeys));

        for (const [index, { sourceKey }] of items.entries()) {
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          const checkpoint: LoadCheckpoint = { processed: index, counts: { ...counts } };
          ctx.heartbeat(checkpoint);
          const entry = entries.get(sourceKey);
          const { outcome } = built.get(sourceKey)!;
          // Settled (and counted) by an earlier attempt; anything it left open (pending, deferred to a bulk
          // request) is handled again below.
          if (resumed && index < resumed.processed && entry && SETTLED_STATES.has(entry.state)) continue;
          try {
            if (entry && (entry.state === 'created' || entry.state === 'reused')) {
              // A reused record is the account's own (a product it already had): the delta never rewrites it.
              if (runKind === 'delta' && entry.state === 'created' && outcome.kind === 'record' && recordHash(outcome.record) !== entry.contentHash) {
                let applied: 'updated' | 'not_updatable' | undefined;
                const refused = await updateRecord(w, entity, entry, outcome.record, audit).then(
                  (result) => void (applied = result),
                  (err: unknown) => {
                    if (isRecordRejection(err)) return err;
                    throw err;
                  },
                );
                if (applied === 'not_updatable') counts.alreadyDone++;
                else if (refused) {
                  // The record keeps its old values and the ledger its old hash (the next change tries again); the
                  // refusal goes on the audit log with its PHI-free reason, as the ledger row stays `created`.
                  const op = writeOperation(entity, 'update');
                  await audit({ action: 'update', sourceKey, pipedriveId: entry.pipedriveId!, ...op, status: refused.status, note: refusalReason(refused) });
                  counts.rejected++;
                } else counts.updated++;
              } else counts.alreadyDone++;
              continue;
            }
            if (outcome.kind === 'skip') {
              await w.ledger.markOutcome(migrationId, { objectType, sourceKey, state: 'skipped', reason: outcome.reason, runKind });
              counts.skipped++;
              continue;
            }
            if (outcome.kind === 'reject') {
              const reason = outcome.column ? `${outcome.column}: ${outcome.reason}` : outcome.reason;
              await w.ledger.markOutcome(migrationId, { objectType, sourceKey, state: 'rejected', reason, runKind });
              counts.rejected++;
              continue;
            }
            const hash = recordHash(outcome.record);
            /** Looks for the record an attempt made since `since`; when found, it is ours: recorded, not created again. */
            const recover = async (since: Date): Promise<boolean> => {
              const meter = { tokens: 0 };
              const recovered = await recoverCreatedId(w.client, entity, sourceKey, w.fieldKeys, {
                since,
                personId: typeof outcome.record.fields.person_id === 'number' ? outcome.record.fields.person_id : undefined,
                dealId: typeof outcome.record.fields.deal_id === 'number' ? outcome.record.fields.deal_id : undefined,
                createdElsewhere: (pipedriveId) => w.ledger.createdByAnotherMigration(migrationId, objectType, pipedriveId),
              }, meter);
              if (!recovered) return false;
              await w.ledger.markCreated(migrationId, { objectType, sourceKey, pipedriveId: recovered, runKind, contentHash: hash });
              await audit({ action: 'recover', sourceKey, pipedriveId: recovered, method: 'GET', endpoint: `recover ${objectType} by its Dentrix key`, tokens: meter.tokens, note: 'created by an earlier attempt whose response was lost' });
              counts.recovered++;
              return true;
            };
            if (entry?.state === 'pending' && (await recover(entry.updatedAt))) continue;
            const { body, problems } = convertToPipedriveBody(entity, outcome.record, w.fieldKeys, { mode: 'create' });
            if (problems.length > 0) {
              const reason = problems.map((p) => `${p.kind}: ${p.entity}.${p.field}`).join('; ');
              await w.ledger.markOutcome(migrationId, { objectType, sourceKey, state: 'rejected', reason, runKind });
              counts.rejected++;
              continue;
            }
            if (entity === 'file') {
              const { file } = body as PipedriveBody<'file', 'create'>;
              const bundle = built.get(sourceKey)!.bundle;
              const document = bundle?.kind === 'document' ? bundle.document : undefined;
              const read = await documentFile(w.run, file.path, { sizeBytes: document?.size_bytes, sha256: document?.sha256 });
              if ('reason' in read) {
                await w.ledger.markOutcome(migrationId, { objectType, sourceKey, state: 'rejected', reason: read.reason, runKind });
                counts.rejected++;
                continue;
              }
              file.content = read.content;
            }
            if (entity === 'deal_product' && bulkDeals.has(outcome.record.fields.deal_id as number)) continue; // below
            if (entity === 'product') {
              const existingId = (await accountProducts()).get(productCode(outcome.record));
              if (existingId !== undefined) {
                // The account already sells this CDT code: deals link to its product, which is never ours to delete.
                await w.ledger.markCreated(migrationId, { objectType, sourceKey, pipedriveId: existingId, runKind, contentHash: hash, state: 'reused' });
                counts.migrated++;
                continue;
              }
            }
            // The pending mark is committed before the create: after a crash it is what sends a retry to recovery.
            await w.ledger.markPending(migrationId, { objectType, sourceKey, runKind, contentHash: hash });
            const sentAt = new Date();
            let pipedriveId: string;
            try {
              pipedriveId = await sendCreate(w.client, entity, outcome.record, body);
            } catch (err) {
              // A transient failure (5xx, dropped or timed-out connection) is settled here rather than by retrying the
              // whole batch, whose backoff grows with every record that fails: recover the record if the create may
              // have happened, else send it once more. A second failure fails the batch (its retry recovers again).
              if (!(err instanceof PipedriveError && err.failureType === 'transient')) throw err;
              if (err.outcomeUnknown && (await recover(sentAt))) continue;
              pipedriveId = await sendCreate(w.client, entity, outcome.record, body);
            }
            const op = writeOperation(objectType, 'create');
            await inTransaction(pool, async (tx) => {
              await new Ledger(tx).markCreated(migrationId, { objectType, sourceKey, pipedriveId, runKind, contentHash: hash });
              await audit({ action: 'create', sourceKey, pipedriveId, ...op }, tx);
            });
            counts.migrated++;
          } catch (err) {
            if (isRecordRejection(err)) {
              await w.ledger.markOutcome(migrationId, { objectType, sourceKey, state: 'rejected', reason: refusalReason(err), runKind });
              counts.rejected++;
              continue;
            }
            rethrowAsFailure(err, settings.budgetResetTimeZone);
          }
        }

        for (const dealId of bulkDeals) {
          ctx.heartbeat({ processed: items.length, counts: { ...counts } } satisfies LoadCheckpoint);
          await attachInBulk(w, dealId, built, entries, runKind, counts, audit).catch((err: unknown) =>
            rethrowAsFailure(err, settings.budgetResetTimeZone),
          );
        }
        return counts;
      });
    },
  };
}

/**
 * What a batch heartbeats: how many of its items (in work-item order) it has been through and its counts so far.
 * Ids and counts only (heartbeats are in the workflow history).
 */
interface LoadCheckpoint {
  processed: number;
  counts: BatchCounts;
}

const SETTLED_STATES = new Set(['created', 'reused', 'skipped', 'rejected']);
const COUNT_KEYS = ['migrated', 'updated', 'skipped', 'rejected', 'recovered', 'alreadyDone'] as const;

/** The last attempt's checkpoint, when its heartbeat is one (an older worker's heartbeat shape is ignored). */
function checkpointOf(details: unknown, itemCount: number): LoadCheckpoint | undefined {
  const d = details as Partial<LoadCheckpoint> | undefined;
  if (!d || typeof d.processed !== 'number' || d.processed < 0 || d.processed > itemCount || !d.counts) return undefined;
  const counts = d.counts as Partial<BatchCounts>;
  if (!COUNT_KEYS.every((k) => typeof counts[k] === 'number')) return undefined;
  return { processed: d.processed, counts: { ...(counts as BatchCounts) } };
}

function productCode(record: LogicalRecord): string {
  const code = record.fields.code;
  return typeof code === 'string' ? code.trim().toUpperCase() : '';
}

/**
 * The account's own products by code (those carrying no Dentrix source key: a migration's products are found by
 * the ledger or by recovery instead). One list pass per batch (10 tokens per 500 products); a catalog is small.
 */
async function productsTheAccountHad(client: PipedriveClient, fieldKeys: FieldKeys): Promise<Map<string, number>> {
  const byCode = new Map<string, number>();
  for await (const page of client.listPages<Record<string, unknown>>(OBJECT_TYPES.product.collection, { limit: OBJECT_TYPES.product.pageSize })) {
    for (const product of page) {
      if (sourceKeyOf('product', product, fieldKeys)) continue;
      const code = typeof product.code === 'string' ? product.code.trim().toUpperCase() : '';
      if (code && !byCode.has(code)) byCode.set(code, product.id as number);
    }
  }
  return byCode;
}

/** Deals that get more than BULK_DEAL_PRODUCTS_ABOVE new products in this batch: one bulk request each. */
function dealsWithManyProducts(built: Map<string, { outcome: BuildOutcome }>, entries: Map<string, LedgerEntry>): Set<number> {
  const perDeal = new Map<number, number>();
  for (const [key, { outcome }] of built) {
    if (outcome.kind !== 'record' || entries.get(key)) continue; // pending ones go one by one, after recovery
    const dealId = outcome.record.fields.deal_id;
    if (typeof dealId === 'number') perDeal.set(dealId, (perDeal.get(dealId) ?? 0) + 1);
  }
  return new Set([...perDeal].filter(([, n]) => n > BULK_DEAL_PRODUCTS_ABOVE).map(([d]) => d));
}

async function attachInBulk(
  w: BatchWorld,
  dealId: number,
  built: Map<string, { outcome: BuildOutcome }>,
  entries: Map<string, LedgerEntry>,
  runKind: string,
  counts: BatchCounts,
  audit: (e: { action: 'create'; sourceKey: string; pipedriveId: string; method: string; endpoint: string; tokens?: number; note?: string }) => Promise<void>,
): Promise<void> {
  const migrationId = w.run.migrationId;
  const items: { sourceKey: string; body: PipedriveBody<'deal_product', 'create'>; hash: string }[] = [];
  for (const [sourceKey, { outcome }] of built) {
    if (outcome.kind !== 'record' || entries.get(sourceKey) || outcome.record.fields.deal_id !== dealId) continue;
    const { body, problems } = convertToPipedriveBody('deal_product', outcome.record, w.fieldKeys, { mode: 'create' });
    if (problems.length === 0) items.push({ sourceKey, body, hash: recordHash(outcome.record) });
  }
  for (const item of items) {
    await w.ledger.markPending(migrationId, { objectType: 'deal_product', sourceKey: item.sourceKey, runKind, contentHash: item.hash });
  }
  let attached: Awaited<ReturnType<PipedriveClient['addDealProducts']>>;
  try {
    attached = await w.client.addDealProducts(dealId, items.map((i) => i.body));
  } catch (err) {
    if (!isRecordRejection(err)) throw err;
    // Pipedrive refuses the whole request for one bad item: attach them one by one, so each is accepted or
    // rejected (with its reason) on its own and none is left pending.
    await attachOneByOne(w, dealId, items, runKind, counts, audit);
    return;
  }
  const bulkOp = writeOperation('deal_product', 'bulk_create');
  let first = true; // one bulk request's tokens, booked on its first item
  const settled = new Set<string>();
  // Match by the marker each item carries in its comments, not by position.
  for (const product of attached) {
    const key = sourceKeyOf('deal_product', product, w.fieldKeys);
    const item = items.find((i) => i.sourceKey === key);
    if (!item) continue;
    const pipedriveId = composeDealProductId(dealId, product.id);
    await w.ledger.markCreated(migrationId, { objectType: 'deal_product', sourceKey: item.sourceKey, pipedriveId, runKind, contentHash: item.hash });
    await audit({ action: 'create', sourceKey: item.sourceKey, pipedriveId, ...bulkOp, tokens: first ? bulkOp.tokens : 0, note: 'bulk attach' });
    first = false;
    counts.migrated++;
    settled.add(item.sourceKey);
  }
  const unanswered = items.length - settled.size;
  // An item the answer does not show stays pending: the batch's retry recovers it by its marker or attaches it.
  if (unanswered > 0) throw transientFailure(`bulk attach to deal ${dealId} answered without ${unanswered} of ${items.length} items; retrying to settle them`);
}

async function attachOneByOne(
  w: BatchWorld,
  dealId: number,
  items: { sourceKey: string; body: PipedriveBody<'deal_product', 'create'>; hash: string }[],
  runKind: string,
  counts: BatchCounts,
  audit: (e: { action: 'create'; sourceKey: string; pipedriveId: string; method: string; endpoint: string; tokens?: number; note?: string }) => Promise<void>,
): Promise<void> {
  const migrationId = w.run.migrationId;
  const op = writeOperation('deal_product', 'create');
  for (const item of items) {
    try {
      const pipedriveId = composeDealProductId(dealId, (await w.client.addDealProduct(dealId, item.body)).id);
      await w.ledger.markCreated(migrationId, { objectType: 'deal_product', sourceKey: item.sourceKey, pipedriveId, runKind, contentHash: item.hash });
      await audit({ action: 'create', sourceKey: item.sourceKey, pipedriveId, ...op, note: 'attached singly after the bulk request was refused' });
      counts.migrated++;
    } catch (err) {
      if (!isRecordRejection(err)) throw err;
      await w.ledger.markOutcome(migrationId, { objectType: 'deal_product', sourceKey: item.sourceKey, state: 'rejected', reason: refusalReason(err), runKind });
      counts.rejected++;
    }
  }
}

/** Delta: saves the record's current state as its before-image (first time only), then applies the new values. */
async function updateRecord(
  w: BatchWorld,
  entity: TargetEntity,
  entry: LedgerEntry,
  record: LogicalRecord,
  audit: (e: { action: 'update'; sourceKey: string; pipedriveId: string; method: string; endpoint: string; tokens?: number; note?: string }) => Promise<void>,
): Promise<'updated' | 'not_updatable'> {
  const migrationId = w.run.migrationId;
  const ops = dataObjectType(entity).ops;
  if (!ops.update) {
    // Pipedrive files cannot be edited in place; the change is acknowledged and logged, not applied.
    await w.ledger.setContentHash(migrationId, entity, entry.sourceKey, recordHash(record));
    await audit({ action: 'update', sourceKey: entry.sourceKey, pipedriveId: entry.pipedriveId!, method: 'NONE', endpoint: entity, note: 'document changed in Dentrix; Pipedrive files are not updated in place' });
    return 'not_updatable';
  }
  const { body } = convertToPipedriveBody(entity, record, w.fieldKeys, { mode: 'update' });
  // The first before-image wins: it is the state before the migration's first update of this record.
  const current = await ops.read(w.client, entry.pipedriveId!);
  if (current) {
    await w.ledgerPool.query(
      `INSERT INTO before_images (migration_id, object_type, pipedrive_id, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [migrationId, entity, entry.pipedriveId!, JSON.stringify(restorableBody(entity, current, w.fieldKeys))],
    );
  }
  await ops.update(w.client, entry.pipedriveId!, body);
  await w.ledger.setContentHash(migrationId, entity, entry.sourceKey, recordHash(record));
  await audit({ action: 'update', sourceKey: entry.sourceKey, pipedriveId: entry.pipedriveId!, ...writeOperation(entity, 'update') });
  return 'updated';
}

/**
 * The mapped fields of a record as read back, as an update body: what a PATCH needs to put them back. Going through
 * the logical record keeps the body to fields the migration writes (v2 refuses read-only keys).
 */
export function restorableBody(entity: TargetEntity, current: Record<string, unknown>, fieldKeys: FieldKeys): Record<string, unknown> {
  const logical = fromPipedriveRecord(entity, current, fieldKeys);
  return convertToPipedriveBody(entity, logical, fieldKeys, { mode: 'update' }).body;
}
