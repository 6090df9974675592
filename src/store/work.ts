import { type Pool } from 'pg';
import type { DriverPlan } from '../mapping';
import { CREATE_CHUNK } from '../engine/load';
import { storeDb } from './db';
import { planFilters } from './staged-filters';
import { dataText } from './staged-rows';
import { countedType, REVIEW_FILE_COUNT } from './ledger';

/**
 * The smallest batch a type's last rows are split into: one chunk of creates. A batch sends its chunk's creates all at
 * once, so smaller batches add no requests in flight, only each batch's fixed cost (about a dozen store statements and an
 * activity task): ten-record batches spent a fifth of the demo's full run in them.
 */
export const MIN_SPLIT_BATCH = CREATE_CHUNK;

/**
 * The next ranges of the run's work items for one object type, up to `maxBatches` of at most `batchSize` items each. With `splitTail`, when fewer rows are left than a
 * whole window (a small object type, or a big one's end), they are split evenly over the window, down to
 * MIN_SPLIT_BATCH each, so they load side by side instead of in one batch. When the window holds every item left, its
 * last range says so (`last`): the load need not ask again to learn that nothing is left.
 */
export async function nextBatchRanges(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; afterSeq: number; batchSize: number; maxBatches: number; splitTail?: boolean },
): Promise<{ fromSeq: number; toSeq: number; last?: true }[]> {
  const rows = await storeDb(pool)
    .selectFrom('work_items')
    .select('seq')
    .where('migration_id', '=', q.migrationId)
    .where('run_kind', '=', q.runKind)
    .where('object_type', '=', q.objectType)
    .where('seq', '>', String(q.afterSeq))
    .orderBy('seq')
    .limit(q.batchSize * q.maxBatches)
    .execute();
  const allLeft = rows.length < q.batchSize * q.maxBatches;
  const size = q.splitTail === true && allLeft ? Math.min(q.batchSize, Math.max(MIN_SPLIT_BATCH, Math.ceil(rows.length / q.maxBatches))) : q.batchSize;
  const ranges: { fromSeq: number; toSeq: number; last?: true }[] = [];
  let from = q.afterSeq;
  for (let i = 0; i < rows.length; i += size) {
    const end = Math.min(i + size, rows.length);
    const toSeq = Number(rows[end - 1]!.seq);
    ranges.push({ fromSeq: from, toSeq, ...(allLeft && end === rows.length && { last: true as const }) });
    from = toSeq;
  }
  return ranges;
}

export async function workItemsInRange(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; fromSeq: number; toSeq: number },
): Promise<{ seq: number; sourceKey: string }[]> {
  const rows = await storeDb(pool)
    .selectFrom('work_items')
    .select(['seq', 'source_key'])
    .where('migration_id', '=', q.migrationId)
    .where('run_kind', '=', q.runKind)
    .where('object_type', '=', q.objectType)
    .where('seq', '>', String(q.fromSeq))
    .where('seq', '<=', String(q.toSeq))
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), sourceKey: r.source_key }));
}

export async function countWorkItems(pool: Pool, migrationId: string, runKind: string, objectType: string): Promise<number> {
  const row = await storeDb(pool)
    .selectFrom('work_items')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('migration_id', '=', migrationId)
    .where('run_kind', '=', runKind)
    .where('object_type', '=', objectType)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Per object type, the distinct source records any run has planned: the "source" side of reconciliation. Each delta
 * poll replaces the delta's work items with its own, so records that earlier polls planned (rows born in the
 * cutover window) are counted from the ledger rows the delta run wrote for them.
 */
export async function plannedSourceCounts(pool: Pool, migrationId: string): Promise<Record<string, number>> {
  const db = storeDb(pool);
  const planned = db
    .selectFrom('work_items')
    .select(['object_type', 'source_key'])
    .where('migration_id', '=', migrationId)
    .unionAll(
      db
        .selectFrom('id_map')
        .select(['object_type', 'source_key'])
        .where('migration_id', '=', migrationId)
        .where('run_kind', '=', 'delta')
        // A review file is no source record (src/engine/review-files.ts).
        .where(countedType, '<>', REVIEW_FILE_COUNT),
    );
  const rows = await db
    .selectFrom(planned.as('planned'))
    .select((eb) => ['object_type', eb.fn.count<string>('source_key').distinct().as('n')])
    .groupBy('object_type')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.object_type, Number(r.n)]));
}

/**
 * Adds the work items of one driving table (idempotent): every staged row the plan's filter keeps, or (sample) the
 * sample's members among them, keyed `<keyPrefix><key column>`, in staging order.
 */
export async function planWorkItems(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; plan: DriverPlan; keyPrefix: string; memberTable: string },
): Promise<number> {
  const db = storeDb(pool);
  const rows = db
    .selectFrom('staged_rows as s')
    .select((eb) => [
      eb.val(q.migrationId).as('migration_id'),
      eb.val(q.runKind).as('run_kind'),
      eb.val(q.objectType).as('object_type'),
      eb(eb.val(q.keyPrefix), '||', dataText(q.plan.keyColumn, 's')).as('source_key'),
    ])
    .where('s.migration_id', '=', q.migrationId)
    .where('s.source_table', '=', q.plan.table)
    .where((eb) => eb.and(planFilters(eb, q.plan)))
    .$if(q.runKind === 'sample', (rows) =>
      rows.where((eb) =>
        eb.exists(
          eb
            .selectFrom('sample_members as m')
            .select('m.source_key')
            .whereRef('m.migration_id', '=', 's.migration_id')
            .where('m.source_table', '=', q.memberTable)
            .whereRef('m.source_key', '=', 's.source_key'),
        ),
      ),
    )
    .orderBy('s.row_seq');
  const inserted = await db
    .insertInto('work_items')
    .columns(['migration_id', 'run_kind', 'object_type', 'source_key'])
    .expression(rows)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0);
}

/**
 * When a type's ledger (id_map) last changed, a record created, updated or deleted, as PostgreSQL's text (null:
 * never): what keys a verification pass's shared account listing, so it never predates a write of the migration.
 */
export async function ledgerChangedAt(pool: Pool, migrationId: string, objectType: string): Promise<string | null> {
  const row = await storeDb(pool)
    .selectFrom('id_map')
    .select((eb) => eb.cast<string | null>(eb.fn.max('updated_at'), 'text').as('at'))
    .where('migration_id', '=', migrationId)
    .where('object_type', '=', objectType)
    .executeTakeFirst();
  return row?.at ?? null;
}
