import { createHash } from 'node:crypto';
import {
  convertToPipedriveBody,
  fromPipedriveRecord,
  type BuildOutcome,
  type FieldKeys,
  type LogicalRecord,
  type PipedriveBody,
  type TargetEntity,
} from '../mapping';
import { sourceKeyOf } from '../mapping/source-keys';
import { composeDealProductId, writeOperation } from '../object-types/registry';
import { PipedriveError } from '../pipedrive/errors';
import { isRecordRejection, transientFailure } from '../failures';
import type { BatchCounts } from '../workflows/messages';
import { recoverIntoLedger } from './recovery';
import { relink, staleLinks } from './relink';
import { settleReviewFiles } from './review-files';
import type { AccountOperations, AuditLog, AuditRecord, CreatedRecord, Ledger, LedgerEntry, LedgerState, StagedRecord, StagingSource } from './ports';

/**
 * Creates claimed in one commit (and recorded in one): fewer commits per record, while a crash leaves at most this many
 * pending for the retry to look up (reads, never a second create). Twenty, not ten: a store statement costs a worker on
 * a small machine about as much CPU as a create (the round trip wakes PostgreSQL), and a crash is rare.
 */
export const CREATE_CHUNK = 20;

/**
 * Creates of a chunk in flight at once: all of them. Their claims are committed together already, so sending them
 * together keeps exactly-once as it was (a crash leaves the chunk's claims for recovery either way); the account's
 * pacer still decides when each one goes. Five at a time left a wave's last batches, and a run's, sending at five
 * round trips' pace while the window had room (the throughput bench, stop 26: (a) 0.914 against 0.901–0.907, (c)
 * 0.876 against 0.855–0.88). One at a time while someone else fills the token's window: each create in flight then
 * meets their burst as a 429 (a faults test with a neighbour bursting saw more than two per batch per burst).
 */
const CREATES_IN_FLIGHT = CREATE_CHUNK;

/** A record waiting in the chunk to be created. */
interface PendingCreate {
  index: number;
  sourceKey: string;
  body: PipedriveBody<TargetEntity, 'create'>;
  record: LogicalRecord;
  hash: string;
  /** The id it had before it was found gone (a recreation), for the create's audit note. */
  replaced?: string;
}

/** Deal products: one bulk request (25 tokens, ≤100 items) beats single attaches (5 tokens each) above 5 items. */
const BULK_DEAL_PRODUCTS_ABOVE = 5;

function recordHash(record: LogicalRecord): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

/**
 * The mapped fields of a record as read back, as an update body: what a PATCH needs to put them back. Going through
 * the logical record keeps the body to fields the migration writes (v2 refuses read-only keys).
 */
export function restorableBody(entity: TargetEntity, current: Record<string, unknown>, fieldKeys: FieldKeys): Record<string, unknown> {
  const logical = fromPipedriveRecord(entity, current, fieldKeys);
  return convertToPipedriveBody(entity, logical, fieldKeys, { mode: 'update' }).body;
}

/**
 * What a batch heartbeats: how many of its items (in work-item order) it has been through and its counts so far.
 * Ids and counts only (heartbeats are in the workflow history).
 */
export interface LoadCheckpoint {
  processed: number;
  counts: BatchCounts;
}

const SETTLED_STATES = new Set<LedgerState>(['created', 'reused', 'skipped', 'rejected']);

/** The record exists in Pipedrive by the ledger: created by the migration, or the account's own reused. */
const isCreated = (entry: LedgerEntry | undefined): entry is LedgerEntry & { state: 'created' | 'reused' } =>
  entry?.state === 'created' || entry?.state === 'reused';
const COUNT_KEYS = ['migrated', 'updated', 'skipped', 'rejected', 'recovered', 'alreadyDone'] as const;

/** All of a batch's counts together: they only grow, so the sum changes whenever one of them does. */
const settledCount = (counts: BatchCounts): number => COUNT_KEYS.reduce((sum, key) => sum + counts[key], 0);

export const emptyCounts = (): BatchCounts => ({ migrated: 0, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 });

/** The last attempt's checkpoint, when its heartbeat is one (an older worker's heartbeat shape is ignored). */
export function checkpointOf(details: unknown, itemCount: number): LoadCheckpoint | undefined {
  const d = details as Partial<LoadCheckpoint> | undefined;
  if (!d || typeof d.processed !== 'number' || d.processed < 0 || d.processed > itemCount || !d.counts) return undefined;
  const counts = d.counts as Partial<BatchCounts>;
  if (!COUNT_KEYS.every((k) => typeof counts[k] === 'number')) return undefined;
  return { processed: d.processed, counts: { ...(counts as BatchCounts) } };
}

/** A short, PHI-free reason for a record Pipedrive refused. */
function refusalReason(err: PipedriveError): string {
  return `Pipedrive refused the record: ${err.status ?? ''} ${err.code ?? err.reason} on ${err.endpoint}`.trim();
}

export interface LoadEngineDeps {
  ledger: Ledger;
  audit: AuditLog;
  account: AccountOperations;
  staging: StagingSource;
  fieldKeys: FieldKeys;
}

export interface LoadBatchRequest {
  entity: TargetEntity;
  runKind: string;
  /** The batch's work items, in work-item order. */
  sourceKeys: string[];
  /** The checkpoint a retried attempt resumes from: its counts carry on. */
  resumed?: LoadCheckpoint;
  /** Each time the checkpoint moves (not per record: it holds while a chunk gathers): the heartbeat. */
  progress?: (checkpoint: LoadCheckpoint) => void;
  /** Throws when the batch must stop now (a cancellation). */
  checkStop?: () => void;
}

/**
 * Loads one batch (DESIGN §5.1). Per record: skip what the ledger already has (a delta updates a changed one, its
 * before-image first); recover the id of a `pending` record (its create's outcome is unknown) from Pipedrive; else
 * mark pending, create, and record the id with its audit row before moving on. Bad data is rejected with a reason;
 * systemic failures stop the batch (thrown as they come: the caller types them).
 */
export async function loadBatch(deps: LoadEngineDeps, req: LoadBatchRequest): Promise<BatchCounts> {
  const { ledger, audit, account, staging, fieldKeys } = deps;
  const { entity, runKind, sourceKeys, resumed } = req;
  const objectType: string = entity;
  const counts: BatchCounts = resumed ? { ...resumed.counts } : emptyCounts();
  if (sourceKeys.length === 0) return counts;
  const entries = await ledger.getMany(objectType, sourceKeys);
  const gone = await takeGone(deps, entity, runKind, resumed ? sourceKeys.slice(resumed.processed) : sourceKeys, entries);
  const built = await staging.build(entity, sourceKeys);
  // Records of ours still linked to a person, organization or deal staff deleted and a run recreated: relinked below
  // (files, which cannot be, are deleted here and uploaded again on the recreated record).
  const stale = await staleLinks(deps, entity, built, entries);
  if (!account.canUpdate(entity)) {
    for (const [key, links] of stale) {
      const entry = entries.get(key)!;
      const outcome = built.get(key)!.outcome;
      if (outcome.kind !== 'record') continue;
      await relink(deps, entity, runKind, entry, outcome.record, links, (current) => restorableBody(entity, current, fieldKeys));
      gone.set(key, links.pipedriveId);
      entries.set(key, { ...entry, state: 'pending', pipedriveId: null, replacedPipedriveId: links.pipedriveId, runKind, updatedAt: new Date() });
    }
  }
  const isNew = (key: string) => !entries.get(key) || gone.has(key);
  const bulkDeals = entity === 'deal_product' ? dealsWithManyProducts(built, isNew) : new Set<number>();
  let catalog: Promise<Map<string, number>> | undefined;
  const accountProducts = () => (catalog ??= account.accountProducts(fieldKeys));

  /** Looks for the record an attempt made since `since`; when found, it is ours: recorded, not created again. */
  const recoverRecord = async (sourceKey: string, record: LogicalRecord, hash: string, since: Date): Promise<boolean> => {
    const found = await recoverIntoLedger(deps, {
      entity,
      sourceKey,
      runKind,
      contentHash: hash,
      since,
      personId: typeof record.fields.person_id === 'number' ? record.fields.person_id : undefined,
      dealId: typeof record.fields.deal_id === 'number' ? record.fields.deal_id : undefined,
      note: 'created by an earlier attempt whose response was lost',
    });
    if (found) counts.recovered++;
    return found;
  };

  /**
   * Records waiting to be created, in work-item order. Their pending marks are committed in one statement before the
   * first create (after a crash they send a retry to recovery, as one mark per record did), and the ids of those
   * created are recorded with their audit rows in the next chunk's statement (or alone, at the end of the batch or
   * when it fails): one commit per chunk instead of two per record. Until then they are `unrecorded`: a checkpoint
   * does not pass them, and a crash leaves them pending, for a retry to recover as any create whose answer was lost.
   */
  let pendingCreates: PendingCreate[] = [];
  let unrecorded: { from: number; records: CreatedRecord[] } | undefined;
  /**
   * The checkpoint, told only when it moved: a heartbeat is a trip through the SDK (and the first one an RPC), and it
   * stays the same while a chunk gathers its records.
   */
  const told = { processed: resumed?.processed ?? 0, settled: resumed ? settledCount(resumed.counts) : 0 };
  const report = (processed: number): void => {
    const settled = settledCount(counts);
    if (processed === told.processed && settled === told.settled) return;
    told.processed = processed;
    told.settled = settled;
    req.progress?.({ processed, counts: { ...counts } });
  };
  /** The work item being handled: where a failed batch's last checkpoint points when nothing before it is left open. */
  let reached = 0;
  const recordUnrecorded = async (): Promise<void> => {
    const held = unrecorded;
    if (!held) return;
    await ledger.recordAllCreated(held.records);
    unrecorded = undefined;
    counts.migrated += held.records.length;
  };
  const createChunk = async (): Promise<void> => {
    const chunk = pendingCreates;
    pendingCreates = [];
    if (chunk.length === 0) return;
    const held = unrecorded;
    await ledger.claimAll(
      chunk.map(({ sourceKey, hash }) => ({ objectType, sourceKey, runKind, contentHash: hash })),
      held?.records,
    );
    unrecorded = undefined;
    if (held) counts.migrated += held.records.length;
    const createdAt: (CreatedRecord | undefined)[] = [];
    let next = 0;
    let failure: { err: unknown } | undefined;
    /** Creates that failed without doing anything (a 429, the daily budget spent): nothing to look up for them. */
    const notCreated: number[] = [];
    // A few lanes take the chunk's creates in order; after a failure no lane starts another, and while the window is
    // contended only the first lane goes on.
    const lane = async (_: unknown, laneIndex: number): Promise<void> => {
      while (!failure && next < chunk.length) {
        if (laneIndex > 0 && account.windowContended()) return;
        const i = next++;
        const item = chunk[i]!;
        try {
          const pipedriveId = await createOne(item);
          if (pipedriveId === undefined) continue;
          createdAt[i] = {
            entry: { objectType, sourceKey: item.sourceKey, pipedriveId, runKind, contentHash: item.hash },
            audit: {
              action: 'create',
              objectType,
              sourceKey: item.sourceKey,
              pipedriveId,
              ...writeOperation(objectType, 'create'),
              ...(item.replaced ? { note: recreatedNote(objectType, item.replaced) } : {}),
            },
          };
        } catch (err) {
          failure ??= { err };
          if (err instanceof PipedriveError && !err.outcomeUnknown) notCreated.push(i);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CREATES_IN_FLIGHT, chunk.length) }, lane));
    // In work-item order, whatever order their answers came in.
    const created = createdAt.filter((c): c is CreatedRecord => c !== undefined);
    if (failure) {
      // The creates no lane had started were never sent (a spent daily budget, an outage), and those refused outright
      // created nothing: their claims go back to what they were, so the retry creates them without looking for them
      // first. A create whose outcome is unknown (a lost response) stays pending for the retry to look up.
      const unsent = [...notCreated.map((i) => chunk[i]!), ...chunk.slice(next)].map(({ sourceKey }) => ({
        objectType,
        sourceKey,
        prior: entries.get(sourceKey),
      }));
      await ledger.releaseClaims(unsent).catch(() => undefined);
    }
    // What was created is recorded even when a failure stops the batch: only a crash leaves claims for recovery.
    if (failure) {
      if (created.length > 0) await ledger.recordAllCreated(created);
      throw failure.err;
    }
    if (created.length > 0) unrecorded = { from: chunk[0]!.index, records: created };
  };
  /** Sends one claimed create; its id, or undefined when it was recovered or refused (recorded as such). */
  const createOne = async ({ sourceKey, body, record, hash }: PendingCreate): Promise<string | undefined> => {
    try {
      const sentAt = new Date();
      try {
        return await account.create(entity, { body, fields: record.fields });
      } catch (err) {
        // A transient failure (5xx, dropped or timed-out connection) is settled here rather than by retrying the
        // whole batch, whose backoff grows with every record that fails: recover the record if the create may
        // have happened, else send it once more. A second failure fails the batch (its retry recovers again).
        if (!(err instanceof PipedriveError && err.failureType === 'transient')) throw err;
        if (err.outcomeUnknown && (await recoverRecord(sourceKey, record, hash, sentAt))) return undefined;
        return await account.create(entity, { body, fields: record.fields });
      }
    } catch (err) {
      if (!isRecordRejection(err)) throw err;
      await ledger.recordOutcome({ objectType, sourceKey, state: 'rejected', reason: refusalReason(err), runKind });
      counts.rejected++;
      return undefined;
    }
  };

  /**
   * Settled (and counted) by an earlier attempt before the point this one resumes from; anything it left open (pending,
   * deferred to a bulk request) is handled again.
   */
  const settledEarlier = (index: number, entry: LedgerEntry | undefined): boolean =>
    resumed !== undefined && index < resumed.processed && entry !== undefined && SETTLED_STATES.has(entry.state);

  // The records the map skips or rejects outright, settled in one statement before the loop rather than one each as it
  // reaches them: those the loop's skip and reject branches below will count (not created, not settled before the
  // checkpoint a retry resumes from).
  const decided = sourceKeys.flatMap((sourceKey, index) => {
    const entry = entries.get(sourceKey);
    const { outcome } = built.get(sourceKey)!;
    if (outcome.kind !== 'skip' && outcome.kind !== 'reject') return [];
    if (isCreated(entry) || settledEarlier(index, entry)) return [];
    const reason = outcome.kind === 'reject' && outcome.column ? `${outcome.column}: ${outcome.reason}` : outcome.reason;
    return [{ objectType, sourceKey, state: outcome.kind === 'skip' ? ('skipped' as const) : ('rejected' as const), reason, runKind }];
  });
  await ledger.recordOutcomes(decided);

  try {
    await eachRecord();
    await createChunk();
  } catch (err) {
    // A failure anywhere in the batch records the ids already known first, and the checkpoint moves past them, so a
    // retry neither recovers them nor counts them again as already done.
    if (unrecorded) {
      const recorded = await recordUnrecorded().then(
        () => true,
        () => false,
      );
      if (recorded) report(pendingCreates[0]?.index ?? reached);
    }
    throw err;
  }
  await recordUnrecorded();

  for (const dealId of bulkDeals) {
    report(sourceKeys.length);
    await attachInBulk(deps, dealId, built, isNew, runKind, counts);
  }
  // Every record of the batch that exists now gets the file of its values no field holds whole (most have none).
  report(sourceKeys.length);
  await settleReviewFiles(deps, { entity, runKind, built, recreated: new Set(gone.keys()) });
  return counts;

  /** The batch's work items in order: each passed over when settled, else updated, skipped, rejected or queued to create. */
  async function eachRecord(): Promise<void> {
    for (const [index, sourceKey] of sourceKeys.entries()) {
      reached = index;
      req.checkStop?.();
      const entry = entries.get(sourceKey);
      const staged = built.get(sourceKey)!;
      const { outcome } = staged;
      // Passed over before the checkpoint is told, which so never goes back to the batch's start on a retry (a second
      // crash would then count the first attempt's records twice).
      if (settledEarlier(index, entry)) continue;
      // A checkpoint never passes a record whose create is not recorded yet: a retry resumes at the chunk's first.
      report(unrecorded?.from ?? pendingCreates[0]?.index ?? index);
      try {
        if (isCreated(entry)) {
          // A reused record is the account's own (a product it already had): the delta never rewrites it.
          if (runKind === 'delta' && entry.state === 'created' && outcome.kind === 'record' && recordHash(outcome.record) !== entry.contentHash) {
            let applied: 'updated' | 'not_updatable' | undefined;
            const refused = await updateRecord(deps, entity, entry, outcome.record).then(
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
              await audit.append({
                action: 'update',
                objectType,
                sourceKey,
                pipedriveId: entry.pipedriveId!,
                ...op,
                status: refused.status,
                note: refusalReason(refused),
              });
              counts.rejected++;
            } else counts.updated++;
          } else if (entry.state === 'created' && outcome.kind === 'record' && stale.has(sourceKey)) {
            await relink(deps, entity, runKind, entry, outcome.record, stale.get(sourceKey)!, (current) => restorableBody(entity, current, fieldKeys));
            counts.updated++;
          } else counts.alreadyDone++;
          continue;
        }
        // Recorded before the loop (`decided`): counted here, in order, so a checkpoint's counts match its records.
        if (outcome.kind === 'skip') {
          counts.skipped++;
          continue;
        }
        if (outcome.kind === 'reject') {
          counts.rejected++;
          continue;
        }
        const record = outcome.record;
        const hash = recordHash(record);
        const recover = (since: Date) => recoverRecord(sourceKey, record, hash, since);
        // Found gone just now: nothing was sent for it since, so there is nothing to recover.
        if (entry?.state === 'pending' && !gone.has(sourceKey) && (await recover(entry.updatedAt))) continue;
        const { body, problems } = convertToPipedriveBody(entity, record, fieldKeys, { mode: 'create' });
        if (problems.length > 0) {
          const reason = problems.map((p) => `${p.kind}: ${p.entity}.${p.field}`).join('; ');
          await ledger.recordOutcome({ objectType, sourceKey, state: 'rejected', reason, runKind });
          counts.rejected++;
          continue;
        }
        if (entity === 'file') {
          const { file } = body as PipedriveBody<'file', 'create'>;
          const read = await staging.documentFile(file.path, staged.declared ?? {});
          if ('reason' in read) {
            await ledger.recordOutcome({ objectType, sourceKey, state: 'rejected', reason: read.reason, runKind });
            counts.rejected++;
            continue;
          }
          file.content = read.content;
        }
        if (entity === 'deal_product' && bulkDeals.has(record.fields.deal_id as number)) continue; // below
        if (entity === 'product') {
          const existingId = (await accountProducts()).get(productCode(record));
          if (existingId !== undefined) {
            // The account already sells this CDT code: deals link to its product, which is never ours to delete.
            await ledger.recordCreated({ objectType, sourceKey, pipedriveId: existingId, runKind, contentHash: hash, state: 'reused' });
            counts.migrated++;
            continue;
          }
        }
        // Sent with the next chunk: claimed together, created one by one, their ids recorded together.
        pendingCreates.push({ index, sourceKey, body, record, hash, replaced: entry?.replacedPipedriveId ?? undefined });
        if (pendingCreates.length >= CREATE_CHUNK) await createChunk();
      } catch (err) {
        if (!isRecordRejection(err)) throw err;
        await ledger.recordOutcome({ objectType, sourceKey, state: 'rejected', reason: refusalReason(err), runKind });
        counts.rejected++;
      }
    }
  }
}

const recreatedNote = (objectType: string, goneId: string) => `recreated: ${objectType} ${goneId} in the id map is gone from Pipedrive`;

/**
 * Before a batch relies on id-map entries written earlier (an earlier run, or an earlier attempt), checks that their
 * records still exist in Pipedrive, with the type's cheapest reads (v2 lists by `ids`, 100 per request), and still
 * carry their Dentrix key. A record that is gone (the account was reset, staff deleted it) is marked gone in the ledger: pending, without an id, the gone id
 * kept, so the batch creates it again exactly once and the ledger tells it apart as recreated. Returns source key →
 * gone id; `entries` is updated to match the ledger.
 */
async function takeGone(
  deps: Pick<LoadEngineDeps, 'ledger' | 'audit' | 'account' | 'fieldKeys'>,
  entity: TargetEntity,
  runKind: string,
  sourceKeys: string[],
  entries: Map<string, LedgerEntry>,
): Promise<Map<string, string>> {
  const held = sourceKeys
    .map((key) => entries.get(key))
    .filter((e): e is LedgerEntry & { pipedriveId: string } => !!e?.pipedriveId && (e.state === 'created' || e.state === 'reused'));
  const gone = new Map<string, string>();
  if (held.length === 0) return gone;
  const { records, tokens } = await deps.account.liveRecords(entity, [...new Set(held.map((e) => e.pipedriveId))]);
  for (const e of held) {
    const record = records.get(e.pipedriveId);
    // Ours only while it still carries our Dentrix key (an account's own reused product carries none): an id can
    // name another record after an account was reset and refilled.
    if (record && (e.state === 'reused' || sourceKeyOf(entity, record, deps.fieldKeys) === e.sourceKey)) continue;
    // False when another attempt has already taken this row over: the loop then sees the ledger as it is.
    if (!(await deps.ledger.markGone({ objectType: entity, sourceKey: e.sourceKey, goneId: e.pipedriveId, runKind }))) continue;
    gone.set(e.sourceKey, e.pipedriveId);
    entries.set(e.sourceKey, { ...e, state: 'pending', pipedriveId: null, replacedPipedriveId: e.pipedriveId, runKind, updatedAt: new Date() });
  }
  if (gone.size > 0) {
    // The check's reads, booked once with what they found (each recreation's create row names the id it replaces).
    await deps.audit.append({
      action: 'recover',
      objectType: entity,
      method: 'GET',
      endpoint: `check ${entity} records of the id map still exist`,
      tokens,
      note: `${gone.size} of ${held.length} gone from Pipedrive: created again`,
    });
  }
  return gone;
}

function productCode(record: LogicalRecord): string {
  const code = record.fields.code;
  return typeof code === 'string' ? code.trim().toUpperCase() : '';
}

/** Deals that get more than BULK_DEAL_PRODUCTS_ABOVE new products in this batch: one bulk request each. */
function dealsWithManyProducts(built: Map<string, { outcome: BuildOutcome }>, isNew: (sourceKey: string) => boolean): Set<number> {
  const perDeal = new Map<number, number>();
  for (const [key, { outcome }] of built) {
    if (outcome.kind !== 'record' || !isNew(key)) continue; // pending ones go one by one, after recovery
    const dealId = outcome.record.fields.deal_id;
    if (typeof dealId === 'number') perDeal.set(dealId, (perDeal.get(dealId) ?? 0) + 1);
  }
  return new Set([...perDeal].filter(([, n]) => n > BULK_DEAL_PRODUCTS_ABOVE).map(([d]) => d));
}

type BulkItem = { sourceKey: string; body: PipedriveBody<'deal_product', 'create'>; hash: string };

async function attachInBulk(
  deps: LoadEngineDeps,
  dealId: number,
  built: Map<string, StagedRecord>,
  isNew: (sourceKey: string) => boolean,
  runKind: string,
  counts: BatchCounts,
): Promise<void> {
  const { ledger, account, fieldKeys } = deps;
  const items: BulkItem[] = [];
  for (const [sourceKey, { outcome }] of built) {
    if (outcome.kind !== 'record' || !isNew(sourceKey) || outcome.record.fields.deal_id !== dealId) continue;
    const { body, problems } = convertToPipedriveBody('deal_product', outcome.record, fieldKeys, { mode: 'create' });
    if (problems.length === 0) items.push({ sourceKey, body, hash: recordHash(outcome.record) });
  }
  // One commit for the request's claims, one for its ids with their audit rows (a statement per item each before).
  await ledger.claimAll(items.map((item) => ({ objectType: 'deal_product', sourceKey: item.sourceKey, runKind, contentHash: item.hash })));
  let attached: Record<string, unknown>[];
  try {
    attached = await account.attachDealProducts(
      dealId,
      items.map((i) => i.body),
    );
  } catch (err) {
    if (!isRecordRejection(err)) throw err;
    // Pipedrive refuses the whole request for one bad item: attach them one by one, so each is accepted or
    // rejected (with its reason) on its own and none is left pending.
    await attachOneByOne(deps, dealId, items, runKind, counts);
    return;
  }
  const bulkOp = writeOperation('deal_product', 'bulk_create');
  let first = true; // one bulk request's tokens, booked on its first item
  const created: CreatedRecord[] = [];
  const settled = new Set<string>();
  // Match by the marker each item carries in its comments, not by position.
  for (const product of attached) {
    const key = sourceKeyOf('deal_product', product, fieldKeys);
    const item = items.find((i) => i.sourceKey === key);
    if (!item || settled.has(item.sourceKey)) continue;
    settled.add(item.sourceKey);
    const pipedriveId = composeDealProductId(dealId, product.id as number);
    created.push({
      entry: { objectType: 'deal_product', sourceKey: item.sourceKey, pipedriveId, runKind, contentHash: item.hash },
      audit: {
        action: 'create',
        objectType: 'deal_product',
        sourceKey: item.sourceKey,
        pipedriveId,
        ...bulkOp,
        tokens: first ? bulkOp.tokens : 0,
        note: 'bulk attach',
      },
    });
    first = false;
  }
  await ledger.recordAllCreated(created);
  counts.migrated += created.length;
  const unanswered = items.length - settled.size;
  // An item the answer does not show stays pending: the batch's retry recovers it by its marker or attaches it.
  if (unanswered > 0) throw transientFailure(`bulk attach to deal ${dealId} answered without ${unanswered} of ${items.length} items; retrying to settle them`);
}

async function attachOneByOne(deps: LoadEngineDeps, dealId: number, items: BulkItem[], runKind: string, counts: BatchCounts): Promise<void> {
  const { ledger, account } = deps;
  const op = writeOperation('deal_product', 'create');
  for (const item of items) {
    try {
      const pipedriveId = composeDealProductId(dealId, (await account.attachDealProduct(dealId, item.body)).id);
      await ledger.recordCreated({ objectType: 'deal_product', sourceKey: item.sourceKey, pipedriveId, runKind, contentHash: item.hash });
      await deps.audit.append({
        action: 'create',
        objectType: 'deal_product',
        sourceKey: item.sourceKey,
        pipedriveId,
        ...op,
        note: 'attached singly after the bulk request was refused',
      });
      counts.migrated++;
    } catch (err) {
      if (!isRecordRejection(err)) throw err;
      await ledger.recordOutcome({ objectType: 'deal_product', sourceKey: item.sourceKey, state: 'rejected', reason: refusalReason(err), runKind });
      counts.rejected++;
    }
  }
}

/** Delta: saves the record's current state as its before-image (first time only), then applies the new values. */
async function updateRecord(
  deps: Pick<LoadEngineDeps, 'ledger' | 'audit' | 'account' | 'fieldKeys'>,
  entity: TargetEntity,
  entry: LedgerEntry,
  record: LogicalRecord,
): Promise<'updated' | 'not_updatable'> {
  const { ledger, audit, account, fieldKeys } = deps;
  const pipedriveId = entry.pipedriveId!;
  if (!account.canUpdate(entity)) {
    // Pipedrive files cannot be edited in place; the change is acknowledged and logged, not applied.
    await ledger.setContentHash(entity, entry.sourceKey, recordHash(record));
    const note = 'document changed in Dentrix; Pipedrive files are not updated in place';
    await audit.append({ action: 'update', objectType: entity, sourceKey: entry.sourceKey, pipedriveId, method: 'NONE', endpoint: entity, note });
    return 'not_updatable';
  }
  const { body } = convertToPipedriveBody(entity, record, fieldKeys, { mode: 'update' });
  // The first before-image wins: it is the state before the migration's first update of this record.
  const current = await account.read(entity, pipedriveId);
  if (current) await ledger.saveBeforeImage({ objectType: entity, pipedriveId, body: restorableBody(entity, current, fieldKeys) });
  await account.update(entity, pipedriveId, body);
  await ledger.setContentHash(entity, entry.sourceKey, recordHash(record));
  const written: AuditRecord = { action: 'update', objectType: entity, sourceKey: entry.sourceKey, pipedriveId, ...writeOperation(entity, 'update') };
  await audit.append(written);
  return 'updated';
}
