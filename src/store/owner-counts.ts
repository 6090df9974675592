import { type Pool } from 'pg';
import { sql } from 'kysely';
import type { DriverPlan } from '../mapping';
import { storeDb } from './db';
import { planFilters } from './staged-filters';
import { dataText } from './staged-rows';

/**
 * Staged driving rows of one record kind counted by the value of their provider column (NULL for an empty one): how
 * many records each provider would own. The kind's row filter is its plan's (staged-filters.ts).
 */
export async function countRowsByColumn(
  pool: Pool,
  q: { migrationId: string; plan: DriverPlan; column: string },
): Promise<{ value: string | null; n: number }[]> {
  const value = sql<string | null>`NULLIF(btrim(${dataText(q.column.replace(/[^a-z_]/g, ''), 's')}), '')`;
  const rows = await storeDb(pool)
    .selectFrom('staged_rows as s')
    .select((eb) => [value.as('value'), eb.fn.countAll<string>().as('n')])
    .where('s.migration_id', '=', q.migrationId)
    .where('s.source_table', '=', q.plan.table)
    .where((eb) => eb.and(planFilters(eb, q.plan)))
    .groupBy(value)
    .execute();
  return rows.map((r) => ({ value: r.value, n: Number(r.n) }));
}
