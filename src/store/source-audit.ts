import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { CompiledQuery, sql, type Compilable, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from './generated/db';
import { storeDbOn, type StoreDb } from './db';
import { dataText } from './staged-rows';

/**
 * The Data Quality audit's queries over what EXTRACT staged (src/audit computes the report's sections from them). They
 * run on one connection holding one read-only snapshot (withAuditSnapshot), so every section sees the same extract.
 * Typed Kysely queries on that connection (the staged rows' columns read from their jsonb `data` with dataText); the
 * few that need CTEs, window functions, correlated arrays or set-returning functions stay SQL, numbered parameters
 * and all, sent through the same instance.
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

/** The typed query builder on the audit's connection. */
function typed(db: AuditDb): StoreDb {
  return storeDbOn(db as PoolClient);
}

async function run<R>(db: AuditDb, text: string, params: readonly unknown[]): Promise<R[]> {
  return (await typed(db).executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows;
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
  query: Compilable<R>,
  onBatch: (rows: R[]) => void | Promise<void>,
  batchSize = 5_000,
): Promise<void> {
  const cursor = `audit_cursor_${++cursorCount}`;
  const { sql: text, parameters } = query.compile();
  // A server-side cursor (DECLARE … FETCH): PostgreSQL statements Kysely has no builder for, around the typed query.
  await run(db, `DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, parameters);
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
  const run = await typed(db)
    .selectFrom('migration_runs')
    .select(['practice_name', 'timezone', 'currency', 'source'])
    .where('migration_id', '=', migrationId)
    .executeTakeFirst();
  return run && { ...run, source: run.source as S };
}

export async function stagedTableCount(db: AuditDb, migrationId: string): Promise<number> {
  const row = await typed(db)
    .selectFrom('extract_counts')
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('tables'))
    .where('migration_id', '=', migrationId)
    .executeTakeFirstOrThrow();
  return row.tables;
}

export async function stagedTables(db: AuditDb, ctx: AuditScope): Promise<string[]> {
  const rows = await typed(db).selectFrom('extract_counts').select('source_table').where('migration_id', '=', ctx.migrationId).execute();
  return rows.map((r) => r.source_table);
}

// Source tables and issues.

export async function sourceTableRows(db: AuditDb, ctx: AuditScope) {
  return typed(db)
    .selectFrom('extract_counts as c')
    .select((eb) => [
      'c.source_table as table',
      'c.manifest_rows',
      'c.rows_read',
      'c.rows_staged',
      'c.rows_rejected',
      eb
        .selectFrom('staged_rows as s')
        .select((e) => e.cast<number>(e.fn.countAll(), 'integer').as('n'))
        .whereRef('s.migration_id', '=', 'c.migration_id')
        .whereRef('s.source_table', '=', 'c.source_table')
        .$asScalar()
        .$notNull()
        .as('rows_in_store'),
      eb
        .selectFrom('source_issues as i')
        .select((e) => e.cast<number>(e.fn.countAll(), 'integer').as('n'))
        .whereRef('i.migration_id', '=', 'c.migration_id')
        .whereRef('i.source_table', '=', 'c.source_table')
        .where('i.severity', '=', 'warning')
        .$asScalar()
        .$notNull()
        .as('warnings'),
    ])
    .where('c.migration_id', '=', ctx.migrationId)
    .execute();
}

export async function sourceIssueRows(db: AuditDb, ctx: AuditScope) {
  return typed(db)
    .selectFrom('source_issues')
    .select((eb) => ['source_table as table', 'column_name as column', 'severity', 'reason', eb.cast<number>(eb.fn.countAll(), 'integer').as('count')])
    .$narrowType<{ severity: 'rejected' | 'warning' }>()
    .where('migration_id', '=', ctx.migrationId)
    .groupBy(['source_table', 'column_name', 'severity', 'reason'])
    .orderBy('source_table')
    .orderBy('severity')
    .orderBy((eb) => eb.fn.countAll(), 'desc')
    .orderBy('column_name', (ob) => ob.asc().nullsFirst())
    .orderBy('reason')
    .execute();
}

// Target objects.

/** The document's type is one that stays in the image archive (same rule as the mapping: trimmed, any case). */
function isImaging(eb: ExpressionBuilder<DB, 'staged_rows'>, imagingTypes: readonly string[]) {
  return eb(eb.fn<string>('lower', [eb.fn('btrim', [dataText('doc_type')])]), '=', eb.fn.any(eb.val([...imagingTypes])));
}

export async function targetObjectRow(db: AuditDb, ctx: AuditScope, imagingTypes: readonly string[]): Promise<Record<string, number>> {
  return typed(db)
    .selectFrom('staged_rows')
    .select((eb) => {
      const count = (where: Expression<SqlBool>) => eb.cast<number>(eb.fn.countAll().filterWhere(where), 'integer');
      const of = (table: string, ...and: Expression<SqlBool>[]) => count(eb.and([eb('source_table', '=', table), ...and]));
      const patient = (status: string) => of('patient', eb(dataText('status'), '=', status));
      const imaging = isImaging(eb, imagingTypes);
      return [
        of('patient').as('patients'),
        patient('1').as('active'),
        patient('2').as('non_patient'),
        patient('3').as('inactive'),
        patient('4').as('archived'),
        of('provider').as('providers'),
        of('employer').as('employers'),
        of('referral').as('referrals'),
        of('inscarrier').as('carriers'),
        of('proccode').as('proccodes'),
        of('txcase').as('txcases'),
        of('procedure', eb(dataText('txcase_id'), 'is not', null)).as('plan_procedures'),
        of('procedure', eb(dataText('txcase_id'), 'is', null)).as('other_procedures'),
        of('appt').as('appointments'),
        of('appt', eb(dataText('patient_id'), 'is', null)).as('new_patient_bookings'),
        of('recall').as('recalls'),
        of('clinical_note').as('clinical_notes'),
        of('document', imaging).as('imaging_documents'),
        of('document', eb.not(eb.fn.coalesce(imaging, sql.lit(false)))).as('other_documents'),
      ];
    })
    .where('migration_id', '=', ctx.migrationId)
    .executeTakeFirstOrThrow();
}

export async function familyRow(db: AuditDb, ctx: AuditScope) {
  const family = sql<string>`coalesce(${dataText('guar_id')}, source_key)`;
  const families = typed(db)
    .selectFrom('staged_rows')
    .select((eb) => [family.as('family'), eb.fn.countAll().as('members')])
    .where('migration_id', '=', ctx.migrationId)
    .where('source_table', '=', 'patient')
    .groupBy(family);
  return typed(db)
    .selectFrom(families.as('f'))
    .select((eb) => [
      eb.cast<number>(eb.fn.countAll(), 'integer').as('families'),
      eb.cast<number>(eb.fn.countAll().filterWhere('members', '>=', 2), 'integer').as('households'),
    ])
    .executeTakeFirstOrThrow();
}

// Duplicate patients.

const PHONES = ['mobile_phone', 'home_phone', 'work_phone'].map((column) => comparablePhoneSql(`data->>'${column}'`));

// SQL: CTEs, a window over each identity and json_agg of the listed pairs, with the name/phone/email normalisation below.
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
  const value = dataText(column);
  await forEachBatch(
    db,
    typed(db)
      .selectFrom('staged_rows')
      .select(['source_key', value.as('value')])
      .where('migration_id', '=', ctx.migrationId)
      .where('source_table', '=', table)
      .where(value, 'is not', null)
      .$narrowType<{ value: string }>()
      .orderBy('row_seq'),
    onRows,
  );
}

/** The staged rows of one table, in staging order: a query the sections narrow and count. */
function rowsOfTable(db: AuditDb, ctx: AuditScope, table: string) {
  return typed(db).selectFrom('staged_rows').where('migration_id', '=', ctx.migrationId).where('source_table', '=', table);
}

/** The source keys of the first `maxListed` rows a query keeps, in staging order. */
async function listedKeys(query: ReturnType<typeof rowsOfTable>, ctx: AuditScope): Promise<string[]> {
  return (await query.select('source_key').orderBy('row_seq').limit(ctx.maxListed).execute()).map((r) => r.source_key);
}

export async function patientsWithoutEmailRows(db: AuditDb, ctx: AuditScope) {
  const status = dataText('status');
  const patients = rowsOfTable(db, ctx, 'patient').where((eb) => eb.or([eb(dataText('email'), 'is', null), eb(eb.fn('btrim', [dataText('email')]), '=', '')]));
  const byStatus = await patients
    .select((eb) => [status.as('status'), eb.cast<number>(eb.fn.countAll(), 'integer').as('count')])
    .groupBy(status)
    .orderBy(status)
    .execute();
  return { byStatus, keys: await listedKeys(patients, ctx) };
}

// Dates.

// SQL: a correlated ARRAY(…) of each group's first keys.
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
  const rows = rowsOfTable(db, ctx, table).where(dataText(column), rule === 'in_the_future' ? '>' : '<', bound);
  const { count } = await rows.select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count')).executeTakeFirstOrThrow();
  return { count, keys: await listedKeys(rows, ctx) };
}

/** Staged values of a column longer than `limit` characters once trimmed (values the mapping will shorten). */
export async function overLongValueCount(db: AuditDb, ctx: AuditScope, table: string, column: string, limit: number): Promise<number> {
  const row = await rowsOfTable(db, ctx, table)
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .where((eb) => eb(eb.fn<number>('char_length', [eb.fn('btrim', [dataText(column)])]), '>', limit))
    .executeTakeFirstOrThrow();
  return row.count;
}

/**
 * Values the reader could not read as their column's type (null in the row, kept as typed in data.unreadable), counted
 * per `table.column` in one pass over the staged rows that have any.
 */
// SQL: a lateral set-returning jsonb_object_keys over each row's unreadable values.
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

// SQL: a MATERIALIZED CTE read four times (counts, keys, missing values).
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

// SQL: MATERIALIZED CTEs, per-guarantor aggregates and json_object_agg/json_agg of the listed ones.
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

// SQL: a CTE read by an aggregate and by a subquery for the longest note.
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
  const docType = sql<string>`coalesce(nullif(lower(btrim(${dataText('doc_type')})), ''), 'unknown')`;
  return rowsOfTable(db, ctx, 'document')
    .select((eb) => [
      docType.as('doc_type'),
      eb.cast<number>(eb.fn.countAll(), 'integer').as('files'),
      eb.cast<number | null>(eb.fn.sum(eb.cast(dataText('size_bytes'), 'bigint')), 'float8').as('bytes'),
      eb.cast<number>(eb.fn.countAll().filterWhere(dataText('size_bytes'), 'is', null), 'integer').as('without_size'),
    ])
    .groupBy(docType)
    .orderBy(docType)
    .execute();
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
  await forEachBatch(
    db,
    rowsOfTable(db, ctx, 'document')
      .select(['source_key', dataText('file_path').as('file_path'), dataText('size_bytes').as('size_bytes'), dataText('sha256').as('sha256')])
      .where((eb) => eb.not(eb.fn.coalesce(isImaging(eb, imagingTypes), sql.lit(false))))
      .orderBy('row_seq'),
    onBatch,
    batchSize,
  );
}

// Appointments.

export async function newPatientBookingRow(db: AuditDb, ctx: AuditScope, today: string) {
  const bookings = rowsOfTable(db, ctx, 'appt').where(dataText('patient_id'), 'is', null);
  const counts = await bookings
    .select((eb) => {
      const count = (where?: Expression<SqlBool>) => eb.cast<number>(where ? eb.fn.countAll().filterWhere(where) : eb.fn.countAll(), 'integer');
      const given = (column: string) => eb(eb.fn('btrim', [eb.fn.coalesce(dataText(column), sql.lit(''))]), '<>', '');
      return [
        count().as('count'),
        count(eb(dataText('appointment_date'), '>=', today)).as('upcoming'),
        count(given('patient_name')).as('with_name'),
        count(given('patient_phone')).as('with_phone'),
      ];
    })
    .executeTakeFirstOrThrow();
  return { ...counts, keys: await listedKeys(bookings, ctx) };
}

export async function appointmentDateRange(db: AuditDb, ctx: AuditScope) {
  const date = dataText('appointment_date');
  return rowsOfTable(db, ctx, 'appt')
    .select((eb) => [eb.fn.min(date).as('first'), eb.fn.max(date).as('last')])
    .executeTakeFirstOrThrow();
}

export type AppointmentTimeRow = { source_key: string; date: string; hour: number | null; minute: number | null };

/** Streams the appointments on the given dates, in staging order. */
export async function forEachAppointmentOn(
  db: AuditDb,
  ctx: AuditScope,
  dates: readonly string[],
  onRows: (rows: AppointmentTimeRow[]) => void,
): Promise<void> {
  await forEachBatch(
    db,
    rowsOfTable(db, ctx, 'appt')
      .select((eb) => [
        'source_key',
        dataText('appointment_date').as('date'),
        eb.cast<number | null>(dataText('start_hour'), 'integer').as('hour'),
        eb.cast<number | null>(dataText('start_minute'), 'integer').as('minute'),
      ])
      .where((eb) => eb(dataText('appointment_date'), '=', eb.fn.any(eb.val([...dates]))))
      .$narrowType<{ date: string }>()
      .orderBy('row_seq'),
    onRows,
  );
}

// PHI fields.

// SQL: a LEFT JOIN from unnest(columns), each column's name read back as a jsonb key.
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
