import { mergePlan, storedMerges, withMergePartners } from '../mapping';
import { latestFieldMap } from '../store/field-maps';
import { patientFeatureRows, replaceSampleMembers } from '../store/sample-members';
import { publishReport } from './publish-report';
import type { MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { writeJsonReport } from './report-files';
import { ACTIVE_PLAN_STATUSES, SAMPLE_KEEP as KEEP, sampleRecordsOf, selectSamplePatients, strataCoverage, type PatientFeatures } from './sample-selection';

/** SAMPLE phase: chooses the sample's members (ids only) and stores them; the loads then plan from them. */
export function createSampleActivities({ pool, settings, now = () => new Date() }: ActivityDeps) {
  return {
    async selectSample({ migrationId, size }: MigrationRef & { size: number }): Promise<{ patients: number; members: Record<string, number> }> {
      const today = now().toISOString().slice(0, 10);
      const rows = await patientFeatureRows(pool, migrationId, today, ACTIVE_PLAN_STATUSES);
      const features: PatientFeatures[] = rows.map((r) => ({
        patientId: Number(r.patient_id),
        guarantorId: r.guar_id === null ? null : Number(r.guar_id),
        familySize: Number(r.family_size),
        recallTypes: r.recall_types ?? [],
        activePlans: Number(r.active_plans),
        pastAppointments: Number(r.past_appts),
        futureAppointments: Number(r.future_appts),
        records: sampleRecordsOf({
          recalls: Number(r.recalls),
          plans: Number(r.plans),
          planProcedures: Number(r.plan_procedures),
          pastAppointments: Number(r.past_appts),
          futureAppointments: Number(r.future_appts),
          notes: Number(r.notes),
          documents: Number(r.documents),
        }),
      }));
      const chosen = selectSamplePatients(features, size);
      // A merged pair is one Person: the sample takes both charts (the duplicate's records attach to the survivor).
      const merges = mergePlan(storedMerges((await latestFieldMap(pool, migrationId, 'approved'))?.document));
      const ids = withMergePartners(
        chosen.map((p) => p.patientId),
        merges,
      ).map(String);

      const members = await replaceSampleMembers(pool, migrationId, ids, today, KEEP);
      const reportPath = await writeJsonReport(settings, migrationId, 'sample-members.json', {
        migrationId,
        targetRecords: size,
        patients: chosen.length,
        // Strata (recall type × active plan × visit history × family) the practice has and the sample covers.
        strata: strataCoverage(features, chosen),
        members,
        patientIds: chosen.map((p) => p.patientId),
      });
      await publishReport(pool, migrationId, 'sample-members', [reportPath], { patients: chosen.length, ...members });
      return { patients: chosen.length, members };
    },
  };
}
