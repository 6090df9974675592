/**
 * The names of the derived sources a field rule can read (computed in derived.ts, which must define each of them).
 * Kept in their own module, like transform-names.ts, so the map's schema can name them without depending on the
 * implementations, which depend on the map's types.
 */
export const DERIVED_SOURCE_NAMES = [
  'source_key',
  'imaging_document_count',
  'merged_patient_ids',
  'medical_alerts',
  'clinical_notes',
  'recall_type_names',
  'balance_forward_entries',
  'plan_fee_total',
  'plan_cdt_codes',
  'plan_insurance_estimate',
  'plan_ledger_entries',
  'procedure_fee',
  'appointment_start',
  'appointment_status',
  'appointment_treatment_plan',
  'booked_appointment_treatment_plan',
  'recall_due',
] as const;

export type DerivedSourceName = (typeof DERIVED_SOURCE_NAMES)[number];
