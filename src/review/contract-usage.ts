/**
 * How a map uses each column of the Dentrix contract: the rules that read it directly, the rules that read it
 * through a derived source (ledger sums, medical alerts, appointment start...), and what the engine itself reads it
 * for (keys, references, provider → user matching, the delta cursor). The workbook shows it; the proposer uses it
 * to say where a column (or a renamed stand-in for it) goes. Pure.
 */
import { PRIMARY_KEYS, type DentrixTable } from '../dentrix';
import type { DerivedSourceName, FieldMap, FieldRule, PhiClass } from '../mapping';

/** The contract columns each derived source reads (see src/mapping/derived.ts). */
export const DERIVED_SOURCE_COLUMNS: Record<DerivedSourceName, Partial<Record<DentrixTable, readonly string[]>>> = {
  source_key: {},
  imaging_document_count: { document: ['doc_type'] },
  merged_patient_ids: {},
  medical_alerts: { medical_alert: ['alert_type', 'description', 'critical'] },
  clinical_notes: { clinical_note: ['note_date', 'note_type', 'note_text'] },
  recall_type_names: { recall: ['recall_type_id'], recalltype: ['name'] },
  balance_forward_entries: { ledger: ['guar_id', 'txcase_id', 'entry_type', 'amount'] },
  plan_fee_total: { procedure: ['fee'] },
  plan_cdt_codes: { procedure: ['proccode_id'], proccode: ['ada_code'] },
  plan_insurance_estimate: { procedure: ['ins_estimate'], ledger: ['entry_type', 'amount'] },
  plan_ledger_entries: { ledger: ['txcase_id', 'entry_type', 'amount'] },
  procedure_fee: { procedure: ['fee'], proccode: ['default_fee'] },
  appointment_start: { appt: ['appointment_date', 'start_hour', 'start_minute'] },
  appointment_status: { appt: ['status_id'], appt_status: ['description'] },
  appointment_treatment_plan: { appt: ['patient_id', 'appointment_date'], procedure: ['patient_id', 'txcase_id', 'proc_date'] },
  booked_appointment_treatment_plan: {
    recall: ['appointment_id'],
    appt: ['patient_id', 'appointment_date'],
    procedure: ['patient_id', 'txcase_id', 'proc_date'],
  },
  recall_due: { recall: ['due_date', 'prior_date', 'recall_type_id'], recalltype: ['interval_months', 'interval_days'] },
};

const PROVIDER_DETAIL = 'providers are matched to existing Pipedrive users: their details stay in Dentrix';
const LEDGER_DETAIL = 'ledger entries move only as sums on plans and the guarantor (Pipedrive is not a billing system)';

/**
 * What the engine reads a contract column for beyond the rules (keys, references, matching, delta cursor), or why
 * the default map leaves it in Dentrix.
 */
const ENGINE_USES: Partial<Record<DentrixTable, Record<string, string>>> = {
  provider: {
    email: 'providers become Pipedrive users by email match (objects.users)',
    first_name: 'providers are matched to existing Pipedrive users, not created: their names do not move',
    last_name: 'providers are matched to existing Pipedrive users, not created: their names do not move',
    inactive: 'inactive providers still resolve to their user so their history keeps its owner',
    mi: PROVIDER_DETAIL,
    suffix: PROVIDER_DETAIL,
    title: PROVIDER_DETAIL,
    provider_type: PROVIDER_DETAIL,
    specialty: PROVIDER_DETAIL,
    npi: PROVIDER_DETAIL,
  },
  patient: { prim_insured_id: 'links the patient to the primary insured row (subscriber id, carrier)', guar_id: 'groups the family under its guarantor' },
  insured: {
    subscriber_patient_id: 'the subscriber is known through patient.prim_insured_id',
    effective_date: 'coverage dates are billing data: not moved',
  },
  recalltype: { description: 'the recall type name is the label that moves' },
  appt: { status_id: 'links the appointment to its status description' },
  recall: { patient_id: 'links the recall to its patient', recall_type_id: 'links the recall to its type', set_date: 'when staff set the recall: not moved' },
  procedure: {
    txcase_id: 'links the procedure to its plan',
    patient_id: 'links the procedure to its patient',
    provider_id: "the plan's provider owns the deal: the procedure's provider is not moved",
  },
  ledger: {
    guar_id: 'links the entry to the family',
    patient_id: 'links the entry to its patient',
    txcase_id: 'links the entry to its plan',
    entry_date: LEDGER_DETAIL,
    description: LEDGER_DETAIL,
  },
  medical_alert: { patient_id: 'links the alert to its patient', noted_date: 'alerts move as a list without their dates' },
  clinical_note: { patient_id: 'links the note to its patient' },
  document: {
    patient_id: 'links the document to its patient',
    size_bytes: 'checked against the file before upload: a mismatch rejects the document with its reason',
    sha256: 'checked against the file before upload: a mismatch rejects the document with its reason',
  },
};

const CHANGE_CURSOR = 'automodifiedtimestamp';

export interface ContractColumnUse {
  table: DentrixTable;
  column: string;
  /** Rules whose source names the column. */
  directRules: FieldRule[];
  /** Rules reading the column through a derived source. */
  derivedRules: FieldRule[];
  /** What the engine reads it for, when it does. */
  engine: string | null;
}

export function contractColumnUse(map: FieldMap, table: DentrixTable, column: string): ContractColumnUse {
  const directRules = map.rules.filter((r) => r.source.kind === 'columns' && r.source.table === table && r.source.columns.includes(column));
  const derivedRules = map.rules.filter((r) => r.source.kind === 'derived' && (DERIVED_SOURCE_COLUMNS[r.source.name][table] ?? []).includes(column));
  let engine = ENGINE_USES[table]?.[column] ?? null;
  if (column === PRIMARY_KEYS[table]) engine = 'primary key: the record source key (exactly-once) and the target of references';
  if (column === CHANGE_CURSOR) {
    engine =
      'change cursor of the delta pick-up window for a SQL mirror: each poll reads only rows stamped at or after the ' +
      "table's watermark (minus a short overlap); extract folders are compared by key and content hash instead";
  }
  return { table, column, directRules, derivedRules, engine };
}

/** The strictest PHI class among the rules that read the column (`none` when only the engine reads it). */
export function phiOfUse(use: ContractColumnUse): PhiClass {
  const classes = [...use.directRules, ...use.derivedRules].map((r) => r.phi);
  if (classes.includes('never')) return 'never';
  if (classes.includes('phi')) return 'phi';
  return 'none';
}

/**
 * Where a contract column goes, as one comparable string: the targets of the rules that read it (directly or
 * derived), or the engine's use. Two columns with the same signature have the same destination.
 */
export function destinationSignature(use: ContractColumnUse): string {
  const targets = [...use.directRules, ...use.derivedRules].map((r) =>
    r.target.field.kind === 'not_migrated' ? `${r.id}→not_migrated` : `${r.id}→${r.target.entity}.${r.target.field.name}`,
  );
  if (targets.length > 0) return [...new Set(targets)].sort().join(' | ');
  return use.engine ? `engine: ${use.engine}` : 'unused';
}

/** A short description of where the column goes, for the workbook and rationales. */
export function describeUse(use: ContractColumnUse): string {
  const parts: string[] = [];
  if (use.directRules.length > 0) parts.push(`rules ${use.directRules.map((r) => r.id).join(', ')}`);
  if (use.derivedRules.length > 0) {
    const sources = [...new Set(use.derivedRules.map((r) => (r.source.kind === 'derived' ? r.source.name : '')))];
    parts.push(`derived ${sources.join(', ')} → ${use.derivedRules.map((r) => r.id).join(', ')}`);
  }
  if (use.engine) parts.push(`engine: ${use.engine}`);
  return parts.length > 0 ? parts.join('; ') : 'not read by this map';
}
