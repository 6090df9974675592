import { type Pool } from 'pg';
import { sql, type RawBuilder } from 'kysely';
import { storeDb } from './db';

/**
 * Reads of the staged source rows (staged_rows: one row per source row, its columns in the jsonb `data`). The Dentrix
 * tables' columns are dynamic (one jsonb per row, whatever table it came from), so `data` is typed by the caller
 * (`T`): the generated table types check the staged_rows columns, not what is inside `data`.
 */
type Data = Record<string, unknown>;

/**
 * One column of a staged row as text: `(data->>'column')` (of the row aliased `alias` when given), in parentheses
 * (`->>` binds no tighter than `||`). The name is written as a quoted literal (Kysely escapes it), so the same
 * expression can be selected and grouped by.
 */
export function dataText(column: string, alias?: string): RawBuilder<string | null> {
  return sql<string | null>`(${sql.ref(alias === undefined ? 'data' : `${alias}.data`)}->>${sql.lit(column)})`;
}

/** Every staged row of one table, in staging order (`limit`: at most that many). */
export async function stagedData<T = Data>(pool: Pool, migrationId: string, table: string, opts: { limit?: number } = {}): Promise<T[]> {
  let query = storeDb(pool)
    .selectFrom('staged_rows')
    .select('data')
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .orderBy('row_seq');
  if (opts.limit !== undefined) query = query.limit(opts.limit);
  return (await query.execute()).map((r) => r.data as T);
}

/** The staged rows of one table whose source key is one of `keys`, in staging order. */
export async function stagedDataByKeys<T = Data>(pool: Pool, migrationId: string, table: string, keys: readonly string[]): Promise<T[]> {
  const rows = await storeDb(pool)
    .selectFrom('staged_rows')
    .select('data')
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .where('source_key', '=', (eb) => eb.fn.any(eb.val([...keys])))
    .orderBy('row_seq')
    .execute();
  return rows.map((r) => r.data as T);
}

/** The staged rows of one table whose `data` column `column` (letters and underscores) is one of `values`. */
export async function stagedDataWhereIn<T = Data>(pool: Pool, migrationId: string, table: string, column: string, values: readonly string[]): Promise<T[]> {
  const rows = await storeDb(pool)
    .selectFrom('staged_rows')
    .select('data')
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .where((eb) => eb(dataText(column.replace(/[^a-z_]/g, '')), '=', eb.fn.any(eb.val([...values]))))
    .orderBy('row_seq')
    .execute();
  return rows.map((r) => r.data as T);
}

/** An evenly spread sample of one table's staged rows (every `n`th by staging order), at most `sampleRows` of them. */
export async function sampleStagedData(pool: Pool, migrationId: string, table: string, sampleRows: number): Promise<Data[]> {
  const db = storeDb(pool);
  const last = await db
    .selectFrom('staged_rows')
    .select((eb) => eb.fn.max('row_seq').as('last'))
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .executeTakeFirst();
  const lastSeq = Number(last?.last ?? 0);
  if (lastSeq === 0) return [];
  const step = Math.max(1, Math.floor(lastSeq / sampleRows));
  const rows = await db
    .selectFrom('staged_rows')
    .select('data')
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .where((eb) => eb(eb('row_seq', '%', String(step)), '=', '0'))
    .orderBy('row_seq')
    .limit(sampleRows)
    .execute();
  return rows.map((r) => r.data as Data);
}
