import { type Pool } from 'pg';
import type { TargetEntity } from '../mapping/types';
import { type PipedriveClient, type V2Collection, type WritableFieldEntity } from '../pipedrive/client';
import { tokenCost, type ApiVersion } from '../pipedrive/token-costs';
import { type Field } from '../pipedrive/types';
import { loadAccountFieldKeys } from './field-keys';
import { restorableBody } from './load';
import { chunked, restoreMismatches, withoutFields, type PresenceCheck, type RestoreCheck, type RollbackChecks } from './rollback-proof';

type Row = Record<string, unknown> & { id: number };

const V2_DATA: Partial<Record<string, V2Collection>> = {
  organization: 'organizations',
  product: 'products',
  person: 'persons',
  deal: 'deals',
  activity: 'activities',
};

/** v2 lists take at most 100 `ids`; ids that are missing or deleted are left out of the answer. */
const IDS_PER_LIST = 100;

const live = (r: Record<string, unknown> | undefined): boolean => Boolean(r) && r!.is_deleted !== true && r!.active_flag !== false;

/** Custom fields the migration created (ledger ids `<entity>/<field_code>`): their codes. */
export async function createdFieldCodes(pool: Pool, migrationId: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ pipedrive_id: string }>(
    `SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'custom_field'
       AND state IN ('created', 'pending', 'deleted') AND pipedrive_id IS NOT NULL`,
    [migrationId],
  );
  return new Set(rows.map((r) => r.pipedrive_id.split('/')[1]!).filter(Boolean));
}

/**
 * Reads the account back after a rollback: every id the ledger says was created (and is now deleted) must be gone,
 * and every before-image put back must read back equal. Batched: v2 lists with `ids=` (10 tokens per 100 ids), one
 * field listing per entity, deal products by 100 deals; v1 notes and files by an account listing when it is cheaper
 * than one GET each (2 tokens), falling back to GETs once the listing has cost as much.
 */
export async function checkRollbackAgainstAccount(
  pool: Pool,
  client: PipedriveClient,
  migrationId: string,
  scope: 'all' | 'sample',
  heartbeat: (details: unknown) => void = () => undefined,
): Promise<RollbackChecks> {
  let tokens = 0;
  const spend = (api: ApiVersion, method: string, path: string) => {
    tokens += tokenCost(api, method, path) ?? 0;
  };

  const { rows: deletedRows } = await pool.query<{ object_type: string; pipedrive_id: string }>(
    `SELECT object_type, pipedrive_id FROM id_map
     WHERE migration_id = $1 AND state = 'deleted' AND pipedrive_id IS NOT NULL AND ($2 = 'all' OR run_kind = 'sample')
     ORDER BY object_type, pipedrive_id`,
    [migrationId, scope],
  );
  const idsByType = new Map<string, string[]>();
  for (const r of deletedRows) idsByType.set(r.object_type, [...(idsByType.get(r.object_type) ?? []), r.pipedrive_id]);

  const fieldLists = new Map<string, Field[]>();
  const fieldsOf = async (entity: string): Promise<Field[]> => {
    if (!fieldLists.has(entity)) {
      fieldLists.set(entity, await client.listFields(entity as WritableFieldEntity));
      spend('v2', 'GET', `/${entity}Fields`);
    }
    return fieldLists.get(entity)!;
  };

  /** v2 records by id, 100 per listing: the live ones found. */
  const listByIds = async (collection: V2Collection, ids: number[]): Promise<{ found: Map<number, Row>; requests: number }> => {
    const found = new Map<number, Row>();
    let requests = 0;
    for (const chunk of chunked(ids, IDS_PER_LIST)) {
      heartbeat({ collection, checked: requests * IDS_PER_LIST });
      for await (const page of client.listPages<Row>(collection, { ids: chunk, limit: IDS_PER_LIST })) {
        requests++;
        spend('v2', 'GET', `/${collection}`);
        for (const r of page) if (live(r)) found.set(r.id, r);
      }
    }
    return { found, requests };
  };

  const dealProductsOf = async (dealIds: number[]): Promise<{ found: Map<string, Row>; requests: number }> => {
    const found = new Map<string, Row>();
    let requests = 0;
    for (const chunk of chunked([...new Set(dealIds)], IDS_PER_LIST)) {
      requests++;
      spend('v2', 'GET', '/deals/products');
      for (const p of await client.listProductsForDeals(chunk)) found.set(`${p.deal_id}/${p.id}`, p as unknown as Row);
    }
    return { found, requests };
  };

  /** v1 notes or files: an account listing while it costs less than a GET per id, else a GET per id. */
  const v1Presence = async (kind: 'note' | 'file', ids: string[]): Promise<{ present: string[]; method: string; requests: number }> => {
    const path = kind === 'note' ? '/notes' : '/files';
    const perId = (tokenCost('v1', 'GET', `${path}/{id}`) ?? 2) * ids.length;
    const pageCost = tokenCost('v1', 'GET', path) ?? 20;
    const wanted = new Set(ids);
    let requests = 0;
    if (perId > pageCost) {
      const present = new Set<string>();
      let listed = 0;
      let complete = true;
      const pages = kind === 'note' ? client.listNotes({}) : client.listFiles({});
      for await (const page of pages) {
        requests++;
        listed += pageCost;
        spend('v1', 'GET', path);
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
      spend('v1', 'GET', `${path}/{id}`);
      const record = kind === 'note' ? await client.getNote(Number(id)) : await client.getFile(Number(id));
      if (live(record as unknown as Row | undefined)) present.push(id);
    }
    return { present, method: 'get-each', requests };
  };

  const deleted: PresenceCheck[] = [];
  for (const [objectType, ids] of idsByType) {
    heartbeat({ objectType, ids: ids.length });
    const collection = V2_DATA[objectType];
    if (collection) {
      const { found, requests } = await listByIds(collection, ids.map(Number));
      deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(Number(id))), method: 'list-ids', requests });
    } else if (objectType === 'deal_product') {
      const { found, requests } = await dealProductsOf(ids.map((id) => Number(id.split('/')[0])));
      deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => found.has(id)), method: 'list-deal-products', requests });
    } else if (objectType === 'note' || objectType === 'file') {
      const { present, method, requests } = await v1Presence(objectType, ids);
      deleted.push({ objectType, checked: ids.length, stillPresent: present, method, requests });
    } else if (objectType === 'pipeline' || objectType === 'stage') {
      const collection = objectType === 'pipeline' ? 'pipelines' : 'stages';
      let requests = 0;
      const liveIds = new Set<string>();
      for await (const page of client.listPages<Row>(collection, { limit: 500 })) {
        requests++;
        spend('v2', 'GET', `/${collection}`);
        for (const r of page) if (live(r)) liveIds.add(String(r.id));
      }
      deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => liveIds.has(id)), method: 'list-all', requests });
    } else if (objectType === 'activity_type') {
      const types = await client.listActivityTypes();
      spend('v1', 'GET', '/activityTypes');
      const liveIds = new Set(types.filter((t) => t.active_flag !== false).map((t) => String(t.id)));
      deleted.push({ objectType, checked: ids.length, stillPresent: ids.filter((id) => liveIds.has(id)), method: 'list-all', requests: 1 });
    } else if (objectType === 'custom_field' || objectType === 'field_option') {
      const before = fieldLists.size;
      const stillPresent: string[] = [];
      for (const id of ids) {
        const [entity, code, optionId] = id.split('/');
        const field = (await fieldsOf(entity!)).find((f) => f.field_code === code);
        const present = objectType === 'custom_field' ? Boolean(field) : Boolean(field?.options?.some((o) => String(o.id) === optionId));
        if (present) stillPresent.push(id);
      }
      deleted.push({ objectType, checked: ids.length, stillPresent, method: 'list-fields', requests: fieldLists.size - before });
    } else {
      // A type this proof cannot read back (none today): reported as unchecked, which fails the proof.
      deleted.push({ objectType, checked: 0, stillPresent: ids, method: 'unsupported', requests: 0 });
    }
  }

  // Before-images of records the rollback kept (it deleted the rest, which the presence checks cover).
  const { rows: images } = await pool.query<{ object_type: string; pipedrive_id: string; body: Record<string, unknown>; restored: boolean }>(
    `SELECT b.object_type, b.pipedrive_id, b.body, b.restored_at IS NOT NULL AS restored FROM before_images b
     WHERE b.migration_id = $1
       AND NOT EXISTS (SELECT 1 FROM id_map m WHERE m.migration_id = b.migration_id AND m.object_type = b.object_type
                       AND m.pipedrive_id = b.pipedrive_id AND m.state = 'deleted')
     ORDER BY b.object_type, b.pipedrive_id`,
    [migrationId],
  );
  const restored: RestoreCheck[] = [];
  if (images.length > 0) {
    const fieldKeys = await loadAccountFieldKeys(pool, migrationId);
    const ours = await createdFieldCodes(pool, migrationId);
    const byType = new Map<string, typeof images>();
    for (const img of images) byType.set(img.object_type, [...(byType.get(img.object_type) ?? []), img]);
    for (const [objectType, rows] of byType) {
      const check: RestoreCheck = { objectType, checked: rows.length, mismatched: [], missing: [], notRestored: [], requests: 0 };
      const done = rows.filter((r) => r.restored);
      check.notRestored = rows.filter((r) => !r.restored).map((r) => r.pipedrive_id);
      const current = new Map<string, Row>();
      const collection = V2_DATA[objectType];
      if (collection) {
        const { found, requests } = await listByIds(collection, done.map((r) => Number(r.pipedrive_id)));
        check.requests += requests;
        for (const [id, r] of found) current.set(String(id), r);
      } else if (objectType === 'deal_product') {
        const { found, requests } = await dealProductsOf(done.map((r) => Number(r.pipedrive_id.split('/')[0])));
        check.requests += requests;
        for (const [id, r] of found) current.set(id, r);
      } else if (objectType === 'note') {
        for (const r of done) {
          check.requests++;
          spend('v1', 'GET', '/notes/{id}');
          const note = await client.getNote(Number(r.pipedrive_id));
          if (live(note as unknown as Row | undefined)) current.set(r.pipedrive_id, note as unknown as Row);
        }
      }
      for (const r of done) {
        const now = current.get(r.pipedrive_id);
        if (!now) {
          check.missing.push(r.pipedrive_id);
          continue;
        }
        const expected = withoutFields(r.body, ours);
        const actual = withoutFields(restorableBody(objectType as TargetEntity, now, fieldKeys), ours);
        const fields = restoreMismatches(expected, actual);
        if (fields.length > 0) check.mismatched.push({ pipedriveId: r.pipedrive_id, fields });
      }
      restored.push(check);
    }
  }
  return { deleted, restored, tokens };
}
