import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { openExtract } from '../../../src/dentrix';
import { generatePractice, type GeneratorTruth } from '@dentrix-pipedrive/practice-generator';
import { countExtractObjects, estimateFromExtract, estimatePlan, type ObjectCounts } from '../../../src/plan';
import { SAMPLE_KEEP, selectSamplePatients } from '../../../src/activities/sample-selection';
import type { SamplePatient } from '../../../src/plan/counts';
import { editExtract } from '../../support/extract-edit';

let dir: string;
let truth: GeneratorTruth;
let counts: ObjectCounts;

const csv = async (table: string): Promise<Record<string, string>[]> =>
  parse<Record<string, string>>(await readFile(path.join(dir, `${table}.csv`)), { columns: true, bom: true });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'plan-test-'));
  ({ truth } = await generatePractice({ profile: 'demo', seed: 31, outDir: dir }));
  const reader = await openExtract({ kind: 'folder', path: dir });
  try {
    counts = await countExtractObjects(reader);
  } finally {
    await reader.close();
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('counting an extract for the plan', () => {
  it('counts a review file for each record with a value longer than any field of it holds, and none for a generated practice', async () => {
    expect(counts.reviewFiles ?? 0).toBe(0);
    const edited = await mkdtemp(path.join(tmpdir(), 'plan-review-files-'));
    try {
      await cp(dir, edited, { recursive: true });
      await editExtract(edited, {
        patient: (t) => {
          t.rows[0]!.preferred_name = 'x'.repeat(70_000);
          t.rows[1]!.preferred_name = 'x'.repeat(60_000); // its rest fits the review field
        },
        // A note holds 100 KB: 70,000 characters fit, 120,000 do not.
        clinical_note: (t) => {
          t.rows[0]!.note_text = 'y'.repeat(70_000);
          t.rows[1]!.note_text = 'y'.repeat(120_000);
        },
      });
      const reader = await openExtract({ kind: 'folder', path: edited });
      try {
        expect((await countExtractObjects(reader)).reviewFiles).toBe(2);
      } finally {
        await reader.close();
      }
    } finally {
      await rm(edited, { recursive: true, force: true });
    }
  });

  it('counts each target object from its table', async () => {
    const rows = (table: keyof GeneratorTruth['tables']): number => truth.tables[table]!.rows;
    expect(counts).toMatchObject({
      persons: rows('patient'),
      employers: rows('employer'),
      referralSources: rows('referral'),
      carriers: rows('inscarrier'),
      products: rows('proccode'),
      deals: rows('txcase'),
      appointments: rows('appt'),
      recalls: rows('recall'),
      notes: rows('clinical_note'),
      providers: rows('provider'),
      newPatientPersons: truth.dirt.new_patient_appointment.injected,
    });
    const documents = await csv('document');
    const imaging = documents.filter((d) => ['xray', 'intraoral_photo', 'cbct', 'pano'].includes(d.doc_type!)).length;
    expect(counts.imagingDocuments).toBe(imaging);
    expect(counts.files).toBe(documents.length - imaging);
  });

  it('counts households and the products of each plan', async () => {
    const members = new Map<string, number>();
    for (const p of await csv('patient')) members.set(p.guar_id!, (members.get(p.guar_id!) ?? 0) + 1);
    expect(counts.households).toBe([...members.values()].filter((n) => n >= 2).length);

    const perPlan = new Map<string, number>();
    for (const p of await csv('procedure')) if (p.txcase_id) perPlan.set(p.txcase_id, (perPlan.get(p.txcase_id) ?? 0) + 1);
    expect(counts.dealProducts).toBe([...perPlan.values()].reduce((a, b) => a + b, 0));
    const histogram: Record<string, number> = {};
    for (const n of perPlan.values()) histogram[n] = (histogram[n] ?? 0) + 1;
    expect(counts.dealProductsPerDeal).toEqual(histogram);
  });

  it("takes the sample the SAMPLE phase would choose: its own selection over the extract's patients", () => {
    expect(counts.patients).toHaveLength(counts.persons);
    const chosen = selectSamplePatients(counts.patients!, 300) as SamplePatient[];
    const e = estimatePlan(counts, { plan: 'growth', seats: 5, sampleSize: 300 });
    const bookings = Math.min(counts.newPatientPersons, SAMPLE_KEEP.newPatientBookings);
    expect(e.sampleRecords.persons).toBe(chosen.length + bookings);
    expect(e.sampleRecords.deals).toBe(chosen.reduce((n, p) => n + p.plans.length, 0));
    // Whole families: every chosen patient's family is in the sample.
    const families = new Set(chosen.map((p) => p.guarantorId ?? p.patientId));
    expect(counts.patients!.filter((p) => families.has(p.guarantorId ?? p.patientId)).length).toBe(chosen.length);
    // The full run loads the rest.
    const full = estimatePlan(counts, { plan: 'growth', seats: 5, sampleSize: 300 }).phases.find((p) => p.phase === 'full')!;
    const personCreates = full.operations.find((o) => o.method === 'POST' && o.path === '/persons')!.requests;
    expect(personCreates).toBe(e.records.persons - e.sampleRecords.persons);
    // Work items in staging order, one per row of each driving table (documents include imaging).
    expect(counts.workItems!.activities).toHaveLength(counts.appointments + counts.recalls);
    expect(counts.workItems!.files).toHaveLength(counts.files + counts.imagingDocuments);
    expect(counts.workItems!.persons).toHaveLength(counts.persons + counts.newPatientPersons);
  });

  it('estimates straight from an extract folder', async () => {
    const options = { plan: 'growth' as const, seats: 5, sampleSize: 300 };
    expect(await estimateFromExtract({ kind: 'folder', path: dir }, options)).toEqual(estimatePlan(counts, options));
  });
});
