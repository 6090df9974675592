/**
 * Source bundles: the driving staged row of a target record plus the related rows its rules read, and the fetch
 * plan telling the engine how to assemble them from staging (which table drives each kind, which rows qualify,
 * how the source key is formed, which related rows to load by which foreign key).
 */
import type {
  ApptRow,
  ApptStatusRow,
  ClinicalNoteRow,
  DentrixTable,
  DocumentRow,
  EmployerRow,
  InsCarrierRow,
  InsuredRow,
  LedgerRow,
  MedicalAlertRow,
  PatientRow,
  ProcCodeRow,
  ProcedureRow,
  RecallRow,
  RecallTypeRow,
  ReferralRow,
  TxCaseRow,
} from '../dentrix/types';
import { sourceKeys } from './source-keys';
import { RECORD_KINDS, type RecordKind, type TargetEntity, kindsOf } from './types';

export interface HouseholdBundle {
  kind: 'household';
  /** The guarantor's own patient row (patient_id = guar_id). */
  guarantor: PatientRow;
  /** Every patient row of the family (guar_id = the guarantor's id), the guarantor included. */
  members: PatientRow[];
}
export interface EmployerBundle {
  kind: 'employer';
  employer: EmployerRow;
}
export interface ReferralBundle {
  kind: 'referral';
  referral: ReferralRow;
}
export interface CarrierBundle {
  kind: 'carrier';
  carrier: InsCarrierRow;
}
export type OrganizationBundle = HouseholdBundle | EmployerBundle | ReferralBundle | CarrierBundle;

export interface ProductBundle {
  kind: 'proccode';
  proccode: ProcCodeRow;
}

export interface PatientBundle {
  kind: 'patient';
  patient: PatientRow;
  /** The insured row of patient.prim_insured_id. */
  primaryInsured: InsuredRow | null;
  medicalAlerts: MedicalAlertRow[];
  recalls: RecallRow[];
  /** The recall types of `recalls`. */
  recallTypes: RecallTypeRow[];
  clinicalNotes: ClinicalNoteRow[];
  documents: DocumentRow[];
  /** Ledger rows with guar_id = this patient and no txcase: the family's balance forward (on the guarantor). */
  balanceForwardEntries: LedgerRow[];
  /** The duplicate charts merged into this one at MAPPING_REVIEW (Dentrix patient ids, ascending); set by the build. */
  mergedPatientIds?: readonly number[];
}
/** A new-patient booking (appt.patient_id NULL) that becomes a minimal person. */
export interface NewPatientBundle {
  kind: 'newpatient';
  appt: ApptRow;
}
export type PersonBundle = PatientBundle | NewPatientBundle;

export interface TreatmentPlanBundle {
  kind: 'txcase';
  txcase: TxCaseRow;
  /** The plan's patient (for the household organization). */
  patient: PatientRow | null;
  procedures: ProcedureRow[];
  /** The procedure codes of `procedures`. */
  procCodes: ProcCodeRow[];
  /** Ledger rows of this plan. */
  ledger: LedgerRow[];
}
export type DealBundle = TreatmentPlanBundle;

export interface DealProductBundle {
  kind: 'procedure';
  procedure: ProcedureRow;
  procCode: ProcCodeRow | null;
}

export interface AppointmentBundle {
  kind: 'appt';
  appt: ApptRow;
  status: ApptStatusRow | null;
  /** The patient's plan procedures (txcase_id set): the visit links to the plan with procedures on its date. */
  planProcedures: ProcedureRow[];
}
export interface RecallBundle {
  kind: 'recall';
  recall: RecallRow;
  recallType: RecallTypeRow | null;
  /** The booked recall visit (recall.appointment_id), if any. */
  bookedAppointment: ApptRow | null;
  /** The plan procedures of the booked visit's patient: the task links to the plan the visit links to. */
  bookedPlanProcedures: ProcedureRow[];
}
export type ActivityBundle = AppointmentBundle | RecallBundle;

export interface ClinicalNoteBundle {
  kind: 'clinical_note';
  note: ClinicalNoteRow;
}
export type NoteBundle = ClinicalNoteBundle;

export interface DocumentBundle {
  kind: 'document';
  document: DocumentRow;
}
export type FileBundle = DocumentBundle;

export interface BundleByEntity {
  organization: OrganizationBundle;
  product: ProductBundle;
  person: PersonBundle;
  deal: DealBundle;
  deal_product: DealProductBundle;
  activity: ActivityBundle;
  note: NoteBundle;
  file: FileBundle;
}
export type SourceBundle = BundleByEntity[TargetEntity];
export type BundleOfKind<K extends RecordKind> = Extract<SourceBundle, { kind: K }>;

/** The source key of a bundle's record. */
export function sourceKeyOfBundle(bundle: SourceBundle): string {
  switch (bundle.kind) {
    case 'household':
      return sourceKeys.household(bundle.guarantor.patient_id);
    case 'employer':
      return sourceKeys.employer(bundle.employer.employer_id);
    case 'referral':
      return sourceKeys.referral(bundle.referral.referral_id);
    case 'carrier':
      return sourceKeys.carrier(bundle.carrier.ins_id);
    case 'proccode':
      return sourceKeys.proccode(bundle.proccode.proccode_id);
    case 'patient':
      return sourceKeys.patient(bundle.patient.patient_id);
    case 'newpatient':
      return sourceKeys.newpatient(bundle.appt.appointment_id);
    case 'txcase':
      return sourceKeys.txcase(bundle.txcase.txcase_id);
    case 'procedure':
      return sourceKeys.procedure(bundle.procedure.proc_id);
    case 'appt':
      return sourceKeys.appt(bundle.appt.appointment_id);
    case 'recall':
      return sourceKeys.recall(bundle.recall.recall_id);
    case 'clinical_note':
      return sourceKeys.clinical_note(bundle.note.note_id);
    case 'document':
      return sourceKeys.document(bundle.document.document_id);
  }
}

/** The single row of `table` a kind's rules may read columns from (the driving row or a one-to-one related row). */
export function rowOf(bundle: SourceBundle, table: DentrixTable): Record<string, unknown> | null | undefined {
  const rows = singleRows(bundle);
  return table in rows ? ((rows[table] ?? null) as Record<string, unknown> | null) : undefined;
}

function singleRows(bundle: SourceBundle): Partial<Record<DentrixTable, object | null>> {
  switch (bundle.kind) {
    case 'household':
      return { patient: bundle.guarantor };
    case 'employer':
      return { employer: bundle.employer };
    case 'referral':
      return { referral: bundle.referral };
    case 'carrier':
      return { inscarrier: bundle.carrier };
    case 'proccode':
      return { proccode: bundle.proccode };
    case 'patient':
      return { patient: bundle.patient, insured: bundle.primaryInsured };
    case 'newpatient':
      return { appt: bundle.appt };
    case 'txcase':
      return { txcase: bundle.txcase, patient: bundle.patient };
    case 'procedure':
      return { procedure: bundle.procedure, proccode: bundle.procCode };
    case 'appt':
      return { appt: bundle.appt, appt_status: bundle.status };
    case 'recall':
      return { recall: bundle.recall, recalltype: bundle.recallType };
    case 'clinical_note':
      return { clinical_note: bundle.note };
    case 'document':
      return { document: bundle.document };
  }
}

/** Tables whose single row a kind's rules can read (validated when a map is parsed). */
export const SINGLE_ROW_TABLES: Record<RecordKind, readonly DentrixTable[]> = {
  household: ['patient'],
  employer: ['employer'],
  referral: ['referral'],
  carrier: ['inscarrier'],
  proccode: ['proccode'],
  patient: ['patient', 'insured'],
  newpatient: ['appt'],
  txcase: ['txcase', 'patient'],
  procedure: ['procedure', 'proccode'],
  appt: ['appt', 'appt_status'],
  recall: ['recall', 'recalltype'],
  clinical_note: ['clinical_note'],
  document: ['document'],
};

// ---------------------------------------------------------------------------------------------------------------
// Fetch plan

/** Which rows of a table take part. Columns are the staged row's JSON keys. */
export type RowFilter = { column: string; op: 'is_null' } | { column: string; op: 'is_not_null' } | { column: string; op: 'equals_column'; other: string };

/** Related rows: `table` rows whose `column` equals `equals` of the driving row (or of each row already loaded into `from`). */
export interface RelatedFetch {
  /** The bundle property the rows go into. */
  as: string;
  table: DentrixTable;
  column: string;
  equals: string;
  /** Match against rows of this earlier related set instead of the driving row (e.g. proccodes of procedures). */
  from?: string;
  many: boolean;
  filter?: RowFilter[];
}

export interface DriverPlan {
  kind: RecordKind;
  entity: TargetEntity;
  /** The staged table whose rows drive this kind: one row, one target record. */
  table: DentrixTable;
  /** The driving row's property in the bundle. */
  as: string;
  filter: RowFilter[];
  /** How the source key is formed, e.g. `household:<guar_id>`. */
  sourceKeyPattern: string;
  /** The column whose value completes the source key. */
  keyColumn: string;
  related: RelatedFetch[];
}

/** Procedures that belong to a treatment plan (the ones an activity's deal link is decided by). */
const PLAN_PROCEDURES: RowFilter[] = [{ column: 'txcase_id', op: 'is_not_null' }];

const DRIVERS: Record<RecordKind, Omit<DriverPlan, 'kind' | 'entity' | 'table'>> = {
  household: {
    as: 'guarantor',
    filter: [{ column: 'guar_id', op: 'equals_column', other: 'patient_id' }],
    sourceKeyPattern: 'household:<guar_id>',
    keyColumn: 'guar_id',
    related: [{ as: 'members', table: 'patient', column: 'guar_id', equals: 'patient_id', many: true }],
  },
  employer: { as: 'employer', filter: [], sourceKeyPattern: 'employer:<employer_id>', keyColumn: 'employer_id', related: [] },
  referral: { as: 'referral', filter: [], sourceKeyPattern: 'referral:<referral_id>', keyColumn: 'referral_id', related: [] },
  carrier: { as: 'carrier', filter: [], sourceKeyPattern: 'carrier:<ins_id>', keyColumn: 'ins_id', related: [] },
  proccode: { as: 'proccode', filter: [], sourceKeyPattern: 'proccode:<proccode_id>', keyColumn: 'proccode_id', related: [] },
  patient: {
    as: 'patient',
    filter: [],
    sourceKeyPattern: 'patient:<patient_id>',
    keyColumn: 'patient_id',
    related: [
      { as: 'primaryInsured', table: 'insured', column: 'insured_id', equals: 'prim_insured_id', many: false },
      { as: 'medicalAlerts', table: 'medical_alert', column: 'patient_id', equals: 'patient_id', many: true },
      { as: 'recalls', table: 'recall', column: 'patient_id', equals: 'patient_id', many: true },
      { as: 'recallTypes', table: 'recalltype', column: 'recall_type_id', equals: 'recall_type_id', from: 'recalls', many: true },
      { as: 'clinicalNotes', table: 'clinical_note', column: 'patient_id', equals: 'patient_id', many: true },
      { as: 'documents', table: 'document', column: 'patient_id', equals: 'patient_id', many: true },
      {
        as: 'balanceForwardEntries',
        table: 'ledger',
        column: 'guar_id',
        equals: 'patient_id',
        many: true,
        filter: [{ column: 'txcase_id', op: 'is_null' }],
      },
    ],
  },
  newpatient: {
    as: 'appt',
    filter: [{ column: 'patient_id', op: 'is_null' }],
    sourceKeyPattern: 'newpatient:appt:<appointment_id>',
    keyColumn: 'appointment_id',
    related: [],
  },
  txcase: {
    as: 'txcase',
    filter: [],
    sourceKeyPattern: 'txcase:<txcase_id>',
    keyColumn: 'txcase_id',
    related: [
      { as: 'patient', table: 'patient', column: 'patient_id', equals: 'patient_id', many: false },
      { as: 'procedures', table: 'procedure', column: 'txcase_id', equals: 'txcase_id', many: true },
      { as: 'procCodes', table: 'proccode', column: 'proccode_id', equals: 'proccode_id', from: 'procedures', many: true },
      { as: 'ledger', table: 'ledger', column: 'txcase_id', equals: 'txcase_id', many: true },
    ],
  },
  procedure: {
    as: 'procedure',
    filter: [{ column: 'txcase_id', op: 'is_not_null' }],
    sourceKeyPattern: 'procedure:<proc_id>',
    keyColumn: 'proc_id',
    related: [{ as: 'procCode', table: 'proccode', column: 'proccode_id', equals: 'proccode_id', many: false }],
  },
  appt: {
    as: 'appt',
    filter: [],
    sourceKeyPattern: 'appt:<appointment_id>',
    keyColumn: 'appointment_id',
    related: [
      { as: 'status', table: 'appt_status', column: 'status_id', equals: 'status_id', many: false },
      { as: 'planProcedures', table: 'procedure', column: 'patient_id', equals: 'patient_id', many: true, filter: PLAN_PROCEDURES },
    ],
  },
  recall: {
    as: 'recall',
    filter: [],
    sourceKeyPattern: 'recall:<recall_id>',
    keyColumn: 'recall_id',
    related: [
      { as: 'recallType', table: 'recalltype', column: 'recall_type_id', equals: 'recall_type_id', many: false },
      { as: 'bookedAppointment', table: 'appt', column: 'appointment_id', equals: 'appointment_id', many: false },
      {
        as: 'bookedPlanProcedures',
        table: 'procedure',
        column: 'patient_id',
        equals: 'patient_id',
        from: 'bookedAppointment',
        many: true,
        filter: PLAN_PROCEDURES,
      },
    ],
  },
  clinical_note: { as: 'note', filter: [], sourceKeyPattern: 'clinical_note:<note_id>', keyColumn: 'note_id', related: [] },
  document: { as: 'document', filter: [], sourceKeyPattern: 'document:<document_id>', keyColumn: 'document_id', related: [] },
};

export interface FetchPlanOptions {
  /** `skip`: new-patient bookings make no person, so they are not fetched as persons. */
  newPatientBooking?: 'create_person' | 'skip';
}

/**
 * What the engine fetches for a target entity: one driver per record kind. Every driving row must end as a
 * record, a skip or a reject, so skips by rule (imaging documents, broken appointments under `skip`) are still
 * driving rows; only rows that are not this entity's at all (non-guarantors for households, procedures outside
 * plans, appointments with a patient for new-patient persons) are filtered out.
 */
export function fetchPlan(entity: TargetEntity, options: FetchPlanOptions = {}): DriverPlan[] {
  return kindsOf(entity)
    .filter((kind) => !(kind === 'newpatient' && options.newPatientBooking === 'skip'))
    .map((kind) => ({ kind, entity, table: RECORD_KINDS[kind].table, ...DRIVERS[kind] }));
}

/** Whether a staged row passes a driver's or a relation's filters. */
export function matchesFilters(row: object, filters: readonly RowFilter[]): boolean {
  const columns = row as Record<string, unknown>;
  return filters.every((filter) => {
    const value = columns[filter.column];
    switch (filter.op) {
      case 'is_null':
        return value === null || value === undefined;
      case 'is_not_null':
        return value !== null && value !== undefined;
      case 'equals_column':
        return value !== null && value !== undefined && value === columns[filter.other];
    }
  });
}
