import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** Field-level comparison results of a run (sample diff, full verification): one row per record and field. */

export interface FieldDiffInput {
  objectType: string;
  sourceKey: string;
  field: string;
  matched: boolean;
  category: string | null;
  expected: unknown;
  actual: unknown;
}

/** Saves (or replaces) one group of a run's field diffs in one statement. */
export async function saveFieldDiffs(pool: Pool, migrationId: string, runKind: string, group: readonly FieldDiffInput[]): Promise<void> {
  const records = JSON.stringify(
    group.map((r) => ({
      object_type: r.objectType,
      source_key: r.sourceKey,
      field: r.field,
      matched: r.matched,
      category: r.category,
      expected: r.expected ?? null,
      actual: r.actual ?? null,
    })),
  );
  // jsonb_to_recordset: thousands of rows as one parameter, where a VALUES list would need seven per row.
  await sql`
    INSERT INTO field_diffs (migration_id, run_kind, object_type, source_key, field, matched, category, expected, actual)
    SELECT ${migrationId}, ${runKind}, t.object_type, t.source_key, t.field, t.matched, t.category, t.expected, t.actual
    FROM jsonb_to_recordset(${records}::jsonb) AS t(object_type text, source_key text, field text, matched boolean, category text, expected jsonb, actual jsonb)
    ON CONFLICT (migration_id, run_kind, object_type, source_key, field) DO UPDATE
      SET matched = EXCLUDED.matched, category = EXCLUDED.category, expected = EXCLUDED.expected, actual = EXCLUDED.actual`.execute(storeDb(pool));
}

/** What the accuracy report counts: per field, per discrepancy category, records per object type, the first 2,000 mismatches. */
export async function fieldDiffAccuracy(pool: Pool, migrationId: string, runKind: string) {
  const db = storeDb(pool);
  const ofRun = db.selectFrom('field_diffs').where('migration_id', '=', migrationId).where('run_kind', '=', runKind);
  const perField = await ofRun
    .select(['object_type', 'field', sql<string>`count(*)`.as('compared'), sql<string>`count(*) FILTER (WHERE matched)`.as('matched')])
    .groupBy(['object_type', 'field'])
    .orderBy('object_type')
    .orderBy('field')
    .execute();
  const perCategory = await ofRun
    .select(['object_type', 'category', sql<string>`count(*)`.as('n')])
    .where('matched', '=', false)
    // A mismatch always has a category (the diff names why it differs).
    .$narrowType<{ category: string }>()
    .groupBy(['object_type', 'category'])
    .orderBy('object_type')
    .orderBy('category')
    .execute();
  const records = await ofRun
    .select(['object_type', sql<string>`count(DISTINCT source_key)`.as('n')])
    .groupBy('object_type')
    .execute();
  const mismatches = await ofRun
    .select(['object_type', 'source_key', 'field', 'category', 'expected', 'actual'])
    .where('matched', '=', false)
    .$narrowType<{ category: string }>()
    .orderBy('object_type')
    .orderBy('source_key')
    .orderBy('field')
    .limit(2000)
    .execute();
  return { perField, perCategory, records, mismatches };
}

/** The latest run with field diffs: the full run's, else the sample's (undefined: neither). */
export async function latestDiffedRun(pool: Pool, migrationId: string): Promise<'full' | 'sample' | undefined> {
  const row = await storeDb(pool)
    .selectFrom('field_diffs')
    .select('run_kind')
    .where('migration_id', '=', migrationId)
    .where('run_kind', 'in', ['full', 'sample'])
    .groupBy('run_kind')
    .orderBy(sql`(run_kind = 'full')`, 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.run_kind as 'full' | 'sample' | undefined;
}

export interface LinkObservationRow {
  object_type: string;
  field: string;
  expected_set: boolean;
  actual_set: boolean;
  matched: boolean;
  expected_fallback: boolean;
  actual_known_user: boolean;
  n: string;
}

/**
 * Links and owners as the run's diffs saw them, for the records the migration holds now (ledger created or reused):
 * per object type and field, whether each side was set, matched, pointed at the fallback owner or a known user.
 */
export async function linkObservationRows(
  pool: Pool,
  migrationId: string,
  runKind: string,
  fields: readonly string[],
  fallbackOwnerKey: string,
): Promise<LinkObservationRow[]> {
  const { rows } = await sql<LinkObservationRow>`
    WITH users AS (
       SELECT pipedrive_id FROM id_map WHERE migration_id = ${migrationId} AND object_type = 'user' AND pipedrive_id IS NOT NULL),
     fallback AS (
       SELECT pipedrive_id FROM id_map WHERE migration_id = ${migrationId} AND object_type = 'user' AND source_key = ${fallbackOwnerKey})
     SELECT d.object_type, d.field,
       (d.expected IS NOT NULL AND d.expected <> 'null'::jsonb) AS expected_set,
       (d.actual IS NOT NULL AND d.actual <> 'null'::jsonb) AS actual_set,
       d.matched,
       COALESCE(d.expected #>> '{}' IN (SELECT pipedrive_id FROM fallback), false) AS expected_fallback,
       COALESCE(d.actual #>> '{}' IN (SELECT pipedrive_id FROM users), false) AS actual_known_user,
       count(*) AS n
     FROM field_diffs d
     JOIN id_map m ON m.migration_id = d.migration_id AND m.object_type = d.object_type AND m.source_key = d.source_key
       AND m.state IN ('created', 'reused')
     WHERE d.migration_id = ${migrationId} AND d.run_kind = ${runKind} AND d.field = ANY(${[...fields]})
     GROUP BY 1, 2, 3, 4, 5, 6, 7`.execute(storeDb(pool));
  return rows;
}
