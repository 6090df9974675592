import type { DuplicateEvidence, DuplicatePatients } from './report';
import { duplicatePatientRow } from '../store/source-audit';
import { type AuditContext } from './sql';

export const DUPLICATE_RULE =
  'probable duplicate: same normalised first and last name (case, accents, spaces and punctuation ignored) and the same ' +
  'valid birth date; email, phone and address matches are listed as further evidence. Families share phones and ' +
  'emails, so contact details alone never make a duplicate.';

/**
 * Probable duplicate patients, grouped in the database: only the groups come back, so the patient table's size
 * does not matter. Each later chart of a group is paired with the group's earliest chart (lowest id), the usual
 * original when a new-patient booking created a second chart.
 */
export async function duplicatePatients(ctx: AuditContext): Promise<DuplicatePatients> {
  const result = await duplicatePatientRow(ctx.db, ctx);
  const pairs = result.listed.map((p) => {
    const matched: DuplicateEvidence[] = ['name', 'birth_date'];
    if (p.email) matched.push('email');
    if (p.phone) matched.push('phone');
    if (p.address) matched.push('address');
    return { patientId: Number(p.id), duplicateOfPatientId: Number(p.original_id), matched };
  });
  return {
    rule: DUPLICATE_RULE,
    patientRecords: result.patients,
    groups: result.groups,
    duplicateRecords: result.duplicates,
    rate: result.patients === 0 ? 0 : result.duplicates / result.patients,
    pairsWithContactEvidence: result.with_contact,
    pairs,
    pairsTruncated: result.duplicates > pairs.length,
  };
}
