import type { ExtractReader } from '../dentrix/extract-reader';
import { type DentrixRowByTable, type DentrixTable, IMAGING_DOCUMENT_TYPES } from '../dentrix/types';

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
};

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
export async function countExtractObjects(reader: ExtractReader): Promise<ObjectCounts> {
  const counts: ObjectCounts = { ...EMPTY_COUNTS, dealProductsPerDeal: {} };
  const present = new Set(await reader.tables());
  const count = async <T extends DentrixTable>(table: T, onRow: (row: DentrixRowByTable[T]) => void): Promise<void> => {
    if (present.has(table)) await forEachRow(reader, table, onRow);
  };

  await count('provider', () => (counts.providers += 1));
  const familySizes = new Map<number, number>();
  await count('patient', (row) => {
    counts.persons += 1;
    const family = row.guar_id ?? row.patient_id; // no guarantor: a family of one
    familySizes.set(family, (familySizes.get(family) ?? 0) + 1);
  });
  counts.households = [...familySizes.values()].filter((members) => members >= 2).length;
  await count('employer', () => (counts.employers += 1));
  await count('referral', () => (counts.referralSources += 1));
  await count('inscarrier', () => (counts.carriers += 1));
  await count('proccode', () => (counts.products += 1));
  await count('txcase', () => (counts.deals += 1));
  const productsPerDeal = new Map<number, number>();
  await count('procedure', (row) => {
    if (row.txcase_id === null) return;
    counts.dealProducts += 1;
    productsPerDeal.set(row.txcase_id, (productsPerDeal.get(row.txcase_id) ?? 0) + 1);
  });
  for (const n of productsPerDeal.values()) counts.dealProductsPerDeal[n] = (counts.dealProductsPerDeal[n] ?? 0) + 1;
  await count('appt', (row) => {
    counts.appointments += 1;
    if (row.patient_id === null) counts.newPatientPersons += 1;
  });
  await count('recall', () => (counts.recalls += 1));
  await count('clinical_note', () => (counts.notes += 1));
  await count('document', (row) => {
    const docType = row.doc_type?.trim().toLowerCase();
    if (docType !== undefined && IMAGING.has(docType)) counts.imagingDocuments += 1;
    else counts.files += 1;
  });
  return counts;
}
