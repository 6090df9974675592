import type { DuplicateEvidence, DuplicatePatients } from './report';
import { type AuditContext, comparableEmailSql, comparablePhoneSql, normalisedNameSql, oneRow } from './sql';

export const DUPLICATE_RULE =
  'probable duplicate: same normalised first and last name (case, accents, spaces and punctuation ignored) and the same ' +
  'valid birth date; email, phone and address matches are listed as further evidence. Families share phones and ' +
  'emails, so contact details alone never make a duplicate.';

const PHONES = ['mobile_phone', 'home_phone', 'work_phone'].map((column) => comparablePhoneSql(`data->>'${column}'`));

/**
 * Probable duplicate patients, grouped in the database: only the groups come back, so the patient table's size
 * does not matter. Each later chart of a group is paired with the group's earliest chart (lowest id), the usual
 * original when a new-patient booking created a second chart.
 */
export async function duplicatePatients(ctx: AuditContext): Promise<DuplicatePatients> {
  const identitySql = `
    WITH patient AS (
      SELECT (data->>'patient_id')::bigint AS id,
             ${normalisedNameSql("data->>'first_name'")} AS first_name,
             ${normalisedNameSql("data->>'last_name'")} AS last_name,
             data->>'birth_date' AS birth_date,
             ${comparableEmailSql("data->>'email'")} AS email,
             array_remove(ARRAY[${PHONES.join(', ')}], NULL) AS phones,
             nullif(${normalisedNameSql("data->>'address_line1'")} || left(coalesce(data->>'zipcode', ''), 5), '') AS address
        FROM staged_rows
       WHERE migration_id = $1 AND source_table = 'patient'
    ),
    grouped AS (
      SELECT *, min(id) OVER identity AS original_id, count(*) OVER identity AS members
        FROM patient
       WHERE first_name <> '' AND last_name <> '' AND birth_date IS NOT NULL
      WINDOW identity AS (PARTITION BY first_name, last_name, birth_date)
    )`;
  const result = await oneRow<{
    patients: number;
    groups: number;
    duplicates: number;
    with_contact: number;
    listed: { id: number; original_id: number; email: boolean; phone: boolean; address: boolean }[];
  }>(
    ctx.db,
    `${identitySql},
    pair AS (
      SELECT d.id, o.id AS original_id,
             coalesce(d.email = o.email, false) AS email,
             coalesce(d.phones && o.phones, false) AS phone,
             coalesce(d.address = o.address, false) AS address
        FROM grouped d
        JOIN grouped o ON o.id = d.original_id
       WHERE d.members > 1 AND d.id <> d.original_id
    )
    SELECT (SELECT count(*)::int FROM patient) AS patients,
           (SELECT count(DISTINCT original_id)::int FROM pair) AS groups,
           (SELECT count(*)::int FROM pair) AS duplicates,
           (SELECT count(*)::int FROM pair WHERE email OR phone OR address) AS with_contact,
           (SELECT coalesce(json_agg(listed ORDER BY original_id, id), '[]'::json)
              FROM (SELECT * FROM pair ORDER BY original_id, id LIMIT $2) listed) AS listed`,
    [ctx.migrationId, ctx.maxListed],
  );
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
