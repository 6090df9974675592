/**
 * Derived sources: values a rule reads that are not one column of one row (sums over ledger rows, the recall
 * categories of a patient, an appointment's start). Each is pure over the bundle.
 */
import { IMAGING_DOCUMENT_TYPES, type LedgerRow, type MedicalAlertRow, type ClinicalNoteRow, type ProcedureRow } from '../dentrix/types';
import type { BundleOfKind, SourceBundle } from './bundles';
import { sourceKeyOfBundle } from './bundles';
import { composeLocalDateTime, isValidLocalDate } from './transforms/datetime';
import { sumMoney } from './transforms/money';
import { recallDueDate, type RecallDue } from './transforms/recall';
import { lookupValue } from './transforms/value-map';
import type { MapOptions } from './field-map';
import type { DentrixTable } from '../dentrix/types';
import { RECORD_KIND_NAMES, type RecordKind } from './types';
import type { DerivedSourceName } from './derived-names';

export type AppointmentStatusClass = 'completed' | 'broken' | 'cancelled' | 'scheduled';

export interface AppointmentStatus {
  statusClass: AppointmentStatusClass;
  /** The practice's status description (Scheduled, Confirmed, Complete, ...), not PHI. */
  description: string | null;
}

interface DerivedDef<K extends RecordKind> {
  kinds: readonly K[];
  /** The tables it reads, for the workbook and the fetch plan review. */
  tables: readonly DentrixTable[];
  description: string;
  compute(bundle: BundleOfKind<K>, options: MapOptions): unknown;
}

function derived<K extends RecordKind>(def: DerivedDef<K>): DerivedDef<K> {
  return def;
}

export const DERIVED_SOURCES = {
  source_key: derived<RecordKind>({
    kinds: RECORD_KIND_NAMES,
    tables: [],
    description: 'the record source key (patient:5, household:12, ...)',
    compute: (bundle) => sourceKeyOfBundle(bundle),
  }),
  imaging_document_count: derived({
    kinds: ['patient'],
    tables: ['document'],
    description: 'count of the patient imaging documents (xray, intraoral_photo, cbct, pano)',
    compute: (bundle) => bundle.documents.filter((d) => isImagingDocument(d.doc_type)).length,
  }),
  merged_patient_ids: derived({
    kinds: ['patient'],
    tables: [],
    description: 'the Dentrix ids of the duplicate charts merged into this patient at MAPPING_REVIEW, comma-separated',
    compute: (bundle) => (bundle.mergedPatientIds?.length ? bundle.mergedPatientIds.join(', ') : null),
  }),
  medical_alerts: derived({
    kinds: ['patient'],
    tables: ['medical_alert'],
    description: 'the patient medical alerts',
    compute: (bundle): MedicalAlertRow[] => bundle.medicalAlerts,
  }),
  clinical_notes: derived({
    kinds: ['patient'],
    tables: ['clinical_note'],
    description: 'the patient clinical notes, oldest first',
    compute: (bundle): ClinicalNoteRow[] =>
      [...bundle.clinicalNotes].sort((a, b) => (a.note_date ?? '').localeCompare(b.note_date ?? '') || a.note_id - b.note_id),
  }),
  recall_type_names: derived({
    kinds: ['patient'],
    tables: ['recall', 'recalltype'],
    description: 'names of the recall types of the patient recalls (Prophy, Perio, ...)',
    compute: (bundle): string[] => {
      const names = bundle.recalls
        .map((recall) => bundle.recallTypes.find((t) => t.recall_type_id === recall.recall_type_id)?.name?.trim())
        .filter((name): name is string => !!name);
      return [...new Set(names)].sort((a, b) => a.localeCompare(b));
    },
  }),
  balance_forward_entries: derived({
    kinds: ['patient'],
    tables: ['ledger'],
    description: 'ledger entries of the family (guar_id = this patient) not tied to a treatment plan',
    compute: (bundle): LedgerRow[] => bundle.balanceForwardEntries.filter((e) => e.txcase_id === null && e.guar_id === bundle.patient.patient_id),
  }),
  plan_fee_total: derived({
    kinds: ['txcase'],
    tables: ['procedure'],
    description: 'sum of the plan procedure fees',
    compute: (bundle) => sumMoney(planProcedures(bundle).map((p) => p.fee)) ?? 0,
  }),
  plan_cdt_codes: derived({
    kinds: ['txcase'],
    tables: ['procedure', 'proccode'],
    description: 'the CDT codes of the plan procedures, in procedure order, without duplicates',
    compute: (bundle): string[] => {
      const codes = [...planProcedures(bundle)]
        .sort((a, b) => a.proc_id - b.proc_id)
        .map((p) =>
          bundle.procCodes
            .find((c) => c.proccode_id === p.proccode_id)
            ?.ada_code?.trim()
            .toUpperCase(),
        )
        .filter((code): code is string => !!code);
      return [...new Set(codes)];
    },
  }),
  plan_insurance_estimate: derived({
    kinds: ['txcase'],
    tables: ['procedure', 'ledger'],
    description: 'sum of the plan procedures ins_estimate; when no procedure carries one, the plan insurance_estimate ledger rows',
    compute: (bundle) => {
      const fromProcedures = sumMoney(planProcedures(bundle).map((p) => p.ins_estimate));
      if (fromProcedures !== null) return fromProcedures;
      const ledger = planLedger(bundle).filter((e) => e.entry_type === 'insurance_estimate');
      const total = sumMoney(ledger.map((e) => e.amount));
      return total === null ? null : Math.abs(total);
    },
  }),
  plan_ledger_entries: derived({
    kinds: ['txcase'],
    tables: ['ledger'],
    description: 'ledger entries of this plan',
    compute: (bundle): LedgerRow[] => planLedger(bundle),
  }),
  procedure_fee: derived({
    kinds: ['procedure'],
    tables: ['procedure', 'proccode'],
    description: 'the procedure fee, else the procedure code default fee',
    compute: (bundle): { fee: number | null; defaulted: boolean } => {
      if (bundle.procedure.fee !== null) return { fee: bundle.procedure.fee, defaulted: false };
      return { fee: bundle.procCode?.default_fee ?? null, defaulted: true };
    },
  }),
  appointment_start: derived({
    kinds: ['appt'],
    tables: ['appt'],
    description: 'appointment_date + start_hour:start_minute, local wall-clock time',
    compute: (bundle) => composeLocalDateTime(bundle.appt.appointment_date, bundle.appt.start_hour, bundle.appt.start_minute),
  }),
  appointment_status: derived({
    kinds: ['appt'],
    tables: ['appt', 'appt_status'],
    description: 'the appointment status class (completed, broken, cancelled, scheduled) by the map status lists',
    compute: (bundle, options): AppointmentStatus => appointmentStatusOf(bundle, options),
  }),
  appointment_treatment_plan: derived({
    kinds: ['appt'],
    tables: ['appt', 'procedure'],
    description: "the txcase_id of the patient's plan with a procedure on the appointment date (most procedures that day, then lowest txcase_id)",
    compute: (bundle): number | null => planOfVisit(bundle.appt, bundle.planProcedures),
  }),
  booked_appointment_treatment_plan: derived({
    kinds: ['recall'],
    tables: ['recall', 'appt', 'procedure'],
    description: 'the treatment plan of the booked recall visit (recall.appointment_id), by the appointment rule; none when not booked',
    compute: (bundle): number | null => (bundle.bookedAppointment === null ? null : planOfVisit(bundle.bookedAppointment, bundle.bookedPlanProcedures)),
  }),
  recall_due: derived({
    kinds: ['recall'],
    tables: ['recall', 'recalltype'],
    description: 'due_date, else prior_date + the recall type interval (months, then days)',
    compute: (bundle): RecallDue =>
      recallDueDate(bundle.recall.due_date, bundle.recall.prior_date, bundle.recallType?.interval_months ?? null, bundle.recallType?.interval_days ?? null),
  }),
} as const satisfies Record<DerivedSourceName, { kinds: readonly RecordKind[]; tables: readonly DentrixTable[]; description: string }>;

export { DERIVED_SOURCE_NAMES, type DerivedSourceName } from './derived-names';

export function derivedKinds(name: DerivedSourceName): readonly RecordKind[] {
  return DERIVED_SOURCES[name].kinds;
}

export function computeDerived(name: DerivedSourceName, bundle: SourceBundle, options: MapOptions): unknown {
  const def = DERIVED_SOURCES[name] as unknown as DerivedDef<RecordKind>;
  if (!def.kinds.includes(bundle.kind)) throw new Error(`derived source ${name} does not apply to ${bundle.kind} records`);
  return def.compute(bundle, options);
}

/**
 * The treatment plan a visit belongs to. Dentrix keeps no plan on an appointment; a plan procedure of the same
 * patient dated on the appointment's date (both local practice dates, so no zone shift) ties the two. When several
 * plans have procedures that day, the one with the most of them wins, then the lowest txcase_id, so the link is
 * the same on every run. Null when nothing matches (no patient, no date, no plan procedure that day).
 */
export function planOfVisit(
  appt: { patient_id: number | null; appointment_date: string | null },
  procedures: readonly Pick<ProcedureRow, 'patient_id' | 'txcase_id' | 'proc_date'>[],
): number | null {
  const { patient_id: patientId, appointment_date: date } = appt;
  if (patientId === null || date === null || !isValidLocalDate(date)) return null;
  const perPlan = new Map<number, number>();
  for (const p of procedures) {
    if (p.patient_id !== patientId || p.txcase_id === null || p.proc_date !== date) continue;
    perPlan.set(p.txcase_id, (perPlan.get(p.txcase_id) ?? 0) + 1);
  }
  let best: { txcaseId: number; count: number } | null = null;
  for (const [txcaseId, count] of perPlan) {
    if (best === null || count > best.count || (count === best.count && txcaseId < best.txcaseId)) best = { txcaseId, count };
  }
  return best?.txcaseId ?? null;
}

export function isImagingDocument(docType: string | null): boolean {
  const type = docType?.trim().toLowerCase();
  return type !== undefined && (IMAGING_DOCUMENT_TYPES as readonly string[]).includes(type);
}

/** Each approved map's appointment-status lists as one lookup, built once (it is read for every appointment). */
const statusClasses = new WeakMap<MapOptions['appointmentStatuses'], Record<string, AppointmentStatus['statusClass']>>();

export function appointmentStatusOf(bundle: BundleOfKind<'appt'> | BundleOfKind<'newpatient'>, options: MapOptions): AppointmentStatus {
  const description = 'status' in bundle ? (bundle.status?.description?.trim() ?? null) : null;
  const lists = options.appointmentStatuses;
  let classes = statusClasses.get(lists);
  if (!classes) {
    classes = {
      ...Object.fromEntries(lists.completed.map((d) => [d, 'completed' as const])),
      ...Object.fromEntries(lists.broken.map((d) => [d, 'broken' as const])),
      ...Object.fromEntries(lists.cancelled.map((d) => [d, 'cancelled' as const])),
    };
    statusClasses.set(lists, classes);
  }
  return { statusClass: lookupValue(description, classes) ?? 'scheduled', description };
}

function planProcedures(bundle: BundleOfKind<'txcase'>) {
  return bundle.procedures.filter((p) => p.txcase_id === bundle.txcase.txcase_id);
}

function planLedger(bundle: BundleOfKind<'txcase'>) {
  return bundle.ledger.filter((e) => e.txcase_id === bundle.txcase.txcase_id);
}
