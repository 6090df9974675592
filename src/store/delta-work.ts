import { type Pool } from 'pg';
import { CompiledQuery, sql } from 'kysely';
import type { DriverPlan } from '../mapping';
import { storeDb } from './db';
import { filterSql, relatedChangedSql } from './staged-filters';

/** What a delta poll plans from the store: the store's clock, the staged rows changed since a watermark, the delta's work items. */

/** The store's clock: watermarks are compared with staged_rows.changed_at, which this server stamps. */
export async function storeNow(pool: Pool): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(storeDb(pool));
  return rows[0]!.now;
}

/** Staged rows (any table) changed at or after `since`. */
export async function countChangedSince(pool: Pool, migrationId: string, since: string): Promise<number> {
  const row = await storeDb(pool)
    .selectFrom('staged_rows')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('migration_id', '=', migrationId)
    .where('changed_at', '>=', sql<Date>`${since}`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function clearDeltaWorkItems(pool: Pool, migrationId: string): Promise<void> {
  await storeDb(pool).deleteFrom('work_items').where('migration_id', '=', migrationId).where('run_kind', '=', 'delta').execute();
}

/**
 * Adds the delta's work items for one driving table: rows the plan keeps that changed since `since`, or whose related
 * rows did. Returns how many were added.
 */
export async function planDeltaWorkItems(
  pool: Pool,
  q: { migrationId: string; objectType: string; keyPrefix: string; plan: DriverPlan; since: string },
): Promise<number> {
  // Conditions built from the plan number their parameters ($1 migration, $5 watermark): one parameterised text.
  const result = await storeDb(pool).executeQuery(
    CompiledQuery.raw(
      `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
       SELECT $1, 'delta', $2, $3 || (s.data->>'${q.plan.keyColumn}')
       FROM staged_rows s
       WHERE s.migration_id = $1 AND s.source_table = $4 ${filterSql(q.plan)}
         AND (s.changed_at >= $5 ${relatedChangedSql(q.plan)})
       ORDER BY s.row_seq
       ON CONFLICT DO NOTHING`,
      [q.migrationId, q.objectType, q.keyPrefix, q.plan.table, q.since],
    ),
  );
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Adds delta work items for the given source keys of one object type where the work item of another key of the same
 * type is planned (a merged duplicate's change re-plans its survivor). Returns how many were added.
 */
export async function planDeltaPartners(pool: Pool, migrationId: string, objectType: string, partners: ReadonlyMap<string, string>): Promise<number> {
  if (partners.size === 0) return 0;
  const planned = await storeDb(pool)
    .selectFrom('work_items')
    .select('source_key')
    .where('migration_id', '=', migrationId)
    .where('run_kind', '=', 'delta')
    .where('object_type', '=', objectType)
    .where('source_key', 'in', [...partners.keys()])
    .execute();
  const wanted = [...new Set(planned.map((r) => partners.get(r.source_key)!))];
  if (wanted.length === 0) return 0;
  const result = await storeDb(pool)
    .insertInto('work_items')
    .values(wanted.map((sourceKey) => ({ migration_id: migrationId, run_kind: 'delta', object_type: objectType, source_key: sourceKey })))
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}
