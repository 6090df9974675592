import { sourceKeyOf } from '../mapping/source-keys';
import type { FieldKeys, TargetEntity } from '../mapping/types';
import { type PipedriveClient } from '../pipedrive/client';
import { tokenCost } from '../pipedrive/token-costs';
import { composeDealProductId, v2Collection } from './object-types';

/** Where to look for a record whose create had an unknown outcome. */
export interface RecoveryHints {
  personId?: number;
  dealId?: number;
  /** When the create was attempted: records touched since then are the candidates. */
  since: Date;
  /** True for a record another migration into the same account created: never ours, whatever key it carries. */
  createdElsewhere?: (pipedriveId: string) => Promise<boolean>;
}

const SEARCHABLE = { person: 'persons', organization: 'organizations', deal: 'deals', product: 'products' } as const;
/** Search indexing may lag behind the create; listing by update time is the fallback that always sees it. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * Finds the Pipedrive record an earlier attempt created for `sourceKey`, by the key it wrote into the record
 * (DESIGN §5.1). Returns the ledger id, or undefined when no such record exists and creating is safe.
 */
export async function recoverCreatedId(
  client: PipedriveClient,
  entity: TargetEntity,
  sourceKey: string,
  fieldKeys: FieldKeys,
  hints: RecoveryHints,
  /** Adds the spec token cost of the reads made, for the audit log. */
  meter: { tokens: number } = { tokens: 0 },
): Promise<string | undefined> {
  const spend = (api: 'v1' | 'v2', path: string) => {
    meter.tokens += tokenCost(api, 'GET', path) ?? 0;
  };
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
  /** The first candidate that carries the key and is not another migration's, as the ledger id. */
  const firstOurs = async (records: Iterable<Record<string, unknown>>, extraTest = writtenSinceAttempt, idOf = (r: Record<string, unknown>) => String(r.id)) => {
    for (const record of records) {
      if (matches(record) && extraTest(record) && !(await createdElsewhere(idOf(record)))) return idOf(record);
    }
    return undefined;
  };
  const always = () => true;

  switch (entity) {
    case 'person':
    case 'organization':
    case 'deal':
    case 'product': {
      const collection = SEARCHABLE[entity];
      spend('v2', `/${collection}/search`);
      const hits = await client.search(collection, { term: sourceKey, fields: 'custom_fields', exactMatch: true, limit: 10 });
      for (const hit of hits) {
        spend('v2', `/${collection}/{id}`);
        const record = await client.get(collection, hit.item.id);
        const found = record ? await firstOurs([record]) : undefined;
        if (found) return found;
      }
      // Not indexed yet, or search missed it: walk what changed since the attempt.
      const query = entity === 'product' ? {} : { updated_since: since };
      for await (const page of client.listPages(v2Collection(entity), { ...query, limit: 500 })) {
        spend('v2', `/${v2Collection(entity)}`);
        const found = await firstOurs(page as Record<string, unknown>[]);
        if (found) return found;
      }
      return undefined;
    }
    case 'activity': {
      const query: Record<string, unknown> = { updated_since: since, limit: 500 };
      if (hints.personId) query.person_id = hints.personId;
      for await (const page of client.listPages('activities', query)) {
        spend('v2', '/activities');
        const found = await firstOurs(page as Record<string, unknown>[], always);
        if (found) return found;
      }
      return undefined;
    }
    case 'note': {
      const query: Record<string, unknown> = { updated_since: since.replace('T', ' ').replace('Z', ''), limit: 500 };
      if (hints.personId) query.person_id = hints.personId;
      for await (const page of client.listNotes(query)) {
        spend('v1', '/notes');
        const found = await firstOurs(page as unknown as Record<string, unknown>[], always);
        if (found) return found;
      }
      return undefined;
    }
    case 'file': {
      for await (const page of client.listFiles(hints.personId ? { person_id: hints.personId } : {})) {
        spend('v1', hints.personId ? '/persons/{id}/files' : '/files');
        const found = await firstOurs(page as unknown as Record<string, unknown>[], always);
        if (found) return found;
      }
      return undefined;
    }
    case 'deal_product': {
      if (!hints.dealId) return undefined;
      spend('v2', '/deals/{id}/products');
      const attached = await client.listDealProducts(hints.dealId);
      const dealId = hints.dealId;
      return firstOurs(attached as unknown as Record<string, unknown>[], always, (r) => composeDealProductId(dealId, r.id as number));
    }
  }
}
