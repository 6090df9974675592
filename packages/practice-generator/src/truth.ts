import type { DentrixTable, ExtractManifest } from '../../../src/dentrix/types';

/**
 * The generator's ground truth: which dirt it injected where, at which rate, written beside the extract (never as
 * one of its contract files, so readers ignore it) for tests and the data-quality audit to check detection against.
 */
export const TRUTH_FILE = '_generator_truth.json';

/** Rates at which each kind of dirt is injected: the share of its population (see `DirtKind` docs) that gets it. */
export interface DirtRates {
  /** Per original patient: the same person entered a second time (a new-patient booking made a new chart). */
  duplicate_patient: number;
  /** Per original patient: no email at all (neither their own nor the family's). */
  patient_without_email: number;
  /** Per phone value on original patients: too few or too many digits, a letter for a digit. */
  malformed_phone: number;
  /** Per email value on original patients: spaces, upper case, missing @. */
  malformed_email: number;
  /** Per birth date of original patients: 00/00/0000 or 02/30. */
  invalid_date: number;
  /** Per appointment with a provider: the provider was deleted from Dentrix years ago. */
  orphan_appt_provider: number;
  /** Per recall: its patient no longer exists. */
  orphan_recall_patient: number;
  /** Per regular appointment: an extra emergency visit booked at a local time that does not exist or exists twice. */
  dst_appointment: number;
  /** Per regular appointment: an extra booking for a new patient who has no patient record (patient_id NULL). */
  new_patient_appointment: number;
}

export type DirtKind = keyof DirtRates;

export const DEFAULT_DIRT_RATES: DirtRates = {
  duplicate_patient: 0.02,
  patient_without_email: 0.12,
  malformed_phone: 0.03,
  malformed_email: 0.03,
  invalid_date: 0.01,
  orphan_appt_provider: 0.003,
  orphan_recall_patient: 0.005,
  dst_appointment: 0.002,
  new_patient_appointment: 0.004,
};

export interface DirtItem {
  table: DentrixTable;
  /** Primary key of the row carrying the dirt. */
  key: string;
  column?: string;
  /** The variant: e.g. `missing_at`, `too_few_digits`, `zero_date`, `gap`, `overlap`. */
  kind?: string;
  /** duplicate_patient: the original patient's key. */
  original_key?: string;
  /** Orphans: the referenced table and the key that does not exist there. */
  references?: DentrixTable;
  missing_key?: string;
  /** dst_appointment: the local wall-clock time booked. */
  local_time?: string;
}

export interface DirtRecord {
  rate: number;
  population: number;
  injected: number;
  items: DirtItem[];
}

export interface GeneratorTruth {
  generator: 'dentrix-practice-generator/1';
  profile: string;
  seed: number;
  date_format: 'iso' | 'us';
  practice: ExtractManifest['practice'];
  /** The generator's "today": appointments after it are future bookings. */
  extract_date: string;
  tables: Partial<Record<DentrixTable, { rows: number }>>;
  dirt: Record<DirtKind, DirtRecord>;
  /** Natural features of real practices (not dirt), counted for tests and the audit. */
  facts: {
    families: number;
    non_patient_guarantors: number;
    families_sharing_phone: number;
    families_sharing_email: number;
    balance_forward_entries: number;
    in_flight_claims: number;
    recalls_without_due_date: number;
    future_appointments: number;
    deleted_provider_ids: string[];
  };
}
