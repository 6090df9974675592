import type { DentrixRowByTable, DentrixTable, ExtraColumns } from './types';

/**
 * The contract's columns and how each is coerced, in the contract's order (the generator writes headers in this
 * order; readers accept any order). The mapped types make the compiler check that every column of every row
 * interface in types.ts has exactly one entry here.
 */
export type ColumnKind = 'text' | 'int' | 'money' | 'bool' | 'date' | 'datetime';

export interface ColumnSpec {
  kind: ColumnKind;
  /** Inclusive bounds for integer columns the contract bounds (hours, minutes, lengths). */
  min?: number;
  max?: number;
}

type ContractColumn<T extends DentrixTable> = Exclude<keyof DentrixRowByTable[T], keyof ExtraColumns> & string;
type TableColumnSpecs<T extends DentrixTable> = { readonly [C in ContractColumn<T>]-?: ColumnSpec };

const text: ColumnSpec = { kind: 'text' };
const int: ColumnSpec = { kind: 'int' };
const money: ColumnSpec = { kind: 'money' };
const bool: ColumnSpec = { kind: 'bool' };
const date: ColumnSpec = { kind: 'date' };
const datetime: ColumnSpec = { kind: 'datetime' };
const nonNegative: ColumnSpec = { kind: 'int', min: 0 };

export const TABLE_COLUMNS: { readonly [T in DentrixTable]: TableColumnSpecs<T> } = {
  provider: {
    provider_id: text,
    first_name: text,
    last_name: text,
    mi: text,
    suffix: text,
    title: text,
    provider_type: text,
    specialty: text,
    npi: text,
    email: text,
    inactive: bool,
    automodifiedtimestamp: datetime,
  },
  patient: {
    patient_id: int,
    patient_guid: text,
    chart_num: text,
    first_name: text,
    last_name: text,
    mi: text,
    preferred_name: text,
    salutation: text,
    status: int,
    gender: int,
    birth_date: date,
    email: text,
    mobile_phone: text,
    home_phone: text,
    work_phone: text,
    address_line1: text,
    address_line2: text,
    city: text,
    state: text,
    zipcode: text,
    guar_id: int,
    fam_pos: int,
    pri_provider_id: text,
    sec_provider_id: text,
    employer_id: int,
    referred_by_id: int,
    prim_insured_id: int,
    sec_insured_id: int,
    first_visit_date: date,
    last_visit_date: date,
    privacy_flags: nonNegative,
    ssn: text,
    automodifiedtimestamp: datetime,
  },
  employer: {
    employer_id: int,
    employer_name: text,
    address_line1: text,
    address_line2: text,
    city: text,
    state: text,
    zipcode: text,
    phone: text,
  },
  referral: { referral_id: int, referral_type: text, name: text, phone: text, email: text },
  inscarrier: {
    ins_id: int,
    ins_co_name: text,
    group_name: text,
    group_number: text,
    payor_id: text,
    address_line1: text,
    address_line2: text,
    city: text,
    state: text,
    zipcode: text,
    phone: text,
    annual_max: money,
  },
  insured: { insured_id: int, ins_plan_id: int, subscriber_patient_id: int, subscriber_id_num: text, effective_date: date },
  appt_status: { status_id: int, description: text },
  appt: {
    appointment_id: int,
    patient_id: int,
    patient_name: text,
    patient_phone: text,
    appointment_date: date,
    start_hour: { kind: 'int', min: 0, max: 23 },
    start_minute: { kind: 'int', min: 0, max: 59 },
    length_minutes: { kind: 'int', min: 0, max: 24 * 60 },
    provider_id: text,
    addtnl_provider_id: text,
    operatory_id: text,
    status_id: int,
    appt_type: text,
    reason: text,
    note: text,
    amount: money,
    created_date: date,
    automodifiedtimestamp: datetime,
  },
  recalltype: { recall_type_id: int, name: text, description: text, interval_months: nonNegative, interval_days: nonNegative },
  recall: {
    recall_id: int,
    patient_id: int,
    recall_type_id: int,
    due_date: date,
    prior_date: date,
    set_date: date,
    provider_id: text,
    appointment_id: int,
    automodifiedtimestamp: datetime,
  },
  proccode: { proccode_id: int, ada_code: text, abbrev_description: text, description: text, category: text, default_fee: money },
  txcase: {
    txcase_id: int,
    patient_id: int,
    description: text,
    status: text,
    provider_id: text,
    created_date: date,
    accepted_date: date,
    completed_date: date,
    automodifiedtimestamp: datetime,
  },
  procedure: {
    proc_id: int,
    patient_id: int,
    txcase_id: int,
    proccode_id: int,
    proc_date: date,
    status: text,
    provider_id: text,
    tooth: text,
    surfaces: text,
    fee: money,
    ins_estimate: money,
    automodifiedtimestamp: datetime,
  },
  ledger: {
    ledger_id: int,
    guar_id: int,
    patient_id: int,
    txcase_id: int,
    entry_date: date,
    entry_type: text,
    amount: money,
    description: text,
    claim_status: text,
  },
  medical_alert: { alert_id: int, patient_id: int, alert_type: text, description: text, critical: bool, noted_date: date },
  clinical_note: { note_id: int, patient_id: int, note_date: datetime, provider_id: text, note_type: text, note_text: text },
  document: {
    document_id: int,
    patient_id: int,
    doc_type: text,
    file_path: text,
    description: text,
    created_date: date,
    size_bytes: nonNegative,
    sha256: text,
  },
};

/** The contract's column names of a table, in contract order. */
export function contractColumns(table: DentrixTable): string[] {
  return Object.keys(TABLE_COLUMNS[table]);
}

export function columnSpec(table: DentrixTable, column: string): ColumnSpec | undefined {
  return (TABLE_COLUMNS[table] as Record<string, ColumnSpec | undefined>)[column];
}
