/** Hand-made Dentrix rows and contexts for the mapping tests: every column present, nulls by default. */
import type {
  ApptRow,
  ApptStatusRow,
  ClinicalNoteRow,
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
} from '../../../src/dentrix/types';
import {
  defaultFieldMap,
  NO_PHI,
  type BuildContext,
  type FieldKeys,
  type SchemaRequirements,
  type FieldMap,
  type PatientBundle,
  type PhiDecisions,
  type RefObjectType,
} from '../../../src/mapping';

export function patient(overrides: Partial<PatientRow> = {}): PatientRow {
  return {
    patient_id: 5,
    patient_guid: null,
    chart_num: 'CH-0005',
    first_name: 'Zoë',
    last_name: "O'Brien",
    mi: null,
    preferred_name: null,
    salutation: null,
    status: 1,
    gender: 2,
    birth_date: '1985-04-12',
    email: 'zoe.obrien@example.com',
    mobile_phone: '(312) 555-0142',
    home_phone: null,
    work_phone: null,
    address_line1: '12 Lake St',
    address_line2: null,
    city: 'Chicago',
    state: 'IL',
    zipcode: '60601',
    guar_id: 5,
    fam_pos: 1,
    pri_provider_id: 'DDS1',
    sec_provider_id: null,
    employer_id: null,
    referred_by_id: null,
    prim_insured_id: null,
    sec_insured_id: null,
    first_visit_date: '2019-06-03',
    last_visit_date: '2024-10-01',
    privacy_flags: 0,
    ssn: '123-45-6789',
    automodifiedtimestamp: null,
    ...overrides,
  };
}

export function patientBundle(overrides: Partial<Omit<PatientBundle, 'kind'>> = {}): PatientBundle {
  return {
    kind: 'patient',
    patient: patient(),
    primaryInsured: null,
    medicalAlerts: [],
    recalls: [],
    recallTypes: [],
    clinicalNotes: [],
    documents: [],
    balanceForwardEntries: [],
    ...overrides,
  };
}

export const employer = (o: Partial<EmployerRow> = {}): EmployerRow => ({
  employer_id: 3,
  employer_name: 'Acme Widgets',
  address_line1: '1 Main St',
  address_line2: null,
  city: 'Chicago',
  state: 'IL',
  zipcode: '60602',
  phone: '312.555.0100 x12',
  ...o,
});

export const referral = (o: Partial<ReferralRow> = {}): ReferralRow => ({
  referral_id: 4,
  referral_type: 'doctor',
  name: 'Dr. Ruth Ortho',
  phone: null,
  email: 'FRONT@ORTHO.EXAMPLE',
  ...o,
});

export const carrier = (o: Partial<InsCarrierRow> = {}): InsCarrierRow => ({
  ins_id: 7,
  ins_co_name: 'Delta Dental',
  group_name: 'Acme Widgets',
  group_number: 'G-1234',
  payor_id: 'DDIL1',
  address_line1: null,
  address_line2: null,
  city: null,
  state: null,
  zipcode: null,
  phone: '800-555-0199',
  annual_max: 1500,
  ...o,
});

export const insured = (o: Partial<InsuredRow> = {}): InsuredRow => ({
  insured_id: 11,
  ins_plan_id: 7,
  subscriber_patient_id: 5,
  subscriber_id_num: 'XJ55512345',
  effective_date: '2022-01-01',
  ...o,
});

export const proccode = (o: Partial<ProcCodeRow> = {}): ProcCodeRow => ({
  proccode_id: 30,
  ada_code: 'd2750',
  abbrev_description: 'Crn-PFM HN',
  description: 'Crown - porcelain fused to high noble metal',
  category: 'Prosthodontics',
  default_fee: 1200,
  ...o,
});

export const txcase = (o: Partial<TxCaseRow> = {}): TxCaseRow => ({
  txcase_id: 9,
  patient_id: 5,
  description: 'Crown UR',
  status: 'Accepted',
  provider_id: 'DDS1',
  created_date: '2024-02-01',
  accepted_date: '2024-02-10',
  completed_date: null,
  automodifiedtimestamp: null,
  ...o,
});

export const procedure = (o: Partial<ProcedureRow> = {}): ProcedureRow => ({
  proc_id: 77,
  patient_id: 5,
  txcase_id: 9,
  proccode_id: 30,
  proc_date: '2024-03-01',
  status: 'planned',
  provider_id: 'DDS1',
  tooth: '3',
  surfaces: 'MOD',
  fee: 1150.5,
  ins_estimate: 575.25,
  automodifiedtimestamp: null,
  ...o,
});

export const ledger = (o: Partial<LedgerRow> = {}): LedgerRow => ({
  ledger_id: 100,
  guar_id: 5,
  patient_id: 5,
  txcase_id: 9,
  entry_date: '2024-03-01',
  entry_type: 'charge',
  amount: 100,
  description: null,
  claim_status: 'none',
  ...o,
});

export const appt = (o: Partial<ApptRow> = {}): ApptRow => ({
  appointment_id: 501,
  patient_id: 5,
  patient_name: null,
  patient_phone: null,
  appointment_date: '2024-07-15',
  start_hour: 9,
  start_minute: 30,
  length_minutes: 60,
  provider_id: 'HYG2',
  addtnl_provider_id: null,
  operatory_id: 'OP1',
  status_id: 1,
  appt_type: 'Prophy',
  reason: 'Cleaning, sensitive #14',
  note: 'Prefers mornings',
  amount: 120,
  created_date: '2024-06-01',
  automodifiedtimestamp: null,
  ...o,
});

export const apptStatus = (description: string, status_id = 1): ApptStatusRow => ({ status_id, description });

export const recallType = (o: Partial<RecallTypeRow> = {}): RecallTypeRow => ({
  recall_type_id: 2,
  name: 'Prophy',
  description: 'Adult prophy',
  interval_months: 6,
  interval_days: 1,
  ...o,
});

export const recall = (o: Partial<RecallRow> = {}): RecallRow => ({
  recall_id: 40,
  patient_id: 5,
  recall_type_id: 2,
  due_date: null,
  prior_date: '2024-08-31',
  set_date: null,
  provider_id: 'HYG2',
  appointment_id: null,
  automodifiedtimestamp: null,
  ...o,
});

export const medicalAlert = (o: Partial<MedicalAlertRow> = {}): MedicalAlertRow => ({
  alert_id: 60,
  patient_id: 5,
  alert_type: 'allergy',
  description: 'Penicillin',
  critical: true,
  noted_date: '2020-01-01',
  ...o,
});

export const clinicalNote = (o: Partial<ClinicalNoteRow> = {}): ClinicalNoteRow => ({
  note_id: 70,
  patient_id: 5,
  note_date: '2024-03-10T14:05:00',
  provider_id: 'DDS1',
  note_type: 'Exam',
  note_text: 'Pt reports "sharp" pain <UR>\nAdvised crown & follow-up',
  ...o,
});

export const documentRow = (o: Partial<DocumentRow> = {}): DocumentRow => ({
  document_id: 80,
  patient_id: 5,
  doc_type: 'consent_form',
  file_path: 'documents\\consent\\80.pdf',
  description: 'Crown consent',
  created_date: '2024-02-10',
  size_bytes: 2048,
  sha256: 'ab'.repeat(32),
  ...o,
});

/** Ids the fake id map knows: every key not listed is unresolved. */
export const KNOWN_IDS: Record<string, number> = {
  'user|provider:DDS1': 901,
  'user|provider:HYG2': 902,
  'organization|household:5': 1005,
  'organization|household:12': 1012,
  'organization|employer:3': 1003,
  'organization|referral:4': 1004,
  'organization|carrier:7': 1007,
  'person|patient:5': 2005,
  'person|newpatient:appt:502': 2502,
  'deal|txcase:9': 3009,
  'product|proccode:30': 4030,
  'pipeline|pipeline:Treatment Plans': 11,
  'stage|stage:Treatment Plans:Proposed': 21,
  'stage|stage:Treatment Plans:Accepted': 22,
  'stage|stage:Treatment Plans:In Progress': 23,
  'stage|stage:Treatment Plans:Completed': 24,
  'stage|stage:Treatment Plans:On Hold': 25,
};

export const FALLBACK_OWNER = 999;

let sharedMap: FieldMap | undefined;
export function map(): FieldMap {
  return (sharedMap ??= defaultFieldMap());
}

export function context(overrides: Partial<BuildContext> & { phi?: PhiDecisions } = {}): BuildContext {
  return {
    timezone: 'America/Chicago',
    currency: 'USD',
    resolveRef: (objectType: RefObjectType, sourceKey: string) => KNOWN_IDS[`${objectType}|${sourceKey}`],
    fallbackOwnerId: FALLBACK_OWNER,
    phi: NO_PHI,
    map: map(),
    ...overrides,
  };
}

/** Every PHI rule of the default map included unchanged. */
export const ALL_PHI: PhiDecisions = {
  include: [
    'patient.birth_date',
    'patient.subscriber_id',
    'patient.allergies',
    'patient.conditions',
    'patient.medications',
    'patient.clinical_narrative',
    'appt.reason_note',
    'clinical_note.content',
    'document.file',
  ].map((rule) => ({ rule, deidentify: 'none' as const })),
};

/** The account's field keys for a schema: 40-hex keys and option ids as Pipedrive would assign them. */
export function fieldKeysFor(schema: SchemaRequirements): FieldKeys {
  let counter = 0;
  let optionId = 100;
  const keys: FieldKeys = {};
  for (const [entity, fields] of Object.entries(schema.customFields)) {
    keys[entity as 'person'] = Object.fromEntries(
      fields.map((field) => {
        counter += 1;
        const key = counter.toString(16).padStart(40, 'a');
        const options = field.options?.map((label) => ({ id: (optionId += 1), label }));
        return [field.name, { key, type: field.field_type, ...(options ? { options } : {}) }];
      }),
    );
  }
  return keys;
}
