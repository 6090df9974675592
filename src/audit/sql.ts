import type { PoolClient, QueryResultRow } from 'pg';
import type { KeyList } from './report';

/** The audit's connection: one client holding one read-only snapshot of the staged extract. */
export type AuditDb = Pick<PoolClient, 'query'>;

/** What every section of the audit gets. */
export interface AuditContext {
  db: AuditDb;
  migrationId: string;
  /** Longest list of keys any section writes; counts are always complete. */
  maxListed: number;
  now: Date;
}

export async function rowsOf<R extends QueryResultRow>(db: AuditDb, sql: string, params: unknown[]): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

export async function oneRow<R extends QueryResultRow>(db: AuditDb, sql: string, params: unknown[]): Promise<R> {
  const rows = await rowsOf<R>(db, sql, params);
  if (rows.length !== 1) throw new Error(`audit query returned ${rows.length} rows where one was expected`);
  return rows[0]!;
}

let cursorCount = 0;

/**
 * Streams a query's rows in batches through a server-side cursor, so a table of millions of rows never sits in
 * memory. Needs an open transaction on `db` (the audit runs in one).
 */
export async function forEachBatch<R extends QueryResultRow>(
  db: AuditDb,
  sql: string,
  params: unknown[],
  onBatch: (rows: R[]) => void | Promise<void>,
  batchSize = 5_000,
): Promise<void> {
  const cursor = `audit_cursor_${++cursorCount}`;
  await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params);
  let failed = false;
  try {
    for (;;) {
      const { rows } = await db.query<R>(`FETCH FORWARD ${batchSize} FROM ${cursor}`);
      if (rows.length === 0) break;
      await onBatch(rows);
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After an error the transaction is aborted and CLOSE would fail too, hiding the first error.
    if (!failed) await db.query(`CLOSE ${cursor}`);
  }
}

/** Collects keys up to a limit while counting all of them. */
export class KeyCollector {
  private readonly keys: string[] = [];
  private total = 0;

  constructor(private readonly limit: number) {}

  add(key: string): void {
    this.total += 1;
    if (this.keys.length < this.limit) this.keys.push(key);
  }

  get count(): number {
    return this.total;
  }

  toList(): KeyList {
    return { count: this.total, keys: [...this.keys], truncated: this.total > this.keys.length };
  }
}

export function keyList(count: number, keys: string[]): KeyList {
  return { count, keys, truncated: count > keys.length };
}

/** Money sums come back as float8: round them to cents for the report. */
export function cents(value: number | null | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}

/**
 * SQL for a normalised name: lower case, accents removed (NFD, then combining marks dropped), anything but a–z
 * removed, so `José O'Brien`, `JOSE OBRIEN` and `jose  o’brien` compare equal.
 */
export function normalisedNameSql(expression: string): string {
  return `regexp_replace(regexp_replace(normalize(lower(coalesce(${expression}, '')), NFD), '[\\u0300-\\u036f]', '', 'g'), '[^a-z]', '', 'g')`;
}

/** SQL for a phone's comparable digits: extension dropped, digits only, the last ten (a leading country code 1 ignored). */
export function comparablePhoneSql(expression: string): string {
  return `nullif(right(regexp_replace(regexp_replace(coalesce(${expression}, ''), '\\s*(x|ext\\.?|extension)\\s*\\d+\\s*$', '', 'i'), '\\D', '', 'g'), 10), '')`;
}

/** SQL for a comparable email: spaces removed, lower case. */
export function comparableEmailSql(expression: string): string {
  return `nullif(lower(regexp_replace(coalesce(${expression}, ''), '\\s', '', 'g')), '')`;
}
