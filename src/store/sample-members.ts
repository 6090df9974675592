import { type Pool } from 'pg';
import { sql, type RawBuilder } from 'kysely';
import { storeDb } from './db';

/**
 * The sample run's members (sample_members) and what choosing them reads: per staged patient, the counts the
 * stratified selection weighs. The staged rows' columns live in their jsonb `data`, so these are SQL.
 */

export interface PatientFeatureRow {
  patient_id: string;
  guar_id: string | null;
  family_size: string;
  recall_types: number[] | null;
  recalls: string;
  plans: string;
  active_plans: string;
  plan_procedures: string;
  past_appts: string;
  future_appts: string;
  notes: string;
  documents: string;
}

/** Per staged patient: household size, recall types and counts of plans, visits before and after `today`, notes, documents. */
export async function patientFeatureRows(pool: Pool, migrationId: string, today: string, activePlanStatuses: readonly string[]): Promise<PatientFeatureRow[]> {
  const { rows } = await sql<PatientFeatureRow>`
    WITH p AS (
       SELECT source_key AS pid, data->>'guar_id' AS guar FROM staged_rows WHERE migration_id = ${migrationId} AND source_table = 'patient'),
     fam AS (SELECT guar, count(*) AS n FROM p WHERE guar IS NOT NULL GROUP BY guar),
     agg AS (
       SELECT data->>'patient_id' AS pid,
         array_agg(DISTINCT (data->>'recall_type_id')::int)
           FILTER (WHERE source_table = 'recall' AND data->>'recall_type_id' IS NOT NULL) AS recall_types,
         count(*) FILTER (WHERE source_table = 'recall') AS recalls,
         count(*) FILTER (WHERE source_table = 'txcase') AS plans,
         count(*) FILTER (WHERE source_table = 'txcase' AND data->>'status' = ANY(${[...activePlanStatuses]})) AS active_plans,
         count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NOT NULL) AS plan_procedures,
         count(*) FILTER (WHERE source_table = 'appt' AND data->>'appointment_date' < ${today}) AS past_appts,
         count(*) FILTER (WHERE source_table = 'appt' AND data->>'appointment_date' >= ${today}) AS future_appts,
         count(*) FILTER (WHERE source_table = 'clinical_note') AS notes,
         count(*) FILTER (WHERE source_table = 'document') AS documents
       FROM staged_rows
       WHERE migration_id = ${migrationId} AND source_table IN ('recall', 'txcase', 'procedure', 'appt', 'clinical_note', 'document')
       GROUP BY 1)
     SELECT p.pid AS patient_id, p.guar AS guar_id, COALESCE(fam.n, 1) AS family_size, agg.recall_types,
       COALESCE(agg.recalls, 0) AS recalls, COALESCE(agg.plans, 0) AS plans, COALESCE(agg.active_plans, 0) AS active_plans,
       COALESCE(agg.plan_procedures, 0) AS plan_procedures, COALESCE(agg.past_appts, 0) AS past_appts,
       COALESCE(agg.future_appts, 0) AS future_appts, COALESCE(agg.notes, 0) AS notes, COALESCE(agg.documents, 0) AS documents
     FROM p LEFT JOIN fam ON fam.guar = p.guar LEFT JOIN agg ON agg.pid = p.pid
     ORDER BY p.pid`.execute(storeDb(pool));
  return rows;
}

/** How many of each open-ended history a sampled patient keeps. */
export interface SampleKeep {
  pastAppointments: number;
  futureAppointments: number;
  notes: number;
  documents: number;
  newPatientBookings: number;
}

/**
 * Replaces the sample's members: the chosen patients, their recalls, plans and planned procedures, a cross-section of
 * their history (the most recent visits, the next booked one, a few notes and documents), what those point at, and a
 * few new-patient bookings. Returns the members per source table.
 */
export async function replaceSampleMembers(
  pool: Pool,
  migrationId: string,
  patientIds: readonly string[],
  today: string,
  keep: SampleKeep,
): Promise<Record<string, number>> {
  const db = storeDb(pool);
  const ids = [...patientIds];
  await db.deleteFrom('sample_members').where('migration_id', '=', migrationId).execute();
  const add = (select: RawBuilder<unknown>) =>
    sql`INSERT INTO sample_members (migration_id, source_table, source_key) ${select} ON CONFLICT DO NOTHING`.execute(db);
  await add(sql`SELECT ${migrationId}, 'patient', k FROM unnest(${ids}::text[]) k`);
  for (const table of ['recall', 'txcase']) {
    await add(
      sql`SELECT ${migrationId}, ${sql.lit(table)}, source_key FROM staged_rows WHERE migration_id = ${migrationId} AND source_table = ${sql.lit(table)} AND data->>'patient_id' = ANY(${ids})`,
    );
  }
  await add(
    sql`SELECT ${migrationId}, 'procedure', source_key FROM staged_rows WHERE migration_id = ${migrationId} AND source_table = 'procedure'
       AND data->>'patient_id' = ANY(${ids}) AND data->>'txcase_id' IS NOT NULL`,
  );
  const ranked = (table: string, order: RawBuilder<unknown>, limit: number, where: RawBuilder<unknown> = sql`true`) =>
    add(
      sql`SELECT ${migrationId}, ${sql.lit(table)}, source_key FROM (
         SELECT source_key, row_number() OVER (PARTITION BY data->>'patient_id' ORDER BY ${order}) AS n
         FROM staged_rows WHERE migration_id = ${migrationId} AND source_table = ${sql.lit(table)} AND data->>'patient_id' = ANY(${ids}) AND ${where}) r
       WHERE n <= ${sql.lit(limit)}`,
    );
  await ranked('appt', sql`data->>'appointment_date' DESC`, keep.pastAppointments, sql`data->>'appointment_date' < ${today}`);
  await ranked('appt', sql`data->>'appointment_date' ASC`, keep.futureAppointments, sql`data->>'appointment_date' >= ${today}`);
  await ranked('clinical_note', sql`data->>'note_date' DESC`, keep.notes);
  await ranked('document', sql`row_seq`, keep.documents);
  // What the chosen records point at: households (families of two or more), employers, referral sources,
  // insurance carriers, procedure codes.
  await add(
    sql`SELECT ${migrationId}, 'household', g FROM (
       SELECT data->>'guar_id' AS g FROM staged_rows WHERE migration_id = ${migrationId} AND source_table = 'patient' AND source_key = ANY(${ids})) s
     WHERE g IS NOT NULL`,
  );
  await add(
    sql`SELECT ${migrationId}, 'employer', data->>'employer_id' FROM staged_rows
     WHERE migration_id = ${migrationId} AND source_table = 'patient' AND source_key = ANY(${ids}) AND data->>'employer_id' IS NOT NULL`,
  );
  await add(
    sql`SELECT ${migrationId}, 'referral', data->>'referred_by_id' FROM staged_rows
     WHERE migration_id = ${migrationId} AND source_table = 'patient' AND source_key = ANY(${ids}) AND data->>'referred_by_id' IS NOT NULL`,
  );
  await add(
    sql`SELECT ${migrationId}, 'inscarrier', i.data->>'ins_plan_id' FROM staged_rows p
     JOIN staged_rows i ON i.migration_id = p.migration_id AND i.source_table = 'insured'
       AND i.source_key IN (p.data->>'prim_insured_id', p.data->>'sec_insured_id')
     WHERE p.migration_id = ${migrationId} AND p.source_table = 'patient' AND p.source_key = ANY(${ids}) AND i.data->>'ins_plan_id' IS NOT NULL`,
  );
  await add(
    sql`SELECT ${migrationId}, 'proccode', pr.data->>'proccode_id' FROM sample_members m
     JOIN staged_rows pr ON pr.migration_id = m.migration_id AND pr.source_table = 'procedure' AND pr.source_key = m.source_key
     WHERE m.migration_id = ${migrationId} AND m.source_table = 'procedure' AND pr.data->>'proccode_id' IS NOT NULL`,
  );
  // New-patient bookings without a patient record: the rule that handles them must be seen in the sample too.
  await add(
    sql`SELECT ${migrationId}, 'appt', source_key FROM staged_rows
     WHERE migration_id = ${migrationId} AND source_table = 'appt' AND data->>'patient_id' IS NULL
     ORDER BY row_seq LIMIT ${sql.lit(keep.newPatientBookings)}`,
  );
  const counts = await db
    .selectFrom('sample_members')
    .select(['source_table', (eb) => eb.fn.countAll<string>().as('n')])
    .where('migration_id', '=', migrationId)
    .groupBy('source_table')
    .orderBy('source_table')
    .execute();
  return Object.fromEntries(counts.map((r) => [r.source_table, Number(r.n)]));
}
