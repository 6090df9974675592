/**
 * The Data Quality Report (service page, step 1): what the AUDIT phase found in the staged extract, before anything
 * is mapped. It carries ids, column names, counts and amounts; never names, birth dates, note or alert text, or
 * insurance ids. The JSON file is the operator's full record; the HTML page renders the same object.
 */
import type { DentrixTable } from '../dentrix/types';
import type { ValuesForReview } from './values-for-review';

export const DATA_QUALITY_REPORT_FORMAT = 'dentrix-data-quality-report/1';

/** A list of row keys that may be long: the full count, and the first `maxListed` keys in extract order. */
export interface KeyList {
  count: number;
  keys: string[];
  truncated: boolean;
}

export interface SourceTableCounts {
  table: string;
  manifestRows: number | null;
  rowsRead: number;
  rowsStaged: number;
  rowsRejected: number;
  /** Rows of the table actually in staged_rows now (equals rowsStaged unless staging was interrupted). */
  rowsInStore: number;
  warnings: number;
  /** rowsRead = rowsStaged + rowsRejected, and the store holds what was staged: nothing dropped silently. */
  reconciled: boolean;
}

export interface SourceIssueGroup {
  table: string;
  column: string | null;
  severity: 'rejected' | 'warning';
  reason: string;
  count: number;
}

export interface TargetObjectCounts {
  persons: {
    total: number;
    /** Patient rows by Dentrix status. */
    activePatients: number;
    nonPatientGuarantors: number;
    inactivePatients: number;
    archivedPatients: number;
    otherStatus: number;
    /** New-patient bookings with no patient record: a minimal person each when the map says so. */
    newPatientBookings: number;
  };
  organizations: {
    total: number;
    /** Families (patients grouped by guarantor) with at least two members. */
    households: number;
    families: number;
    employers: number;
    referralSources: number;
    carriers: number;
  };
  products: { total: number; cdtCodes: number };
  deals: { total: number; treatmentPlans: number };
  dealProducts: { total: number; planProcedures: number; proceduresOutsidePlans: number };
  activities: { total: number; appointments: number; recalls: number };
  notes: { total: number; clinicalNotes: number };
  files: { total: number; nonImagingDocuments: number; imagingDocumentsAsLinks: number };
  /** Providers resolve to existing Pipedrive users by email; they are not created. */
  users: { providers: number };
}

export type DuplicateEvidence = 'name' | 'birth_date' | 'email' | 'phone' | 'address';

export interface DuplicatePair {
  /** The later chart (higher id): the probable duplicate. */
  patientId: number;
  /** The earliest chart of the group: the probable original. */
  duplicateOfPatientId: number;
  /** Attribute names that matched (never their values). */
  matched: DuplicateEvidence[];
}

export interface DuplicatePatients {
  rule: string;
  patientRecords: number;
  /** Groups of two or more patient records that are probably one person. */
  groups: number;
  /** Records beyond the first of each group. */
  duplicateRecords: number;
  /** duplicateRecords / patientRecords. */
  rate: number;
  /** Pairs whose evidence goes beyond name and birth date (a shared email, phone or address). */
  pairsWithContactEvidence: number;
  pairs: DuplicatePair[];
  pairsTruncated: boolean;
}

export interface ContactProblem {
  table: string;
  key: string;
  column: string;
  /** e.g. `too_short`, `too_long`, `not_a_number`, `not_a_valid_number`; `invalid`, `spaces`, `upper_case`. */
  problems: string[];
}

export interface ContactColumnCounts {
  table: string;
  column: string;
  checked: number;
  invalid: number;
  needsCleanup?: number;
}

export interface ContactQuality {
  patientsWithoutEmail: KeyList & { byStatus: Record<string, number> };
  emails: {
    rule: string;
    checked: number;
    /** Not an address even after removing spaces and lower-casing: it will not move. */
    invalid: number;
    /** A valid address once spaces are removed and it is lower-cased: the mapping fixes these. */
    needsCleanup: number;
    byColumn: ContactColumnCounts[];
    items: ContactProblem[];
    itemsTruncated: boolean;
  };
  phones: {
    rule: string;
    defaultRegion: string;
    checked: number;
    /** Wrong length or not a number at all (libphonenumber: not possible). */
    malformed: number;
    /** The right length but not a valid number (e.g. an area code not in service): libphonenumber `isValid` fails. */
    notValid: number;
    byColumn: (ContactColumnCounts & { malformed: number; notValid: number })[];
    /** Malformed numbers first, then the not-valid ones; each kind capped at maxListed. */
    items: ContactProblem[];
    itemsTruncated: boolean;
  };
}

export interface InvalidDateGroup {
  table: string;
  column: string;
  reason: string;
  rows: KeyList;
}

export interface ImplausibleDateGroup {
  table: string;
  column: string;
  rule: string;
  rows: KeyList;
}

export interface DateQuality {
  /** Values the reader could not read as a date (set to null and reported as warnings). */
  invalid: InvalidDateGroup[];
  invalidTotal: number;
  /** Readable dates that cannot be right (a birth date in the future, a visit after the report date). */
  implausible: ImplausibleDateGroup[];
  implausibleTotal: number;
}

export interface OrphanReference {
  table: string;
  column: string;
  references: string;
  /** False when the referenced table is not in the extract at all. */
  referencedTablePresent: boolean;
  rows: KeyList;
  /** The referenced keys that do not exist (ids only). */
  missingKeys: KeyList;
}

export interface OrphanReferences {
  total: number;
  references: OrphanReference[];
}

export interface GuarantorClaims {
  guarantorId: number | null;
  claims: number;
  ledgerEntries: number;
  charges: number;
  insuranceEstimate: number;
}

export interface InFlightClaims {
  rule: string;
  /** Visits (guarantor, patient, date) with ledger entries whose claim is sent or pending. */
  claims: number;
  ledgerEntries: number;
  byStatus: Record<string, number>;
  /** Sum of in-flight charges. */
  charges: number;
  /** Insurance portion still expected (the negated in-flight insurance estimates). */
  insuranceEstimate: number;
  /** Net of all in-flight ledger entries. */
  netAmount: number;
  guarantors: number;
  byGuarantor: GuarantorClaims[];
  byGuarantorTruncated: boolean;
}

export interface ClinicalNoteVolume {
  notes: number;
  withText: number;
  totalCharacters: number;
  longestCharacters: number;
  longestNoteId: string | null;
  averageCharacters: number;
  /** Notes over 10,000 characters: long narrative that reviewers should look at before it moves. */
  over10kCharacters: number;
}

export interface DocumentTypeVolume {
  docType: string;
  files: number;
  bytes: number;
  imaging: boolean;
}

export interface DocumentVolume {
  /** Imaging (X-rays, photos, CBCT, panoramics) stays in the practice's archive: a per-person link moves. */
  imaging: { files: number; bytes: number };
  /** Documents that can move as Pipedrive files. */
  movableAsFiles: { files: number; bytes: number };
  withoutSize: number;
  byType: DocumentTypeVolume[];
  /** The files of the documents that can move, checked as the load checks them before an upload. */
  fileChecks: DocumentFileChecks;
}

/**
 * Documents whose file the load would refuse (the record is then rejected with the reason): a path or a link that
 * leaves the extract folder, not a regular file (FIFO, device, directory), missing, or bytes that differ from the
 * declared size_bytes / sha256. Kinds and document keys only, never a path (a file name can hold a patient's name).
 */
export interface DocumentFileChecks {
  /** Non-imaging documents whose files were checked. */
  checked: number;
  /** Of those, the ones whose file would be refused. */
  refused: number;
  /** By refusal kind (e.g. `link_outside`, `not_regular_file`, `size_mismatch`, `sha256_mismatch`), most first. */
  byReason: { kind: string; documents: KeyList }[];
}

export interface DstAppointments {
  timezone: string | null;
  /** Appointments on days the practice's clock changes (the only days checked). */
  checked: number;
  /** Booked at a local time that does not exist (clocks spring forward). */
  gap: KeyList;
  /** Booked at a local time that happens twice (clocks fall back): the instant is ambiguous. */
  overlap: KeyList;
  note?: string;
}

export interface AppointmentFindings {
  newPatientWithoutRecord: KeyList & { upcoming: number; withName: number; withPhone: number };
  dst: DstAppointments;
}

export interface PhiMappingRule {
  ruleId: string;
  target: string;
  classification: 'phi' | 'never';
  defaultDeidentification: string;
}

export interface PhiFieldReview {
  /** `table.column` of the extract. */
  field: string;
  rowsInTable: number;
  rowsWithValue: number;
  /** The mapping rules that read this column, when the mapping layer lists them. */
  mappingRules: PhiMappingRule[];
}

export interface DataQualityReport {
  format: typeof DATA_QUALITY_REPORT_FORMAT;
  migrationId: string;
  generatedAt: string;
  practice: { name: string | null; timezone: string | null; currency: string | null };
  maxListed: number;
  sourceTables: {
    tables: SourceTableCounts[];
    totals: { rowsRead: number; rowsStaged: number; rowsRejected: number; warnings: number };
    allReconciled: boolean;
  };
  sourceIssues: SourceIssueGroup[];
  targetObjects: TargetObjectCounts;
  duplicatePatients: DuplicatePatients;
  contactQuality: ContactQuality;
  dates: DateQuality;
  orphanReferences: OrphanReferences;
  inFlightClaims: InFlightClaims;
  clinicalNotes: ClinicalNoteVolume;
  documents: DocumentVolume;
  appointments: AppointmentFindings;
  phiFields: { source: 'mapping' | 'option' | 'extract_format'; fields: PhiFieldReview[] };
  /** Values the default map will keep for review on their record (refused or shortened), by column, target and kind. */
  valuesForReview: ValuesForReview;
}

/** A reference from one staged table's column to another table's primary key. */
export interface ReferenceSpec {
  table: DentrixTable;
  column: string;
  references: DentrixTable;
}
