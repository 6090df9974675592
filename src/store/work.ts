import { type Pool } from 'pg';
import { CompiledQuery, sql } from 'kysely';
import { storeDb } from './db';

/** The run's work items for one object type, as seq ranges of at most `batchSize` items each. */
/** The smallest batch a type's last rows are split into: below it, a batch's fixed cost outweighs running side by side. */
export const MIN_SPLIT_BATCH = 10;

/**
 * The next ranges of work items, up to `maxBatches` of `batchSize`. With `splitTail`, when fewer rows are left than a
 * whole window (a small object type, or a big one's end), they are split evenly over the window, down to
 * MIN_SPLIT_BATCH each, so they load side by side instead of in one batch.
 */
export async function nextBatchRanges(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; afterSeq: number; batchSize: number; maxBatches: number; splitTail?: boolean },
): Promise<{ fromSeq: number; toSeq: number }[]> {
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
  const tail = q.splitTail === true && rows.length < q.batchSize * q.maxBatches;
  const size = tail ? Math.min(q.batchSize, Math.max(MIN_SPLIT_BATCH, Math.ceil(rows.length / q.maxBatches))) : q.batchSize;
  const ranges: { fromSeq: number; toSeq: number }[] = [];
  let from = q.afterSeq;
  for (let i = 0; i < rows.length; i += size) {
    const last = rows[Math.min(i + size, rows.length) - 1]!;
    ranges.push({ fromSeq: from, toSeq: Number(last.seq) });
    from = Number(last.seq);
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

/** Adds work items (idempotent: a key already planned for this run keeps its place). */
export async function addWorkItems(pool: Pool, migrationId: string, runKind: string, objectType: string, sourceKeys: string[]): Promise<void> {
  for (let i = 0; i < sourceKeys.length; i += 5000) {
    // unnest keeps the keys' order (their seq) in one statement per 5,000 keys.
    await sql`INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
       SELECT ${migrationId}, ${runKind}, ${objectType}, k FROM unnest(${sourceKeys.slice(i, i + 5000)}::text[]) WITH ORDINALITY AS t(k, o) ORDER BY o
       ON CONFLICT DO NOTHING`.execute(storeDb(pool));
  }
}

/**
 * Per object type, the distinct source records any run has planned: the "source" side of reconciliation. Each delta
 * poll replaces the delta's work items with its own, so records that earlier polls planned (rows born in the
 * cutover window) are counted from the ledger rows the delta run wrote for them.
 */
export async function plannedSourceCounts(pool: Pool, migrationId: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ object_type: string; n: string }>`
    SELECT object_type, count(DISTINCT source_key) AS n FROM (
       SELECT object_type, source_key FROM work_items WHERE migration_id = ${migrationId}
       UNION ALL
       SELECT object_type, source_key FROM id_map WHERE migration_id = ${migrationId} AND run_kind = 'delta'
     ) planned GROUP BY object_type`.execute(storeDb(pool));
  return Object.fromEntries(rows.map((r) => [r.object_type, Number(r.n)]));
}

/**
 * Adds the work items of one driving table (idempotent): every staged row the plan's filter keeps, or (sample) the
 * sample's members among them, keyed `<keyPrefix><key column>`, in staging order.
 */
export async function planWorkItems(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; table: string; keyColumn: string; keyPrefix: string; memberTable: string; filterSql: string },
): Promise<void> {
  const sampleJoin =
    q.runKind === 'sample' ? `JOIN sample_members m ON m.migration_id = s.migration_id AND m.source_table = $6 AND m.source_key = s.source_key` : '';
  // The plan's filter (staged-filters.ts) numbers its own parameters: one parameterised text.
  await storeDb(pool).executeQuery(
    CompiledQuery.raw(
      `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
       SELECT $1, $2, $3, $4 || (s.data->>'${q.keyColumn}')
       FROM staged_rows s ${sampleJoin}
       WHERE s.migration_id = $1 AND s.source_table = $5 ${q.filterSql}
       ORDER BY s.row_seq
       ON CONFLICT DO NOTHING`,
      q.runKind === 'sample'
        ? [q.migrationId, q.runKind, q.objectType, q.keyPrefix, q.table, q.memberTable]
        : [q.migrationId, q.runKind, q.objectType, q.keyPrefix, q.table],
    ),
  );
}
