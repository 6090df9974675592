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
        if (record && matches(record) && writtenSinceAttempt(record)) return String(hit.item.id);
      }
      // Not indexed yet, or search missed it: walk what changed since the attempt.
      const query = entity === 'product' ? {} : { updated_since: since };
      for await (const page of client.listPages(v2Collection(entity), { ...query, limit: 500 })) {
        spend('v2', `/${v2Collection(entity)}`);
        const found = page.find((r: Record<string, unknown>) => matches(r) && writtenSinceAttempt(r));
        if (found) return String((found as { id: number }).id);
      }
      return undefined;
    }
    case 'activity': {
      const query: Record<string, unknown> = { updated_since: since, limit: 500 };
      if (hints.personId) query.person_id = hints.personId;
      for await (const page of client.listPages('activities', query)) {
        spend('v2', '/activities');
        const found = page.find((r: Record<string, unknown>) => matches(r));
        if (found) return String((found as { id: number }).id);
      }
      return undefined;
    }
    case 'note': {
      const query: Record<string, unknown> = { updated_since: since.replace('T', ' ').replace('Z', ''), limit: 500 };
      if (hints.personId) query.person_id = hints.personId;
      for await (const page of client.listNotes(query)) {
        spend('v1', '/notes');
        const found = page.find((r) => matches(r as unknown as Record<string, unknown>));
        if (found) return String(found.id);
      }
      return undefined;
    }
    case 'file': {
      for await (const page of client.listFiles(hints.personId ? { person_id: hints.personId } : {})) {
        spend('v1', hints.personId ? '/persons/{id}/files' : '/files');
        const found = page.find((r) => matches(r as unknown as Record<string, unknown>));
        if (found) return String(found.id);
      }
      return undefined;
    }
    case 'deal_product': {
      if (!hints.dealId) return undefined;
      spend('v2', '/deals/{id}/products');
      const attached = await client.listDealProducts(hints.dealId);
      const found = attached.find((r) => matches(r as unknown as Record<string, unknown>));
      return found ? composeDealProductId(hints.dealId, found.id) : undefined;
    }
  }
}
