import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { auditMigration } from '../../../src/audit';
import { generatePractice, type GeneratorTruth } from '@dentrix-pipedrive/practice-generator';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { type AuditedExtract, readCsv, runAudit, stageFolder, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('audit_edge');
});
afterAll(async () => {
  await db.drop();
});

describe('an extract with rejected rows, a missing optional table and implausible dates', () => {
  const migrationId = 'audit-broken';
  let dir: string;
  let truth: GeneratorTruth;
  let patients: Record<string, string>[];
  let audited: AuditedExtract;

  beforeAll(async () => {
    dir = await dirs.make();
    const extract = path.join(dir, 'extract');
    ({ truth } = await generatePractice({ profile: 'demo', seed: 99, patients: 30, outDir: extract }));
    patients = await readCsv(extract, 'patient');
    // Two bad rows: a second row with an existing key, and a row with too few fields.
    await appendFile(path.join(extract, 'patient.csv'), stringify([Object.values(patients[0]!)], { record_delimiter: '\r\n' }) + '900001,Only,Three\r\n');
    // The employer table was not extracted: the references to it cannot be resolved.
    await rm(path.join(extract, 'employer.csv'));
    const manifestPath = path.join(extract, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.tables.patient.rows += 2;
    delete manifest.tables.employer;
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    await stageFolder(db.pool, migrationId, extract);

    // Dates the reader accepts but that cannot be right.
    await db.pool.query(
      `UPDATE staged_rows SET data = jsonb_set(data, '{birth_date}', to_jsonb($3::text))
        WHERE migration_id = $1 AND source_table = 'patient' AND source_key = $2`,
      [migrationId, patients[1]!.patient_id, '2031-05-01'],
    );
    await db.pool.query(
      `UPDATE staged_rows SET data = jsonb_set(data, '{birth_date}', to_jsonb($3::text))
        WHERE migration_id = $1 AND source_table = 'patient' AND source_key = $2`,
      [migrationId, patients[2]!.patient_id, '1890-01-01'],
    );
    audited = await runAudit(db.pool, migrationId, { outDir: path.join(dir, 'reports'), now: new Date(`${truth.extract_date}T20:00:00Z`) });
  });

  it('reports the rejected rows: read = staged + rejected, with the readers’ reasons', () => {
    const patient = audited.report.sourceTables.tables.find((t) => t.table === 'patient')!;
    expect(patient).toMatchObject({
      rowsRead: patients.length + 2,
      rowsStaged: patients.length,
      rowsRejected: 2,
      rowsInStore: patients.length,
      reconciled: true,
    });
    const rejected = audited.report.sourceIssues.filter((i) => i.table === 'patient' && i.severity === 'rejected');
    expect(rejected.map((i) => i.reason).sort()).toEqual(['duplicate primary key: an earlier row has the same key', 'record has 3 fields, the header has 33']);
    expect(audited.result.summary.rowsRejected).toBe(2);
    expect(audited.result.summary.tablesNotReconciled).toBe(0);
    expect(audited.report.sourceTables.tables.some((t) => t.table === 'employer')).toBe(false);
  });

  it('flags a table whose staged rows disagree with what staging counted', async () => {
    await db.pool.query(
      "DELETE FROM staged_rows WHERE migration_id = $1 AND source_table = 'recall' AND source_key = (SELECT min(source_key) FROM staged_rows WHERE migration_id = $1 AND source_table = 'recall')",
      [migrationId],
    );
    const again = await runAudit(db.pool, migrationId, { outDir: path.join(dir, 'reports-after-loss'), now: new Date(`${truth.extract_date}T20:00:00Z`) });
    const recall = again.report.sourceTables.tables.find((t) => t.table === 'recall')!;
    expect(recall.rowsInStore).toBe(recall.rowsStaged - 1);
    expect(recall.reconciled).toBe(false);
    expect(again.report.sourceTables.allReconciled).toBe(false);
    expect(again.result.summary.tablesNotReconciled).toBe(1);
  });

  it('reports every employer reference as an orphan of an absent table', () => {
    const employerRefs = patients.filter((p) => p.employer_id !== '');
    expect(employerRefs.length).toBeGreaterThan(0);
    const orphan = audited.report.orphanReferences.references.find((r) => r.table === 'patient' && r.column === 'employer_id')!;
    expect(orphan.referencedTablePresent).toBe(false);
    expect(orphan.rows.count).toBe(employerRefs.length);
    expect(orphan.missingKeys.count).toBe(new Set(employerRefs.map((p) => p.employer_id)).size);
    expect(audited.report.targetObjects.organizations.employers).toBe(0);
  });

  it('finds readable dates that cannot be right', () => {
    const groups = audited.report.dates.implausible.map((g) => ({ column: `${g.table}.${g.column}`, rule: g.rule, keys: g.rows.keys }));
    expect(groups).toEqual([
      { column: 'patient.birth_date', rule: 'in_the_future', keys: [patients[1]!.patient_id] },
      { column: 'patient.birth_date', rule: 'more_than_120_years_ago', keys: [patients[2]!.patient_id] },
    ]);
    expect(audited.result.summary.invalidDates).toBe(truth.dirt.invalid_date.injected + 2);
  });

  it('caps long lists at maxListed but keeps the counts whole', async () => {
    const capped = await runAudit(db.pool, migrationId, {
      outDir: path.join(dir, 'reports-capped'),
      maxListed: 1,
      now: new Date(`${truth.extract_date}T20:00:00Z`),
    });
    const orphan = capped.report.orphanReferences.references.find((r) => r.column === 'employer_id')!;
    expect(orphan.rows.keys).toHaveLength(1);
    expect(orphan.rows.truncated).toBe(true);
    expect(orphan.rows.count).toBe(patients.filter((p) => p.employer_id !== '').length);
    const phoneItems = capped.report.contactQuality.phones.items;
    expect(phoneItems.filter((i) => i.problems[0] === 'not_a_valid_number').length).toBeLessThanOrEqual(1);
    expect(phoneItems.filter((i) => i.problems[0] !== 'not_a_valid_number').length).toBeLessThanOrEqual(1);
    expect(capped.report.inFlightClaims.byGuarantor.length).toBeLessThanOrEqual(1);
  });

  it('reviews the PHI fields the operator names instead of the mapping list', async () => {
    const custom = await runAudit(db.pool, migrationId, {
      outDir: path.join(dir, 'reports-phi'),
      phiFields: ['patient.ssn', 'appt.note'],
      now: new Date(`${truth.extract_date}T20:00:00Z`),
    });
    expect(custom.report.phiFields.source).toBe('option');
    expect(custom.report.phiFields.fields.map((f) => f.field)).toEqual(['patient.ssn', 'appt.note']);
    const ssn = custom.report.phiFields.fields[0]!;
    expect(ssn.rowsWithValue).toBe(patients.filter((p) => p.ssn !== '').length);
    expect(ssn.mappingRules.map((r) => r.ruleId)).toEqual(['patient.ssn']);
    expect(custom.result.summary.phiFields).toBe(2);
  });
});

describe('audit refusals', () => {
  it('refuses a migration that does not exist, or has nothing staged, naming it', async () => {
    const outDir = await dirs.make();
    await expect(auditMigration(db.pool, 'no-such-migration', { outDir })).rejects.toThrow('migration_runs has no row for migration no-such-migration');
    await db.pool.query("INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ('not-extracted', '{}', 'http://127.0.0.1:1')");
    await expect(auditMigration(db.pool, 'not-extracted', { outDir })).rejects.toThrow('nothing is staged for migration not-extracted');
  });

  it('refuses options it cannot honour before touching the database', async () => {
    const outDir = await dirs.make();
    await expect(auditMigration(db.pool, 'x', { outDir, phiFields: ['patient.ssn', 'patient.shoe_size'] })).rejects.toThrow('patient.shoe_size');
    await expect(auditMigration(db.pool, 'x', { outDir, phoneRegion: 'XX' })).rejects.toThrow('phoneRegion "XX"');
    await expect(auditMigration(db.pool, 'x', { outDir, maxListed: -1 })).rejects.toThrow('maxListed');
  });

  it('reports a missing practice time zone instead of guessing one for the DST check', async () => {
    const dir = await dirs.make();
    await generatePractice({ profile: 'demo', seed: 5, patients: 10, outDir: dir });
    await stageFolder(db.pool, 'no-zone', dir);
    await db.pool.query("UPDATE migration_runs SET timezone = NULL WHERE migration_id = 'no-zone'");
    const { report } = await runAudit(db.pool, 'no-zone', { outDir: path.join(dir, 'reports') });
    expect(report.appointments.dst).toMatchObject({ timezone: null, checked: 0, note: 'the practice time zone is not known yet: not checked' });
  });
});

describe('values the map will keep for review', () => {
  const migrationId = 'audit-for-review';
  let audited: AuditedExtract;
  let patients: Record<string, string>[];

  beforeAll(async () => {
    const dir = await dirs.make();
    const extract = path.join(dir, 'extract');
    const { truth } = await generatePractice({ profile: 'demo', seed: 5, patients: 20, outDir: extract, dirt: { malformed_email: 0, malformed_phone: 0 } });
    patients = await readCsv(extract, 'patient');
    await stageFolder(db.pool, migrationId, extract);
    // An internationalized address (an address: it moves), a refused one, a malformed phone, a 300-character preferred
    // name and a clinical note over Pipedrive's 100,000-character note limit.
    const set = (key: string, column: string, value: string, table = 'patient') =>
      db.pool.query(
        `UPDATE staged_rows SET data = jsonb_set(data, ARRAY[$4::text], to_jsonb($3::text))
          WHERE migration_id = $1 AND source_table = $5 AND source_key = $2`,
        [migrationId, key, value, column, table],
      );
    await set(patients[0]!.patient_id!, 'email', 'zoë.ng@example.com');
    await set(patients[1]!.patient_id!, 'email', 'zoe.ng@');
    await set(patients[2]!.patient_id!, 'mobile_phone', '555-01');
    await set(patients[3]!.patient_id!, 'preferred_name', 'N'.repeat(300));
    const note = (await readCsv(extract, 'clinical_note'))[0]!;
    await set(note.note_id!, 'note_text', 'word '.repeat(25_000), 'clinical_note');
    // A birth date the reader could not read: null in the row, kept as typed (row.unreadable).
    await db.pool.query(
      `UPDATE staged_rows SET data = jsonb_set(jsonb_set(data, '{birth_date}', 'null'), '{unreadable}', '{"birth_date": "31.02.1985"}')
        WHERE migration_id = $1 AND source_table = 'patient' AND source_key = $2`,
      [migrationId, patients[4]!.patient_id!],
    );
    audited = await runAudit(db.pool, migrationId, { outDir: path.join(dir, 'reports'), now: new Date(`${truth.extract_date}T20:00:00Z`) });
  });

  it('counts them by column, target field and kind, and sums them in the summary', () => {
    expect(audited.report.valuesForReview.byField).toEqual([
      { table: 'patient', column: 'email', target: 'person emails', kind: 'refused', values: 1 },
      { table: 'patient', column: 'mobile_phone', target: 'person phones', kind: 'refused', values: 1 },
      { table: 'patient', column: 'birth_date', target: 'person custom:Birth Date', kind: 'refused', values: 1 },
      { table: 'patient', column: 'preferred_name', target: 'person custom:Preferred Name', kind: 'shortened', limit: 255, values: 1 },
      { table: 'clinical_note', column: 'note_text', target: 'note content', kind: 'shortened', limit: 100_000, values: 1 },
    ]);
    expect(audited.result.summary.valuesForReview).toBe(5);
    expect(audited.html).toContain('Values kept for review');
  });
});
