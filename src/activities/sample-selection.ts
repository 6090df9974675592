/**
 * Choosing the sample: a cross-section of patients across recall types, active treatment plans, historical
 * appointments and families (taken whole), until the records they bring reach the target (200–500 by design). Pure
 * and deterministic: the same staging always yields the same sample.
 */
export interface PatientFeatures {
  patientId: number;
  guarantorId: number | null;
  familySize: number;
  recallTypes: number[];
  activePlans: number;
  pastAppointments: number;
  futureAppointments: number;
  /** Records this patient brings into the sample: the person plus the history the sample keeps of them. */
  records: number;
}

/** Treatment-plan statuses that count as active (a stratum of the sample). */
export const ACTIVE_PLAN_STATUSES = ['Proposed', 'Accepted', 'In Progress', 'On Hold'];
/** Per sampled patient, how many of each open-ended history the sample keeps (a cross-section, not everything). */
export const SAMPLE_KEEP = { pastAppointments: 2, futureAppointments: 1, notes: 2, documents: 2, newPatientBookings: 2 };

/** What one patient has, counted (the staged rows, or an extract as the plan reads it). */
export interface PatientHistory {
  recalls: number;
  plans: number;
  planProcedures: number;
  pastAppointments: number;
  futureAppointments: number;
  notes: number;
  documents: number;
}

/** Records a sampled patient brings: the person, recalls, plans and their procedures, and the history the sample keeps. */
export function sampleRecordsOf(h: PatientHistory): number {
  return (
    1 +
    h.recalls +
    h.plans +
    h.planProcedures +
    Math.min(h.pastAppointments, SAMPLE_KEEP.pastAppointments) +
    Math.min(h.futureAppointments, SAMPLE_KEEP.futureAppointments) +
    Math.min(h.notes, SAMPLE_KEEP.notes) +
    Math.min(h.documents, SAMPLE_KEEP.documents)
  );
}

export function stratumOf(p: PatientFeatures): string {
  const recall = p.recallTypes.length ? String(Math.min(...p.recallTypes)) : 'none';
  return [
    `recall:${recall}`,
    p.activePlans > 0 ? 'plan' : 'no-plan',
    p.pastAppointments > 0 ? 'history' : 'no-history',
    p.familySize > 1 ? 'family' : 'single',
  ].join('|');
}

/** A stable pseudo-random order (FNV-1a of the id and seed), so the sample is spread, not the first N rows. */
function scramble(id: number, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (const c of String(id)) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A family (guarantor and dependents, by guarantor id) or a patient alone: the sample takes families whole. */
function samplingUnits(patients: readonly PatientFeatures[]): PatientFeatures[][] {
  const families = new Map<number, PatientFeatures[]>();
  const units: PatientFeatures[][] = [];
  for (const p of patients) {
    const family = p.guarantorId ?? p.patientId;
    const members = families.get(family);
    if (members) members.push(p);
    else {
      const fresh = [p];
      families.set(family, fresh);
      units.push(fresh);
    }
  }
  // The guarantor first, then dependents by id: a stable order for reports.
  for (const unit of units) unit.sort((a, b) => Number(b.patientId === b.guarantorId) - Number(a.patientId === a.guarantorId) || a.patientId - b.patientId);
  return units;
}

/** A unit's stratum from what its members have together (the lowest recall type, any plan, any history, family). */
function unitStratum(unit: readonly PatientFeatures[]): string {
  return stratumOf({
    patientId: unit[0]!.patientId,
    guarantorId: unit[0]!.guarantorId,
    familySize: Math.max(unit.length, ...unit.map((p) => p.familySize)),
    recallTypes: unit.flatMap((p) => p.recallTypes),
    activePlans: unit.reduce((n, p) => n + p.activePlans, 0),
    pastAppointments: unit.reduce((n, p) => n + p.pastAppointments, 0),
    futureAppointments: unit.reduce((n, p) => n + p.futureAppointments, 0),
    records: 0,
  });
}

/**
 * Round-robin over the strata (largest first) so every kind of patient is represented, adding families whole
 * (a dependent never comes without the guarantor, nor the guarantor without the dependents) until the record count
 * reaches `targetRecords`. A practice with fewer records than the target is taken whole.
 */
export function selectSamplePatients(patients: readonly PatientFeatures[], targetRecords: number, seed = 1): PatientFeatures[] {
  const strata = new Map<string, PatientFeatures[][]>();
  for (const unit of samplingUnits(patients)) {
    const key = unitStratum(unit);
    const list = strata.get(key) ?? [];
    list.push(unit);
    strata.set(key, list);
  }
  const queues = [...strata.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([, list]) => [...list].sort((a, b) => scramble(a[0]!.patientId, seed) - scramble(b[0]!.patientId, seed)));
  const chosen: PatientFeatures[] = [];
  let records = 0;
  while (records < targetRecords && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (!next) continue;
      const unitRecords = next.reduce((n, p) => n + p.records, 0);
      if (records > 0 && records + unitRecords > targetRecords * 1.2) continue;
      chosen.push(...next);
      records += unitRecords;
      if (records >= targetRecords) break;
    }
  }
  return chosen;
}

/** How the sample covers the practice's strata: per stratum, patients in the practice and in the sample. */
export function strataCoverage(
  patients: readonly PatientFeatures[],
  chosen: readonly PatientFeatures[],
): { inPractice: number; inSample: number; byStratum: Record<string, { practice: number; sample: number }> } {
  const byStratum: Record<string, { practice: number; sample: number }> = {};
  for (const p of patients) (byStratum[stratumOf(p)] ??= { practice: 0, sample: 0 }).practice++;
  for (const p of chosen) (byStratum[stratumOf(p)] ??= { practice: 0, sample: 0 }).sample++;
  const strata = Object.values(byStratum);
  return { inPractice: strata.filter((s) => s.practice > 0).length, inSample: strata.filter((s) => s.sample > 0).length, byStratum };
}
