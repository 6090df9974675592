/**
 * Activities → deals: an appointment links to the patient's treatment plan with a procedure on the appointment's
 * date; a recall's task links to the plan of its booked visit. The link is a reference resolved from the id map
 * like person_id, so a plan that did not migrate leaves the link empty without failing the activity.
 */
import {
  buildActivity,
  diffRecord,
  fromPipedriveRecord,
  planOfVisit,
  referencesOf,
  schemaRequirements,
  toPipedriveBody,
  type ActivityBundle,
  type BuildOutcome,
  type FieldKeys,
  type LogicalRecord,
  type RefObjectType,
} from '../../../src/mapping';
import type { ApptRow, ProcedureRow } from '../../../src/dentrix/types';
import * as f from './fixtures';

function record(outcome: BuildOutcome): LogicalRecord {
  if (outcome.kind !== 'record') throw new Error(`expected a record, got ${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`);
  return outcome.record;
}

/** The fixture id map plus more migrated plans (txcase 12 → deal 3012, txcase 14 → deal 3014). */
const DEALS: Record<string, number> = { 'deal|txcase:12': 3012, 'deal|txcase:14': 3014 };
const ctx = f.context({ resolveRef: (type: RefObjectType, key: string) => f.KNOWN_IDS[`${type}|${key}`] ?? DEALS[`${type}|${key}`] });

const visitDay = '2024-07-15';
const proc = (proc_id: number, txcase_id: number | null, proc_date = visitDay, patient_id = 5): ProcedureRow =>
  f.procedure({ proc_id, txcase_id, proc_date, patient_id });
const appointment = (planProcedures: ProcedureRow[], overrides: Parameters<typeof f.appt>[0] = {}): ActivityBundle => ({
  kind: 'appt',
  appt: f.appt({ appointment_date: visitDay, ...overrides }),
  status: f.apptStatus('Complete'),
  planProcedures,
});
const recall = (booked: Partial<ApptRow> | null, bookedPlanProcedures: ProcedureRow[] = []): ActivityBundle => ({
  kind: 'recall',
  recall: f.recall({ due_date: '2025-01-20', appointment_id: booked === null ? null : (booked.appointment_id ?? 501) }),
  recallType: f.recallType(),
  bookedAppointment: booked === null ? null : f.appt({ appointment_date: visitDay, ...booked }),
  bookedPlanProcedures,
});
const dealRefs = (bundle: ActivityBundle) => referencesOf('activity', bundle).filter((r) => r.objectType === 'deal');

describe('the plan of a visit', () => {
  it('is the one plan of the patient with a procedure on the appointment date', () => {
    expect(planOfVisit({ patient_id: 5, appointment_date: visitDay }, [proc(1, 9), proc(2, 9, '2024-07-16')])).toBe(9);
  });

  it('with several plans that day: the most procedures that day wins, then the lowest txcase_id', () => {
    const day = { patient_id: 5, appointment_date: visitDay };
    // Plan 9 has more procedures overall, but plan 14 has more on the visit's date.
    expect(planOfVisit(day, [proc(1, 9), proc(2, 14), proc(3, 14), proc(4, 9, '2024-01-02'), proc(5, 9, '2024-01-02')])).toBe(14);
    expect(planOfVisit(day, [proc(1, 14), proc(2, 12)])).toBe(12);
    expect(planOfVisit(day, [proc(2, 12), proc(1, 14)])).toBe(12);
  });

  it('is none for another date, another patient, procedures outside plans, a booking without a patient, or no date', () => {
    expect(planOfVisit({ patient_id: 5, appointment_date: visitDay }, [proc(1, 9, '2024-07-14'), proc(2, 9, visitDay, 6), proc(3, null)])).toBeNull();
    expect(planOfVisit({ patient_id: null, appointment_date: visitDay }, [proc(1, 9, visitDay)])).toBeNull();
    expect(planOfVisit({ patient_id: 5, appointment_date: null }, [proc(1, 9, visitDay)])).toBeNull();
    expect(planOfVisit({ patient_id: 5, appointment_date: 'not a date' }, [{ patient_id: 5, txcase_id: 9, proc_date: 'not a date' }])).toBeNull();
  });
});

describe('appointments → deals', () => {
  it('links the meeting to the deal of the plan with a procedure that day (single match)', () => {
    const bundle = appointment([proc(1, 9), proc(2, 9, '2024-09-01')]);
    expect(dealRefs(bundle)).toEqual([{ objectType: 'deal', sourceKey: 'txcase:9' }]);
    const outcome = buildActivity(bundle, ctx);
    expect(record(outcome).fields).toMatchObject({ deal_id: 3009, person_id: 2005 });
    expect(outcome).toMatchObject({ refs: expect.arrayContaining([{ objectType: 'deal', sourceKey: 'txcase:9' }]), warnings: [] });
  });

  it('chooses among several plans by procedures that day, then lowest txcase_id', () => {
    expect(record(buildActivity(appointment([proc(1, 9), proc(2, 14), proc(3, 14)]), ctx)).fields.deal_id).toBe(3014);
    expect(record(buildActivity(appointment([proc(1, 14), proc(2, 12)]), ctx)).fields.deal_id).toBe(3012);
  });

  it('leaves deal_id empty, with no warning, when no plan has a procedure that day', () => {
    const bundle = appointment([proc(1, 9, '2024-07-16'), proc(2, null)]);
    expect(dealRefs(bundle)).toEqual([]);
    const outcome = buildActivity(bundle, ctx);
    expect(record(outcome).fields.deal_id).toBeNull();
    expect(outcome).toMatchObject({ kind: 'record', warnings: [] });
  });

  it('a plan that did not migrate (rejected or missing): no deal_id, a warning, and the meeting still builds', () => {
    const outcome = buildActivity(appointment([proc(1, 10)]), ctx);
    expect(outcome.kind).toBe('record');
    expect(record(outcome).fields).toMatchObject({ deal_id: null, person_id: 2005 });
    expect(outcome).toMatchObject({ warnings: [{ ruleId: 'appt.deal', code: 'unresolved_optional_reference' }] });
  });
});

describe('recalls → deals', () => {
  it('links the task to the deal of its booked visit', () => {
    const bundle = recall({ appointment_id: 777 }, [proc(1, 9), proc(2, 12, '2024-06-01')]);
    expect(dealRefs(bundle)).toEqual([{ objectType: 'deal', sourceKey: 'txcase:9' }]);
    expect(record(buildActivity(bundle, ctx)).fields).toMatchObject({ deal_id: 3009, type: 'task' });
  });

  it('no deal when not booked, when the booked visit has no plan that day, or the booked appointment is not in the extract', () => {
    expect(record(buildActivity(recall(null, [proc(1, 9)]), ctx)).fields.deal_id).toBeNull();
    expect(record(buildActivity(recall({ appointment_id: 777 }, [proc(1, 9, '2024-07-20')]), ctx)).fields.deal_id).toBeNull();
    const missing: ActivityBundle = {
      ...(recall(null) as Extract<ActivityBundle, { kind: 'recall' }>),
      recall: f.recall({ due_date: '2025-01-20', appointment_id: 778 }),
    };
    expect(record(buildActivity(missing, ctx)).fields.deal_id).toBeNull();
  });

  it("a booked visit's plan that did not migrate leaves the task unlinked, not failed", () => {
    const outcome = buildActivity(recall({ appointment_id: 777 }, [proc(1, 10)]), ctx);
    expect(record(outcome).fields).toMatchObject({ deal_id: null, person_id: 2005 });
    expect(outcome).toMatchObject({ warnings: [{ ruleId: 'recall.deal', code: 'unresolved_optional_reference' }] });
  });
});

describe('deal_id on the wire and in the verification diff', () => {
  const keys: FieldKeys = f.fieldKeysFor(schemaRequirements(ctx.map, ctx.phi));
  const linked = record(buildActivity(appointment([proc(1, 9)]), ctx));
  const unlinked = record(buildActivity(appointment([]), ctx));
  const readBack = (r: LogicalRecord, alter: (api: Record<string, unknown>) => void = () => {}) => {
    const api: Record<string, unknown> = { id: 1, deal_id: null, ...toPipedriveBody('activity', r, keys) };
    alter(api);
    return fromPipedriveRecord('activity', api, keys);
  };
  const dealField = (r: LogicalRecord, back: LogicalRecord) => diffRecord('activity', r, back, ctx.map).fields.find((x) => x.field === 'deal_id');

  it('sends deal_id when linked and leaves it out when not', () => {
    expect(toPipedriveBody('activity', linked, keys)).toMatchObject({ deal_id: 3009 });
    expect(toPipedriveBody('activity', unlinked, keys)).not.toHaveProperty('deal_id');
  });

  it('compares deal_id like person_id: a lost or wrong link is a discrepancy', () => {
    expect(dealField(linked, readBack(linked))).toMatchObject({ matched: true, expected: 3009, actual: 3009 });
    expect(dealField(unlinked, readBack(unlinked))).toMatchObject({ matched: true, expected: null, actual: null });
    expect(
      dealField(
        linked,
        readBack(linked, (api) => (api.deal_id = null)),
      ),
    ).toMatchObject({ matched: false, category: 'value_mismatch' });
    expect(
      dealField(
        linked,
        readBack(linked, (api) => (api.deal_id = 3012)),
      ),
    ).toMatchObject({ matched: false, actual: 3012 });
    expect(
      dealField(
        unlinked,
        readBack(unlinked, (api) => (api.deal_id = 3012)),
      ),
    ).toMatchObject({ matched: false, expected: null });
  });
});
