import fs from 'node:fs';
import { rollbackResult } from '../../src/cli/migration-result';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createHarness, type Harness } from '../support/harness';
import { sandboxFor } from '../support/practice';
import { describeError, waitFor, WaitAborted } from '../support/wait';
import { dentrixTimestamp, editExtract, nextId, readCsvTable, syncManifestCounts, writeCsvTable } from '../support/extract-edit';
import { parseMigrationOptions } from '../../src/config';
import { generatePractice, generatePracticeToSql } from '@dentrix-pipedrive/practice-generator';
import { requestCutover, requestRollback, startMigration } from '../../src/cli/commands';
import type { DeltaPollResult } from '../../src/activities/contracts';
import { driveMigration } from '../../src/cli/drive';
import { normalisePhone } from '../../src/mapping/transforms/phones';
import { apiListingFingerprint } from '../../src/engine/account-fingerprint';
import { PipedriveClient } from '../../src/pipedrive/client';
import { migrationWorkflowId, rollbackWorkflowId } from '../../src/runtime/temporal';
import { SANDBOX_DEFAULT_TOKEN } from '../../src/runtime/worker';
import type { SourceSpec } from '../../src/store/runs';
import type { DeltaProgress } from '../../src/workflows/messages';
import type { MigrationResult } from '../../src/workflows/migration';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';

jest.setTimeout(8 * 60 * 1000);

/** What the cutover-window change did to the source, by Dentrix ids. */
interface SourceChange {
  /** Existing patient whose mobile phone, e-mail and primary insurance member id changed. */
  changedPatientId: string;
  newPhone: string;
  newEmail: string;
  newSubscriberId: string;
  /** A patient booked during the window, with one appointment. */
  newPatientId: string;
  newFirstName: string;
  newLastName: string;
  newPatientEmail: string;
  /** Appointments added during the window: [new patient's, existing patient's]. */
  newAppointmentIds: [string, string];
  /** Another existing patient whose only change is the member id on their insurance row (a new insurance card). */
  memberIdPatientId: string;
  newMemberId: string;
}

/** Existing patients the change touches: migrated as persons, each with an e-mail and an insured row of their own. */
interface ChangeTarget {
  patientId: string;
  insuredId: string;
  oldEmail: string;
  other: { patientId: string; insuredId: string };
}

type ApplyChange = (target: ChangeTarget) => Promise<SourceChange>;

interface WindowControl {
  /** Throws once the migration has ended. */
  alive(): void;
  progress(): Promise<DeltaProgress>;
  deltaHandle: WorkflowHandle;
}

/** The SQL mirror's change-cursor tables (the contract's tables with automodifiedtimestamp). */
const CURSOR_TABLES = ['provider', 'patient', 'appt', 'recall', 'txcase', 'procedure'];

const OPTIONS = { sampleSize: 20, allowSmallSample: true, batchSize: 50, concurrency: 2, deltaWindowSeconds: 240, deltaPollSeconds: 3 };
const PATIENTS = 40;
/** Ledger object types that are Pipedrive records (the audit log also records gate decisions and rollback signals). */
const DATA_ENTITIES = ['organization', 'product', 'person', 'deal', 'deal_product', 'activity', 'note', 'file'];

describe('delta pick-up window: changes made in Dentrix during cutover reach Pipedrive once, and roll back', () => {
  let h: Harness;
  const sandboxes: RunningSandbox[] = [];

  beforeAll(async () => {
    h = await createHarness();
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
    for (const s of sandboxes) await s.close();
  });

  it('extract folder: re-exports during the window (a new patient and appointments, a changed contact, a new insurance member id; one export caught half-written) are picked up, applied once, and rolled back', async () => {
    const extract = path.join(h.dataDir, 'delta-folder');
    await generatePractice({ profile: 'demo', seed: 11, patients: PATIENTS, outDir: extract });
    const sandbox = await sandboxFor(extract);
    sandboxes.push(sandbox);

    await runDeltaWindow(
      h,
      sandbox,
      'delta-folder',
      { kind: 'folder', path: extract },
      async (target) => {
        const at = dentrixTimestamp();
        const change: Partial<SourceChange> = {};
        await editExtract(extract, {
          patient: (t) => {
            const row = t.rows.find((r) => r.patient_id === target.patientId)!;
            row.mobile_phone = '(720) 555-0143';
            row.email = 'changed.during.cutover@example.org';
            row.automodifiedtimestamp = at;
            const id = String(nextId(t, 'patient_id'));
            t.rows.push({
              ...row,
              patient_id: id,
              patient_guid: '7D3C0B7E-5B8B-4B57-9D0E-0C7A4A1E2F01',
              chart_num: `NEW${id.padStart(6, '0')}`,
              first_name: 'Quillon',
              last_name: 'Vantragesh',
              preferred_name: '',
              email: 'quillon.vantragesh@example.org',
              mobile_phone: '(720) 555-0177',
              home_phone: '',
              work_phone: '',
              guar_id: id,
              fam_pos: '1',
              employer_id: '',
              referred_by_id: '',
              prim_insured_id: '',
              sec_insured_id: '',
              first_visit_date: '',
              ssn: '',
              automodifiedtimestamp: at,
            });
            Object.assign(change, {
              changedPatientId: target.patientId,
              newPhone: row.mobile_phone,
              newEmail: row.email,
              newPatientId: id,
              newFirstName: 'Quillon',
              newLastName: 'Vantragesh',
              newPatientEmail: 'quillon.vantragesh@example.org',
            });
          },
          insured: (t) => {
            const row = t.rows.find((r) => r.insured_id === target.insuredId)!;
            row.subscriber_id_num = 'ZQ7781200';
            change.newSubscriberId = row.subscriber_id_num;
            t.rows.find((r) => r.insured_id === target.other.insuredId)!.subscriber_id_num = 'ZQ5550123';
            Object.assign(change, { memberIdPatientId: target.other.patientId, newMemberId: 'ZQ5550123' });
          },
          appt: (t) => {
            const template = t.rows.find((r) => r.patient_id === target.patientId) ?? t.rows.find((r) => r.patient_id)!;
            const first = nextId(t, 'appointment_id');
            const appt = (id: number, patientId: string) => ({
              ...template,
              appointment_id: String(id),
              patient_id: patientId,
              patient_name: '',
              patient_phone: '',
              appointment_date: '2026-12-15',
              start_hour: '9',
              start_minute: '30',
              status_id: '1',
              note: '',
              created_date: at.slice(0, 10),
              automodifiedtimestamp: at,
            });
            t.rows.push(appt(first, change.newPatientId!), appt(first + 1, target.patientId));
            change.newAppointmentIds = [String(first), String(first + 1)];
          },
        });
        return change as SourceChange;
      },
      async ({ alive, deltaHandle }) => {
        // A re-export caught half-written: patient.csv has a new row, manifest.json does not count it yet. The poll
        // that reads it fails on the row count and is retried; the window stays open, and once the manifest is
        // written the next attempt picks the patient up.
        const patients = await readCsvTable(extract, 'patient');
        const id = String(nextId(patients, 'patient_id'));
        patients.rows.push({
          ...patients.rows[0]!,
          patient_id: id,
          chart_num: `MID${id}`,
          first_name: 'Odalric',
          last_name: 'Fennimore',
          guar_id: id,
          fam_pos: '1',
          email: '',
          prim_insured_id: '',
          sec_insured_id: '',
          automodifiedtimestamp: dentrixTimestamp(),
        });
        await writeCsvTable(extract, 'patient', patients);
        const failed = await waitFor('a delta poll to fail on the half-written export and be retried', async () => {
          alive();
          const pending = (await deltaHandle.describe()).raw.pendingActivities ?? [];
          const poll = pending.find((a) => a.activityType?.name === 'deltaPoll' && (a.attempt ?? 1) >= 2);
          return poll?.lastFailure?.message ?? undefined;
        });
        expect(failed).toContain('patient');
        await syncManifestCounts(extract, { patient: patients.rows.length });
        const created = await waitFor('the retried poll to create the patient', async () => {
          alive();
          const { rows } = await h.db.pool.query<{ state: string }>(
            "SELECT state FROM id_map WHERE migration_id = $1 AND object_type = 'person' AND source_key = $2 AND run_kind = 'delta'",
            ['delta-folder', `patient:${id}`],
          );
          // `pending` is the §5.1 marker while the create is in flight: wait for the create to settle.
          return rows[0]?.state === 'pending' ? undefined : rows[0]?.state;
        });
        expect(created).toBe('created');
        return 1;
      },
    );
  });

  it('SQL mirror: a Canadian practice (every amount in CAD) with its documents in a folder beside it, read only; polls read by watermark; rows changed with UPDATE ... automodifiedtimestamp = now() and new rows INSERTed are picked up and applied once, a change that does not move the stamp is not read; a poll failing on a missing table does not hold up cutover; rolled back', async () => {
    const schema = 'dentrix_mirror';
    const folder = path.join(h.dataDir, 'delta-sql-documents');
    // A Canadian practice: every amount must reach Pipedrive in CAD (the account's default currency is USD).
    await generatePracticeToSql({ profile: 'demo', seed: 12, patients: PATIENTS, connectionString: h.db.url, schema, documentsDir: folder, currency: 'CAD' });
    expect(fs.readdirSync(folder).length).toBeGreaterThan(0);
    // The sandbox's users are the practice's providers, read from the mirror. No admin API, as on a real account: the
    // rollback is proven on the fingerprint the public API lists.
    const sandbox = await sandboxFor({ kind: 'sql', connectionString: h.db.url, schema, documentsDir: folder }, { adminApi: false });
    sandboxes.push(sandbox);

    /** The mirror's rows: the migration reads them, never writes them (only this test changes them, in the window). */
    const mirrorDigest = async () =>
      (
        await h.db.pool.query<{ digest: string }>(
          `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (
             SELECT p::text AS t FROM ${schema}.patient p UNION ALL SELECT a::text FROM ${schema}.appt a UNION ALL SELECT d::text FROM ${schema}.document d) x`,
        )
      ).rows[0]!.digest;
    const mirrorBefore = await mirrorDigest();
    /** A migrated patient whose e-mail changes without its automodifiedtimestamp moving (not how Dentrix writes). */
    let unstamped: { patientId: string; oldEmail: string; newEmail: string } | undefined;
    await runDeltaWindow(
      h,
      sandbox,
      'delta-sql',
      // Document files live beside a SQL mirror, not in it: the source names their folder.
      { kind: 'sql', connectionString: h.db.url, schema, documentsDir: folder },
      async (target) => {
        // The full run is done: the mirror as the generator left it, the documents uploaded, every amount in CAD.
        expect(await mirrorDigest()).toBe(mirrorBefore);
        const { rows: files } = await h.db.pool.query<{ state: string; n: number }>(
          "SELECT state, count(*)::int AS n FROM id_map WHERE migration_id = 'delta-sql' AND object_type = 'file' GROUP BY 1 ORDER BY 1",
        );
        expect(files.find((f) => f.state === 'created')?.n).toBeGreaterThan(0);
        expect(files.filter((f) => f.state === 'rejected')).toEqual([]);
        const listed = async <T>(route: string) =>
          ((await (await fetch(new URL(`${route}?limit=500`, sandbox.url), { headers: { 'x-api-token': SANDBOX_DEFAULT_TOKEN } })).json()) as { data: T[] })
            .data;
        const deals = await listed<{ currency: string }>('/api/v2/deals');
        expect(deals.length).toBeGreaterThan(10);
        expect(new Set(deals.map((d) => d.currency))).toEqual(new Set(['CAD']));
        const products = await listed<{ prices: { currency: string }[] }>('/api/v2/products');
        expect(new Set(products.flatMap((p) => p.prices.map((x) => x.currency)))).toEqual(new Set(['CAD']));

        const pg = new PgClient({ connectionString: h.db.url });
        await pg.connect();
        try {
          const s = pg.escapeIdentifier(schema);
          // Dentrix stamps rows in the practice's wall-clock time, which is how the reader compares them.
          const { rows: zone } = await h.db.pool.query<{ timezone: string }>("SELECT timezone FROM migration_runs WHERE migration_id = 'delta-sql'");
          await pg.query(`SET TIME ZONE ${pg.escapeLiteral(zone[0]!.timezone)}`);
          // A third migrated patient with an e-mail: the one stamped longest ago (far outside the watermark's overlap).
          const { rows: quiet } = await h.db.pool.query<{ patientId: string; oldEmail: string }>(
            `SELECT p.source_key AS "patientId", p.data->>'email' AS "oldEmail" FROM staged_rows p
           JOIN id_map m ON m.migration_id = p.migration_id AND m.object_type = 'person' AND m.source_key = 'patient:' || p.source_key AND m.state = 'created'
           WHERE p.migration_id = 'delta-sql' AND p.source_table = 'patient' AND p.data->>'email' IS NOT NULL AND NOT (p.source_key = ANY($1::text[]))
             AND p.data->>'automodifiedtimestamp' IS NOT NULL
           ORDER BY p.data->>'automodifiedtimestamp', p.row_seq LIMIT 1`,
            [[target.patientId, target.other.patientId]],
          );
          unstamped = { ...quiet[0]!, newEmail: 'not.stamped@example.org' };
          await pg.query('BEGIN');
          await pg.query(`UPDATE ${s}.patient SET email = $2 WHERE patient_id = $1`, [unstamped.patientId, unstamped.newEmail]);
          await pg.query(`UPDATE ${s}.patient SET mobile_phone = $2, email = $3, automodifiedtimestamp = now() WHERE patient_id = $1`, [
            target.patientId,
            '(720) 555-0143',
            'changed.during.cutover@example.org',
          ]);
          await pg.query(`UPDATE ${s}.insured SET subscriber_id_num = $2 WHERE insured_id = $1`, [target.insuredId, 'ZQ7781200']);
          await pg.query(`UPDATE ${s}.insured SET subscriber_id_num = $2 WHERE insured_id = $1`, [target.other.insuredId, 'ZQ5550123']);
          const { rows: ids } = await pg.query<{ patient: string; appt: string }>(
            `SELECT (SELECT max(patient_id) + 1 FROM ${s}.patient)::text AS patient, (SELECT max(appointment_id) + 1 FROM ${s}.appt)::text AS appt`,
          );
          const newPatientId = ids[0]!.patient;
          const firstAppt = Number(ids[0]!.appt);
          await pg.query(
            `INSERT INTO ${s}.patient (patient_id, patient_guid, chart_num, first_name, last_name, status, gender, birth_date, email, mobile_phone,
             address_line1, city, state, zipcode, guar_id, fam_pos, pri_provider_id, privacy_flags, automodifiedtimestamp)
           SELECT $1::int, '7D3C0B7E-5B8B-4B57-9D0E-0C7A4A1E2F02', 'NEW' || $1::text, 'Quillon', 'Vantragesh', status, gender, birth_date,
             'quillon.vantragesh@example.org', '(720) 555-0177', address_line1, city, state, zipcode, $1::int, 1, pri_provider_id, 0, now()
           FROM ${s}.patient WHERE patient_id = $2::int`,
            [newPatientId, target.patientId],
          );
          for (const [id, patientId] of [
            [firstAppt, newPatientId],
            [firstAppt + 1, target.patientId],
          ] as const) {
            await pg.query(
              `INSERT INTO ${s}.appt (appointment_id, patient_id, appointment_date, start_hour, start_minute, length_minutes, provider_id,
               operatory_id, status_id, appt_type, reason, created_date, automodifiedtimestamp)
             SELECT $1, $2, DATE '2026-12-15', 9, 30, length_minutes, provider_id, operatory_id, 1, appt_type, reason, current_date, now()
             FROM ${s}.appt WHERE patient_id IS NOT NULL ORDER BY appointment_id LIMIT 1`,
              [id, patientId],
            );
          }
          await pg.query('COMMIT');
          return {
            changedPatientId: target.patientId,
            newPhone: '(720) 555-0143',
            newEmail: 'changed.during.cutover@example.org',
            newSubscriberId: 'ZQ7781200',
            newPatientId,
            newFirstName: 'Quillon',
            newLastName: 'Vantragesh',
            newPatientEmail: 'quillon.vantragesh@example.org',
            newAppointmentIds: [String(firstAppt), String(firstAppt + 1)],
            memberIdPatientId: target.other.patientId,
            newMemberId: 'ZQ5550123',
          };
        } catch (err) {
          await pg.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          await pg.end();
        }
      },
      async ({ alive, deltaHandle }) => {
        // Every poll after the first read the change-cursor tables by watermark, the others in full.
        const polls = await deltaPollResults(deltaHandle);
        const tableRows = async (table: string) => (await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0]!.n;
        const patients = await tableRows('patient');
        const ledgerRows = await tableRows('ledger');
        expect(polls.length).toBeGreaterThanOrEqual(4);
        expect({ readByCursor: polls[0]!.readByCursor, patient: polls[0]!.rowsRead!.patient }).toEqual({ readByCursor: [], patient: patients - 1 });
        for (const [i, poll] of polls.slice(1).entries()) {
          expect({ poll: i + 2, readByCursor: [...poll.readByCursor!].sort() }).toEqual({ poll: i + 2, readByCursor: [...CURSOR_TABLES].sort() });
          expect({ poll: i + 2, ledgerReadInFull: poll.rowsRead!.ledger }).toEqual({ poll: i + 2, ledgerReadInFull: ledgerRows });
          // Only rows stamped since the watermark (minus the overlap): a handful, never the table.
          expect(poll.rowsRead!.patient).toBeLessThan(patients / 4);
        }
        // The quiet polls after the pick-up re-read exactly the two patients stamped by the change (inside the overlap,
        // unchanged, so nothing to apply), and not the unstamped one.
        expect(polls.slice(-2).map((p) => p.rowsRead!.patient)).toEqual([2, 2]);
        // By design a change whose stamp did not move is never read: staged and Pipedrive keep the old e-mail.
        const { rows: stagedEmail } = await h.db.pool.query<{ email: string }>(
          "SELECT data->>'email' AS email FROM staged_rows WHERE migration_id = 'delta-sql' AND source_table = 'patient' AND source_key = $1",
          [unstamped!.patientId],
        );
        expect(stagedEmail[0]!.email).toBe(unstamped!.oldEmail);
        const { rows: person } = await h.db.pool.query<{ pipedrive_id: string }>(
          "SELECT pipedrive_id FROM id_map WHERE migration_id = 'delta-sql' AND object_type = 'person' AND source_key = $1",
          [`patient:${unstamped!.patientId}`],
        );
        const api = new PipedriveClient({ baseUrl: sandbox.url, apiToken: SANDBOX_DEFAULT_TOKEN, plan: 'ultimate', burstLimit: 1000 });
        const emails = (await api.get<{ emails: { value: string }[] }>('persons', Number(person[0]!.pipedrive_id)))!.emails.map((e) => e.value);
        expect(emails).toContain(unstamped!.oldEmail);
        expect(emails).not.toContain(unstamped!.newEmail);
        // Watermarks are kept per table in the store, beside the poll's own.
        const { rows: marks } = await h.db.pool.query<{ source_table: string }>(
          "SELECT source_table FROM delta_watermarks WHERE migration_id = 'delta-sql' ORDER BY 1",
        );
        expect(marks.map((m) => m.source_table)).toEqual(['*', ...CURSOR_TABLES].sort());

        // The mirror loses its patient table (a refresh mid-way, say): polls fail and are retried, the window stays
        // open, and cutover does not wait for the source to come back.
        const pg = new PgClient({ connectionString: h.db.url });
        await pg.connect();
        try {
          await pg.query(`ALTER TABLE ${pg.escapeIdentifier(schema)}.patient RENAME TO patient_refreshing`);
        } finally {
          await pg.end();
        }
        const failed = await waitFor('a delta poll to fail on the missing table and be retried', async () => {
          alive();
          const pending = (await deltaHandle.describe()).raw.pendingActivities ?? [];
          return pending.find((a) => a.activityType?.name === 'deltaPoll' && (a.attempt ?? 1) >= 2)?.lastFailure?.message ?? undefined;
        });
        expect(failed).toContain('patient');
        return 0;
      },
    );
  });
});

/**
 * One migration through its delta window: waits for the first poll, changes the source between two polls, checks the
 * pick-up and that it is applied once, that quiet polls write nothing, then cuts over and rolls back.
 */
async function runDeltaWindow(
  h: Harness,
  sandbox: RunningSandbox,
  migrationId: string,
  source: SourceSpec,
  apply: ApplyChange,
  /** Runs after the quiet polls, before cutover; returns how many more records it had the window create. */
  beforeCutover?: (window: WindowControl) => Promise<number>,
): Promise<void> {
  const pool = h.db.pool;
  // The sandbox's own state (ground truth, in process), and the fingerprint the product takes of the account: the
  // sandbox's when its admin API answers, else the public API's listing (a real account's way).
  const fingerprintBefore = sandbox.fingerprint();
  const api = new PipedriveClient({ baseUrl: sandbox.url, apiToken: SANDBOX_DEFAULT_TOKEN, plan: 'ultimate', burstLimit: 1000 });
  const adminApi = (await fetch(new URL('/_sandbox/fingerprint', sandbox.url))).ok;
  const productBefore = adminApi ? fingerprintBefore : await apiListingFingerprint(api);
  await startMigration(h.env, pool, h.client, {
    migrationId,
    source,
    pipedriveBaseUrl: sandbox.url,
    options: parseMigrationOptions(OPTIONS),
  });
  let driveError: unknown;
  const driving = driveMigration(h.client, migrationId, { by: 'delta-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
  driving.catch((err: unknown) => (driveError = err));
  const alive = () => {
    if (driveError) throw new WaitAborted(`the migration ended early: ${describeError(driveError)}`);
  };
  try {
    await checkWindow();
  } catch (err) {
    // Leave nothing running behind a failed test (the delta child is cancelled with its parent).
    await h.client.workflow
      .getHandle(migrationWorkflowId(migrationId))
      .terminate('test failed')
      .catch(() => undefined);
    await driving.catch(() => undefined);
    throw err;
  }

  async function checkWindow(): Promise<void> {
    const deltaHandle = h.client.workflow.getHandle(`${migrationWorkflowId(migrationId)}-delta`);
    const progress = () => deltaHandle.query<DeltaProgress>('deltaProgress');
    const watermarkAt = async (): Promise<string | undefined> => {
      const { rows } = await pool.query<{ at: Date }>("SELECT updated_at AS at FROM delta_watermarks WHERE migration_id = $1 AND source_table = '*'", [
        migrationId,
      ]);
      return rows[0]?.at.toISOString();
    };

    // The first poll has read the source (its watermark is written once the source is staged and planned).
    const firstWatermark = await waitFor('the first delta poll', async () => (alive(), await watermarkAt()), { timeoutMs: 4 * 60_000 });
    const target = await changeTarget(pool, migrationId);
    const writesBefore = await auditCounts(pool, migrationId);

    // Change the source right after a poll has finished reading it, so no poll reads a half-written change.
    await waitFor('a delta poll to finish reading the source', async () => (alive(), (await watermarkAt()) !== firstWatermark));
    const change = await apply(target);
    const changedAt = Date.now();
    const pollsAtChange = (await progress()).polls;

    const newPersonKey = `patient:${change.newPatientId}`;
    const changedPersonKey = `patient:${change.changedPatientId}`;
    const memberIdPersonKey = `patient:${change.memberIdPatientId}`;
    const newActivityKeys = change.newAppointmentIds.map((id) => `appt:${id}`);
    // The pick-up: the poll that started after the change has run its loads (the one after it has begun).
    await waitFor('a delta poll to pick up the change and load it', async () => (alive(), (await progress()).polls >= pollsAtChange + 2), {
      timeoutMs: 90_000,
    });
    const pickedUpAfterMs =
      (await firstWrite(pool, migrationId, [newPersonKey, changedPersonKey, memberIdPersonKey, ...newActivityKeys], changedAt)) - changedAt;

    // Created once each: the new person and both new activities; nothing else was created by the window.
    const deltaCreates = await pool.query<{ object_type: string; source_key: string; n: number }>(
      `SELECT object_type, source_key, count(*)::int AS n FROM audit_log
       WHERE migration_id = $1 AND action = 'create' AND at >= to_timestamp($2 / 1000.0) GROUP BY 1, 2 ORDER BY 1, 2`,
      [migrationId, changedAt],
    );
    expect(deltaCreates.rows).toEqual(
      [
        { object_type: 'activity', source_key: newActivityKeys[0], n: 1 },
        { object_type: 'activity', source_key: newActivityKeys[1], n: 1 },
        { object_type: 'person', source_key: newPersonKey, n: 1 },
      ].sort((a, b) => `${a.object_type}${a.source_key}`.localeCompare(`${b.object_type}${b.source_key}`)),
    );
    const ledger = await pool.query<{ object_type: string; source_key: string; state: string; run_kind: string; pipedrive_id: string }>(
      `SELECT object_type, source_key, state, run_kind, pipedrive_id FROM id_map WHERE migration_id = $1 AND source_key = ANY($2::text[])`,
      [migrationId, [newPersonKey, changedPersonKey, memberIdPersonKey, ...newActivityKeys]],
    );
    const ledgerBy = new Map(ledger.rows.map((r) => [`${r.object_type}|${r.source_key}`, r]));
    for (const key of [`person|${newPersonKey}`, `activity|${newActivityKeys[0]}`, `activity|${newActivityKeys[1]}`]) {
      expect({ key, state: ledgerBy.get(key)?.state, runKind: ledgerBy.get(key)?.run_kind }).toEqual({ key, state: 'created', runKind: 'delta' });
    }

    // Updated once: the two changed persons (one through its own row, one through its insurance row only), each with
    // its before-image (the values Pipedrive held before the update) saved first.
    const updates = await pool.query<{ object_type: string; source_key: string; n: number }>(
      `SELECT object_type, source_key, count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND action = 'update' AND object_type = ANY($2::text[])
         AND coalesce(status, 200) < 400 GROUP BY 1, 2 ORDER BY 1, 2`,
      [migrationId, DATA_ENTITIES],
    );
    expect(updates.rows).toEqual([changedPersonKey, memberIdPersonKey].sort().map((key) => ({ object_type: 'person', source_key: key, n: 1 })));
    const changedPerson = ledgerBy.get(`person|${changedPersonKey}`)!;
    const memberIdPerson = ledgerBy.get(`person|${memberIdPersonKey}`)!;
    // Both were created by the full run and updated by the window.
    expect([changedPerson.run_kind, memberIdPerson.run_kind]).toEqual(['full', 'full']);
    const beforeImages = await pool.query<{ object_type: string; pipedrive_id: string; body: Record<string, unknown> }>(
      'SELECT object_type, pipedrive_id, body FROM before_images WHERE migration_id = $1 ORDER BY pipedrive_id::int',
      [migrationId],
    );
    expect(beforeImages.rows.map((r) => `${r.object_type}/${r.pipedrive_id}`)).toEqual(
      [changedPerson.pipedrive_id, memberIdPerson.pipedrive_id].sort((a, b) => Number(a) - Number(b)).map((id) => `person/${id}`),
    );
    const imageOf = (id: string) => JSON.stringify(beforeImages.rows.find((r) => r.pipedrive_id === id)!.body);
    expect(imageOf(changedPerson.pipedrive_id)).toContain(target.oldEmail);
    expect(imageOf(memberIdPerson.pipedrive_id)).not.toContain(change.newMemberId);

    // Pipedrive holds the source's new values.
    const api = new PipedriveClient({ baseUrl: sandbox.url, apiToken: SANDBOX_DEFAULT_TOKEN, plan: 'ultimate', burstLimit: 1000 });
    const subscriberField = await pool.query<{ field_code: string }>(
      "SELECT field_code FROM field_keys WHERE migration_id = $1 AND entity = 'person' AND field_name = 'Insurance Subscriber ID'",
      [migrationId],
    );
    expect(subscriberField.rows).toHaveLength(1);
    type Person = { first_name: string; last_name: string; emails: { value: string }[]; phones: { value: string }[]; custom_fields: Record<string, unknown> };
    const updated = (await api.get<Person>('persons', Number(changedPerson.pipedrive_id)))!;
    const e164 = (raw: string) => {
      const parsed = normalisePhone(raw);
      if (!parsed.ok) throw new Error(`test phone ${raw} is not valid`);
      return parsed.value;
    };
    expect(updated.emails.map((e) => e.value)).toContain(change.newEmail);
    expect(updated.emails.map((e) => e.value)).not.toContain(target.oldEmail);
    expect(updated.phones.map((p) => p.value)).toContain(e164(change.newPhone));
    expect(updated.custom_fields[subscriberField.rows[0]!.field_code]).toBe(change.newSubscriberId);
    const memberIdUpdated = (await api.get<Person>('persons', Number(memberIdPerson.pipedrive_id)))!;
    expect(memberIdUpdated.custom_fields[subscriberField.rows[0]!.field_code]).toBe(change.newMemberId);
    const created = (await api.get<Person>('persons', Number(ledgerBy.get(`person|${newPersonKey}`)!.pipedrive_id)))!;
    expect({ first: created.first_name, last: created.last_name, emails: created.emails.map((e) => e.value) }).toEqual({
      first: change.newFirstName,
      last: change.newLastName,
      emails: [change.newPatientEmail],
    });
    for (const [i, key] of newActivityKeys.entries()) {
      const activity = (await api.get<{ person_id: number; due_date: string }>('activities', Number(ledgerBy.get(`activity|${key}`)!.pipedrive_id)))!;
      const personKey = i === 0 ? newPersonKey : changedPersonKey;
      expect({ key, personId: activity.person_id, dueDate: activity.due_date }).toEqual({
        key,
        personId: Number(ledgerBy.get(`person|${personKey}`)!.pipedrive_id),
        dueDate: '2026-12-15',
      });
    }

    // Applied once: later polls with no further change write nothing (the first of them re-plans the rows the
    // pick-up poll saw change and finds them current).
    const afterPickUp = { writes: await auditCounts(pool, migrationId), fingerprint: sandbox.fingerprint(), progress: await progress() };
    expect(afterPickUp.writes.create - writesBefore.create).toBe(3);
    expect(afterPickUp.writes.update - writesBefore.update).toBe(2);
    expect(afterPickUp.writes.refused).toBe(0);
    await waitFor('two more delta polls', async () => (alive(), (await progress()).polls >= afterPickUp.progress.polls + 2), { timeoutMs: 60_000 });
    const quiet = await progress();
    expect(await auditCounts(pool, migrationId)).toEqual(afterPickUp.writes);
    expect(sandbox.fingerprint()).toBe(afterPickUp.fingerprint);
    expect({ created: quiet.created, updated: quiet.updated }).toEqual({ created: afterPickUp.progress.created, updated: afterPickUp.progress.updated });
    expect({ created: quiet.created, updated: quiet.updated }).toEqual({ created: 3, updated: 2 });

    const moreCreated = beforeCutover ? await beforeCutover({ alive, progress, deltaHandle }) : 0;

    // In-flight claims are reported before cutover: every poll counts them (the window's query and its report), and
    // cutover is refused while any are in flight unless forced.
    // Claims as the Data Quality Report counts them (src/store/claims.ts): one per visit (guarantor, patient, date) with
    // a ledger entry sent or pending, apart from the ledger entries themselves.
    const inFlightRows = async () =>
      (
        await pool.query<{ claims: number; entries: number }>(
          `SELECT count(DISTINCT (data->>'guar_id', data->>'patient_id', data->>'entry_date'))::int AS claims, count(*)::int AS entries
             FROM staged_rows WHERE migration_id = $1 AND source_table = 'ledger' AND lower(btrim(data->>'claim_status')) IN ('sent', 'pending')`,
          [migrationId],
        )
      ).rows[0]!;
    const claimsBefore = await progress();
    const countedBefore = await inFlightRows();
    expect(claimsBefore.inFlightClaims).toBe(countedBefore.claims);
    expect(claimsBefore.inFlightClaims).toBeGreaterThan(0); // the generated practice has claims sent and pending
    const pollReport = JSON.parse(fs.readFileSync(claimsBefore.inFlightClaimsReportPath!, 'utf8')) as { count: number; ledgerEntries: number; asOf: string };
    expect(pollReport).toMatchObject({
      count: claimsBefore.inFlightClaims,
      ledgerEntries: countedBefore.entries,
      asOf: expect.stringMatching(/^delta poll \d+$/),
    });
    const refused = await requestCutover(h.client, pool, migrationId, { by: 'delta-e2e' });
    expect(refused).toMatchObject({ sent: false, inFlightClaims: claimsBefore.inFlightClaims, asOf: 'delta-window' });
    expect(refused.reportPath).toBe(claimsBefore.inFlightClaimsReportPath);
    expect((await deltaHandle.describe()).status.name).toBe('RUNNING'); // the window stays open

    // The claims staged by the last poll (the staging is purged once the migration is DONE).
    const staged = await inFlightRows();
    // Forced cutover closes the window: DONE, with the in-flight claims reported again.
    const cutoverAt = Date.now();
    const forcedReason = 'claims tracked in the billing system until they clear';
    expect((await requestCutover(h.client, pool, migrationId, { by: 'delta-e2e', force: true, reason: forcedReason })).sent).toBe(true);
    const { rows: cutoverRows } = await pool.query<{ note: string }>("SELECT note FROM audit_log WHERE migration_id = $1 AND source_key = 'CUTOVER'", [
      migrationId,
    ]);
    expect(cutoverRows.map((r) => r.note)).toEqual([expect.stringMatching(new RegExp(`^(forced_)?cutover by delta-e2e.*: ${forcedReason}$`, 'u'))]);
    const result: MigrationResult = await driving;
    const cutoverMs = Date.now() - cutoverAt;
    expect(cutoverMs).toBeLessThan(15_000); // not held up by a poll that is waiting for the source
    const status = result.status;
    expect(status.phase).toBe('DONE');
    expect(status.verification!.accuracy).toBe(100);
    expect(status.delta).toMatchObject({ created: 3 + moreCreated, updated: 2 });
    expect(status.delta!.polls).toBeGreaterThanOrEqual(quiet.polls);
    const claimsPath = status.reports.inFlightClaims;
    expect(claimsPath).toBeDefined();
    const claims = JSON.parse(fs.readFileSync(claimsPath!, 'utf8')) as { count: number; total: number };
    expect(claims.count).toBe(staged.claims);
    for (const [type, c] of Object.entries(status.objects)) {
      expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    }

    // Rollback: the window's creations and the full run's go; the account is back to its pre-migration state.
    const rollback = await requestRollback(h.env, h.client, migrationId, { by: 'delta-e2e', reason: 'proving the delta window is reversible' });
    expect(rollback.mode).toBe('started');
    const proof = await rollbackResult(h.client.workflow.getHandle(rollbackWorkflowId(migrationId)));
    expect(status.fingerprints.beforeFirstWrite).toBe(productBefore);
    expect(proof).toMatchObject({ remaining: 0, proven: true, fingerprintBefore: productBefore, fingerprintAfter: productBefore });
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);

    console.log(
      `[delta ${source.kind}] change picked up and written ${pickedUpAfterMs} ms after the source changed ` +
        `(poll every ${OPTIONS.deltaPollSeconds} s); ${status.delta!.polls} polls; created ${status.delta!.created}, updated ${status.delta!.updated}; ` +
        `cutover to DONE in ${cutoverMs} ms`,
    );
  }
}

/**
 * Two existing patients migrated as persons by the full run, each with an e-mail and a primary insured row no other
 * patient shares (so changing that row changes one person only).
 */
async function changeTarget(pool: Harness['db']['pool'], migrationId: string): Promise<ChangeTarget> {
  const { rows } = await pool.query<{ patientId: string; insuredId: string; oldEmail: string }>(
    `SELECT p.source_key AS "patientId", p.data->>'prim_insured_id' AS "insuredId", p.data->>'email' AS "oldEmail"
     FROM staged_rows p JOIN id_map m ON m.migration_id = p.migration_id AND m.object_type = 'person' AND m.source_key = 'patient:' || p.source_key
     WHERE p.migration_id = $1 AND p.source_table = 'patient' AND m.state = 'created' AND p.data->>'email' IS NOT NULL
       AND (SELECT count(*) FROM staged_rows o WHERE o.migration_id = p.migration_id AND o.source_table = 'patient'
              AND p.data->>'prim_insured_id' IN (o.data->>'prim_insured_id', o.data->>'sec_insured_id')) = 1
     ORDER BY p.row_seq LIMIT 2`,
    [migrationId],
  );
  if (rows.length < 2) throw new Error('the generated practice has fewer than two migrated patients with an e-mail and an insured row of their own');
  return { ...rows[0]!, other: { patientId: rows[1]!.patientId, insuredId: rows[1]!.insuredId } };
}

/** Writes to Pipedrive records on the audit log: creates, updates, and writes Pipedrive refused. */
async function auditCounts(pool: Harness['db']['pool'], migrationId: string): Promise<{ create: number; update: number; refused: number }> {
  const { rows } = await pool.query<{ create: number; update: number; refused: number }>(
    `SELECT count(*) FILTER (WHERE action = 'create')::int AS create, count(*) FILTER (WHERE action = 'update' AND coalesce(status, 200) < 400)::int AS update,
       count(*) FILTER (WHERE coalesce(status, 200) >= 400)::int AS refused
     FROM audit_log WHERE migration_id = $1 AND object_type = ANY($2::text[])`,
    [migrationId, DATA_ENTITIES],
  );
  return rows[0]!;
}

/** When the first write for these source keys at or after `since` (ms) happened. */
async function firstWrite(pool: Harness['db']['pool'], migrationId: string, sourceKeys: string[], since: number): Promise<number> {
  const { rows } = await pool.query<{ at: Date | null }>(
    `SELECT min(at) AS at FROM audit_log WHERE migration_id = $1 AND action IN ('create', 'update') AND source_key = ANY($2::text[])
       AND at >= to_timestamp($3 / 1000.0)`,
    [migrationId, sourceKeys, since],
  );
  if (!rows[0]?.at) throw new Error('no write for the changed source rows');
  return rows[0].at.getTime();
}

/** The results of the delta window's polls, in order, from its history (counts only). */
async function deltaPollResults(handle: WorkflowHandle): Promise<DeltaPollResult[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const results: DeltaPollResult[] = [];
  for (const event of history.events ?? []) {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (attrs) scheduled.set(String(event.eventId), attrs.activityType?.name ?? '');
    const done = event.activityTaskCompletedEventAttributes;
    if (done && scheduled.get(String(done.scheduledEventId)) === 'deltaPoll') {
      results.push(defaultPayloadConverter.fromPayload<DeltaPollResult>(done.result!.payloads![0]!));
    }
  }
  return results;
}
