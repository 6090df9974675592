import { type Pool } from 'pg';
import { CompiledQuery } from 'kysely';
import { storeDb } from './db';

/**
 * Staged driving rows of one record kind counted by the value of their provider column (NULL for an empty one): how
 * many records each provider would own. The kind's row filter comes from staged-filters.ts (`filterSql`).
 */
export async function countRowsByColumn(
  pool: Pool,
  q: { migrationId: string; table: string; column: string; filterSql: string },
): Promise<{ value: string | null; n: number }[]> {
  const column = q.column.replace(/[^a-z_]/g, '');
  const { rows } = await storeDb(pool).executeQuery<{ value: string | null; n: string }>(
    CompiledQuery.raw(
      `SELECT NULLIF(btrim(s.data->>'${column}'), '') AS value, count(*) AS n
       FROM staged_rows s WHERE s.migration_id = $1 AND s.source_table = $2 ${q.filterSql}
       GROUP BY 1`,
      [q.migrationId, q.table],
    ),
  );
  return rows.map((r) => ({ value: r.value, n: Number(r.n) }));
}
