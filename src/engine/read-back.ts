import type { FieldKeys } from '../mapping';
import {
  dataObjectType,
  fieldEndpointsOf,
  isDataObjectType,
  isObjectType,
  objectType as objectTypeEntry,
  OBJECT_TYPES,
  type Endpoint,
} from '../object-types/registry';
import { type PipedriveClient, type V2Collection, type WritableFieldEntity } from '../pipedrive/client';
import { type Field } from '../pipedrive/types';
import { restorableBody } from './load';
import type { Ledger } from './ports';
import { chunked, restoreMismatches, withoutFields, type PresenceCheck, type RestoreCheck, type RollbackChecks } from './rollback-proof';

type Row = Record<string, unknown> & { id: number };

/** v2 lists take at most 100 `ids`; ids that are missing or deleted are left out of the answer. */
const IDS_PER_LIST = 100;

const live = (r: Record<string, unknown> | undefined): boolean => Boolean(r) && r!.is_deleted !== true && r!.active_flag !== false;

/** Every note or file of the account, a page at a time. */
function listEvery(client: PipedriveClient, kind: 'note' | 'file'): AsyncGenerator<unknown[]> {
  return kind === 'note' ? client.listNotes({}) : client.listFiles({});
}

/**
 * Reads the account back after a rollback: every id the ledger says was created (and is now deleted) must be gone,
 * and every before-image put back must read back equal. Batched: v2 lists with `ids=` (10 tokens per 100 ids), one
 * field listing per entity, deal products by 100 deals; v1 notes and files by an account listing when it is cheaper
 * than one GET each (2 tokens), falling back to GETs once the listing has cost as much.
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

  /** v2 records by id, 100 per listing: the live ones found. */
  const listByIds = async (collection: V2Collection, listing: Endpoint, ids: number[]): Promise<{ found: Map<number, Row>; requests: number }> => {
    const found = new Map<number, Row>();
    let requests = 0;
    for (const chunk of chunked(ids, IDS_PER_LIST)) {
      heartbeat({ collection, checked: requests * IDS_PER_LIST });
      for await (const page of client.listPages<Row>(collection, { ids: chunk, limit: IDS_PER_LIST })) {
        requests++;
        spend(listing);
        for (const r of page) if (live(r)) found.set(r.id, r);
      }
    }
    return { found, requests };
  };

  /** Deal products by their ledger ids (`<dealId>/<attachmentId>`), read for up to 100 deals per listing. */
  const dealProductsOf = async (ids: string[]): Promise<{ found: Map<string, Row>; requests: number }> => {
    const { endpoints, ops } = OBJECT_TYPES.deal_product;
    const requests = chunked([...new Set(ids.map((id) => id.split('/')[0]))], IDS_PER_LIST).length;
    for (let i = 0; i < requests; i++) spend(endpoints.getMany);
    return { found: (await ops.readBack(client, ids)) as Map<string, Row>, requests };
  };

  /** v1 notes or files: an account listing while it costs less than a GET per id, else a GET per id. */
  const v1Presence = async (kind: 'note' | 'file', ids: string[]): Promise<{ present: string[]; method: string; requests: number }> => {
    const { endpoints, ops } = OBJECT_TYPES[kind];
    const perId = endpoints.get.tokens * ids.length;
    const pageCost = endpoints.list.tokens;
    const wanted = new Set(ids);
    let requests = 0;
    if (perId > pageCost) {
      const present = new Set<string>();
      let listed = 0;
      let complete = true;
      for await (const page of listEvery(client, kind)) {
        requests++;
        listed += pageCost;
        spend(endpoints.list);
        for (const r of page as unknown as Row[]) if (live(r) && wanted.has(String(r.id))) present.add(String(r.id));
        if (listed >= perId) {
          complete = false; // the account holds more than a GET per id would cost to check
          break;
        }
      }
      if (complete) return { present: [...present], method: 'list-all', requests };
    }
    const present: string[] = [];
    for (const id of ids) {
      heartbeat({ kind, id });
      requests++;
      spend(endpoints.get);
      if (live(await ops.read(client, id))) present.push(id);
    }
    return { present, method: 'get-each', requests };
  };

  const deleted: PresenceCheck[] = [];
  for (const [objectType, ids] of idsByType) {
    heartbeat({ objectType, ids: ids.length });
    // How to read it back is the registry's; a type it does not know is reported unchecked, which fails the proof.
    const type = isObjectType(objectType) ? objectTypeEntry(objectType) : undefined;
    switch (type?.rollbackCheck) {
      case 'list_by_ids': {
        const { found, requests } = await listByIds(type.collection!, type.endpoints.getMany!, ids.map(Number));
        deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(Number(id))), method: 'list-ids', requests });
        break;
      }
      case 'deal_products': {
        const { found, requests } = await dealProductsOf(ids);
        deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(id)), method: 'list-deal-products', requests });
        break;
      }
      case 'list_or_get': {
        const { present, method, requests } = await v1Presence(objectType as 'note' | 'file', ids);
        deleted.push({ objectType, checked: ids.length, stillPresent: present, method, requests });
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
      if (type?.rollbackCheck === 'list_by_ids') {
        const { found, requests } = await listByIds(
          type.collection!,
          type.endpoints.getMany!,
          done.map((r) => Number(r.pipedriveId)),
        );
        check.requests += requests;
        for (const [id, r] of found) current.set(String(id), r);
      } else if (type?.rollbackCheck === 'deal_products') {
        const { found, requests } = await dealProductsOf(done.map((r) => r.pipedriveId));
        check.requests += requests;
        for (const [id, r] of found) current.set(id, r);
      } else if (type?.rollbackCheck === 'list_or_get' && type.ops.update) {
        // v1 records that can be updated (notes): one GET each.
        for (const r of done) {
          check.requests++;
          spend(type.endpoints.get!);
          const record = await type.ops.read(client, r.pipedriveId);
          if (live(record)) current.set(r.pipedriveId, record as Row);
        }
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
