import { sourceKeyOf } from '../mapping/source-keys';
import type { FieldKeys, TargetEntity } from '../mapping/types';
import type { AccountOperations, Ledger } from './ports';

/** Where to look for a record whose create had an unknown outcome. */
export interface RecoveryHints {
  personId?: number;
  dealId?: number;
  /** When the create was attempted: records touched since then are the candidates. */
  since: Date;
  /** True for a record another migration into the same account created: never ours, whatever key it carries. */
  createdElsewhere?: (pipedriveId: string) => Promise<boolean>;
}

/** Search indexing may lag behind the create; listing by update time is the fallback that always sees it. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * Finds the Pipedrive record an earlier attempt created for `sourceKey`, by the key it wrote into the record
 * (DESIGN §5.1). Returns the ledger id, or undefined when no such record exists and creating is safe. Where to look
 * (search, then lists, per type) is the registry's `recover`; what counts as ours is decided here.
 */
export async function recoverCreatedId(
  account: Pick<AccountOperations, 'recover'>,
  entity: TargetEntity,
  sourceKey: string,
  fieldKeys: FieldKeys,
  hints: RecoveryHints,
  /** Adds the spec token cost of the reads made, for the audit log. */
  meter: { tokens: number } = { tokens: 0 },
): Promise<string | undefined> {
  const since = new Date(hints.since.getTime() - CLOCK_SKEW_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const matches = (record: Record<string, unknown>) => sourceKeyOf(entity, record, fieldKeys) === sourceKey;
  // Source keys are per practice, not per account: a second practice migrated into the same account has its own
  // `patient:5`. The record an unknown-outcome attempt made was written at or after that attempt, so an older
  // record with the same key is someone else's and is never adopted.
  const sinceMs = Date.parse(since);
  const writtenSinceAttempt = (record: Record<string, unknown>) => {
    const updated = typeof record.update_time === 'string' ? Date.parse(record.update_time) : Number.NaN;
    return Number.isNaN(updated) || updated >= sinceMs;
  };
  // A record of the other practice's edited within the window passes the time test; the store knows it is theirs.
  const createdElsewhere = hints.createdElsewhere ?? (() => Promise.resolve(false));
  for await (const page of account.recover(entity, { sourceKey, since, personId: hints.personId, dealId: hints.dealId })) {
    meter.tokens += page.tokens;
    for (const { id, record } of page.candidates) {
      if (matches(record) && (!page.checkWrittenSince || writtenSinceAttempt(record)) && !(await createdElsewhere(id))) return id;
    }
  }
  return undefined;
}

/**
 * Recovery as a load does it: looks for the record an attempt made since `since` (recoverCreatedId) and, when found,
 * records its id with the audit row of the reads that found it. True when found: it is ours, not to be created again.
 */
export async function recoverIntoLedger(
  deps: { account: Pick<AccountOperations, 'recover'>; ledger: Pick<Ledger, 'recordCreated' | 'createdByAnotherMigration'>; fieldKeys: FieldKeys },
  q: { entity: TargetEntity; sourceKey: string; runKind: string; contentHash: string; since: Date; personId?: number; dealId?: number; note: string },
): Promise<boolean> {
  const { account, ledger, fieldKeys } = deps;
  const { entity, sourceKey } = q;
  const meter = { tokens: 0 };
  const recovered = await recoverCreatedId(
    account,
    entity,
    sourceKey,
    fieldKeys,
    { since: q.since, personId: q.personId, dealId: q.dealId, createdElsewhere: (pipedriveId) => ledger.createdByAnotherMigration(entity, pipedriveId) },
    meter,
  );
  if (!recovered) return false;
  await ledger.recordCreated(
    { objectType: entity, sourceKey, pipedriveId: recovered, runKind: q.runKind, contentHash: q.contentHash },
    {
      action: 'recover',
      objectType: entity,
      sourceKey,
      pipedriveId: recovered,
      method: 'GET',
      endpoint: `recover ${entity} by its Dentrix key`,
      tokens: meter.tokens,
      note: q.note,
    },
  );
  return true;
}
