import type { FieldKeys } from '../mapping';
import { isDataObjectType, objectType as objectTypeEntry, ROLLBACK_ORDER, writeOperation, type DeleteOutcome } from '../object-types/registry';
import { permanent } from '../failures';
import { recoverCreatedId } from './recovery';
import { withoutFields } from './rollback-proof';
import type { AccountOperations, AuditLog, Ledger, LedgerEntry, RollbackScope, StagingSource } from './ports';

export interface RollbackEngineDeps {
  ledger: Ledger;
  audit: AuditLog;
  account: AccountOperations;
  /** Where a pending child record could be (its person or deal), for recovering its id before the delete. */
  staging: Pick<StagingSource, 'recoveryParents'>;
  fieldKeys: FieldKeys;
}

export interface UndoResult {
  deleted: number;
  alreadyGone: number;
}

/**
 * The object type a rollback undoes next, with its rows left: the registry's rollback order (the exact reverse of the
 * load order); a type the registry does not know comes last, by name.
 */
export async function nextToUndo(
  ledger: Pick<Ledger, 'remainingByType'>,
  scope: RollbackScope,
): Promise<{ objectType: string; remaining: number } | undefined> {
  const left = await ledger.remainingByType(scope);
  const rank = (t: string) => {
    const i = ROLLBACK_ORDER.indexOf(t as (typeof ROLLBACK_ORDER)[number]);
    return i < 0 ? ROLLBACK_ORDER.length : i;
  };
  const [objectType] = [...left.keys()].filter((t) => (left.get(t) ?? 0) > 0).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return objectType === undefined ? undefined : { objectType, remaining: left.get(objectType)! };
}

/** The spec cost of a delete as sent (sent, and paid, even when the record is already gone). */
function deleteCost(objectType: string, pipedriveId: string): number {
  return writeOperation(objectType, 'delete', { pipedriveId }).tokens;
}

/**
 * The saga's compensation for one type: deletes up to `limit` of the records this migration created (the ledger's
 * `created` rows; `pending` ones after recovering their id, since the create may have happened). Idempotent: a record
 * already gone counts as undone. Each undo is marked in the ledger and written to the audit log.
 */
export async function undoBatch(
  deps: RollbackEngineDeps,
  req: { objectType: string; scope: RollbackScope; limit: number; progress?: (details: unknown) => void },
): Promise<UndoResult> {
  const { ledger, audit, account } = deps;
  const { objectType } = req;
  const type = objectTypeEntry(objectType);
  if (!type.ops) throw permanent(`${objectType} records are resolved, never created: nothing to roll back`);
  const entries = await ledger.toUndo(objectType, req.scope, req.limit);
  const byParent = account.parentDelete(objectType);
  const result: UndoResult = { deleted: 0, alreadyGone: 0 };
  /** The ledger row is marked deleted and the delete (or "already gone") is in the audit log, together. */
  const recordUndone = async (sourceKey: string, pipedriveId: string | null, outcome: DeleteOutcome, e: { note?: string | null; tokens: number }) => {
    await ledger.markDeleted(objectType, sourceKey);
    await audit.append({
      action: 'delete',
      objectType,
      sourceKey,
      pipedriveId,
      ...writeOperation(objectType, 'delete', { pipedriveId, sourceKey }),
      tokens: e.tokens,
      status: outcome === 'deleted' ? 200 : 404,
      note: outcome === 'not_found' ? (e.note ? `already gone; ${e.note}` : 'already gone') : (e.note ?? null),
    });
    if (outcome === 'deleted') result.deleted++;
    else result.alreadyGone++;
  };
  if (byParent) {
    // Per parent (deal), nothing read first: one bulk delete (15 tokens, ≤100) when it beats single deletes (3 each).
    // The bulk answer names what it deleted and a single delete answers 404 for one already gone.
    const byDeal = new Map<number, LedgerEntry[]>();
    for (const entry of entries.filter((e) => e.state === 'created' && e.pipedriveId)) {
      const dealId = byParent.parentOf(entry.pipedriveId!);
      byDeal.set(dealId, [...(byDeal.get(dealId) ?? []), entry]);
    }
    const bulkCost = type.endpoints.bulkDelete?.tokens ?? 0;
    const singleCost = writeOperation(objectType, 'delete').tokens;
    for (const [dealId, group] of byDeal) {
      req.progress?.({ objectType, dealId });
      const ids = group.map((e) => e.pipedriveId!);
      const bulk = ids.length > byParent.bulkAbove;
      const deleted = await byParent.remove(dealId, ids, bulk);
      // One bulk request per 100 attachments: its cost is booked once, on the first item of its chunk.
      for (const [i, entry] of group.entries()) {
        const tokens = bulk ? (i % byParent.bulkMax === 0 ? bulkCost : 0) : singleCost;
        const outcome = deleted.has(entry.pipedriveId!) ? 'deleted' : 'not_found';
        await recordUndone(entry.sourceKey, entry.pipedriveId, outcome, { note: bulk ? `bulk delete of ${ids.length}` : null, tokens });
      }
    }
  }
  for (const entry of entries.filter((e) => !byParent || e.state === 'pending')) {
    req.progress?.({ objectType, sourceKey: entry.sourceKey });
    let pipedriveId = entry.pipedriveId;
    const meter = { tokens: 0 };
    if (entry.state === 'pending' && isDataObjectType(objectType)) {
      const parents = (await deps.staging.recoveryParents?.(entry.sourceKey)) ?? {};
      const hints = {
        since: entry.updatedAt,
        createdElsewhere: (id: string) => ledger.createdByAnotherMigration(objectType, id),
        ...parents,
      };
      pipedriveId = (await recoverCreatedId(account, objectType, entry.sourceKey, deps.fieldKeys, hints, meter)) ?? null;
    }
    const outcome = pipedriveId ? await account.delete(objectType, pipedriveId) : 'not_found';
    // The delete's cost (sent even when the record is already gone), plus the reads that recovered a pending id.
    const cost = pipedriveId ? deleteCost(objectType, pipedriveId) : 0;
    await recordUndone(entry.sourceKey, pipedriveId, outcome, {
      note: meter.tokens > 0 ? 'pending create: id recovered by its Dentrix key first' : null,
      tokens: cost + meter.tokens,
    });
  }
  return result;
}

/**
 * Puts back the before-images of records the migration updated but did not create (it deleted the rest), then marks
 * them restored. Custom fields the migration created are left out: the record had no value in them, and the rollback
 * removes them.
 */
export async function restoreBeforeImages(
  deps: Pick<RollbackEngineDeps, 'ledger' | 'audit' | 'account'>,
  progress?: (details: { restored: number }) => void,
): Promise<{ restored: number }> {
  const { ledger, audit, account } = deps;
  const images = await ledger.beforeImagesToRestore();
  const ours = images.length > 0 ? await ledger.createdFieldCodes() : new Set<string>();
  let restored = 0;
  for (const image of images) {
    progress?.({ restored });
    const body = withoutFields(image.body, ours);
    if (!account.canUpdate(image.objectType)) {
      throw permanent(`${image.objectType} records cannot be updated in place: a before-image of one cannot be restored`);
    }
    await account.update(image.objectType, image.pipedriveId, body);
    await ledger.markRestored(image.objectType, image.pipedriveId);
    await audit.append({
      action: 'restore',
      objectType: image.objectType,
      pipedriveId: image.pipedriveId,
      ...writeOperation(image.objectType, 'update'),
      status: 200,
      note: 'before-image restored',
    });
    restored++;
  }
  return { restored };
}
