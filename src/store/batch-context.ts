import { type Pool } from 'pg';
import { sql, type Selectable } from 'kysely';
import { storeDb } from './db';
import type { FieldKeys } from './generated/db';
import { toStoredFieldKey, type StoredFieldKey } from './field-keys';
import { toRun, UnknownMigrationError, type MigrationRun } from './runs';

/** What a load or verification batch reads before it touches Pipedrive. */
export interface BatchContext {
  run: MigrationRun;
  /** The latest approved field map's version (its document is cached by version); undefined before any approval. */
  approvedMapVersion: number | undefined;
  /** The account's custom-field keys, by entity and field name. */
  fieldKeys: StoredFieldKey[];
}

/**
 * The run, its approved map's version and the account's field keys in one statement, not three: every batch reads
 * them, and a batch's fixed statements weigh on every record of a small object type (issue 14).
 */
export async function readBatchContext(pool: Pool, migrationId: string): Promise<BatchContext> {
  const row = await storeDb(pool)
    .selectFrom('migration_runs')
    .selectAll('migration_runs')
    .select((eb) => [
      eb
        .selectFrom('field_maps')
        .select('field_maps.version')
        .where('field_maps.migration_id', '=', migrationId)
        .where('field_maps.status', '=', 'approved')
        .orderBy('field_maps.version', 'desc')
        .limit(1)
        .as('approved_map_version'),
      sql<Selectable<FieldKeys>[]>`(
        SELECT coalesce(json_agg(k ORDER BY k.entity, k.field_name), '[]'::json) FROM field_keys k WHERE k.migration_id = ${migrationId}
      )`.as('batch_field_keys'),
    ])
    .where('migration_runs.migration_id', '=', migrationId)
    .executeTakeFirst();
  if (!row) throw new UnknownMigrationError(migrationId);
  const { approved_map_version, batch_field_keys, ...run } = row;
  return { run: toRun(run), approvedMapVersion: approved_map_version ?? undefined, fieldKeys: batch_field_keys.map(toStoredFieldKey) };
}
