import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { DateTime } from 'luxon';
import { PNG } from 'pngjs';
import { openExtract, resolveDocumentFile } from '../../../src/dentrix';
import { generatePractice, type GeneratorTruth, TRUTH_FILE } from '@dentrix-pipedrive/practice-generator';
import type { DentrixRowByTable, DentrixTable, RowIssue } from '../../../src/dentrix/types';
import { readAll, tempDirs } from './helpers';

const dirs = tempDirs();

async function filesOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(
      path.relative(dir, full),
      createHash('sha256')
        .update(await readFile(full))
        .digest('hex'),
    );
  }
  return out;
}

async function readTables(dir: string) {
  const reader = await openExtract({ kind: 'folder', path: dir });
  const data = {} as { [T in DentrixTable]: DentrixRowByTable[T][] };
  const warnings: RowIssue[] = [];
  for (const table of await reader.tables()) {
    const { results, error } = await readAll(reader, table);
    expect(error).toBeUndefined();
    expect(results.every((r) => r.kind === 'row')).toBe(true); // the generator's dirt is never an unreadable row
    (data as Record<string, unknown[]>)[table] = results.flatMap((r) => (r.kind === 'row' ? [r.row] : []));
    warnings.push(...results.flatMap((r) => (r.kind === 'row' ? r.warnings : [])));
  }
  return { data, warnings, manifest: await reader.manifest() };
}

const keysOf = (truth: GeneratorTruth, kind: keyof GeneratorTruth['dirt']): string[] => truth.dirt[kind].items.map((i) => i.key).sort();
const sorted = (values: (string | number)[]): string[] => values.map(String).sort();

describe('synthetic practice generator', () => {
  it('is deterministic: the same seed gives the same bytes, another seed another practice', async () => {
    const base = await dirs.make();
    // A third of the demo practice (its documents and images included): determinism does not depend on the size.
    await generatePractice({ profile: 'demo', seed: 11, patients: 60, outDir: `${base}/a` });
    await generatePractice({ profile: 'demo', seed: 11, patients: 60, outDir: `${base}/b` });
    await generatePractice({ profile: 'demo', seed: 12, patients: 60, outDir: `${base}/c` });
    const [a, b, c] = await Promise.all([filesOf(`${base}/a`), filesOf(`${base}/b`), filesOf(`${base}/c`)]);
    expect(a.size).toBeGreaterThan(40);
    expect(b).toEqual(a);
    expect(c.get('patient.csv')).not.toBe(a.get('patient.csv'));
  });

  it('refuses to overwrite a folder it did not write', async () => {
    const dir = await dirs.make();
    await generatePractice({ profile: 'demo', seed: 1, outDir: dir, patients: 5 }); // empty folder: fine, and now it is ours
    await generatePractice({ profile: 'demo', seed: 1, outDir: dir, patients: 5 });
    await expect(generatePractice({ profile: 'demo', seed: 1, outDir: path.dirname(dir) })).rejects.toThrow('refusing to overwrite it');
  });

  describe('a practice with dirt at known rates', () => {
    const rates = {
      duplicate_patient: 0.05,
      patient_without_email: 0.1,
      malformed_phone: 0.06,
      malformed_email: 0.08,
      invalid_date: 0.04,
      orphan_appt_provider: 0.01,
      orphan_recall_patient: 0.02,
      dst_appointment: 0.005,
      new_patient_appointment: 0.01,
    };
    let dir: string;
    let truth: GeneratorTruth;
    let extract: Awaited<ReturnType<typeof readTables>>;

    beforeAll(async () => {
      dir = await dirs.make();
      ({ truth } = await generatePractice({ profile: 'small', patients: 400, seed: 2024, outDir: dir, dateFormat: 'us', dirt: rates }));
      extract = await readTables(dir);
    });

    it('writes the truth beside the extract and injects each kind at its configured rate', async () => {
      expect(JSON.parse(await readFile(path.join(dir, TRUTH_FILE), 'utf8'))).toEqual(truth);
      for (const [kind, rate] of Object.entries(rates) as [keyof typeof rates, number][]) {
        const record = truth.dirt[kind];
        expect(record.rate).toBe(rate);
        expect(record.items).toHaveLength(record.injected);
        expect(record.injected).toBeGreaterThan(0);
        expect(Math.abs(record.injected - rate * record.population)).toBeLessThanOrEqual(2);
      }
      expect(truth.practice.timezone).toMatch(/^America\//);
      expect(extract.manifest.tables.patient!.rows).toBe(extract.data.patient.length);
    });

    it('invalid birth dates are exactly the ones the reader flags', () => {
      const flagged = extract.warnings.filter((w) => w.table === 'patient' && w.column === 'birth_date').map((w) => w.key!);
      expect(flagged.sort()).toEqual(keysOf(truth, 'invalid_date'));
      expect(new Set(truth.dirt.invalid_date.items.map((i) => i.kind))).toEqual(new Set(['zero_date', 'impossible_date']));
    });

    it('duplicate patients are the same person twice, under another id', () => {
      const byIdentity = new Map<string, number[]>();
      for (const p of extract.data.patient) {
        if (p.birth_date === null) continue;
        const identity = `${p.first_name}|${p.last_name}|${p.birth_date}`;
        byIdentity.set(identity, [...(byIdentity.get(identity) ?? []), p.patient_id]);
      }
      const pairs = [...byIdentity.values()].filter((ids) => ids.length > 1).map((ids) => ids.map(String).sort().join('+'));
      const expected = truth.dirt.duplicate_patient.items.map((i) => [i.original_key!, i.key].sort().join('+'));
      expect(pairs.sort()).toEqual(expected.sort());
    });

    it('patients without email, malformed emails and malformed phones are exactly the injected ones', () => {
      const duplicateOf = new Map(truth.dirt.duplicate_patient.items.map((i) => [i.key, i.original_key!]));
      const original = (id: number): string => duplicateOf.get(String(id)) ?? String(id);
      const originals = extract.data.patient.filter((p) => !duplicateOf.has(String(p.patient_id)));

      expect(sorted(originals.filter((p) => p.email === null).map((p) => p.patient_id))).toEqual(keysOf(truth, 'patient_without_email'));
      // Duplicates copy their original's email.
      for (const p of extract.data.patient) {
        const source = extract.data.patient.find((q) => String(q.patient_id) === original(p.patient_id))!;
        expect(p.email).toBe(source.email);
      }

      const validEmail = /^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
      const badEmails = originals.filter((p) => p.email !== null && !validEmail.test(p.email)).map((p) => p.patient_id);
      expect(sorted(badEmails)).toEqual(keysOf(truth, 'malformed_email'));
      expect(new Set(truth.dirt.malformed_email.items.map((i) => i.kind))).toEqual(new Set(['spaces', 'upper_case', 'missing_at']));

      const validPhone = (phone: string): boolean => {
        const bare = phone.replace(/\s*x\d+$/i, '');
        if (/[a-z]/i.test(bare)) return false;
        const digits = bare.replace(/\D/g, '');
        return digits.length === 10 || (digits.length === 11 && digits.startsWith('1'));
      };
      const badPhones = originals.flatMap((p) =>
        (['mobile_phone', 'home_phone', 'work_phone'] as const).filter((c) => p[c] !== null && !validPhone(p[c])).map((c) => `${p.patient_id}/${c}`),
      );
      expect(badPhones.sort()).toEqual(truth.dirt.malformed_phone.items.map((i) => `${i.key}/${i.column}`).sort());
      // Families share phones and emails: a dedupe by contact alone would merge different people.
      expect(truth.facts.families_sharing_phone).toBeGreaterThan(0);
      expect(truth.facts.families_sharing_email).toBeGreaterThan(0);
    });

    it('orphan references point at rows that do not exist, and only the injected ones do', () => {
      const providers = new Set(extract.data.provider.map((p) => p.provider_id));
      const patients = new Set(extract.data.patient.map((p) => p.patient_id));
      const orphanAppts = extract.data.appt.filter((a) => a.provider_id !== null && !providers.has(a.provider_id));
      expect(sorted(orphanAppts.map((a) => a.appointment_id))).toEqual(keysOf(truth, 'orphan_appt_provider'));
      expect(new Set(orphanAppts.map((a) => a.provider_id))).toEqual(
        new Set(truth.facts.deleted_provider_ids.filter((id) => orphanAppts.some((a) => a.provider_id === id))),
      );
      const orphanRecalls = extract.data.recall.filter((r) => !patients.has(r.patient_id!));
      expect(sorted(orphanRecalls.map((r) => r.recall_id))).toEqual(keysOf(truth, 'orphan_recall_patient'));
    });

    it('new-patient bookings have a name and phone but no patient record', () => {
      const withoutPatient = extract.data.appt.filter((a) => a.patient_id === null);
      expect(sorted(withoutPatient.map((a) => a.appointment_id))).toEqual(keysOf(truth, 'new_patient_appointment'));
      expect(withoutPatient.every((a) => a.patient_name && a.patient_phone && a.appt_type === 'New Patient')).toBe(true);
    });

    it('DST appointments are booked at local times the practice zone skips or repeats', () => {
      const zone = truth.practice.timezone;
      const appts = new Map(extract.data.appt.map((a) => [String(a.appointment_id), a]));
      const kinds = new Set<string>();
      for (const item of truth.dirt.dst_appointment.items) {
        const appt = appts.get(item.key)!;
        const [year, month, day] = appt.appointment_date!.split('-').map(Number) as [number, number, number];
        const local = DateTime.fromObject({ year, month, day, hour: appt.start_hour!, minute: appt.start_minute! }, { zone });
        if (item.kind === 'gap')
          expect(local.hour).not.toBe(appt.start_hour); // luxon moves a non-existent time forward
        // an hour away in absolute time is the same wall-clock hour: the hour happens twice
        else expect([local.plus({ hours: 1 }).hour, local.minus({ hours: 1 }).hour]).toContain(appt.start_hour);
        kinds.add(item.kind!);
      }
      expect(kinds).toEqual(new Set(['gap', 'overlap']));
    });

    it('writes real, small document files whose size and sha256 match their rows', async () => {
      expect(extract.data.document.length).toBeGreaterThan(10);
      const types = new Set<string>();
      for (const doc of extract.data.document) {
        const bytes = await readFile(resolveDocumentFile(dir, doc.file_path!));
        expect(bytes.length).toBe(doc.size_bytes);
        expect(bytes.length).toBeGreaterThan(200);
        expect(bytes.length).toBeLessThan(8 * 1024);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(doc.sha256);
        if (doc.file_path!.endsWith('.jpg')) expect(decodeJpeg(bytes).width).toBeGreaterThan(0);
        else if (doc.file_path!.endsWith('.png')) expect(PNG.sync.read(bytes).width).toBeGreaterThan(0);
        else {
          const text = bytes.toString('latin1');
          expect(text.startsWith('%PDF-1.4')).toBe(true);
          const xref = Number(/startxref\n(\d+)/.exec(text)![1]);
          expect(text.slice(xref, xref + 4)).toBe('xref');
          expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
        }
        types.add(doc.doc_type!);
      }
      expect(types.has('xray') && types.has('consent_form')).toBe(true);
      expect(new Set(extract.data.document.map((d) => d.file_path)).size).toBe(extract.data.document.length);
    });

    it('looks like a dental practice: providers, CDT codes, recall defaults, statuses, ledgers, alerts, notes, names', () => {
      const { data } = extract;
      const domain = data.provider[0]!.email!.split('@')[1];
      expect(data.provider.every((p) => /^[A-Z]{2,4}\d{1,2}$/.test(p.provider_id) && p.email!.endsWith(`@${domain}`))).toBe(true);
      expect(data.provider.map((p) => p.title)).toEqual(expect.arrayContaining(['RDH']));
      expect(data.provider.some((p) => p.title === 'DDS' || p.title === 'DMD')).toBe(true);
      expect(data.provider.map((p) => p.provider_type)).toEqual(expect.arrayContaining(['dentist', 'hygienist', 'specialist']));
      expect(data.proccode.every((c) => /^D\d{4}$/.test(c.ada_code!))).toBe(true);
      expect(data.proccode.length).toBeGreaterThanOrEqual(30);
      expect(data.recalltype.map((t) => [t.name, t.interval_months, t.interval_days])).toEqual(
        expect.arrayContaining([
          ['Prophy', 6, 1],
          ['Perio', 4, 1],
          ['Bitewings', 12, 1],
          ['FMX', 36, 1],
          ['Pano', 36, 1],
          ['Exam', 6, 1],
        ]),
      );
      expect(data.appt_status.map((s) => s.description)).toEqual(['Scheduled', 'Confirmed', 'Complete', 'Broken', 'Cancelled', 'Late']);
      const future = data.appt.filter((a) => a.appointment_date! > truth.extract_date);
      expect(future.length).toBeGreaterThan(0);
      expect(new Set(future.map((a) => a.status_id))).toEqual(new Set([1, 2]));
      expect(data.patient.some((p) => p.status === 2 && p.guar_id === p.patient_id)).toBe(true);
      expect(data.insured.length).toBeGreaterThan(0);
      expect(data.recall.some((r) => r.due_date === null && r.prior_date !== null)).toBe(true);
      expect(data.ledger.some((l) => l.txcase_id === null && l.entry_type === 'patient_payment')).toBe(true);
      expect(data.ledger.some((l) => l.claim_status === 'sent' || l.claim_status === 'pending')).toBe(true);
      expect(new Set(data.medical_alert.map((a) => a.alert_type))).toEqual(new Set(['allergy', 'condition', 'medication', 'premedication']));
      const notes = data.clinical_note.map((n) => n.note_text!);
      expect(notes.some((n) => n.includes('\n') && n.includes('"') && n.includes(',') && /[^ -~\s]/.test(n))).toBe(true);
      expect(notes.some((n) => n.length > 1500)).toBe(true);
      const names = data.patient.map((p) => `${p.first_name} ${p.last_name}`);
      expect(names.some((n) => n.includes("'"))).toBe(true);
      expect(names.some((n) => /[^ -~\s]/.test(n))).toBe(true);
    });
  });
});
