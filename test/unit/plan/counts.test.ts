import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { openExtract } from '../../../src/dentrix';
import { generatePractice, type GeneratorTruth } from '@dentrix-pipedrive/practice-generator';
import { countExtractObjects, estimateFromExtract, estimatePlan, type ObjectCounts } from '../../../src/plan';

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

  it('estimates straight from an extract folder', async () => {
    const options = { plan: 'growth' as const, seats: 5, sampleSize: 300 };
    expect(await estimateFromExtract({ kind: 'folder', path: dir }, options)).toEqual(estimatePlan(counts, options));
  });
});
