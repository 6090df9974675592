import { selectSamplePatients, strataCoverage, stratumOf, type PatientFeatures } from '../../src/activities/sample-selection';

/** A practice shaped like real ones: most patients alone without plans, a few of every other kind, families of 2–4. */
function practice(): PatientFeatures[] {
  const patients: PatientFeatures[] = [];
  let id = 1;
  const add = (p: Partial<PatientFeatures>, records = 4): PatientFeatures => {
    const patient: PatientFeatures = {
      patientId: id,
      guarantorId: id,
      familySize: 1,
      recallTypes: [],
      activePlans: 0,
      pastAppointments: 0,
      futureAppointments: 0,
      records,
      ...p,
    };
    id++;
    patients.push(patient);
    return patient;
  };
  for (let i = 0; i < 300; i++) add({ recallTypes: [1], pastAppointments: 3 }); // the bulk: hygiene recall, history
  for (let i = 0; i < 12; i++) add({ recallTypes: [3], pastAppointments: 1 }); // perio recall, rare
  for (let i = 0; i < 10; i++) add({ activePlans: 1, pastAppointments: 2, recallTypes: [1] }, 8); // active treatment plans
  for (let i = 0; i < 15; i++) add({}, 1); // never seen: no recall, no history
  for (let f = 0; f < 20; f++) {
    const size = 2 + (f % 3);
    const guarantor = add({ familySize: size, recallTypes: [1], pastAppointments: 2 });
    for (let d = 1; d < size; d++) add({ guarantorId: guarantor.patientId, familySize: size, recallTypes: [2], pastAppointments: 1 });
  }
  return patients;
}

const records = (ps: readonly PatientFeatures[]) => ps.reduce((n, p) => n + p.records, 0);

describe('sample selection (pure)', () => {
  const patients = practice();
  const chosen = selectSamplePatients(patients, 250);
  const chosenIds = new Set(chosen.map((p) => p.patientId));

  it('reaches the target record count without overshooting it by more than a fifth', () => {
    expect(records(chosen)).toBeGreaterThanOrEqual(250);
    expect(records(chosen)).toBeLessThanOrEqual(300);
    expect(chosenIds.size).toBe(chosen.length); // nobody twice
  });

  it('is a cross-section: every recall type, active treatment plans, historical appointments, families and the never-seen', () => {
    const recallTypes = new Set(chosen.flatMap((p) => p.recallTypes));
    expect([...recallTypes].sort()).toEqual([1, 2, 3]);
    expect(chosen.some((p) => p.activePlans > 0)).toBe(true);
    expect(chosen.some((p) => p.pastAppointments > 0)).toBe(true);
    expect(chosen.some((p) => p.pastAppointments === 0 && p.recallTypes.length === 0)).toBe(true);
    expect(chosen.some((p) => p.familySize > 1)).toBe(true);
    // The bulk stratum does not crowd out the rest: it is far from its 300/357 share of the patients.
    const bulk = chosen.filter((p) => stratumOf(p) === 'recall:1|no-plan|history|single').length;
    expect(bulk / chosen.length).toBeLessThan(0.6);
    const coverage = strataCoverage(patients, chosen);
    expect(coverage.inSample).toBe(coverage.inPractice);
  });

  it('takes families whole: every dependent comes with the guarantor, and the guarantor with every dependent', () => {
    const families = new Map<number, PatientFeatures[]>();
    for (const p of patients) if (p.familySize > 1) families.set(p.guarantorId!, [...(families.get(p.guarantorId!) ?? []), p]);
    const sampledFamilies = [...families.values()].filter((members) => members.some((m) => chosenIds.has(m.patientId)));
    expect(sampledFamilies.length).toBeGreaterThan(0);
    for (const members of sampledFamilies) {
      expect(members.map((m) => chosenIds.has(m.patientId))).toEqual(members.map(() => true));
      expect(chosenIds.has(members[0]!.guarantorId!)).toBe(true);
    }
  });

  it('takes a practice smaller than the target whole', () => {
    const tiny = patients.slice(0, 20);
    expect(records(tiny)).toBeLessThan(200);
    expect(
      selectSamplePatients(tiny, 200)
        .map((p) => p.patientId)
        .sort((a, b) => a - b),
    ).toEqual(tiny.map((p) => p.patientId));
  });

  it('is deterministic per seed and spread, not the first rows', () => {
    expect(selectSamplePatients(patients, 250).map((p) => p.patientId)).toEqual(chosen.map((p) => p.patientId));
    const firstBulk = patients.slice(0, 60).map((p) => p.patientId);
    expect(firstBulk.every((id) => chosenIds.has(id))).toBe(false);
    expect(selectSamplePatients(patients, 250, 7).map((p) => p.patientId)).not.toEqual(chosen.map((p) => p.patientId));
  });
});
