import { ACTIVE_PLAN_STATUSES, SAMPLE_KEEP, sampleRecordsOf, type PatientFeatures } from '../activities/sample-selection';
import type { ExtractReader } from '../dentrix/extract-reader';
import { type DentrixRowByTable, type DentrixTable, IMAGING_DOCUMENT_TYPES } from '../dentrix/types';
import { LIMITS } from '../mapping/transforms/text';
import { RECORD_KINDS } from '../mapping/types';

/**
 * A patient as the sample's selection weighs it (sample-selection.ts), with what choosing it brings into the sample
 * besides its person (src/store/sample-members.ts): the records its family's organization and its links point at,
 * its plans with their procedures' codes, and the part of its history the sample keeps.
 */
export interface SamplePatient extends PatientFeatures {
  employerId: number | null;
  referralId: number | null;
  /** Insurance carriers of its primary and secondary insurance. */
  carrierIds: number[];
  /** Its treatment plans: the procedure codes of each plan's procedures. */
  plans: number[][];
  /** Recalls and the kept appointments. */
  activities: number;
  notes: number;
  /** Non-imaging documents among the ones the sample keeps (imaging never uploads). */
  files: number;
  /** Documents the sample keeps, imaging included (work items of the sample's files). */
  documents: number;
}

/**
 * One work item of a run, in staging order (the order the loads batch them in): what it belongs to, so the plan can
 * tell the sample's records among the full run's. `keptIfChosen` false: a history row the sample leaves out even of a
 * chosen patient; `skipped`: a work item that never becomes a record (imaging).
 */
export interface WorkItemTag {
  of: 'patient' | 'family' | 'employer' | 'referral' | 'carrier' | 'code' | 'booking';
  id: number;
  keptIfChosen?: boolean;
  skipped?: boolean;
}

/**
 * How many Pipedrive records an extract becomes, per kind: the input of the plan estimator. Only rows the reader
 * accepted count (rejected rows never move).
 */
export interface ObjectCounts {
  /** Organizations: families with at least two members (household), employers, referral sources, insurance carriers. */
  households: number;
  employers: number;
  referralSources: number;
  carriers: number;
  /** Products: CDT procedure codes. */
  products: number;
  /** Persons: patient records, non-patient guarantors included. */
  persons: number;
  /** New-patient bookings without a patient record: a minimal person each unless the map skips them. */
  newPatientPersons: number;
  /** Deals: treatment plans. */
  deals: number;
  /** Deal products: procedures that belong to a treatment plan. */
  dealProducts: number;
  /** How many deals have n products, keyed by n: bulk or single attach is chosen per deal. */
  dealProductsPerDeal: Record<string, number>;
  /** Activities. */
  appointments: number;
  recalls: number;
  /** Notes: clinical notes (they move only if the practice's compliance review approves them). */
  notes: number;
  /** Files: non-imaging documents (PHI documents too: only if approved). */
  files: number;
  /** Imaging stays in the practice's archive: counted, never uploaded. */
  imagingDocuments: number;
  /** Providers resolve to existing Pipedrive users: read, never created. */
  providers: number;
  /**
   * Review files: records with a value longer than any field of theirs holds (65,000 characters; a note's 100 KB),
   * counted from the records' own rows: each gets a file of its values needing review (src/engine/review-files.ts).
   * Absent in counts made by hand: none.
   */
  reviewFiles?: number;
  /** Every patient as the sample's selection sees it; absent, the plan takes a proportional sample. */
  patients?: SamplePatient[];
  /** Each target object's work items in staging order (with `patients`). */
  workItems?: Partial<Record<'organizations' | 'products' | 'persons' | 'deals' | 'dealProducts' | 'activities' | 'notes' | 'files', WorkItemTag[]>>;
}

export const EMPTY_COUNTS: ObjectCounts = {
  households: 0,
  employers: 0,
  referralSources: 0,
  carriers: 0,
  products: 0,
  persons: 0,
  newPatientPersons: 0,
  deals: 0,
  dealProducts: 0,
  dealProductsPerDeal: {},
  appointments: 0,
  recalls: 0,
  notes: 0,
  files: 0,
  imagingDocuments: 0,
  providers: 0,
  reviewFiles: 0,
};

/** The tables whose rows drive records (providers and insured rows do not): a value longer than their fields hold means a review file. */
const RECORD_TABLES = new Set<DentrixTable>(Object.values(RECORD_KINDS).map((k) => k.table));

/** Whether a row holds a value longer than any field of its record: a note's 100 KB content, else a long-text field. */
function overflowsItsRecord(table: DentrixTable, row: object): boolean {
  const longest =
    table === RECORD_KINDS.clinical_note.table
      ? (v: string) => Buffer.byteLength(v, 'utf8') > LIMITS.noteBytes
      : (v: string) => v.length > LIMITS.longTextChars;
  return Object.values(row).some((v) => typeof v === 'string' && v.length > LIMITS.longTextChars && longest(v));
}

const IMAGING = new Set<string>(IMAGING_DOCUMENT_TYPES);

/** Streams one table's accepted rows (rejected rows never move) to a counter. */
async function forEachRow<T extends DentrixTable>(reader: ExtractReader, table: T, onRow: (row: DentrixRowByTable[T]) => void): Promise<void> {
  for await (const result of reader.readTable(table)) {
    if (result.kind === 'row') onRow(result.row);
  }
}

/**
 * Counts what an opened extract (`openExtract` from src/dentrix) becomes in Pipedrive, reading each table it needs
 * once, streamed: memory holds one counter per family and per treatment plan, never the rows. Tables that become
 * fields rather than records (ledger, alerts, insured…) are not read. The caller closes the reader. A table whose
 * row count disagrees with the manifest throws the reader's error.
 */
export async function countExtractObjects(reader: ExtractReader, today: string = new Date().toISOString().slice(0, 10)): Promise<ObjectCounts> {
  const counts: ObjectCounts = { ...EMPTY_COUNTS, dealProductsPerDeal: {} };
  const present = new Set(await reader.tables());
  const count = async <T extends DentrixTable>(table: T, onRow: (row: DentrixRowByTable[T]) => void): Promise<void> => {
    if (!present.has(table)) return;
    const records = RECORD_TABLES.has(table);
    await forEachRow(reader, table, (row) => {
      if (records && overflowsItsRecord(table, row)) counts.reviewFiles = (counts.reviewFiles ?? 0) + 1;
      onRow(row);
    });
  };

  await count('provider', () => (counts.providers += 1));
  const familySizes = new Map<number, number>();
  // Per patient, what the sample's selection weighs (the counts its store query takes from staging).
  interface Patient {
    guarantorId: number | null;
    insuredIds: number[];
    employerId: number | null;
    referralId: number | null;
    recallTypes: Set<number>;
    recalls: number;
    plans: Map<number, number[]>;
    activePlans: number;
    planProcedures: number;
    pastAppointments: number;
    futureAppointments: number;
    notes: number;
    documents: number;
    keptFiles: number;
  }
  const patients = new Map<number, Patient>();
  const items = { organizations: [] as WorkItemTag[], products: [] as WorkItemTag[], persons: [] as WorkItemTag[], deals: [] as WorkItemTag[] };
  const work = { dealProducts: [] as WorkItemTag[], appts: [] as WorkItemTag[], recalls: [] as WorkItemTag[], bookings: [] as WorkItemTag[] };
  const notes: WorkItemTag[] = [];
  const files: WorkItemTag[] = [];
  // Per patient, its appointments and notes with their dates: the sample keeps the latest (and the next visit).
  const dated = new Map<number, { past: [string, WorkItemTag][]; future: [string, WorkItemTag][]; notes: [string, WorkItemTag][] }>();
  const datedOf = (id: number) => dated.get(id) ?? dated.set(id, { past: [], future: [], notes: [] }).get(id)!;
  await count('patient', (row) => {
    items.persons.push({ of: 'patient', id: row.patient_id });
    if (row.guar_id === row.patient_id) items.organizations.push({ of: 'family', id: row.patient_id });
    counts.persons += 1;
    const family = row.guar_id ?? row.patient_id; // no guarantor: a family of one
    familySizes.set(family, (familySizes.get(family) ?? 0) + 1);
    patients.set(row.patient_id, {
      guarantorId: row.guar_id,
      insuredIds: [row.prim_insured_id, row.sec_insured_id].filter((id): id is number => id !== null),
      employerId: row.employer_id,
      referralId: row.referred_by_id,
      recallTypes: new Set(),
      recalls: 0,
      plans: new Map(),
      activePlans: 0,
      planProcedures: 0,
      pastAppointments: 0,
      futureAppointments: 0,
      notes: 0,
      documents: 0,
      keptFiles: 0,
    });
  });
  const of = (patientId: number | null): Patient | undefined => (patientId === null ? undefined : patients.get(patientId));
  counts.households = [...familySizes.values()].filter((members) => members >= 2).length;
  await count('employer', (row) => {
    counts.employers += 1;
    items.organizations.push({ of: 'employer', id: row.employer_id });
  });
  await count('referral', (row) => {
    counts.referralSources += 1;
    items.organizations.push({ of: 'referral', id: row.referral_id });
  });
  await count('inscarrier', (row) => {
    counts.carriers += 1;
    items.organizations.push({ of: 'carrier', id: row.ins_id });
  });
  const carrierOfInsured = new Map<number, number>();
  await count('insured', (row) => {
    if (row.ins_plan_id !== null) carrierOfInsured.set(row.insured_id, row.ins_plan_id);
  });
  await count('proccode', (row) => {
    counts.products += 1;
    items.products.push({ of: 'code', id: row.proccode_id });
  });
  const active = new Set(ACTIVE_PLAN_STATUSES);
  await count('txcase', (row) => {
    counts.deals += 1;
    items.deals.push({ of: 'patient', id: row.patient_id ?? -1 });
    const p = of(row.patient_id);
    if (!p) return;
    p.plans.set(row.txcase_id, []);
    if (row.status !== null && active.has(row.status)) p.activePlans += 1;
  });
  const productsPerDeal = new Map<number, number>();
  await count('procedure', (row) => {
    if (row.txcase_id === null) return;
    counts.dealProducts += 1;
    work.dealProducts.push({ of: 'patient', id: row.patient_id ?? -1 });
    productsPerDeal.set(row.txcase_id, (productsPerDeal.get(row.txcase_id) ?? 0) + 1);
    const p = of(row.patient_id);
    if (!p) return;
    p.planProcedures += 1;
    const plan = p.plans.get(row.txcase_id) ?? [];
    plan.push(row.proccode_id ?? -1);
    p.plans.set(row.txcase_id, plan);
  });
  for (const n of productsPerDeal.values()) counts.dealProductsPerDeal[n] = (counts.dealProductsPerDeal[n] ?? 0) + 1;
  await count('appt', (row) => {
    counts.appointments += 1;
    if (row.patient_id === null) {
      work.bookings.push({ of: 'booking', id: counts.newPatientPersons });
      counts.newPatientPersons += 1;
    }
    const tag: WorkItemTag = { of: row.patient_id === null ? 'booking' : 'patient', id: row.patient_id ?? counts.newPatientPersons - 1, keptIfChosen: false };
    work.appts.push(tag);
    const p = of(row.patient_id);
    if (!p || row.appointment_date === null) return;
    if (row.appointment_date < today) {
      p.pastAppointments += 1;
      datedOf(row.patient_id!).past.push([row.appointment_date, tag]);
    } else {
      p.futureAppointments += 1;
      datedOf(row.patient_id!).future.push([row.appointment_date, tag]);
    }
  });
  await count('recall', (row) => {
    counts.recalls += 1;
    work.recalls.push({ of: 'patient', id: row.patient_id ?? -1 });
    const p = of(row.patient_id);
    if (!p) return;
    p.recalls += 1;
    if (row.recall_type_id !== null) p.recallTypes.add(row.recall_type_id);
  });
  await count('clinical_note', (row) => {
    counts.notes += 1;
    const tag: WorkItemTag = { of: 'patient', id: row.patient_id ?? -1, keptIfChosen: false };
    notes.push(tag);
    const p = of(row.patient_id);
    if (!p) return;
    p.notes += 1;
    datedOf(row.patient_id!).notes.push([row.note_date ?? '', tag]);
  });
  await count('document', (row) => {
    const docType = row.doc_type?.trim().toLowerCase();
    const imaging = docType !== undefined && IMAGING.has(docType);
    if (imaging) counts.imagingDocuments += 1;
    else counts.files += 1;
    const p = of(row.patient_id);
    const tag: WorkItemTag = {
      of: 'patient',
      id: row.patient_id ?? -1,
      keptIfChosen: p !== undefined && p.documents < SAMPLE_KEEP.documents,
      skipped: imaging,
    };
    files.push(tag);
    if (!p) return;
    // The sample keeps a patient's first documents (in extract order); imaging among them never uploads.
    if (p.documents < SAMPLE_KEEP.documents && !imaging) p.keptFiles += 1;
    p.documents += 1;
  });
  // The appointments and notes the sample keeps of a chosen patient: the latest visits, the next one, the latest notes.
  const keep = (rows: [string, WorkItemTag][], n: number, latestFirst: boolean) =>
    rows
      .sort((a, b) => (latestFirst ? b[0].localeCompare(a[0]) : a[0].localeCompare(b[0])))
      .slice(0, n)
      .forEach(([, tag]) => (tag.keptIfChosen = true));
  for (const d of dated.values()) {
    keep(d.past, SAMPLE_KEEP.pastAppointments, true);
    keep(d.future, SAMPLE_KEEP.futureAppointments, false);
    keep(d.notes, SAMPLE_KEEP.notes, true);
  }
  for (const tag of work.appts) if (tag.of === 'booking') tag.keptIfChosen = true;
  counts.workItems = {
    ...items,
    persons: [...items.persons, ...work.bookings],
    dealProducts: work.dealProducts,
    activities: [...work.appts, ...work.recalls],
    notes,
    files,
  };

  const members = new Map<number, number>();
  for (const p of patients.values()) if (p.guarantorId !== null) members.set(p.guarantorId, (members.get(p.guarantorId) ?? 0) + 1);
  counts.patients = [...patients.entries()].map(([patientId, p]) => ({
    patientId,
    guarantorId: p.guarantorId,
    familySize: p.guarantorId === null ? 1 : (members.get(p.guarantorId) ?? 1),
    recallTypes: [...p.recallTypes],
    activePlans: p.activePlans,
    pastAppointments: p.pastAppointments,
    futureAppointments: p.futureAppointments,
    records: sampleRecordsOf({
      recalls: p.recalls,
      plans: p.plans.size,
      planProcedures: p.planProcedures,
      pastAppointments: p.pastAppointments,
      futureAppointments: p.futureAppointments,
      notes: p.notes,
      documents: p.documents,
    }),
    employerId: p.employerId,
    referralId: p.referralId,
    carrierIds: p.insuredIds.flatMap((id) => (carrierOfInsured.has(id) ? [carrierOfInsured.get(id)!] : [])),
    plans: [...p.plans.values()],
    activities: p.recalls + Math.min(p.pastAppointments, SAMPLE_KEEP.pastAppointments) + Math.min(p.futureAppointments, SAMPLE_KEEP.futureAppointments),
    notes: Math.min(p.notes, SAMPLE_KEEP.notes),
    files: p.keptFiles,
    documents: Math.min(p.documents, SAMPLE_KEEP.documents),
  }));
  return counts;
}
