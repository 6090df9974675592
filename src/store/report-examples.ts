import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/**
 * Ids for the sample diff's and the verification's pages: examples of each discrepancy category and the rejected
 * records with their reasons. Ids only (source keys, Pipedrive ids, field names): never a compared value.
 */

export interface DiscrepancyExample {
  objectType: string;
  category: string;
  sourceKey: string;
  /** The record in Pipedrive, when the ledger holds one. */
  pipedriveId: string | null;
  /** The fields of this record in this category. */
  fields: string[];
}

/** Per object type and category, the first `perCategory` records (by source key) with a mismatch of it. */
export async function discrepancyExamples(pool: Pool, migrationId: string, runKind: string, perCategory: number): Promise<DiscrepancyExample[]> {
  // SQL: a window over the records of each (object type, category), and the ledger's id for each example.
  const { rows } = await sql<{ object_type: string; category: string; source_key: string; pipedrive_id: string | null; fields: string[] }>`
    WITH record AS (
      SELECT object_type, category, source_key, array_agg(field ORDER BY field) AS fields
        FROM field_diffs
       WHERE migration_id = ${migrationId} AND run_kind = ${runKind} AND NOT matched
       GROUP BY object_type, category, source_key
    ), ranked AS (
      SELECT *, row_number() OVER (PARTITION BY object_type, category ORDER BY source_key) AS n FROM record
    )
    SELECT r.object_type, r.category, r.source_key, m.pipedrive_id, r.fields
      FROM ranked r
      LEFT JOIN id_map m ON m.migration_id = ${migrationId} AND m.object_type = r.object_type AND m.source_key = r.source_key
     WHERE r.n <= ${perCategory}
     ORDER BY r.object_type, r.category, r.source_key`.execute(storeDb(pool));
  return rows.map((r) => ({ objectType: r.object_type, category: r.category, sourceKey: r.source_key, pipedriveId: r.pipedrive_id, fields: r.fields }));
}

export interface RejectedGroup {
  objectType: string;
  /** As the load recorded it: a column and a rule's reason, or Pipedrive's status, code and endpoint (no values). */
  reason: string;
  records: number;
  /** The first `perReason` records' source keys. */
  sourceKeys: string[];
}

/**
 * The records the ledger holds as rejected, by object type and reason: every run's (`scope` all), or the sample's
 * only (the records the sample run rejected).
 */
export async function rejectedRecords(pool: Pool, migrationId: string, scope: 'all' | 'sample', perReason: number): Promise<RejectedGroup[]> {
  let q = storeDb(pool)
    .selectFrom('id_map')
    .select((eb) => [
      'object_type',
      eb.fn.coalesce('reason', sql<string>`'(no reason recorded)'`).as('reason'),
      eb.fn.countAll<string>().as('n'),
      sql<string[]>`(array_agg(source_key ORDER BY source_key))[1:${perReason}::int]`.as('keys'),
    ])
    .where('migration_id', '=', migrationId)
    .where('state', '=', 'rejected');
  if (scope === 'sample') q = q.where('run_kind', '=', 'sample');
  const rows = await q
    .groupBy(['object_type', 'reason'])
    .orderBy('object_type')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy('reason')
    .execute();
  return rows.map((r) => ({ objectType: r.object_type, reason: r.reason, records: Number(r.n), sourceKeys: r.keys }));
}
