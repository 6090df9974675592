import { type Pool } from 'pg';
import { sql, type Selectable } from 'kysely';
import { storeDb } from './db';
import type { FieldKeys } from './generated/db';

export interface StoredFieldKey {
  entity: string;
  fieldName: string;
  fieldCode: string;
  fieldType: string;
  options: { id: number; label: string }[];
  createdByUs: boolean;
}

export async function saveFieldKey(pool: Pool, migrationId: string, k: StoredFieldKey): Promise<void> {
  await storeDb(pool)
    .insertInto('field_keys')
    .values({
      migration_id: migrationId,
      entity: k.entity,
      field_name: k.fieldName,
      field_code: k.fieldCode,
      field_type: k.fieldType,
      options: JSON.stringify(k.options),
      created_by_us: k.createdByUs,
    })
    .onConflict((oc) =>
      oc.columns(['migration_id', 'entity', 'field_name']).doUpdateSet((eb) => ({
        field_code: eb.ref('excluded.field_code'),
        field_type: eb.ref('excluded.field_type'),
        options: eb.ref('excluded.options'),
        created_by_us: sql<boolean>`field_keys.created_by_us OR excluded.created_by_us`,
      })),
    )
    .execute();
}

export async function loadFieldKeys(pool: Pool, migrationId: string): Promise<StoredFieldKey[]> {
  const rows = await storeDb(pool)
    .selectFrom('field_keys')
    .selectAll()
    .where('migration_id', '=', migrationId)
    .orderBy('entity')
    .orderBy('field_name')
    .execute();
  return rows.map(toStoredFieldKey);
}

/** A field_keys row (as selected, or as JSON from `json_agg`: every column it maps is JSON-safe) in the mapping's shape. */
export function toStoredFieldKey(
  r: Pick<Selectable<FieldKeys>, 'entity' | 'field_name' | 'field_code' | 'field_type' | 'options' | 'created_by_us'>,
): StoredFieldKey {
  return {
    entity: r.entity,
    fieldName: r.field_name,
    fieldCode: r.field_code,
    fieldType: r.field_type,
    options: r.options as StoredFieldKey['options'],
    createdByUs: r.created_by_us,
  };
}
