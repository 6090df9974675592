import { type Pool } from 'pg';

/** The run's work items for one object type, as seq ranges of at most `batchSize` items each. */
export async function nextBatchRanges(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; afterSeq: number; batchSize: number; maxBatches: number },
): Promise<{ fromSeq: number; toSeq: number }[]> {
  const { rows } = await pool.query<{ seq: string; rn: string }>(
    `SELECT seq, row_number() OVER (ORDER BY seq) AS rn FROM (
       SELECT seq FROM work_items
       WHERE migration_id = $1 AND run_kind = $2 AND object_type = $3 AND seq > $4
       ORDER BY seq LIMIT $5) s
     ORDER BY seq`,
    [q.migrationId, q.runKind, q.objectType, q.afterSeq, q.batchSize * q.maxBatches],
  );
  const ranges: { fromSeq: number; toSeq: number }[] = [];
  let from = q.afterSeq;
  for (let i = 0; i < rows.length; i += q.batchSize) {
    const last = rows[Math.min(i + q.batchSize, rows.length) - 1]!;
    ranges.push({ fromSeq: from, toSeq: Number(last.seq) });
    from = Number(last.seq);
  }
  return ranges;
}

export async function workItemsInRange(
  pool: Pool,
  q: { migrationId: string; runKind: string; objectType: string; fromSeq: number; toSeq: number },
): Promise<{ seq: number; sourceKey: string }[]> {
  const { rows } = await pool.query<{ seq: string; source_key: string }>(
    `SELECT seq, source_key FROM work_items
     WHERE migration_id = $1 AND run_kind = $2 AND object_type = $3 AND seq > $4 AND seq <= $5 ORDER BY seq`,
    [q.migrationId, q.runKind, q.objectType, q.fromSeq, q.toSeq],
  );
  return rows.map((r) => ({ seq: Number(r.seq), sourceKey: r.source_key }));
}

export async function countWorkItems(pool: Pool, migrationId: string, runKind: string, objectType: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM work_items WHERE migration_id = $1 AND run_kind = $2 AND object_type = $3',
    [migrationId, runKind, objectType],
  );
  return Number(rows[0]!.n);
}

/** Adds work items (idempotent: a key already planned for this run keeps its place). */
export async function addWorkItems(
  pool: Pool,
  migrationId: string,
  runKind: string,
  objectType: string,
  sourceKeys: string[],
): Promise<void> {
  for (let i = 0; i < sourceKeys.length; i += 5000) {
    await pool.query(
      `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
       SELECT $1, $2, $3, k FROM unnest($4::text[]) WITH ORDINALITY AS t(k, o) ORDER BY o
       ON CONFLICT DO NOTHING`,
      [migrationId, runKind, objectType, sourceKeys.slice(i, i + 5000)],
    );
  }
}

/**
 * Per object type, the distinct source records any run has planned: the "source" side of reconciliation. Each delta
 * poll replaces the delta's work items with its own, so records that earlier polls planned (rows born in the
 * cutover window) are counted from the ledger rows the delta run wrote for them.
 */
export async function plannedSourceCounts(pool: Pool, migrationId: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ object_type: string; n: string }>(
    `SELECT object_type, count(DISTINCT source_key) AS n FROM (
       SELECT object_type, source_key FROM work_items WHERE migration_id = $1
       UNION ALL
       SELECT object_type, source_key FROM id_map WHERE migration_id = $1 AND run_kind = 'delta'
     ) planned GROUP BY object_type`,
    [migrationId],
  );
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
    q.runKind === 'sample'
      ? `JOIN sample_members m ON m.migration_id = s.migration_id AND m.source_table = $6 AND m.source_key = s.source_key`
      : '';
  await pool.query(
    `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
     SELECT $1, $2, $3, $4 || (s.data->>'${q.keyColumn}')
     FROM staged_rows s ${sampleJoin}
     WHERE s.migration_id = $1 AND s.source_table = $5 ${q.filterSql}
     ORDER BY s.row_seq
     ON CONFLICT DO NOTHING`,
    q.runKind === 'sample'
      ? [q.migrationId, q.runKind, q.objectType, q.keyPrefix, q.table, q.memberTable]
      : [q.migrationId, q.runKind, q.objectType, q.keyPrefix, q.table],
  );
}
