import { type Pool } from 'pg';
import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import { storeDb } from './db';
import type { DB } from './generated/db';
import { dataText } from './staged-rows';

/**
 * The sample run's members (sample_members) and what choosing them reads: per staged patient, the counts the
 * stratified selection weighs. The staged rows' columns live in their jsonb `data` (read with dataText).
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
  const patientId = dataText('patient_id');
  return storeDb(pool)
    .with('p', (db) =>
      db
        .selectFrom('staged_rows')
        .select(['source_key as pid', dataText('guar_id').as('guar')])
        .where('migration_id', '=', migrationId)
        .where('source_table', '=', 'patient'),
    )
    .with('fam', (db) =>
      db
        .selectFrom('p')
        .select((eb) => ['guar', eb.fn.countAll<string>().as('n')])
        .where('guar', 'is not', null)
        .groupBy('guar'),
    )
    .with('agg', (db) =>
      db
        .selectFrom('staged_rows')
        .select((eb) => {
          const of = (table: string, ...and: Expression<SqlBool>[]) => eb.fn.countAll<string>().filterWhere(eb.and([eb('source_table', '=', table), ...and]));
          const recallType = dataText('recall_type_id');
          return [
            patientId.as('pid'),
            eb.fn
              .agg<number[] | null>('array_agg', [eb.cast(recallType, 'integer')])
              .distinct()
              .filterWhere(eb.and([eb('source_table', '=', 'recall'), eb(recallType, 'is not', null)]))
              .as('recall_types'),
            of('recall').as('recalls'),
            of('txcase').as('plans'),
            of('txcase', eb(dataText('status'), '=', eb.fn.any(eb.val([...activePlanStatuses])))).as('active_plans'),
            of('procedure', eb(dataText('txcase_id'), 'is not', null)).as('plan_procedures'),
            of('appt', eb(dataText('appointment_date'), '<', today)).as('past_appts'),
            of('appt', eb(dataText('appointment_date'), '>=', today)).as('future_appts'),
            of('clinical_note').as('notes'),
            of('document').as('documents'),
          ];
        })
        .where('migration_id', '=', migrationId)
        .where('source_table', 'in', ['recall', 'txcase', 'procedure', 'appt', 'clinical_note', 'document'])
        .groupBy(patientId),
    )
    .selectFrom('p')
    .leftJoin('fam', 'fam.guar', 'p.guar')
    .leftJoin('agg', 'agg.pid', 'p.pid')
    .select((eb) => {
      // Counts are bigint (text in JS); a patient without rows of a kind counts 0, a family of one 1.
      const orZero = (count: `agg.${'recalls' | 'plans' | 'active_plans' | 'plan_procedures' | 'past_appts' | 'future_appts' | 'notes' | 'documents'}`) =>
        eb.fn.coalesce(count, sql<string>`0`);
      return [
        'p.pid as patient_id',
        'p.guar as guar_id',
        eb.fn.coalesce('fam.n', sql<string>`1`).as('family_size'),
        'agg.recall_types',
        orZero('agg.recalls').as('recalls'),
        orZero('agg.plans').as('plans'),
        orZero('agg.active_plans').as('active_plans'),
        orZero('agg.plan_procedures').as('plan_procedures'),
        orZero('agg.past_appts').as('past_appts'),
        orZero('agg.future_appts').as('future_appts'),
        orZero('agg.notes').as('notes'),
        orZero('agg.documents').as('documents'),
      ];
    })
    .orderBy('p.pid')
    .execute();
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
  const add = (rows: Expression<{ migration_id: string; source_table: string; source_key: string | null }>) =>
    db
      .insertInto('sample_members')
      .columns(['migration_id', 'source_table', 'source_key'])
      .expression(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  /** Staged rows of `table` (aliased `s`) as members: the migration, the table's name, the key `key` (theirs unless told). */
  const members = (table: string, key: RawBuilder<string | null> | 's.source_key' = 's.source_key') =>
    db
      .selectFrom('staged_rows as s')
      .select((eb) => [
        eb.val(migrationId).as('migration_id'),
        sql.lit(table).as('source_table'),
        typeof key === 'string' ? eb.ref(key).as('source_key') : key.as('source_key'),
      ])
      .where('s.migration_id', '=', migrationId);
  const ofPatients = (table: string) =>
    db
      .selectFrom('staged_rows as s')
      .where('s.migration_id', '=', migrationId)
      .where('s.source_table', '=', table)
      .where((eb) => eb(dataText('patient_id', 's'), '=', eb.fn.any(eb.val(ids))));
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000);
    await db
      .insertInto('sample_members')
      .values(chunk.map((k) => ({ migration_id: migrationId, source_table: 'patient', source_key: k })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  for (const table of ['recall', 'txcase']) {
    await add(
      members(table)
        .where('s.source_table', '=', table)
        .where((eb) => eb(dataText('patient_id', 's'), '=', eb.fn.any(eb.val(ids)))),
    );
  }
  await add(
    members('procedure')
      .where('s.source_table', '=', 'procedure')
      .where((eb) => eb(dataText('patient_id', 's'), '=', eb.fn.any(eb.val(ids))))
      .where(dataText('txcase_id', 's'), 'is not', null),
  );
  const ranked = (
    table: string,
    order: RawBuilder<unknown>,
    limit: number,
    where?: (eb: ExpressionBuilder<DB & { s: DB['staged_rows'] }, 's'>) => Expression<SqlBool>,
  ) => {
    const numbered = ofPatients(table)
      // SQL: a window partitioned by an expression (a jsonb key), which Kysely's partitionBy does not take.
      .select(['s.source_key', sql<number>`row_number() OVER (PARTITION BY ${dataText('patient_id', 's')} ORDER BY ${order})`.as('n')])
      .$if(where !== undefined, (q) => q.where((eb) => where!(eb)));
    return add(
      db
        .selectFrom(numbered.as('r'))
        .select((eb) => [eb.val(migrationId).as('migration_id'), sql.lit(table).as('source_table'), 'r.source_key'])
        .where('r.n', '<=', sql.lit(limit)),
    );
  };
  const date = (column: string) => dataText(column, 's');
  await ranked('appt', sql`${date('appointment_date')} DESC`, keep.pastAppointments, (eb) => eb(date('appointment_date'), '<', today));
  await ranked('appt', sql`${date('appointment_date')} ASC`, keep.futureAppointments, (eb) => eb(date('appointment_date'), '>=', today));
  await ranked('clinical_note', sql`${date('note_date')} DESC`, keep.notes);
  await ranked('document', sql`s.row_seq`, keep.documents);
  // What the chosen records point at: households (families of two or more), employers, referral sources,
  // insurance carriers, procedure codes.
  const chosenPatients = (table: string, column: string) =>
    members(table, dataText(column, 's'))
      .where('s.source_table', '=', 'patient')
      .where('s.source_key', '=', (eb) => eb.fn.any(eb.val(ids)))
      .where(dataText(column, 's'), 'is not', null);
  await add(chosenPatients('household', 'guar_id'));
  await add(chosenPatients('employer', 'employer_id'));
  await add(chosenPatients('referral', 'referred_by_id'));
  await add(
    db
      .selectFrom('staged_rows as p')
      .innerJoin('staged_rows as i', (join) =>
        join
          .onRef('i.migration_id', '=', 'p.migration_id')
          .on('i.source_table', '=', 'insured')
          .on((eb) => eb('i.source_key', 'in', [dataText('prim_insured_id', 'p'), dataText('sec_insured_id', 'p')])),
      )
      .select((eb) => [eb.val(migrationId).as('migration_id'), sql.lit('inscarrier').as('source_table'), dataText('ins_plan_id', 'i').as('source_key')])
      .where('p.migration_id', '=', migrationId)
      .where('p.source_table', '=', 'patient')
      .where('p.source_key', '=', (eb) => eb.fn.any(eb.val(ids)))
      .where(dataText('ins_plan_id', 'i'), 'is not', null),
  );
  await add(
    db
      .selectFrom('sample_members as m')
      .innerJoin('staged_rows as pr', (join) =>
        join.onRef('pr.migration_id', '=', 'm.migration_id').on('pr.source_table', '=', 'procedure').onRef('pr.source_key', '=', 'm.source_key'),
      )
      .select((eb) => [eb.val(migrationId).as('migration_id'), sql.lit('proccode').as('source_table'), dataText('proccode_id', 'pr').as('source_key')])
      .where('m.migration_id', '=', migrationId)
      .where('m.source_table', '=', 'procedure')
      .where(dataText('proccode_id', 'pr'), 'is not', null),
  );
  // New-patient bookings without a patient record: the rule that handles them must be seen in the sample too.
  await add(
    members('appt')
      .where('s.source_table', '=', 'appt')
      .where(dataText('patient_id', 's'), 'is', null)
      .orderBy('s.row_seq')
      .limit(sql.lit(keep.newPatientBookings)),
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
