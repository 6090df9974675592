/**
 * The Dentrix extract format, version 1 (docs/dentrix-extract-format.md), as typed rows.
 *
 * These are the rows *after* the reader has coerced them, and the shape the rest of the product sees:
 * staging stores them as JSON, mapping reads them. Conventions:
 * - `LocalDate` is `YYYY-MM-DD`; `LocalDateTime` is `YYYY-MM-DDTHH:mm:ss`, wall-clock time in the practice's
 *   time zone (manifest `practice.timezone`), with no offset: converting to UTC is the mapping's job.
 * - `Money` is a number of currency units rounded to cents (`1234.5`).
 * - Empty CSV fields and SQL NULLs are `null`. Ids are numbers unless the format says text.
 * - Columns a practice added beyond the contract are kept, as text, in `extra` (practice-specific custom fields).
 */

export type LocalDate = string;
export type LocalDateTime = string;
export type Money = number;

export const DENTRIX_TABLES = [
  'provider',
  'patient',
  'employer',
  'referral',
  'inscarrier',
  'insured',
  'appt_status',
  'appt',
  'recalltype',
  'recall',
  'proccode',
  'txcase',
  'procedure',
  'ledger',
  'medical_alert',
  'clinical_note',
  'document',
] as const;
export type DentrixTable = (typeof DENTRIX_TABLES)[number];

export const REQUIRED_TABLES: readonly DentrixTable[] = ['provider', 'patient'];

/** The primary-key column of each table. */
export const PRIMARY_KEYS: Record<DentrixTable, string> = {
  provider: 'provider_id',
  patient: 'patient_id',
  employer: 'employer_id',
  referral: 'referral_id',
  inscarrier: 'ins_id',
  insured: 'insured_id',
  appt_status: 'status_id',
  appt: 'appointment_id',
  recalltype: 'recall_type_id',
  recall: 'recall_id',
  proccode: 'proccode_id',
  txcase: 'txcase_id',
  procedure: 'proc_id',
  ledger: 'ledger_id',
  medical_alert: 'alert_id',
  clinical_note: 'note_id',
  document: 'document_id',
};

export interface ExtraColumns {
  /** Practice-specific columns not in the contract, by lower-case column name. */
  extra?: Record<string, string | null>;
  /**
   * Contract columns whose value could not be read as their type (a date that is not a date, a code outside the
   * contract): null in the row, the value as typed kept here, so the migration keeps it for review instead of losing
   * it. Never for a never-migrate column.
   */
  unreadable?: Record<string, string>;
}

export interface ProviderRow extends ExtraColumns {
  provider_id: string;
  first_name: string | null;
  last_name: string | null;
  mi: string | null;
  suffix: string | null;
  title: string | null;
  provider_type: string | null;
  specialty: string | null;
  npi: string | null;
  email: string | null;
  inactive: boolean | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export interface PatientRow extends ExtraColumns {
  patient_id: number;
  patient_guid: string | null;
  chart_num: string | null;
  first_name: string | null;
  last_name: string | null;
  mi: string | null;
  preferred_name: string | null;
  salutation: string | null;
  /** 1 patient/active, 2 non-patient, 3 inactive, 4 archived. */
  status: number | null;
  /** 1 male, 2 female, other/empty unknown. */
  gender: number | null;
  birth_date: LocalDate | null;
  email: string | null;
  mobile_phone: string | null;
  home_phone: string | null;
  work_phone: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  /** The family's guarantor; equals patient_id for the guarantor. */
  guar_id: number | null;
  /** 1 single, 2 married, 3 child, 4 other. */
  fam_pos: number | null;
  pri_provider_id: string | null;
  sec_provider_id: string | null;
  employer_id: number | null;
  referred_by_id: number | null;
  prim_insured_id: number | null;
  sec_insured_id: number | null;
  first_visit_date: LocalDate | null;
  last_visit_date: LocalDate | null;
  /** Bitmask: 1 no voice calls, 2 no SMS/email, 4 no mail. */
  privacy_flags: number | null;
  ssn: string | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export interface EmployerRow extends ExtraColumns {
  employer_id: number;
  employer_name: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  phone: string | null;
}

export interface ReferralRow extends ExtraColumns {
  referral_id: number;
  /** patient, doctor, marketing, other */
  referral_type: string | null;
  name: string | null;
  phone: string | null;
  email: string | null;
}

export interface InsCarrierRow extends ExtraColumns {
  ins_id: number;
  ins_co_name: string | null;
  group_name: string | null;
  group_number: string | null;
  payor_id: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  phone: string | null;
  annual_max: Money | null;
}

export interface InsuredRow extends ExtraColumns {
  insured_id: number;
  ins_plan_id: number | null;
  subscriber_patient_id: number | null;
  subscriber_id_num: string | null;
  effective_date: LocalDate | null;
}

export interface ApptStatusRow extends ExtraColumns {
  status_id: number;
  description: string | null;
}

export interface ApptRow extends ExtraColumns {
  appointment_id: number;
  /** NULL for a new-patient booking that has no patient record yet. */
  patient_id: number | null;
  patient_name: string | null;
  patient_phone: string | null;
  appointment_date: LocalDate | null;
  start_hour: number | null;
  start_minute: number | null;
  length_minutes: number | null;
  provider_id: string | null;
  addtnl_provider_id: string | null;
  operatory_id: string | null;
  status_id: number | null;
  appt_type: string | null;
  reason: string | null;
  note: string | null;
  amount: Money | null;
  created_date: LocalDate | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export interface RecallTypeRow extends ExtraColumns {
  recall_type_id: number;
  name: string | null;
  description: string | null;
  interval_months: number | null;
  interval_days: number | null;
}

export interface RecallRow extends ExtraColumns {
  recall_id: number;
  patient_id: number | null;
  recall_type_id: number | null;
  /** May be NULL: then due = prior_date + the type's interval. */
  due_date: LocalDate | null;
  prior_date: LocalDate | null;
  set_date: LocalDate | null;
  provider_id: string | null;
  appointment_id: number | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export interface ProcCodeRow extends ExtraColumns {
  proccode_id: number;
  /** CDT code, `D` + 4 digits. */
  ada_code: string | null;
  abbrev_description: string | null;
  description: string | null;
  category: string | null;
  default_fee: Money | null;
}

export const TXCASE_STATUSES = ['Proposed', 'Accepted', 'In Progress', 'Completed', 'Rejected', 'On Hold'] as const;

export interface TxCaseRow extends ExtraColumns {
  txcase_id: number;
  patient_id: number | null;
  description: string | null;
  status: string | null;
  provider_id: string | null;
  created_date: LocalDate | null;
  accepted_date: LocalDate | null;
  completed_date: LocalDate | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export interface ProcedureRow extends ExtraColumns {
  proc_id: number;
  patient_id: number | null;
  txcase_id: number | null;
  proccode_id: number | null;
  proc_date: LocalDate | null;
  /** planned, completed, existing */
  status: string | null;
  provider_id: string | null;
  tooth: string | null;
  surfaces: string | null;
  fee: Money | null;
  ins_estimate: Money | null;
  automodifiedtimestamp: LocalDateTime | null;
}

export const LEDGER_ENTRY_TYPES = ['charge', 'patient_payment', 'insurance_payment', 'adjustment', 'write_off', 'insurance_estimate'] as const;
export const CLAIM_STATUSES = ['none', 'sent', 'pending', 'paid', 'denied'] as const;

export interface LedgerRow extends ExtraColumns {
  ledger_id: number;
  guar_id: number | null;
  patient_id: number | null;
  /** NULL for balance-forward entries. */
  txcase_id: number | null;
  entry_date: LocalDate | null;
  entry_type: string | null;
  /** Charges positive, credits negative. */
  amount: Money | null;
  description: string | null;
  /** none, sent, pending, paid, denied: sent and pending are in flight. */
  claim_status: string | null;
}

export interface MedicalAlertRow extends ExtraColumns {
  alert_id: number;
  patient_id: number | null;
  /** allergy, condition, medication, premedication */
  alert_type: string | null;
  description: string | null;
  critical: boolean | null;
  noted_date: LocalDate | null;
}

export interface ClinicalNoteRow extends ExtraColumns {
  note_id: number;
  patient_id: number | null;
  note_date: LocalDateTime | null;
  provider_id: string | null;
  note_type: string | null;
  note_text: string | null;
}

export const DOCUMENT_TYPES = ['xray', 'intraoral_photo', 'cbct', 'pano', 'consent_form', 'referral_letter', 'insurance_card', 'other'] as const;
/** Imaging stays in the practice's archive: only a per-person link moves. */
export const IMAGING_DOCUMENT_TYPES = ['xray', 'intraoral_photo', 'cbct', 'pano'] as const;

export interface DocumentRow extends ExtraColumns {
  document_id: number;
  patient_id: number | null;
  doc_type: string | null;
  /** Relative to the extract folder. */
  file_path: string | null;
  description: string | null;
  created_date: LocalDate | null;
  size_bytes: number | null;
  sha256: string | null;
}

export interface DentrixRowByTable {
  provider: ProviderRow;
  patient: PatientRow;
  employer: EmployerRow;
  referral: ReferralRow;
  inscarrier: InsCarrierRow;
  insured: InsuredRow;
  appt_status: ApptStatusRow;
  appt: ApptRow;
  recalltype: RecallTypeRow;
  recall: RecallRow;
  proccode: ProcCodeRow;
  txcase: TxCaseRow;
  procedure: ProcedureRow;
  ledger: LedgerRow;
  medical_alert: MedicalAlertRow;
  clinical_note: ClinicalNoteRow;
  document: DocumentRow;
}

export interface ExtractManifest {
  format: 'dentrix-extract/1';
  practice: { name: string; timezone: string; currency: string };
  source?: { product?: string; extracted_at?: string; method?: string };
  date_format: 'iso' | 'us';
  tables: Partial<Record<DentrixTable, { rows: number }>>;
}

/** One problem with one source row: never carries the row's values (they may be PHI). */
export interface RowIssue {
  table: DentrixTable;
  /** The row's primary key as text, or null when the key itself is unreadable. */
  key: string | null;
  /** The column at fault, or null for a whole-row problem. */
  column: string | null;
  reason: string;
  /** 1-based line (CSV) or row ordinal (SQL) where the row started. */
  line?: number;
  /** `rejected`: the row cannot be staged. `warning`: staged with the column set to null. */
  severity: 'rejected' | 'warning';
}

/** What a reader yields for each source row. */
export type ReadResult<T extends DentrixTable = DentrixTable> =
  | { kind: 'row'; table: T; key: string; row: DentrixRowByTable[T]; warnings: RowIssue[]; line?: number }
  | { kind: 'rejected'; table: T; issue: RowIssue; line?: number };

/**
 * A problem with a table as a whole rather than one row: a contract column missing from the header, text that was
 * not valid UTF-8, a row count that disagrees with the manifest. Like RowIssue, it never carries values.
 * `error` means the table cannot be trusted as read (the extract phase must fail); `warning` is for the report.
 */
export interface TableIssue {
  table: DentrixTable;
  column: string | null;
  reason: string;
  severity: 'error' | 'warning';
}
