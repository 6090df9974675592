import { type Pool } from 'pg';

export interface StoredFieldKey {
  entity: string;
  fieldName: string;
  fieldCode: string;
  fieldType: string;
  options: { id: number; label: string }[];
  createdByUs: boolean;
}

export async function saveFieldKey(pool: Pool, migrationId: string, k: StoredFieldKey): Promise<void> {
  await pool.query(
    `INSERT INTO field_keys (migration_id, entity, field_name, field_code, field_type, options, created_by_us)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (migration_id, entity, field_name) DO UPDATE
       SET field_code = EXCLUDED.field_code, field_type = EXCLUDED.field_type, options = EXCLUDED.options,
           created_by_us = field_keys.created_by_us OR EXCLUDED.created_by_us`,
    [migrationId, k.entity, k.fieldName, k.fieldCode, k.fieldType, JSON.stringify(k.options), k.createdByUs],
  );
}

export async function loadFieldKeys(pool: Pool, migrationId: string): Promise<StoredFieldKey[]> {
  const { rows } = await pool.query<{
    entity: string;
    field_name: string;
    field_code: string;
    field_type: string;
    options: { id: number; label: string }[];
    created_by_us: boolean;
  }>('SELECT * FROM field_keys WHERE migration_id = $1 ORDER BY entity, field_name', [migrationId]);
  return rows.map((r) => ({
    entity: r.entity,
    fieldName: r.field_name,
    fieldCode: r.field_code,
    fieldType: r.field_type,
    options: r.options,
    createdByUs: r.created_by_us,
  }));
}

export async function deleteFieldKey(pool: Pool, migrationId: string, entity: string, fieldName: string): Promise<void> {
  await pool.query('DELETE FROM field_keys WHERE migration_id = $1 AND entity = $2 AND field_name = $3', [migrationId, entity, fieldName]);
}
