/**
 * PHI classification of a column the default map does not know (a practice-specific column): by its table, its
 * name and the shape of its values. Patients' names, birth dates, phones, emails and addresses, notes, alerts,
 * medications and insurance member ids are `phi` (moved only when the practice approves them); an SSN is `never`.
 * Columns of provider, employer, referral, carrier and lookup tables describe businesses, not patients. Pure.
 */
import type { DentrixTable } from '../dentrix';
import type { PhiClass } from '../mapping';
import { nameTokens } from './names';
import type { ColumnProfile } from './value-profile';

/** Tables whose rows are about one patient. */
export const PATIENT_TABLES: readonly DentrixTable[] = [
  'patient',
  'insured',
  'appt',
  'recall',
  'txcase',
  'procedure',
  'ledger',
  'medical_alert',
  'clinical_note',
  'document',
];

const NEVER_TOKENS = new Set(['ssn']);
const IDENTIFIER_TOKENS = new Set([
  'name',
  'first',
  'last',
  'middle',
  'initial',
  'preferred',
  'birth',
  'age',
  'phone',
  'mobile',
  'home',
  'email',
  'address',
  'zipcode',
  'city',
  'line',
  'emergency',
  'contact',
  'spouse',
  'mother',
  'father',
  'parent',
  'license',
  'passport',
  'photo',
]);
const CLINICAL_TOKENS = new Set([
  'note',
  'alert',
  'allergy',
  'allergies',
  'medication',
  'medications',
  'med',
  'meds',
  'rx',
  'prescription',
  'condition',
  'conditions',
  'diagnosis',
  'dx',
  'medical',
  'clinical',
  'health',
  'history',
  'premed',
  'premedication',
  'pregnant',
  'hiv',
  'disease',
  'symptom',
  'symptoms',
  'treatment',
  'xray',
  'reason',
]);
const MEMBER_ID_TOKENS = new Set(['subscriber', 'policy', 'insurance', 'medicaid', 'medicare']);
const IDENTIFYING_KINDS = new Set(['email', 'phone', 'long_text']);

export interface PhiAssessment {
  phi: PhiClass;
  /** The default de-identification for a `phi` column: year for dates, last four for member ids, else drop. */
  deidentify?: 'mask' | 'year_only' | 'drop';
  /** Why, in a few words (no values). */
  reason: string;
}

export function classifyColumn(table: DentrixTable, column: string, profile: ColumnProfile | undefined): PhiAssessment {
  const tokens = nameTokens(column);
  const ssnShaped = profile !== undefined && profile.kind === 'ssn' && profile.kindShare >= 0.5;
  if (tokens.some((t) => NEVER_TOKENS.has(t)) || ssnShaped) {
    return { phi: 'never', reason: ssnShaped ? 'values are shaped like SSNs: never moves' : 'a social security number never moves' };
  }
  if (!PATIENT_TABLES.includes(table)) return { phi: 'none', reason: `${table} rows describe a business or a lookup, not a patient` };

  const dateLike = profile !== undefined && (profile.kind === 'date' || profile.kind === 'us_date');
  if (tokens.includes('birth') || (tokens.includes('age') && !tokens.includes('page'))) {
    return { phi: 'phi', deidentify: dateLike || tokens.includes('date') ? 'year_only' : 'drop', reason: 'a birth date or age identifies the patient' };
  }
  if (tokens.some((t) => MEMBER_ID_TOKENS.has(t))) {
    return { phi: 'phi', deidentify: 'mask', reason: 'an insurance member or policy number is a HIPAA identifier' };
  }
  if (tokens.some((t) => CLINICAL_TOKENS.has(t))) return { phi: 'phi', deidentify: 'drop', reason: 'clinical information about the patient' };
  if (tokens.some((t) => IDENTIFIER_TOKENS.has(t))) return { phi: 'phi', deidentify: 'drop', reason: "the patient's identifying or contact details" };
  if (profile !== undefined && IDENTIFYING_KINDS.has(profile.kind) && profile.kindShare >= 0.5) {
    const what = profile.kind === 'long_text' ? 'free text about a patient may hold anything clinical' : `${profile.kind} values of a patient identify them`;
    return { phi: 'phi', deidentify: 'drop', reason: what };
  }
  return { phi: 'none', reason: 'nothing in its name or values marks it as PHI' };
}

/** The stricter of two classes. */
export function stricterPhi(a: PhiClass, b: PhiClass): PhiClass {
  const order: PhiClass[] = ['none', 'phi', 'never'];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}
