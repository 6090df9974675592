import { type Pool } from 'pg';
import { sql } from 'kysely';
import type { DriverPlan } from '../mapping';
import { storeDb } from './db';
import { planFilters } from './staged-filters';
import { dataText } from './staged-rows';

/**
 * Progress of the phase a migration is in, from the store: a run's counts are those of the records that run planned
 * (its work items), so the full run is not shown the sample's records as its own, and a rollback's are what it has
 * deleted since it began over what it has to delete. Counts only.
 */

/** One object type within one run (sample or full): its work items and where the ledger has each of them. */
export interface RunObjectCounts {
  planned: number;
  migrated: number;
  skipped: number;
  rejected: number;
  pending: number;
  rolledBack: number;
  recreated: number;
}

/** Per object type, the run's work items and the ledger state of each (a record another run created counts as done). */
export async function runObjectCounts(pool: Pool, migrationId: string, runKind: 'sample' | 'full'): Promise<Record<string, RunObjectCounts>> {
  const rows = await storeDb(pool)
    .selectFrom('work_items as w')
    .leftJoin('id_map as m', (j) =>
      j.onRef('m.migration_id', '=', 'w.migration_id').onRef('m.object_type', '=', 'w.object_type').onRef('m.source_key', '=', 'w.source_key'),
    )
    .select((eb) => [
      'w.object_type',
      eb.fn.countAll<string>().as('planned'),
      sql<string>`count(*) FILTER (WHERE m.state IN ('created', 'reused'))`.as('migrated'),
      sql<string>`count(*) FILTER (WHERE m.state = 'skipped')`.as('skipped'),
      sql<string>`count(*) FILTER (WHERE m.state = 'rejected')`.as('rejected'),
      sql<string>`count(*) FILTER (WHERE m.state = 'pending')`.as('pending'),
      sql<string>`count(*) FILTER (WHERE m.state = 'deleted')`.as('rolled_back'),
      sql<string>`count(*) FILTER (WHERE m.state IN ('created', 'reused') AND m.replaced_pipedrive_id IS NOT NULL)`.as('recreated'),
    ])
    .where('w.migration_id', '=', migrationId)
    .where('w.run_kind', '=', runKind)
    .groupBy('w.object_type')
    .execute();
  return Object.fromEntries(
    rows.map((r) => [
      r.object_type,
      {
        planned: Number(r.planned),
        migrated: Number(r.migrated),
        skipped: Number(r.skipped),
        rejected: Number(r.rejected),
        pending: Number(r.pending),
        rolledBack: Number(r.rolled_back),
        recreated: Number(r.recreated),
      },
    ]),
  );
}

/** The object types a run has planned work for (some perhaps not yet: a type's work is planned when its load starts). */
export async function runObjectTypes(pool: Pool, migrationId: string, runKinds: readonly ('sample' | 'full')[]): Promise<string[]> {
  const rows = await storeDb(pool)
    .selectFrom('work_items')
    .select('object_type')
    .distinct()
    .where('migration_id', '=', migrationId)
    .where('run_kind', 'in', runKinds)
    .execute();
  return rows.map((r) => r.object_type);
}

/**
 * How many work items the driver plans of one object type would give a full run: its staged driving rows the plans'
 * filters keep (what planWorkItems will insert when the type's load starts).
 */
export async function plannableCount(pool: Pool, migrationId: string, plans: readonly DriverPlan[]): Promise<number> {
  let total = 0;
  for (const plan of plans) {
    const row = await storeDb(pool)
      .selectFrom('staged_rows as s')
      .select((eb) => eb.fn.count<string>(dataText(plan.keyColumn, 's')).distinct().as('n'))
      .where('s.migration_id', '=', migrationId)
      .where('s.source_table', '=', plan.table)
      .where((eb) => eb.and(planFilters(eb, plan)))
      .executeTakeFirstOrThrow();
    total += Number(row.n);
  }
  return total;
}

export interface RollbackObjectCounts {
  /** Deleted (or found already gone) since the rollback began. */
  deleted: number;
  /** Created or pending rows it has still to undo. */
  left: number;
}

export interface RollbackCounts {
  scope: 'all' | 'sample';
  /** When the rollback began (its audit row), ISO; undefined for a rollback the audit log does not show. */
  startedAt?: string;
  objects: Record<string, RollbackObjectCounts>;
}

/** The latest rollback of `scope`: what it deleted since it began and what it has left, per object type. */
export async function rollbackCounts(pool: Pool, migrationId: string, scope: 'all' | 'sample'): Promise<RollbackCounts> {
  const db = storeDb(pool);
  const began = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('at').as('at'))
    .where('migration_id', '=', migrationId)
    .where('endpoint', '=', `rollback:${scope}`)
    .executeTakeFirst();
  const startedAt = began?.at ? new Date(began.at) : undefined;
  let q = db
    .selectFrom('id_map')
    .select([
      'object_type',
      sql<string>`count(*) FILTER (WHERE state IN ('created', 'pending'))`.as('left'),
      sql<string>`count(*) FILTER (WHERE state = 'deleted' ${startedAt ? sql`AND updated_at >= ${startedAt}` : sql``})`.as('deleted'),
    ])
    .where('migration_id', '=', migrationId)
    .where('state', 'in', ['created', 'pending', 'deleted']);
  if (scope === 'sample') q = q.where('run_kind', '=', 'sample');
  const rows = await q.groupBy('object_type').execute();
  const objects: Record<string, RollbackObjectCounts> = {};
  for (const r of rows) {
    const counts = { deleted: Number(r.deleted), left: Number(r.left) };
    if (counts.deleted + counts.left > 0) objects[r.object_type] = counts;
  }
  return { scope, startedAt: startedAt?.toISOString(), objects };
}

/** Records settled within a recent window, for a rate measured on the store's own counts. */
export interface RecentWork {
  count: number;
  /** Seconds the count was measured over: from the window's start, or from the first of them when later. */
  seconds: number;
}

/**
 * How many records the ledger settled (migrated, skipped or rejected by `runKind`; `deleted` for a rollback) in the
 * last `windowSeconds`, not before `since` (a rollback's start).
 */
export async function recentlySettled(
  pool: Pool,
  migrationId: string,
  q: { runKind?: 'sample' | 'full'; states: readonly string[]; windowSeconds: number; since?: string },
): Promise<RecentWork> {
  const db = storeDb(pool);
  let rows = db
    .selectFrom('id_map as m')
    .select([
      sql<string>`count(*)`.as('n'),
      sql<number | null>`extract(epoch FROM clock_timestamp() - min(m.updated_at))::float8`.as('oldest'),
      sql<number>`${q.windowSeconds}::float8`.as('window'),
    ])
    .where('m.migration_id', '=', migrationId)
    .where('m.state', 'in', [...q.states])
    .where('m.updated_at', '>=', sql<Date>`clock_timestamp() - make_interval(secs => ${q.windowSeconds})`);
  if (q.since) rows = rows.where('m.updated_at', '>=', new Date(q.since));
  // The run that settled a record is its ledger row's: the full run's rate leaves out the sample's records it reuses.
  if (q.runKind) rows = rows.where('m.run_kind', '=', q.runKind);
  const row = await rows.executeTakeFirstOrThrow();
  const count = Number(row.n);
  // A run that began within the window is measured from its first record, not from the window's start.
  const seconds = count === 0 || row.oldest === null ? q.windowSeconds : Math.min(q.windowSeconds, Math.max(2, Number(row.oldest)));
  return { count, seconds };
}
