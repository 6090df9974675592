import { publishReport } from './publish-report';
import type { MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { writeJsonReport } from './report-files';
import { selectSamplePatients, strataCoverage, type PatientFeatures } from './sample-selection';

const ACTIVE_PLAN_STATUSES = ['Proposed', 'Accepted', 'In Progress', 'On Hold'];
/** Per sampled patient, how many of each open-ended history the sample keeps (a cross-section, not everything). */
const KEEP = { pastAppointments: 2, futureAppointments: 1, notes: 2, documents: 2, newPatientBookings: 2 };

/** SAMPLE phase: chooses the sample's members (ids only) and stores them; the loads then plan from them. */
export function createSampleActivities({ pool, settings, now = () => new Date() }: ActivityDeps) {
  return {
    async selectSample({ migrationId, size }: MigrationRef & { size: number }): Promise<{ patients: number; members: Record<string, number> }> {
      const today = now().toISOString().slice(0, 10);
      const { rows } = await pool.query<{
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
      }>(
        `WITH p AS (
           SELECT source_key AS pid, data->>'guar_id' AS guar FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient'),
         fam AS (SELECT guar, count(*) AS n FROM p WHERE guar IS NOT NULL GROUP BY guar),
         agg AS (
           SELECT data->>'patient_id' AS pid,
             array_agg(DISTINCT (data->>'recall_type_id')::int)
               FILTER (WHERE source_table = 'recall' AND data->>'recall_type_id' IS NOT NULL) AS recall_types,
             count(*) FILTER (WHERE source_table = 'recall') AS recalls,
             count(*) FILTER (WHERE source_table = 'txcase') AS plans,
             count(*) FILTER (WHERE source_table = 'txcase' AND data->>'status' = ANY($3)) AS active_plans,
             count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NOT NULL) AS plan_procedures,
             count(*) FILTER (WHERE source_table = 'appt' AND data->>'appointment_date' < $2) AS past_appts,
             count(*) FILTER (WHERE source_table = 'appt' AND data->>'appointment_date' >= $2) AS future_appts,
             count(*) FILTER (WHERE source_table = 'clinical_note') AS notes,
             count(*) FILTER (WHERE source_table = 'document') AS documents
           FROM staged_rows
           WHERE migration_id = $1 AND source_table IN ('recall', 'txcase', 'procedure', 'appt', 'clinical_note', 'document')
           GROUP BY 1)
         SELECT p.pid AS patient_id, p.guar AS guar_id, COALESCE(fam.n, 1) AS family_size, agg.recall_types,
           COALESCE(agg.recalls, 0) AS recalls, COALESCE(agg.plans, 0) AS plans, COALESCE(agg.active_plans, 0) AS active_plans,
           COALESCE(agg.plan_procedures, 0) AS plan_procedures, COALESCE(agg.past_appts, 0) AS past_appts,
           COALESCE(agg.future_appts, 0) AS future_appts, COALESCE(agg.notes, 0) AS notes, COALESCE(agg.documents, 0) AS documents
         FROM p LEFT JOIN fam ON fam.guar = p.guar LEFT JOIN agg ON agg.pid = p.pid
         ORDER BY p.pid`,
        [migrationId, today, ACTIVE_PLAN_STATUSES],
      );
      const features: PatientFeatures[] = rows.map((r) => ({
        patientId: Number(r.patient_id),
        guarantorId: r.guar_id === null ? null : Number(r.guar_id),
        familySize: Number(r.family_size),
        recallTypes: r.recall_types ?? [],
        activePlans: Number(r.active_plans),
        pastAppointments: Number(r.past_appts),
        futureAppointments: Number(r.future_appts),
        records:
          1 +
          Number(r.recalls) +
          Number(r.plans) +
          Number(r.plan_procedures) +
          Math.min(Number(r.past_appts), KEEP.pastAppointments) +
          Math.min(Number(r.future_appts), KEEP.futureAppointments) +
          Math.min(Number(r.notes), KEEP.notes) +
          Math.min(Number(r.documents), KEEP.documents),
      }));
      const chosen = selectSamplePatients(features, size);
      const ids = chosen.map((p) => String(p.patientId));

      await pool.query('DELETE FROM sample_members WHERE migration_id = $1', [migrationId]);
      const add = (sql: string, params: unknown[] = []) =>
        pool.query(
          `INSERT INTO sample_members (migration_id, source_table, source_key) ${sql} ON CONFLICT DO NOTHING`,
          [migrationId, ids, ...params],
        );
      await add(`SELECT $1, 'patient', k FROM unnest($2::text[]) k`);
      for (const table of ['recall', 'txcase']) {
        await add(
          `SELECT $1, '${table}', source_key FROM staged_rows WHERE migration_id = $1 AND source_table = '${table}' AND data->>'patient_id' = ANY($2)`,
        );
      }
      await add(
        `SELECT $1, 'procedure', source_key FROM staged_rows WHERE migration_id = $1 AND source_table = 'procedure'
           AND data->>'patient_id' = ANY($2) AND data->>'txcase_id' IS NOT NULL`,
      );
      // A cross-section of each patient's history: the most recent visits, the next booked one, a few notes and documents.
      const ranked = (table: string, order: string, limit: number, where = 'true') =>
        add(
          `SELECT $1, '${table}', source_key FROM (
             SELECT source_key, row_number() OVER (PARTITION BY data->>'patient_id' ORDER BY ${order}) AS n
             FROM staged_rows WHERE migration_id = $1 AND source_table = '${table}' AND data->>'patient_id' = ANY($2) AND ${where}) r
           WHERE n <= ${limit}`,
          where.includes('$3') ? [today] : [],
        );
      await ranked('appt', "data->>'appointment_date' DESC", KEEP.pastAppointments, "data->>'appointment_date' < $3");
      await ranked('appt', "data->>'appointment_date' ASC", KEEP.futureAppointments, "data->>'appointment_date' >= $3");
      await ranked('clinical_note', "data->>'note_date' DESC", KEEP.notes);
      await ranked('document', 'row_seq', KEEP.documents);
      // What the chosen records point at: households (families of two or more), employers, referral sources,
      // insurance carriers, procedure codes.
      await add(
        `SELECT $1, 'household', g FROM (
           SELECT data->>'guar_id' AS g FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient' AND source_key = ANY($2)) s
         WHERE g IS NOT NULL`,
      );
      await add(
        `SELECT $1, 'employer', data->>'employer_id' FROM staged_rows
         WHERE migration_id = $1 AND source_table = 'patient' AND source_key = ANY($2) AND data->>'employer_id' IS NOT NULL`,
      );
      await add(
        `SELECT $1, 'referral', data->>'referred_by_id' FROM staged_rows
         WHERE migration_id = $1 AND source_table = 'patient' AND source_key = ANY($2) AND data->>'referred_by_id' IS NOT NULL`,
      );
      await add(
        `SELECT $1, 'inscarrier', i.data->>'ins_plan_id' FROM staged_rows p
         JOIN staged_rows i ON i.migration_id = p.migration_id AND i.source_table = 'insured'
           AND i.source_key IN (p.data->>'prim_insured_id', p.data->>'sec_insured_id')
         WHERE p.migration_id = $1 AND p.source_table = 'patient' AND p.source_key = ANY($2) AND i.data->>'ins_plan_id' IS NOT NULL`,
      );
      await add(
        `SELECT $1, 'proccode', pr.data->>'proccode_id' FROM sample_members m
         JOIN staged_rows pr ON pr.migration_id = m.migration_id AND pr.source_table = 'procedure' AND pr.source_key = m.source_key
         WHERE m.migration_id = $1 AND m.source_table = 'procedure' AND pr.data->>'proccode_id' IS NOT NULL AND $2::text[] IS NOT NULL`,
      );
      // New-patient bookings without a patient record: the rule that handles them must be seen in the sample too.
      await add(
        `SELECT $1, 'appt', source_key FROM staged_rows
         WHERE migration_id = $1 AND source_table = 'appt' AND data->>'patient_id' IS NULL AND $2::text[] IS NOT NULL
         ORDER BY row_seq LIMIT ${KEEP.newPatientBookings}`,
      );

      const counts = await pool.query<{ source_table: string; n: string }>(
        'SELECT source_table, count(*) AS n FROM sample_members WHERE migration_id = $1 GROUP BY source_table ORDER BY source_table',
        [migrationId],
      );
      const members = Object.fromEntries(counts.rows.map((r) => [r.source_table, Number(r.n)]));
      const reportPath = await writeJsonReport(settings, migrationId, 'sample-members.json', {
        migrationId,
        targetRecords: size,
        patients: chosen.length,
        // Strata (recall type × active plan × visit history × family) the practice has and the sample covers.
        strata: strataCoverage(features, chosen),
        members,
        patientIds: chosen.map((p) => p.patientId),
      });
      await publishReport(pool, migrationId, 'sample-members', [reportPath], { patients: chosen.length, ...members });
      return { patients: chosen.length, members };
    },
  };
}
