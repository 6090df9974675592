import { tokenCost } from '../pipedrive/token-costs';
import { type PipedriveClient, type V2Collection } from '../pipedrive/client';

/**
 * Engine-side facts about each object type: where it sits in the dependency order (load rank; rollback runs in the
 * exact reverse) and how one created record is deleted. Schema elements rank below data so rollback removes them last.
 */
export const LOAD_RANK: Record<string, number> = {
  user: -1,
  activity_type: 0,
  pipeline: 1,
  stage: 2,
  custom_field: 3,
  /** An option this migration added to a field (one it found by name, or its own from an earlier approval). */
  field_option: 4,
  organization: 10,
  product: 20,
  person: 30,
  deal: 40,
  deal_product: 50,
  activity: 60,
  note: 70,
  file: 80,
};

export const DATA_OBJECT_TYPES = ['organization', 'product', 'person', 'deal', 'deal_product', 'activity', 'note', 'file'] as const;
export type DataObjectType = (typeof DATA_OBJECT_TYPES)[number];

export function loadRank(objectType: string): number {
  const rank = LOAD_RANK[objectType];
  if (rank === undefined) throw new Error(`unknown object type "${objectType}"`);
  return rank;
}

const V2_COLLECTION: Partial<Record<string, V2Collection>> = {
  organization: 'organizations',
  product: 'products',
  person: 'persons',
  deal: 'deals',
  activity: 'activities',
  pipeline: 'pipelines',
  stage: 'stages',
};

export function v2Collection(objectType: string): V2Collection {
  const c = V2_COLLECTION[objectType];
  if (!c) throw new Error(`object type "${objectType}" has no v2 collection`);
  return c;
}

/** Ledger ids: a plain number, `<dealId>/<attachmentId>` for deal products, `<entity>/<field_code>` for custom fields. */
export function composeDealProductId(dealId: number, attachmentId: number): string {
  return `${dealId}/${attachmentId}`;
}

export function composeFieldId(entity: string, fieldCode: string): string {
  return `${entity}/${fieldCode}`;
}

export function composeFieldOptionId(entity: string, fieldCode: string, optionId: number): string {
  return `${entity}/${fieldCode}/${optionId}`;
}

/** Deletes one created record; 'not_found' means it is already gone (a rollback treats that as done). */
export async function deleteCreated(client: PipedriveClient, objectType: string, pipedriveId: string): Promise<'deleted' | 'not_found'> {
  switch (objectType) {
    case 'deal_product': {
      const [dealId, attachmentId] = pipedriveId.split('/').map(Number);
      const remaining = await client.listDealProducts(dealId!).catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
      if (!remaining?.some((p) => p.id === attachmentId)) return 'not_found';
      await client.deleteDealProducts(dealId!, [attachmentId!]);
      return 'deleted';
    }
    case 'note':
      return client.deleteNote(Number(pipedriveId));
    case 'file':
      return client.deleteFile(Number(pipedriveId));
    case 'activity_type':
      return client.deleteActivityType(Number(pipedriveId));
    case 'custom_field': {
      const [entity, fieldCode] = pipedriveId.split('/') as ['person' | 'organization' | 'deal' | 'product', string];
      return client.deleteField(entity, fieldCode);
    }
    case 'field_option': {
      const [entity, fieldCode, optionId] = pipedriveId.split('/') as ['person' | 'organization' | 'deal' | 'product', string, string];
      return client.deleteFieldOption(entity, fieldCode, Number(optionId));
    }
    default:
      return client.remove(v2Collection(objectType), Number(pipedriveId));
  }
}

/** The API operation that creates, updates or deletes one record of a type, with its spec token cost (audit log). */
export function writeOperation(objectType: string, action: 'create' | 'update' | 'delete' | 'bulk_create'): { method: string; endpoint: string; tokens: number } {
  const v1: Record<string, string> = { note: '/notes', file: '/files', activity_type: '/activityTypes' };
  let api: 'v1' | 'v2' = 'v2';
  let path: string;
  if (objectType === 'deal_product') path = action === 'bulk_create' ? '/deals/{id}/products/bulk' : action === 'create' ? '/deals/{id}/products' : '/deals/{id}/products/{product_attachment_id}';
  else if (objectType === 'custom_field') path = action === 'create' ? '/personFields' : '/personFields/{field_code}';
  else if (objectType === 'field_option') path = '/personFields/{field_code}/options';
  else if (v1[objectType]) {
    api = 'v1';
    path = action === 'create' ? v1[objectType] : `${v1[objectType]}/{id}`;
  } else {
    path = action === 'create' ? `/${v2Collection(objectType)}` : `/${v2Collection(objectType)}/{id}`;
  }
  const method = action === 'create' || action === 'bulk_create' ? 'POST' : action === 'delete' ? 'DELETE' : api === 'v2' ? 'PATCH' : 'PUT';
  return { method, endpoint: `${method} /api/${api}${path}`, tokens: tokenCost(api, method, path) ?? 0 };
}
