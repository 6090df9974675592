import type { FieldKeys } from '../mapping';
import {
  dataObjectType,
  fieldEndpointsOf,
  isDataObjectType,
  isObjectType,
  objectType as objectTypeEntry,
  OBJECT_TYPES,
  type DataObjectType,
  type Endpoint,
  type ReadMeter,
  type ReadMethod,
} from '../object-types/registry';
import { type PipedriveClient, type WritableFieldEntity } from '../pipedrive/client';
import { type Field } from '../pipedrive/types';
import { restorableBody } from './load';
import type { Ledger } from './ports';
import { chunked, restoreMismatches, withoutFields, type PresenceCheck, type RestoreCheck, type RollbackChecks } from './rollback-proof';

type Row = Record<string, unknown> & { id: number };

/** v2 lists take at most 100 `ids`; ids that are missing or deleted are left out of the answer. */
const IDS_PER_LIST = 100;

/** How a presence check names the registry's reads. */
const METHOD_NAMES: Record<ReadMethod, string> = {
  account_listing: 'list-all',
  ids: 'list-ids',
  get_each: 'get-each',
  by_person: 'list-by-person',
};

const live = (r: Record<string, unknown> | undefined): boolean => Boolean(r) && r!.is_deleted !== true && r!.active_flag !== false;

/**
 * Reads the account back after a rollback: every id the ledger says was created (and is now deleted) must be gone,
 * and every before-image put back must read back equal. With the registry's cheapest reads: records by the type's
 * `readBack` (an account listing while it costs less than `ids` lists of 100 or one GET each, given up once it has
 * cost as much: after a rollback the account holds few), one field listing per entity, deal products by 100 deals.
 */
export async function checkRollbackAgainstAccount(
  ledger: Pick<Ledger, 'deletedIds' | 'beforeImagesKept' | 'createdFieldCodes'>,
  client: PipedriveClient,
  fieldKeysOf: () => Promise<FieldKeys>,
  scope: 'all' | 'sample',
  heartbeat: (details: unknown) => void = () => undefined,
): Promise<RollbackChecks> {
  let tokens = 0;
  const spend = (e: Endpoint) => {
    tokens += e.tokens;
  };

  const idsByType = await ledger.deletedIds(scope);

  const fieldLists = new Map<string, Field[]>();
  const fieldsOf = async (entity: string): Promise<Field[]> => {
    if (!fieldLists.has(entity)) {
      fieldLists.set(entity, await client.listFields(entity as WritableFieldEntity));
      spend(fieldEndpointsOf(entity as WritableFieldEntity).list);
    }
    return fieldLists.get(entity)!;
  };

  /**
   * Records of a type by id, read the way the registry prices cheapest (an account listing while it costs less than
   * `ids` lists of 100 or one GET each; after a rollback the account holds few): the live ones found.
   */
  const readLive = async (type: DataObjectType, ids: string[]): Promise<{ found: Map<string, Row>; requests: number; method: string }> => {
    heartbeat({ objectType: type, checked: ids.length });
    const meter: ReadMeter = { requests: 0, tokens: 0, methods: [] };
    const read = await dataObjectType(type).ops.readBack(client, ids, [], undefined, meter);
    tokens += meter.tokens;
    const found = new Map<string, Row>();
    for (const [id, r] of read) if (live(r)) found.set(id, r as Row);
    return { found, requests: meter.requests, method: meter.methods!.map((m) => METHOD_NAMES[m]).join('+') };
  };

  /** Deal products by their ledger ids (`<dealId>/<attachmentId>`), read for up to 100 deals per listing. */
  const dealProductsOf = async (ids: string[]): Promise<{ found: Map<string, Row>; requests: number }> => {
    const { endpoints, ops } = OBJECT_TYPES.deal_product;
    const requests = chunked([...new Set(ids.map((id) => id.split('/')[0]))], IDS_PER_LIST).length;
    for (let i = 0; i < requests; i++) spend(endpoints.getMany);
    return { found: (await ops.readBack(client, ids)) as Map<string, Row>, requests };
  };

  const deleted: PresenceCheck[] = [];
  for (const [objectType, ids] of idsByType) {
    heartbeat({ objectType, ids: ids.length });
    // How to read it back is the registry's; a type it does not know is reported unchecked, which fails the proof.
    const type = isObjectType(objectType) ? objectTypeEntry(objectType) : undefined;
    switch (type?.rollbackCheck) {
      case 'list_by_ids':
      case 'list_or_get': {
        const { found, requests, method } = await readLive(objectType as DataObjectType, ids);
        deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(id)), method, requests });
        break;
      }
      case 'deal_products': {
        const { found, requests } = await dealProductsOf(ids);
        deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(id)), method: 'list-deal-products', requests });
        break;
      }
      case 'list_all': {
        let requests = 0;
        const liveIds = new Set<string>();
        const pages = type.ops && 'listAll' in type.ops && type.ops.listAll ? type.ops.listAll(client) : [];
        for await (const page of pages) {
          requests++;
          spend(type.endpoints.list!);
          for (const r of page) if (live(r)) liveIds.add(String(r.id));
        }
        deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => liveIds.has(id)), method: 'list-all', requests });
        break;
      }
      case 'fields': {
        const before = fieldLists.size;
        const stillPresent: string[] = [];
        for (const id of ids) {
          const [entity, code, optionId] = id.split('/');
          const field = (await fieldsOf(entity!)).find((f) => f.field_code === code);
          const present = optionId === undefined ? Boolean(field) : Boolean(field?.options?.some((o) => String(o.id) === optionId));
          if (present) stillPresent.push(id);
        }
        deleted.push({ objectType, checked: ids.length, stillPresent, method: 'list-fields', requests: fieldLists.size - before });
        break;
      }
      default:
        deleted.push({ objectType, checked: 0, stillPresent: ids, method: 'unsupported', requests: 0 });
    }
  }

  // Before-images of records the rollback kept (it deleted the rest, which the presence checks cover).
  const images = await ledger.beforeImagesKept();
  const restored: RestoreCheck[] = [];
  if (images.length > 0) {
    const fieldKeys = await fieldKeysOf();
    const ours = await ledger.createdFieldCodes();
    const byType = new Map<string, typeof images>();
    for (const img of images) byType.set(img.objectType, [...(byType.get(img.objectType) ?? []), img]);
    for (const [objectType, rows] of byType) {
      const check: RestoreCheck = { objectType, checked: rows.length, mismatched: [], missing: [], notRestored: [], requests: 0 };
      const done = rows.filter((r) => r.restored);
      check.notRestored = rows.filter((r) => !r.restored).map((r) => r.pipedriveId);
      const current = new Map<string, Row>();
      const type = isDataObjectType(objectType) ? dataObjectType(objectType) : undefined;
      if (type?.rollbackCheck === 'deal_products') {
        const { found, requests } = await dealProductsOf(done.map((r) => r.pipedriveId));
        check.requests += requests;
        for (const [id, r] of found) current.set(id, r);
      } else if (type && type.ops.update) {
        const { found, requests } = await readLive(
          objectType as DataObjectType,
          done.map((r) => r.pipedriveId),
        );
        check.requests += requests;
        for (const [id, r] of found) current.set(id, r);
      }
      for (const r of done) {
        const now = current.get(r.pipedriveId);
        if (!now) {
          check.missing.push(r.pipedriveId);
          continue;
        }
        const expected = withoutFields(r.body, ours);
        const actual = withoutFields(restorableBody(objectType as Parameters<typeof restorableBody>[0], now, fieldKeys), ours);
        const fields = restoreMismatches(expected, actual);
        if (fields.length > 0) check.mismatched.push({ pipedriveId: r.pipedriveId, fields });
      }
      restored.push(check);
    }
  }
  return { deleted, restored, tokens };
}
