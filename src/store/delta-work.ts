import { type Pool } from 'pg';
import { sql } from 'kysely';
import type { DriverPlan } from '../mapping';
import { storeDb } from './db';
import { planFilters, relatedChanged } from './staged-filters';
import { dataText } from './staged-rows';

/** What a delta poll plans from the store: the store's clock, the staged rows changed since a watermark, the delta's work items. */

/** The store's clock: watermarks are compared with staged_rows.changed_at, which this server stamps. */
export async function storeNow(pool: Pool): Promise<Date> {
  const row = await storeDb(pool)
    .selectNoFrom(sql<Date>`now()`.as('now'))
    .executeTakeFirstOrThrow();
  return row.now;
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
  const db = storeDb(pool);
  const rows = db
    .selectFrom('staged_rows as s')
    .select((eb) => [
      eb.val(q.migrationId).as('migration_id'),
      sql.lit('delta').as('run_kind'),
      eb.val(q.objectType).as('object_type'),
      eb(eb.val(q.keyPrefix), '||', dataText(q.plan.keyColumn, 's')).as('source_key'),
    ])
    .where('s.migration_id', '=', q.migrationId)
    .where('s.source_table', '=', q.plan.table)
    .where((eb) => eb.and(planFilters(eb, q.plan)))
    .where((eb) => eb.or([eb('s.changed_at', '>=', sql<Date>`${q.since}`), ...relatedChanged(eb, q.plan, q.migrationId, q.since)]))
    .orderBy('s.row_seq');
  const result = await db
    .insertInto('work_items')
    .columns(['migration_id', 'run_kind', 'object_type', 'source_key'])
    .expression(rows)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
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
