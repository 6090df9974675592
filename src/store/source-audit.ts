import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { CompiledQuery } from 'kysely';
import { storeDbOn } from './db';

/**
 * The Data Quality audit's queries over what EXTRACT staged (src/audit computes the report's sections from them). They
 * run on one connection holding one read-only snapshot (withAuditSnapshot), so every section sees the same extract.
 * The staged rows' columns live in their jsonb `data`: these are reporting queries in SQL, numbered parameters and all,
 * sent through the store's Kysely instance on that connection.
 */

/** The audit's connection: one client holding one read-only snapshot of the staged extract. */
export type AuditDb = Pick<PoolClient, 'query'>;

/** What every query is scoped by: the migration, and how many keys a list may name. */
export interface AuditScope {
  migrationId: string;
  maxListed: number;
}

/** Runs `fn` on one connection in a REPEATABLE READ, READ ONLY transaction: one snapshot for the whole audit. */
export async function withAuditSnapshot<T>(pool: Pool, fn: (db: AuditDb) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await run(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', []);
    const result = await fn(client);
    await run(client, 'COMMIT', []);
    return result;
  } catch (err) {
    await run(client, 'ROLLBACK', []).catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function run<R>(db: AuditDb, text: string, params: unknown[]): Promise<R[]> {
  const client = db as PoolClient;
  return (await storeDbOn(client).executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

async function rowsOf<R extends QueryResultRow>(db: AuditDb, text: string, params: unknown[]): Promise<R[]> {
  return run<R>(db, text, params);
}

async function oneRow<R extends QueryResultRow>(db: AuditDb, text: string, params: unknown[]): Promise<R> {
  const rows = await rowsOf<R>(db, text, params);
  if (rows.length !== 1) throw new Error(`audit query returned ${rows.length} rows where one was expected`);
  return rows[0]!;
}

let cursorCount = 0;

/**
 * Streams a query's rows in batches through a server-side cursor, so a table of millions of rows never sits in
 * memory. Needs the snapshot's open transaction.
 */
async function forEachBatch<R extends QueryResultRow>(
  db: AuditDb,
  text: string,
  params: unknown[],
  onBatch: (rows: R[]) => void | Promise<void>,
  batchSize = 5_000,
): Promise<void> {
  const cursor = `audit_cursor_${++cursorCount}`;
  await run(db, `DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, params);
  let failed = false;
  try {
    for (;;) {
      const rows = await run<R>(db, `FETCH FORWARD ${batchSize} FROM ${cursor}`, []);
      if (rows.length === 0) break;
      await onBatch(rows);
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After an error the transaction is aborted and CLOSE would fail too, hiding the first error.
    if (!failed) await run(db, `CLOSE ${cursor}`, []);
  }
}

// The run and what is staged.

export async function auditedRun<S>(db: AuditDb, migrationId: string) {
  const runs = await rowsOf<{ practice_name: string | null; timezone: string | null; currency: string | null; source: S }>(
    db,
    'SELECT practice_name, timezone, currency, source FROM migration_runs WHERE migration_id = $1',
    [migrationId],
  );
  return runs[0];
}

export async function stagedTableCount(db: AuditDb, migrationId: string): Promise<number> {
  return (await oneRow<{ tables: number }>(db, 'SELECT count(*)::int AS tables FROM extract_counts WHERE migration_id = $1', [migrationId])).tables;
}

export async function stagedTables(db: AuditDb, ctx: AuditScope): Promise<string[]> {
  return (await rowsOf<{ source_table: string }>(db, 'SELECT source_table FROM extract_counts WHERE migration_id = $1', [ctx.migrationId])).map(
    (r) => r.source_table,
  );
}

// Source tables and issues.

export async function sourceTableRows(db: AuditDb, ctx: AuditScope) {
  return rowsOf<{
    table: string;
    manifest_rows: number | null;
    rows_read: number;
    rows_staged: number;
    rows_rejected: number;
    rows_in_store: number;
    warnings: number;
  }>(
    db,
    `SELECT c.source_table AS table, c.manifest_rows, c.rows_read, c.rows_staged, c.rows_rejected,
            (SELECT count(*)::int FROM staged_rows s WHERE s.migration_id = c.migration_id AND s.source_table = c.source_table) AS rows_in_store,
            (SELECT count(*)::int FROM source_issues i
              WHERE i.migration_id = c.migration_id AND i.source_table = c.source_table AND i.severity = 'warning') AS warnings
       FROM extract_counts c
      WHERE c.migration_id = $1`,
    [ctx.migrationId],
  );
}

export async function sourceIssueRows(db: AuditDb, ctx: AuditScope) {
  return rowsOf<{ table: string; column: string | null; severity: 'rejected' | 'warning'; reason: string; count: number }>(
    db,
    `SELECT source_table AS table, column_name AS column, severity, reason, count(*)::int AS count
       FROM source_issues
      WHERE migration_id = $1
      GROUP BY source_table, column_name, severity, reason
      ORDER BY source_table, severity, count(*) DESC, column_name NULLS FIRST, reason`,
    [ctx.migrationId],
  );
}

// Target objects.

/** SQL: the document's type is one that stays in the image archive (same rule as the mapping: trimmed, any case). */
const IMAGING_SQL = `lower(btrim(data->>'doc_type')) = ANY($2::text[])`;

export async function targetObjectRow(db: AuditDb, ctx: AuditScope, imagingTypes: readonly string[]) {
  return oneRow<Record<string, number>>(
    db,
    `SELECT
       count(*) FILTER (WHERE source_table = 'patient')::int AS patients,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '1')::int AS active,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '2')::int AS non_patient,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '3')::int AS inactive,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '4')::int AS archived,
       count(*) FILTER (WHERE source_table = 'provider')::int AS providers,
       count(*) FILTER (WHERE source_table = 'employer')::int AS employers,
       count(*) FILTER (WHERE source_table = 'referral')::int AS referrals,
       count(*) FILTER (WHERE source_table = 'inscarrier')::int AS carriers,
       count(*) FILTER (WHERE source_table = 'proccode')::int AS proccodes,
       count(*) FILTER (WHERE source_table = 'txcase')::int AS txcases,
       count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NOT NULL)::int AS plan_procedures,
       count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NULL)::int AS other_procedures,
       count(*) FILTER (WHERE source_table = 'appt')::int AS appointments,
       count(*) FILTER (WHERE source_table = 'appt' AND data->>'patient_id' IS NULL)::int AS new_patient_bookings,
       count(*) FILTER (WHERE source_table = 'recall')::int AS recalls,
       count(*) FILTER (WHERE source_table = 'clinical_note')::int AS clinical_notes,
       count(*) FILTER (WHERE source_table = 'document' AND ${IMAGING_SQL})::int AS imaging_documents,
       count(*) FILTER (WHERE source_table = 'document' AND NOT coalesce(${IMAGING_SQL}, false))::int AS other_documents
     FROM staged_rows
     WHERE migration_id = $1`,
    [ctx.migrationId, imagingTypes],
  );
}

export async function familyRow(db: AuditDb, ctx: AuditScope) {
  return oneRow<{ families: number; households: number }>(
    db,
    `SELECT count(*)::int AS families, count(*) FILTER (WHERE members >= 2)::int AS households
       FROM (SELECT coalesce(data->>'guar_id', source_key) AS family, count(*) AS members
               FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient'
              GROUP BY 1) f`,
    [ctx.migrationId],
  );
}

// Duplicate patients.

const PHONES = ['mobile_phone', 'home_phone', 'work_phone'].map((column) => comparablePhoneSql(`data->>'${column}'`));

export async function duplicatePatientRow(db: AuditDb, ctx: AuditScope) {
  const identitySql = `
    WITH patient AS (
      SELECT (data->>'patient_id')::bigint AS id,
             ${normalisedNameSql("data->>'first_name'")} AS first_name,
             ${normalisedNameSql("data->>'last_name'")} AS last_name,
             data->>'birth_date' AS birth_date,
             ${comparableEmailSql("data->>'email'")} AS email,
             array_remove(ARRAY[${PHONES.join(', ')}], NULL) AS phones,
             nullif(${normalisedNameSql("data->>'address_line1'")} || left(coalesce(data->>'zipcode', ''), 5), '') AS address
        FROM staged_rows
       WHERE migration_id = $1 AND source_table = 'patient'
    ),
    grouped AS (
      SELECT *, min(id) OVER identity AS original_id, count(*) OVER identity AS members
        FROM patient
       WHERE first_name <> '' AND last_name <> '' AND birth_date IS NOT NULL
      WINDOW identity AS (PARTITION BY first_name, last_name, birth_date)
    )`;
  return oneRow<{
    patients: number;
    groups: number;
    duplicates: number;
    with_contact: number;
    listed: { id: number; original_id: number; email: boolean; phone: boolean; address: boolean }[];
  }>(
    db,
    `${identitySql},
    pair AS (
      SELECT d.id, o.id AS original_id,
             coalesce(d.email = o.email, false) AS email,
             coalesce(d.phones && o.phones, false) AS phone,
             coalesce(d.address = o.address, false) AS address
        FROM grouped d
        JOIN grouped o ON o.id = d.original_id
       WHERE d.members > 1 AND d.id <> d.original_id
    )
    SELECT (SELECT count(*)::int FROM patient) AS patients,
           (SELECT count(DISTINCT original_id)::int FROM pair) AS groups,
           (SELECT count(*)::int FROM pair) AS duplicates,
           (SELECT count(*)::int FROM pair WHERE email OR phone OR address) AS with_contact,
           (SELECT coalesce(json_agg(listed ORDER BY original_id, id), '[]'::json)
              FROM (SELECT * FROM pair ORDER BY original_id, id LIMIT $2) listed) AS listed`,
    [ctx.migrationId, ctx.maxListed],
  );
}

// Contact details.

/** Streams one column's non-empty values, in staging order. */
export async function forEachColumnValue(
  db: AuditDb,
  ctx: AuditScope,
  table: string,
  column: string,
  onRows: (rows: { source_key: string; value: string }[]) => void,
): Promise<void> {
  await forEachBatch<{ source_key: string; value: string }>(
    db,
    `SELECT source_key, data->>$3 AS value
       FROM staged_rows
      WHERE migration_id = $1 AND source_table = $2 AND data->>$3 IS NOT NULL
      ORDER BY row_seq`,
    [ctx.migrationId, table, column],
    onRows,
  );
}

const NO_EMAIL = `(data->>'email' IS NULL OR btrim(data->>'email') = '')`;

export async function patientsWithoutEmailRows(db: AuditDb, ctx: AuditScope) {
  const noEmail = NO_EMAIL;
  const byStatus = await rowsOf<{ status: string | null; count: number }>(
    db,
    `SELECT data->>'status' AS status, count(*)::int AS count
       FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient' AND ${noEmail}
      GROUP BY 1 ORDER BY 1`,
    [ctx.migrationId],
  );
  const listed = await oneRow<{ keys: string[] }>(
    db,
    `SELECT ARRAY(SELECT source_key FROM staged_rows
                   WHERE migration_id = $1 AND source_table = 'patient' AND ${noEmail}
                   ORDER BY row_seq LIMIT $2) AS keys`,
    [ctx.migrationId, ctx.maxListed],
  );
  return { byStatus, keys: listed.keys };
}

// Dates.

export async function invalidDateRows(db: AuditDb, ctx: AuditScope, dateColumns: readonly string[]) {
  return rowsOf<{ table: string; column: string; reason: string; count: number; keys: string[] }>(
    db,
    `SELECT g.table, g.column, g.reason, g.count,
            ARRAY(SELECT i.source_key FROM source_issues i
                   WHERE i.migration_id = $1 AND i.source_table = g.table AND i.column_name = g.column
                     AND i.reason = g.reason AND i.severity = 'warning'
                   ORDER BY i.id LIMIT $3) AS keys
       FROM (SELECT source_table AS table, column_name AS column, reason, count(*)::int AS count
               FROM source_issues
              WHERE migration_id = $1 AND severity = 'warning'
                AND source_table || '.' || column_name = ANY($2::text[])
              GROUP BY 1, 2, 3) g
      ORDER BY g.table, g.column, g.reason`,
    [ctx.migrationId, dateColumns, ctx.maxListed],
  );
}

/** Rows of `table` whose date `column` is after (`in_the_future`) or before (the other rules) `bound` (ISO text compares in date order). */
export async function implausibleDateRow(
  db: AuditDb,
  ctx: AuditScope,
  table: string,
  column: string,
  rule: 'in_the_future' | 'more_than_120_years_ago',
  bound: string,
) {
  const condition = rule === 'in_the_future' ? `data->>$2 > $3` : `data->>$2 < $3`;
  return oneRow<{ count: number; keys: string[] }>(
    db,
    `SELECT (SELECT count(*)::int FROM staged_rows WHERE migration_id = $1 AND source_table = $4 AND ${condition}) AS count,
              ARRAY(SELECT source_key FROM staged_rows WHERE migration_id = $1 AND source_table = $4 AND ${condition}
                     ORDER BY row_seq LIMIT $5) AS keys`,
    [ctx.migrationId, column, bound, table, ctx.maxListed],
  );
}

/** Staged values of a column longer than `limit` characters once trimmed (values the mapping will shorten). */
export async function overLongValueCount(db: AuditDb, ctx: AuditScope, table: string, column: string, limit: number): Promise<number> {
  const row = await oneRow<{ count: number }>(
    db,
    `SELECT count(*)::int AS count FROM staged_rows WHERE migration_id = $1 AND source_table = $2 AND char_length(btrim(data->>$3)) > $4`,
    [ctx.migrationId, table, column, limit],
  );
  return row.count;
}

/**
 * Values the reader could not read as their column's type (null in the row, kept as typed in data.unreadable), counted
 * per `table.column` in one pass over the staged rows that have any.
 */
export async function unreadableValueCounts(db: AuditDb, ctx: AuditScope): Promise<Map<string, number>> {
  const rows = await rowsOf<{ source_table: string; column_name: string; count: number }>(
    db,
    `SELECT s.source_table, k.column_name, count(*)::int AS count
       FROM staged_rows s, jsonb_object_keys(s.data->'unreadable') AS k(column_name)
      WHERE s.migration_id = $1 AND s.data ? 'unreadable'
      GROUP BY s.source_table, k.column_name`,
    [ctx.migrationId],
  );
  return new Map(rows.map((r) => [`${r.source_table}.${r.column_name}`, r.count]));
}

// Orphan references.

export async function orphanReferenceRow(db: AuditDb, ctx: AuditScope, spec: { table: string; column: string; references: string }) {
  return oneRow<{ count: number; distinct_missing: number; keys: string[]; missing: string[] }>(
    db,
    `WITH orphan AS MATERIALIZED (
         SELECT c.source_key, c.row_seq, c.data->>$3 AS missing
           FROM staged_rows c
          WHERE c.migration_id = $1 AND c.source_table = $2 AND c.data->>$3 IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM staged_rows t
                             WHERE t.migration_id = $1 AND t.source_table = $4 AND t.source_key = c.data->>$3)
       )
       SELECT (SELECT count(*)::int FROM orphan) AS count,
              (SELECT count(DISTINCT missing)::int FROM orphan) AS distinct_missing,
              ARRAY(SELECT source_key FROM orphan ORDER BY row_seq LIMIT $5) AS keys,
              ARRAY(SELECT DISTINCT missing FROM orphan ORDER BY missing LIMIT $5) AS missing`,
    [ctx.migrationId, spec.table, spec.column, spec.references, ctx.maxListed],
  );
}

// In-flight claims.

const IN_FLIGHT = `migration_id = $1 AND source_table = 'ledger' AND lower(btrim(data->>'claim_status')) = ANY($2::text[])`;

export async function inFlightClaimRow(db: AuditDb, ctx: AuditScope, statuses: readonly string[]) {
  return oneRow<{
    entries: number;
    claims: number;
    charges: number | null;
    estimate: number | null;
    net: number | null;
    guarantors: number;
    by_status: Record<string, number> | null;
    by_guarantor: { guarantor_id: number | null; claims: number; entries: number; charges: number; estimate: number }[];
  }>(
    db,
    `WITH entry AS MATERIALIZED (
       SELECT (data->>'guar_id')::bigint AS guarantor_id,
              data->>'patient_id' AS patient_id,
              data->>'entry_date' AS entry_date,
              lower(btrim(data->>'claim_status')) AS status,
              lower(btrim(data->>'entry_type')) AS entry_type,
              coalesce((data->>'amount')::numeric, 0) AS amount
         FROM staged_rows WHERE ${IN_FLIGHT}
     ),
     per_guarantor AS (
       SELECT guarantor_id,
              count(DISTINCT (patient_id, entry_date))::int AS claims,
              count(*)::int AS entries,
              sum(amount) FILTER (WHERE entry_type = 'charge')::float8 AS charges,
              coalesce(-sum(amount) FILTER (WHERE entry_type = 'insurance_estimate'), 0)::float8 AS estimate
         FROM entry GROUP BY guarantor_id
     )
     SELECT (SELECT count(*)::int FROM entry) AS entries,
            (SELECT count(DISTINCT (guarantor_id, patient_id, entry_date))::int FROM entry) AS claims,
            (SELECT sum(amount) FILTER (WHERE entry_type = 'charge')::float8 FROM entry) AS charges,
            (SELECT -sum(amount) FILTER (WHERE entry_type = 'insurance_estimate')::float8 FROM entry) AS estimate,
            (SELECT sum(amount)::float8 FROM entry) AS net,
            (SELECT count(*)::int FROM per_guarantor) AS guarantors,
            (SELECT json_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM entry GROUP BY status) s) AS by_status,
            (SELECT coalesce(json_agg(g ORDER BY g.estimate DESC, g.guarantor_id), '[]'::json)
               FROM (SELECT * FROM per_guarantor ORDER BY estimate DESC, guarantor_id LIMIT $3) g) AS by_guarantor`,
    [ctx.migrationId, statuses, ctx.maxListed],
  );
}

// Notes and documents.

export async function clinicalNoteRow(db: AuditDb, ctx: AuditScope, longNote: number) {
  return oneRow<{ notes: number; with_text: number; total: number | null; longest: number | null; longest_id: string | null; long_notes: number }>(
    db,
    `WITH note AS (
       SELECT source_key, row_seq, char_length(data->>'note_text') AS length
         FROM staged_rows WHERE migration_id = $1 AND source_table = 'clinical_note'
     )
     SELECT count(*)::int AS notes,
            count(length) FILTER (WHERE length > 0)::int AS with_text,
            sum(length)::float8 AS total,
            max(length)::int AS longest,
            (SELECT source_key FROM note WHERE length IS NOT NULL ORDER BY length DESC, row_seq LIMIT 1) AS longest_id,
            count(*) FILTER (WHERE length > $2)::int AS long_notes
       FROM note`,
    [ctx.migrationId, longNote],
  );
}

export async function documentTypeRows(db: AuditDb, ctx: AuditScope) {
  return rowsOf<{ doc_type: string; files: number; bytes: number | null; without_size: number }>(
    db,
    `SELECT coalesce(nullif(lower(btrim(data->>'doc_type')), ''), 'unknown') AS doc_type,
            count(*)::int AS files,
            sum((data->>'size_bytes')::bigint)::float8 AS bytes,
            count(*) FILTER (WHERE data->>'size_bytes' IS NULL)::int AS without_size
       FROM staged_rows WHERE migration_id = $1 AND source_table = 'document'
      GROUP BY 1 ORDER BY 1`,
    [ctx.migrationId],
  );
}

export type DocumentFileRow = { source_key: string; file_path: string | null; size_bytes: string | null; sha256: string | null };

/** Streams the documents that are not imaging, in staging order, `batchSize` at a time. */
export async function forEachMovableDocument(
  db: AuditDb,
  ctx: AuditScope,
  imagingTypes: readonly string[],
  onBatch: (rows: DocumentFileRow[]) => Promise<void>,
  batchSize: number,
): Promise<void> {
  await forEachBatch<DocumentFileRow>(
    db,
    `SELECT source_key, data->>'file_path' AS file_path, data->>'size_bytes' AS size_bytes, data->>'sha256' AS sha256
       FROM staged_rows
      WHERE migration_id = $1 AND source_table = 'document' AND NOT coalesce(${IMAGING_SQL}, false)
      ORDER BY row_seq`,
    [ctx.migrationId, [...imagingTypes]],
    onBatch,
    batchSize,
  );
}

// Appointments.

const NEW_PATIENT = `migration_id = $1 AND source_table = 'appt' AND data->>'patient_id' IS NULL`;

export async function newPatientBookingRow(db: AuditDb, ctx: AuditScope, today: string) {
  return oneRow<{ count: number; upcoming: number; with_name: number; with_phone: number; keys: string[] }>(
    db,
    `SELECT count(*)::int AS count,
            count(*) FILTER (WHERE data->>'appointment_date' >= $2)::int AS upcoming,
            count(*) FILTER (WHERE btrim(coalesce(data->>'patient_name', '')) <> '')::int AS with_name,
            count(*) FILTER (WHERE btrim(coalesce(data->>'patient_phone', '')) <> '')::int AS with_phone,
            ARRAY(SELECT source_key FROM staged_rows WHERE ${NEW_PATIENT} ORDER BY row_seq LIMIT $3) AS keys
       FROM staged_rows WHERE ${NEW_PATIENT}`,
    [ctx.migrationId, today, ctx.maxListed],
  );
}

export async function appointmentDateRange(db: AuditDb, ctx: AuditScope) {
  return oneRow<{ first: string | null; last: string | null }>(
    db,
    `SELECT min(data->>'appointment_date') AS first, max(data->>'appointment_date') AS last
       FROM staged_rows WHERE migration_id = $1 AND source_table = 'appt'`,
    [ctx.migrationId],
  );
}

export type AppointmentTimeRow = { source_key: string; date: string; hour: number | null; minute: number | null };

/** Streams the appointments on the given dates, in staging order. */
export async function forEachAppointmentOn(
  db: AuditDb,
  ctx: AuditScope,
  dates: readonly string[],
  onRows: (rows: AppointmentTimeRow[]) => void,
): Promise<void> {
  await forEachBatch<AppointmentTimeRow>(
    db,
    `SELECT source_key, data->>'appointment_date' AS date, (data->>'start_hour')::int AS hour, (data->>'start_minute')::int AS minute
         FROM staged_rows
        WHERE migration_id = $1 AND source_table = 'appt' AND data->>'appointment_date' = ANY($2::text[])
        ORDER BY row_seq`,
    [ctx.migrationId, dates],
    onRows,
  );
}

// PHI fields.

export async function phiFieldRows(db: AuditDb, ctx: AuditScope, table: string, columns: readonly string[]) {
  return rowsOf<{ column: string; rows: number; with_value: number }>(
    db,
    `SELECT c.name AS "column", count(s.*)::int AS rows,
              count(*) FILTER (WHERE btrim(coalesce(s.data->>c.name, '')) <> '')::int AS with_value
         FROM unnest($3::text[]) AS c(name)
         LEFT JOIN staged_rows s ON s.migration_id = $1 AND s.source_table = $2
        GROUP BY c.name`,
    [ctx.migrationId, table, columns],
  );
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
