import type { FieldKeys, TargetEntity } from '../mapping';
import { sourceKeyOf } from '../mapping/source-keys';
import { dataObjectType, FileNotCheckedError, objectType as objectTypeEntry, OBJECT_TYPES } from '../object-types/registry';
import { type PipedriveClient } from '../pipedrive/client';
import { permanent } from '../failures';
import type { AccountOperations, ApiRecord } from './ports';

/** The engine's Pipedrive operations: each object type's registry entry, bound to one account's client. */
export function registryOperations(client: PipedriveClient): AccountOperations {
  const opsOf = (name: string) => {
    const ops = objectTypeEntry(name).ops;
    if (!ops) throw permanent(`${name} records are resolved, never created: nothing to roll back`);
    return ops;
  };
  return {
    async create(entity, input) {
      try {
        return await dataObjectType(entity).ops.create(client, input);
      } catch (err) {
        // The load reads and checks a document's bytes before the pending mark: without them this is a bug, not bad data.
        if (err instanceof FileNotCheckedError) throw permanent(err.message);
        throw err;
      }
    },
    windowContended: () => client.pacing().contended,
    canUpdate: (name) => dataObjectType(name).ops.update !== undefined,
    async update(name, id, body) {
      const ops = dataObjectType(name).ops;
      if (!ops.update) throw permanent(`${name} records cannot be updated in place`);
      await ops.update(client, id, body);
    },
    read: (entity: TargetEntity, id) => dataObjectType(entity).ops.read(client, id),
    liveRecords: (entity, ids) => dataObjectType(entity).ops.liveRecords(client, ids),
    delete: (name, id) => opsOf(name).delete(client, id),
    recover: (entity, q) => dataObjectType(entity).ops.recover(client, q),
    attachDealProducts: async (dealId, bodies) =>
      (await client.addDealProducts(dealId, bodies as Parameters<PipedriveClient['addDealProducts']>[1])).map((r) => r as unknown as ApiRecord),
    attachDealProduct: (dealId, body) => client.addDealProduct(dealId, body as Parameters<PipedriveClient['addDealProduct']>[1]),
    accountProducts: (fieldKeys) => productsTheAccountHad(client, fieldKeys),
    parentDelete(name) {
      const ops = opsOf(name);
      const byParent = 'deleteByParent' in ops ? ops.deleteByParent : undefined;
      if (!byParent) return undefined;
      return {
        parentOf: (id) => byParent.parentOf(id),
        bulkAbove: byParent.bulkAbove,
        bulkMax: byParent.bulkMax,
        remove: (parent, ids, bulk) => byParent.remove(client, parent, ids, bulk),
      };
    },
  };
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
