import { readdir } from 'node:fs/promises';
import { DEFAULT_DIRT_RATES, generatePractice, type DirtKind, type DirtRates, type GeneratorTruth } from '@dentrix-pipedrive/practice-generator';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { type AuditedExtract, readCsv, runAudit, stageFolder, tempDirs } from './helpers';
import { inFlightClaims } from '../../../src/store/claims';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('audit_test');
});
afterAll(async () => {
  await db.drop();
});

const keysOf = (truth: GeneratorTruth, kind: keyof DirtRates): string[] => truth.dirt[kind].items.map((i) => i.key).sort();
const sorted = (values: readonly (string | number)[]): string[] => values.map(String).sort();
const htmlEscaped = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Raised rates so a 150-patient demo practice carries several items of every kind of dirt. */
const DIRTY: Partial<DirtRates> = {
  duplicate_patient: 0.06,
  malformed_phone: 0.08,
  malformed_email: 0.1,
  invalid_date: 0.05,
  orphan_appt_provider: 0.01,
  orphan_recall_patient: 0.02,
  dst_appointment: 0.01,
  new_patient_appointment: 0.01,
};

describe.each([
  // At default rates a demo practice may carry none of a rare kind; the raised rates must carry every kind, or the
  // "finds exactly the injected ..." tests below would pass without anything to find.
  { name: 'default dirt rates, ISO dates', seed: 7, dateFormat: 'iso' as const, dirt: {}, minInjectedPerKind: 0 },
  { name: 'raised dirt rates, US dates', seed: 2024, dateFormat: 'us' as const, dirt: DIRTY, minInjectedPerKind: 1 },
])('audit of a generated demo practice ($name)', ({ seed, dateFormat, dirt, minInjectedPerKind }) => {
  const migrationId = `audit-${seed}`;
  let dir: string;
  let truth: GeneratorTruth;
  let audited: AuditedExtract;

  beforeAll(async () => {
    dir = await dirs.make();
    ({ truth } = await generatePractice({ profile: 'demo', seed, outDir: `${dir}/extract`, dateFormat, dirt }));
    await stageFolder(db.pool, migrationId, `${dir}/extract`);
    audited = await runAudit(db.pool, migrationId, { outDir: `${dir}/reports`, now: new Date(`${truth.extract_date}T20:00:00Z`) });
  });

  it('carries the dirt it is audited for: every kind recorded, its items listed, and (raised rates) at least one of each', () => {
    const kinds = Object.keys(DEFAULT_DIRT_RATES) as DirtKind[];
    expect(Object.keys(truth.dirt).sort()).toEqual([...kinds].sort());
    for (const kind of kinds) {
      expect({ kind, items: truth.dirt[kind].items.length }).toEqual({ kind, items: truth.dirt[kind].injected });
    }
    // Names the kinds that fall short, so a failure says which dirt went missing.
    expect(kinds.filter((kind) => truth.dirt[kind].injected < minInjectedPerKind)).toEqual([]);
  });

  it('writes the JSON and HTML reports into outDir', async () => {
    expect(audited.result.reportPath).toBe(`${dir}/reports/data-quality-report.json`);
    expect(audited.result.htmlPath).toBe(`${dir}/reports/data-quality-report.html`);
    expect((await readdir(`${dir}/reports`)).sort()).toEqual(['data-quality-report.html', 'data-quality-report.json']);
    expect(audited.report.migrationId).toBe(migrationId);
    expect(audited.report.practice.timezone).toBe(truth.practice.timezone);
  });

  it('accounts for every row read: read = staged + rejected per table, matching the manifest', () => {
    const { tables, allReconciled, totals } = audited.report.sourceTables;
    expect(allReconciled).toBe(true);
    for (const [table, { rows }] of Object.entries(truth.tables)) {
      const counts = tables.find((t) => t.table === table);
      expect(counts).toMatchObject({ manifestRows: rows, rowsRead: rows, rowsStaged: rows, rowsRejected: 0, rowsInStore: rows, reconciled: true });
    }
    expect(totals.rowsRead).toBe(Object.values(truth.tables).reduce((sum, t) => sum + t.rows, 0));
    expect(audited.result.summary.rowsRead).toBe(totals.rowsRead);
  });

  it('finds exactly the injected duplicate patients, with name and birth date as evidence', () => {
    const found = audited.report.duplicatePatients;
    const expected = truth.dirt.duplicate_patient.items.map((i) => `${i.key}->${i.original_key}`).sort();
    expect(found.pairs.map((p) => `${p.patientId}->${p.duplicateOfPatientId}`).sort()).toEqual(expected);
    expect(found.duplicateRecords).toBe(truth.dirt.duplicate_patient.injected);
    expect(found.patientRecords).toBe(truth.tables.patient!.rows);
    expect(found.rate).toBeCloseTo(truth.dirt.duplicate_patient.injected / truth.tables.patient!.rows, 10);
    for (const pair of found.pairs) {
      expect(pair.matched.slice(0, 2)).toEqual(['name', 'birth_date']);
      expect(pair.matched).toContain('email'); // the generator's duplicates keep their original's email
    }
    expect(audited.result.summary.duplicatePatients).toBe(truth.dirt.duplicate_patient.injected);
  });

  it('does not take family members who share a phone or an email for duplicates', () => {
    expect(truth.facts.families_sharing_phone + truth.facts.families_sharing_email).toBeGreaterThan(0);
    const duplicates = new Set(truth.dirt.duplicate_patient.items.map((i) => i.key));
    expect(audited.report.duplicatePatients.pairs.every((p) => duplicates.has(String(p.patientId)))).toBe(true);
  });

  it('finds exactly the patients without email', () => {
    const found = audited.report.contactQuality.patientsWithoutEmail;
    expect(sorted(found.keys)).toEqual(keysOf(truth, 'patient_without_email'));
    expect(found.count).toBe(truth.dirt.patient_without_email.injected);
  });

  it('finds exactly the malformed emails, telling unusable ones from ones that only need cleaning', () => {
    const emails = audited.report.contactQuality.emails;
    const found = emails.items.filter((i) => i.table === 'patient');
    // A duplicate chart copies its original's email, malformed or not: it carries the same problem.
    const injected = truth.dirt.malformed_email.items.flatMap((item) => [
      item,
      ...truth.dirt.duplicate_patient.items.filter((d) => d.original_key === item.key).map((d) => ({ ...item, key: d.key })),
    ]);
    expect(sorted(found.map((i) => i.key))).toEqual(sorted(injected.map((i) => i.key)));
    const expectedProblem: Record<string, string> = { missing_at: 'invalid', spaces: 'spaces', upper_case: 'upper_case' };
    for (const item of injected) {
      expect(found.find((f) => f.key === item.key)!.problems).toContain(expectedProblem[item.kind!]);
    }
    const unusable = injected.filter((i) => i.kind === 'missing_at').length;
    expect(emails.invalid).toBe(unusable);
    expect(emails.needsCleanup).toBe(injected.length - unusable);
  });

  it('finds exactly the malformed phones with libphonenumber', () => {
    const phones = audited.report.contactQuality.phones;
    const malformed = phones.items.filter((i) => i.problems[0] !== 'not_a_valid_number');
    expect(malformed.map((i) => `${i.table}/${i.key}/${i.column}`).sort()).toEqual(
      truth.dirt.malformed_phone.items.map((i) => `patient/${i.key}/${i.column}`).sort(),
    );
    expect(phones.malformed).toBe(truth.dirt.malformed_phone.injected);
    const expectedProblem: Record<string, string> = { too_few_digits: 'too_short', too_many_digits: 'too_long', letter_for_digit: 'contains_letters' };
    for (const item of truth.dirt.malformed_phone.items) {
      const problem = malformed.find((m) => m.key === item.key && m.column === item.column)!.problems[0];
      expect(problem).toBe(expectedProblem[item.kind!]);
    }
  });

  it('finds exactly the invalid birth dates', () => {
    const invalid = audited.report.dates.invalid;
    expect(invalid.every((g) => g.table === 'patient' && g.column === 'birth_date')).toBe(true);
    expect(sorted(invalid.flatMap((g) => g.rows.keys))).toEqual(keysOf(truth, 'invalid_date'));
    expect(audited.report.dates.invalidTotal).toBe(truth.dirt.invalid_date.injected);
    expect(audited.report.dates.implausibleTotal).toBe(0);
  });

  it('finds exactly the orphan references, and nothing else pointing nowhere', () => {
    const { references, total } = audited.report.orphanReferences;
    const byColumn = new Map(references.map((r) => [`${r.table}.${r.column}`, r]));
    expect([...byColumn.keys()].sort()).toEqual(
      [
        ...(truth.dirt.orphan_appt_provider.injected > 0 ? ['appt.provider_id'] : []),
        ...(truth.dirt.orphan_recall_patient.injected > 0 ? ['recall.patient_id'] : []),
      ].sort(),
    );
    const appt = byColumn.get('appt.provider_id');
    expect(sorted(appt?.rows.keys ?? [])).toEqual(keysOf(truth, 'orphan_appt_provider'));
    expect(appt?.missingKeys.keys.every((id) => truth.facts.deleted_provider_ids.includes(id)) ?? true).toBe(true);
    const recall = byColumn.get('recall.patient_id');
    expect(sorted(recall?.rows.keys ?? [])).toEqual(keysOf(truth, 'orphan_recall_patient'));
    expect(sorted(recall?.missingKeys.keys ?? [])).toEqual(sorted(truth.dirt.orphan_recall_patient.items.map((i) => i.missing_key!)));
    expect(total).toBe(truth.dirt.orphan_appt_provider.injected + truth.dirt.orphan_recall_patient.injected);
  });

  it('finds exactly the appointments at daylight-saving gap and overlap times', () => {
    const dst = audited.report.appointments.dst;
    expect(dst.timezone).toBe(truth.practice.timezone);
    const ofKind = (kind: string): string[] =>
      truth.dirt.dst_appointment.items
        .filter((i) => i.kind === kind)
        .map((i) => i.key)
        .sort();
    expect(sorted(dst.gap.keys)).toEqual(ofKind('gap'));
    expect(sorted(dst.overlap.keys)).toEqual(ofKind('overlap'));
    expect(dst.gap.count + dst.overlap.count).toBe(truth.dirt.dst_appointment.injected);
  });

  it('finds exactly the new-patient appointments without a patient record', () => {
    const found = audited.report.appointments.newPatientWithoutRecord;
    expect(sorted(found.keys)).toEqual(keysOf(truth, 'new_patient_appointment'));
    expect(found.withName).toBe(found.count);
    expect(found.withPhone).toBe(found.count);
  });

  it('counts in-flight claims, non-patient guarantors and households as the generator made them', () => {
    expect(audited.report.inFlightClaims.claims).toBe(truth.facts.in_flight_claims);
    expect(Object.keys(audited.report.inFlightClaims.byStatus).sort()).toEqual(truth.facts.in_flight_claims > 0 ? ['pending', 'sent'] : []);
    expect(audited.report.inFlightClaims.byGuarantor.reduce((sum, g) => sum + g.claims, 0)).toBe(truth.facts.in_flight_claims);
    const persons = audited.report.targetObjects.persons;
    expect(persons.nonPatientGuarantors).toBe(truth.facts.non_patient_guarantors);
    expect(persons.newPatientBookings).toBe(truth.dirt.new_patient_appointment.injected);
    // Each duplicate chart was entered as a family of its own.
    expect(audited.report.targetObjects.organizations.families).toBe(truth.facts.families + truth.dirt.duplicate_patient.injected);
  });

  it('counts in-flight claims as the delta window and cutover do, and names claims and ledger entries apart', async () => {
    const window = await inFlightClaims(db.pool, migrationId);
    const c = audited.report.inFlightClaims;
    expect({ claims: window.count, ledgerEntries: window.ledgerEntries }).toEqual({ claims: c.claims, ledgerEntries: c.ledgerEntries });
    expect(audited.html).toContain(`${c.claims.toLocaleString('en-US')} (${c.ledgerEntries.toLocaleString('en-US')} ledger entries)`);
  });

  it('counts target objects from the staged rows', async () => {
    const t = audited.report.targetObjects;
    const documents = await readCsv(`${dir}/extract`, 'document');
    const imaging = documents.filter((d) => ['xray', 'intraoral_photo', 'cbct', 'pano'].includes(d.doc_type!));
    expect(t.files.nonImagingDocuments).toBe(documents.length - imaging.length);
    expect(t.files.imagingDocumentsAsLinks).toBe(imaging.length);
    expect(audited.report.documents.imaging.bytes).toBe(imaging.reduce((sum, d) => sum + Number(d.size_bytes), 0));
    const procedures = await readCsv(`${dir}/extract`, 'procedure');
    expect(t.dealProducts.planProcedures).toBe(procedures.filter((p) => p.txcase_id !== '').length);
    expect(t.activities.total).toBe(truth.tables.appt!.rows + truth.tables.recall!.rows);
    expect(t.deals.total).toBe(truth.tables.txcase!.rows);
    expect(t.products.total).toBe(truth.tables.proccode!.rows);
    expect(t.persons.total).toBe(truth.tables.patient!.rows + truth.dirt.new_patient_appointment.injected);
    const patients = await readCsv(`${dir}/extract`, 'patient');
    const members = new Map<string, number>();
    for (const p of patients) members.set(p.guar_id!, (members.get(p.guar_id!) ?? 0) + 1);
    expect(t.organizations.households).toBe([...members.values()].filter((n) => n >= 2).length);
    const notes = await readCsv(`${dir}/extract`, 'clinical_note');
    const lengths = notes.map((n) => [...n.note_text!].length);
    expect(audited.report.clinicalNotes.notes).toBe(notes.length);
    expect(audited.report.clinicalNotes.totalCharacters).toBe(lengths.reduce((a, b) => a + b, 0));
    expect(audited.report.clinicalNotes.longestCharacters).toBe(Math.max(...lengths));
  });

  it('lists the PHI fields for compliance review from the mapping layer, with how many rows carry each', () => {
    const { source, fields } = audited.report.phiFields;
    expect(source).toBe('mapping');
    const byField = new Map(fields.map((f) => [f.field, f]));
    for (const field of ['patient.birth_date', 'patient.ssn', 'insured.subscriber_id_num', 'medical_alert.description', 'clinical_note.note_text']) {
      expect(byField.get(field)?.mappingRules.length).toBeGreaterThan(0);
    }
    expect(byField.get('patient.birth_date')!.rowsWithValue).toBe(truth.tables.patient!.rows - truth.dirt.invalid_date.injected);
    expect(byField.get('clinical_note.note_text')!.rowsWithValue).toBe(truth.tables.clinical_note!.rows);
    expect(byField.get('patient.ssn')!.mappingRules[0]!.classification).toBe('never');
  });

  it('keeps PHI out of both report files and the summary', async () => {
    const patients = await readCsv(`${dir}/extract`, 'patient');
    const phi: string[] = [];
    for (const p of patients) {
      phi.push(`${p.first_name} ${p.last_name}`, `${p.last_name}, ${p.first_name}`);
      for (const value of [p.birth_date, p.ssn, p.email, p.mobile_phone, p.home_phone, p.work_phone]) if (value) phi.push(value.trim());
      if (p.birth_date && dateFormat === 'us' && /^\d\d\/\d\d\/\d{4}$/.test(p.birth_date)) {
        const [month, day, year] = p.birth_date.split('/');
        phi.push(`${year}-${month}-${day}`); // the staged (ISO) form
      }
    }
    for (const note of await readCsv(`${dir}/extract`, 'clinical_note'))
      phi.push(note.note_text!, ...note.note_text!.split(/\r?\n/).filter((line) => line.length >= 12));
    for (const alert of await readCsv(`${dir}/extract`, 'medical_alert')) phi.push(alert.description!);
    for (const insured of await readCsv(`${dir}/extract`, 'insured')) phi.push(insured.subscriber_id_num!);
    for (const appt of await readCsv(`${dir}/extract`, 'appt')) if (appt.patient_name) phi.push(appt.patient_name);
    expect(phi.length).toBeGreaterThan(500);

    const documents = { json: audited.json, html: audited.html, summary: JSON.stringify(audited.result.summary) };
    for (const [name, text] of Object.entries(documents)) {
      const leaked = [...new Set(phi)].filter((value) => [value, JSON.stringify(value).slice(1, -1), htmlEscaped(value)].some((form) => text.includes(form)));
      expect({ name, leaked }).toEqual({ name, leaked: [] });
    }
    expect(Object.values(audited.result.summary).every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  });

  it('renders a self-contained HTML page with the headline numbers', () => {
    const { html, report } = audited;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|https?:\/\//i);
    expect(html).toContain(`${report.duplicatePatients.duplicateRecords} duplicate records`);
    expect(html).toContain('Orphan references');
  });
});
