import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';
import type { JsonValue } from './generated/db';

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
  // SQL: jsonb_to_recordset takes thousands of rows as one parameter, where a VALUES list would need seven per row.
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
    .select((eb) => ['object_type', 'field', eb.fn.countAll<string>().as('compared'), eb.fn.countAll<string>().filterWhere('matched', '=', true).as('matched')])
    .groupBy(['object_type', 'field'])
    .orderBy('object_type')
    .orderBy('field')
    .execute();
  const perCategory = await ofRun
    .select((eb) => ['object_type', 'category', eb.fn.countAll<string>().as('n')])
    .where('matched', '=', false)
    // A mismatch always has a category (the diff names why it differs).
    .$narrowType<{ category: string }>()
    .groupBy(['object_type', 'category'])
    .orderBy('object_type')
    .orderBy('category')
    .execute();
  const records = await ofRun
    .select((eb) => ['object_type', eb.fn.count<string>('source_key').distinct().as('n')])
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
    .orderBy((eb) => eb('run_kind', '=', 'full'), 'desc')
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
  const db = storeDb(pool);
  const users = db.selectFrom('id_map').select('pipedrive_id').where('migration_id', '=', migrationId).where('object_type', '=', 'user');
  const knownUsers = users.where('pipedrive_id', 'is not', null);
  const fallback = users.where('source_key', '=', fallbackOwnerKey);
  const observed = db
    .selectFrom('field_diffs as d')
    .innerJoin('id_map as m', (join) =>
      join
        .onRef('m.migration_id', '=', 'd.migration_id')
        .onRef('m.object_type', '=', 'd.object_type')
        .onRef('m.source_key', '=', 'd.source_key')
        .on('m.state', 'in', ['created', 'reused']),
    )
    .select((eb) => {
      const isSet = (side: 'd.expected' | 'd.actual') => eb.and([eb(side, 'is not', null), eb(side, '<>', sql<JsonValue>`'null'::jsonb`)]);
      // A jsonb scalar as text (`#>> '{}'`): the Pipedrive id a link or owner field holds.
      const asText = (side: 'd.expected' | 'd.actual') => sql<string | null>`${sql.ref(side)} #>> '{}'`;
      return [
        'd.object_type',
        'd.field',
        isSet('d.expected').as('expected_set'),
        isSet('d.actual').as('actual_set'),
        'd.matched',
        eb.fn.coalesce(eb(asText('d.expected'), 'in', fallback), sql.lit(false)).as('expected_fallback'),
        eb.fn.coalesce(eb(asText('d.actual'), 'in', knownUsers), sql.lit(false)).as('actual_known_user'),
      ];
    })
    .where('d.migration_id', '=', migrationId)
    .where('d.run_kind', '=', runKind)
    .where((eb) => eb('d.field', '=', eb.fn.any(eb.val([...fields]))))
    // PostgreSQL answers booleans (SqlBool also allows MySQL's 0 and 1).
    .$narrowType<{ expected_set: boolean; actual_set: boolean; expected_fallback: boolean; actual_known_user: boolean }>();
  const groups = ['object_type', 'field', 'expected_set', 'actual_set', 'matched', 'expected_fallback', 'actual_known_user'] as const;
  return db
    .selectFrom(observed.as('o'))
    .select((eb) => [...groups, eb.fn.countAll<string>().as('n')])
    .groupBy([...groups])
    .execute();
}
