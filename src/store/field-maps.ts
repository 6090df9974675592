import { type Pool } from 'pg';
import { sql, type Selectable } from 'kysely';
import { inTransaction, storeDb } from './db';
import type { FieldMaps } from './generated/db';

export interface StoredFieldMap {
  version: number;
  status: 'proposed' | 'approved' | 'superseded';
  /** `{ map, phi, duplicates, owners }`: the field map, (once approved) the PHI decisions it was approved with, the duplicate merges, the Owners sheet's assignments. */
  document: { map: unknown; phi?: unknown; owners?: unknown; duplicates?: unknown };
  approvedBy: string | null;
  approvedAt: Date | null;
}

const toMap = (r: Selectable<FieldMaps>): StoredFieldMap => ({
  version: r.version,
  status: r.status as StoredFieldMap['status'],
  document: r.map as StoredFieldMap['document'],
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
});

/** Saves a new version (proposed or imported from an edited workbook) and returns its number. */
export async function saveProposedMap(pool: Pool, migrationId: string, document: StoredFieldMap['document']): Promise<number> {
  const row = await storeDb(pool)
    .insertInto('field_maps')
    .columns(['migration_id', 'version', 'status', 'map'])
    .expression((eb) =>
      eb
        .selectFrom('field_maps')
        .select([
          eb.val(migrationId).as('migration_id'),
          sql<number>`COALESCE(MAX(version), 0) + 1`.as('version'),
          eb.val('proposed').as('status'),
          eb.val(JSON.stringify(document)).as('map'),
        ])
        .where('migration_id', '=', migrationId),
    )
    .returning('version')
    .executeTakeFirstOrThrow();
  return row.version;
}

export async function getFieldMap(pool: Pool, migrationId: string, version: number): Promise<StoredFieldMap | undefined> {
  const row = await storeDb(pool)
    .selectFrom('field_maps')
    .selectAll()
    .where('migration_id', '=', migrationId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && toMap(row);
}

export async function latestFieldMap(pool: Pool, migrationId: string, status?: StoredFieldMap['status']): Promise<StoredFieldMap | undefined> {
  let query = storeDb(pool).selectFrom('field_maps').selectAll().where('migration_id', '=', migrationId);
  if (status) query = query.where('status', '=', status);
  const row = await query.orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row && toMap(row);
}

/** The number of the latest version (in that status): what a reader that caches versions asks before each use. */
export async function latestFieldMapVersion(pool: Pool, migrationId: string, status: StoredFieldMap['status']): Promise<number | undefined> {
  const row = await storeDb(pool)
    .selectFrom('field_maps')
    .select('version')
    .where('migration_id', '=', migrationId)
    .where('status', '=', status)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version;
}

/** Marks one version approved (with its PHI decisions) and every other version superseded. */
export async function approveFieldMap(pool: Pool, migrationId: string, version: number, by: string, document: StoredFieldMap['document']): Promise<void> {
  await inTransaction(pool, async (_tx, db) => {
    await db
      .updateTable('field_maps')
      .set({ status: 'superseded' })
      .where('migration_id', '=', migrationId)
      .where('version', '<>', version)
      .where('status', '=', 'approved')
      .execute();
    await db
      .updateTable('field_maps')
      .set({ status: 'approved', approved_by: by, approved_at: sql`now()`, map: JSON.stringify(document) })
      .where('migration_id', '=', migrationId)
      .where('version', '=', version)
      .execute();
  });
}
