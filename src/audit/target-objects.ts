import { IMAGING_DOCUMENT_TYPES } from '../dentrix/types';
import type { TargetObjectCounts } from './report';
import { familyRow, targetObjectRow } from '../store/source-audit';
import { type AuditContext } from './sql';

/**
 * What the staged rows become in Pipedrive (service page object mapping): one pass over the migration's rows,
 * plus one over patients to group families.
 */
export async function targetObjectCounts(ctx: AuditContext): Promise<TargetObjectCounts> {
  const c = await targetObjectRow(ctx.db, ctx, IMAGING_DOCUMENT_TYPES);
  // A patient without a guarantor is a family of one.
  const families = await familyRow(ctx.db, ctx);
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
