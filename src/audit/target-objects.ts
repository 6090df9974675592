import { IMAGING_DOCUMENT_TYPES } from '../dentrix/types';
import type { TargetObjectCounts } from './report';
import { type AuditContext, oneRow } from './sql';

/** SQL: the document's type is one that stays in the image archive (same rule as the mapping: trimmed, any case). */
export const IMAGING_SQL = `lower(btrim(data->>'doc_type')) = ANY($2::text[])`;

/**
 * What the staged rows become in Pipedrive (service page object mapping): one pass over the migration's rows,
 * plus one over patients to group families.
 */
export async function targetObjectCounts(ctx: AuditContext): Promise<TargetObjectCounts> {
  const c = await oneRow<Record<string, number>>(
    ctx.db,
    `SELECT
       count(*) FILTER (WHERE source_table = 'patient')::int AS patients,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '1')::int AS active,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '2')::int AS non_patient,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '3')::int AS inactive,
       count(*) FILTER (WHERE source_table = 'patient' AND data->>'status' = '4')::int AS archived,
       count(*) FILTER (WHERE source_table = 'provider')::int AS providers,
       count(*) FILTER (WHERE source_table = 'employer')::int AS employers,
       count(*) FILTER (WHERE source_table = 'referral')::int AS referrals,
       count(*) FILTER (WHERE source_table = 'inscarrier')::int AS carriers,
       count(*) FILTER (WHERE source_table = 'proccode')::int AS proccodes,
       count(*) FILTER (WHERE source_table = 'txcase')::int AS txcases,
       count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NOT NULL)::int AS plan_procedures,
       count(*) FILTER (WHERE source_table = 'procedure' AND data->>'txcase_id' IS NULL)::int AS other_procedures,
       count(*) FILTER (WHERE source_table = 'appt')::int AS appointments,
       count(*) FILTER (WHERE source_table = 'appt' AND data->>'patient_id' IS NULL)::int AS new_patient_bookings,
       count(*) FILTER (WHERE source_table = 'recall')::int AS recalls,
       count(*) FILTER (WHERE source_table = 'clinical_note')::int AS clinical_notes,
       count(*) FILTER (WHERE source_table = 'document' AND ${IMAGING_SQL})::int AS imaging_documents,
       count(*) FILTER (WHERE source_table = 'document' AND NOT coalesce(${IMAGING_SQL}, false))::int AS other_documents
     FROM staged_rows
     WHERE migration_id = $1`,
    [ctx.migrationId, IMAGING_DOCUMENT_TYPES],
  );
  // A patient without a guarantor is a family of one.
  const families = await oneRow<{ families: number; households: number }>(
    ctx.db,
    `SELECT count(*)::int AS families, count(*) FILTER (WHERE members >= 2)::int AS households
       FROM (SELECT coalesce(data->>'guar_id', source_key) AS family, count(*) AS members
               FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient'
              GROUP BY 1) f`,
    [ctx.migrationId],
  );
  const n = (key: string): number => c[key] ?? 0;
  const patients = n('patients');
  return {
    persons: {
      total: patients + n('new_patient_bookings'),
      activePatients: n('active'),
      nonPatientGuarantors: n('non_patient'),
      inactivePatients: n('inactive'),
      archivedPatients: n('archived'),
      otherStatus: patients - n('active') - n('non_patient') - n('inactive') - n('archived'),
      newPatientBookings: n('new_patient_bookings'),
    },
    organizations: {
      total: families.households + n('employers') + n('referrals') + n('carriers'),
      households: families.households,
      families: families.families,
      employers: n('employers'),
      referralSources: n('referrals'),
      carriers: n('carriers'),
    },
    products: { total: n('proccodes'), cdtCodes: n('proccodes') },
    deals: { total: n('txcases'), treatmentPlans: n('txcases') },
    dealProducts: { total: n('plan_procedures'), planProcedures: n('plan_procedures'), proceduresOutsidePlans: n('other_procedures') },
    activities: { total: n('appointments') + n('recalls'), appointments: n('appointments'), recalls: n('recalls') },
    notes: { total: n('clinical_notes'), clinicalNotes: n('clinical_notes') },
    files: { total: n('other_documents'), nonImagingDocuments: n('other_documents'), imagingDocumentsAsLinks: n('imaging_documents') },
    users: { providers: n('providers') },
  };
}
