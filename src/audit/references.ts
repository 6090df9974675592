import type { OrphanReference, OrphanReferences, ReferenceSpec } from './report';
import { orphanReferenceRow, stagedTables } from '../store/source-audit';
import { type AuditContext, keyList } from './sql';

/** Every reference of the extract format (`→` in dentrix-extract-format.md) to another table's primary key. */
export const REFERENCES: readonly ReferenceSpec[] = [
  { table: 'patient', column: 'guar_id', references: 'patient' },
  { table: 'patient', column: 'pri_provider_id', references: 'provider' },
  { table: 'patient', column: 'sec_provider_id', references: 'provider' },
  { table: 'patient', column: 'employer_id', references: 'employer' },
  { table: 'patient', column: 'referred_by_id', references: 'referral' },
  { table: 'patient', column: 'prim_insured_id', references: 'insured' },
  { table: 'patient', column: 'sec_insured_id', references: 'insured' },
  { table: 'insured', column: 'ins_plan_id', references: 'inscarrier' },
  { table: 'insured', column: 'subscriber_patient_id', references: 'patient' },
  { table: 'appt', column: 'patient_id', references: 'patient' },
  { table: 'appt', column: 'provider_id', references: 'provider' },
  { table: 'appt', column: 'addtnl_provider_id', references: 'provider' },
  { table: 'appt', column: 'status_id', references: 'appt_status' },
  { table: 'recall', column: 'patient_id', references: 'patient' },
  { table: 'recall', column: 'recall_type_id', references: 'recalltype' },
  { table: 'recall', column: 'provider_id', references: 'provider' },
  { table: 'recall', column: 'appointment_id', references: 'appt' },
  { table: 'txcase', column: 'patient_id', references: 'patient' },
  { table: 'txcase', column: 'provider_id', references: 'provider' },
  { table: 'procedure', column: 'patient_id', references: 'patient' },
  { table: 'procedure', column: 'txcase_id', references: 'txcase' },
  { table: 'procedure', column: 'proccode_id', references: 'proccode' },
  { table: 'procedure', column: 'provider_id', references: 'provider' },
  { table: 'ledger', column: 'guar_id', references: 'patient' },
  { table: 'ledger', column: 'patient_id', references: 'patient' },
  { table: 'ledger', column: 'txcase_id', references: 'txcase' },
  { table: 'medical_alert', column: 'patient_id', references: 'patient' },
  { table: 'clinical_note', column: 'patient_id', references: 'patient' },
  { table: 'clinical_note', column: 'provider_id', references: 'provider' },
  { table: 'document', column: 'patient_id', references: 'patient' },
];

/**
 * References to rows that are not in staging (never extracted, deleted in Dentrix, or rejected by the reader),
 * one anti-join per reference so the database does the work whatever the table sizes. Staged keys are the
 * primary key as text, and `data->>column` renders a reference the same way.
 */
export async function orphanReferences(ctx: AuditContext): Promise<OrphanReferences> {
  const present = new Set(await stagedTables(ctx.db, ctx));
  const references: OrphanReference[] = [];
  for (const spec of REFERENCES) {
    if (!present.has(spec.table)) continue;
    const found = await orphanReferenceRow(ctx.db, ctx, spec);
    if (found.count === 0) continue;
    references.push({
      table: spec.table,
      column: spec.column,
      references: spec.references,
      referencedTablePresent: present.has(spec.references),
      rows: keyList(found.count, found.keys),
      missingKeys: keyList(found.distinct_missing, found.missing),
    });
  }
  return { total: references.reduce((sum, r) => sum + r.rows.count, 0), references };
}
