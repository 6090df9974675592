import { type Pool } from 'pg';
import type { FieldKeys, TargetEntity } from '../mapping/types';
import { loadFieldKeys, type StoredFieldKey } from '../store/field-keys';

/** The account's resolved custom-field keys for one migration, in the mapping layer's shape. */
export async function loadAccountFieldKeys(pool: Pool, migrationId: string): Promise<FieldKeys> {
  return accountFieldKeys(await loadFieldKeys(pool, migrationId));
}

/** Stored field keys in the mapping layer's shape. */
export function accountFieldKeys(stored: readonly StoredFieldKey[]): FieldKeys {
  const keys: FieldKeys = {};
  for (const k of stored) {
    const entity = k.entity as TargetEntity;
    (keys[entity] ??= {})[k.fieldName] = { key: k.fieldCode, type: k.fieldType, options: k.options };
  }
  return keys;
}
