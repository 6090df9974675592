/**
 * Choosing the sample: a cross-section of patients across recall types, active treatment plans, historical
 * appointments and families, until the records they bring reach the target (200–500 by design). Pure and
 * deterministic: the same staging always yields the same sample.
 */
export interface PatientFeatures {
  patientId: number;
  guarantorId: number | null;
  familySize: number;
  recallTypes: number[];
  activePlans: number;
  pastAppointments: number;
  futureAppointments: number;
  /** Records this patient brings into the sample: the person plus the dependents the sample keeps. */
  records: number;
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

/**
 * Round-robin over the strata (largest first) so every kind of patient is represented, adding patients until
 * the record count reaches `targetRecords`.
 */
export function selectSamplePatients(patients: readonly PatientFeatures[], targetRecords: number, seed = 1): PatientFeatures[] {
  const strata = new Map<string, PatientFeatures[]>();
  for (const p of patients) {
    const key = stratumOf(p);
    const list = strata.get(key) ?? [];
    list.push(p);
    strata.set(key, list);
  }
  const queues = [...strata.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([, list]) => [...list].sort((a, b) => scramble(a.patientId, seed) - scramble(b.patientId, seed)));
  const chosen: PatientFeatures[] = [];
  let records = 0;
  while (records < targetRecords && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (!next) continue;
      if (records > 0 && records + next.records > targetRecords * 1.2) continue;
      chosen.push(next);
      records += next.records;
      if (records >= targetRecords) break;
    }
  }
  return chosen;
}
