import {
  buildRecord,
  defaultFieldMap,
  convertToPipedriveBody,
  diffRecord,
  discrepanciesOf,
  fromPipedriveRecord,
  schemaRequirements,
  summariseDiff,
  toPipedriveBody,
  withSourceOptions,
  type FieldKeys,
  type LogicalRecord,
  type RecordDiff,
  type SourceBundle,
  type TargetEntity,
} from '../../../src/mapping';
import * as f from './fixtures';

const ctx = f.context({ phi: f.ALL_PHI });
const keys: FieldKeys = f.fieldKeysFor(schemaRequirements(ctx.map, ctx.phi));

function built(entity: TargetEntity, bundle: SourceBundle, context = ctx): LogicalRecord {
  const outcome = buildRecord(entity, bundle as never, context);
  if (outcome.kind !== 'record') throw new Error(`${outcome.kind}: ${outcome.reason}`);
  return outcome.record;
}

/** What Pipedrive would hold after the create, optionally altered. */
function stored(entity: TargetEntity, record: LogicalRecord, alter: (api: Record<string, unknown>) => void = () => {}, fieldKeys = keys): LogicalRecord {
  const api: Record<string, unknown> = { id: 1, ...toPipedriveBody(entity, record, fieldKeys) };
  if (entity === 'deal_product') api.deal_id = record.fields.deal_id;
  alter(api);
  return fromPipedriveRecord(entity, api, fieldKeys);
}

const mismatches = (diff: RecordDiff) => diff.fields.filter((x) => !x.matched).map((x) => [x.field, x.category]);

const person = built('person', f.patientBundle({ patient: f.patient({ employer_id: 3 }) }));
const customKey = (name: string) => keys.person![name]!.key;

describe('field-level diff', () => {
  it('matches a record that came back as written, field by field', () => {
    const diff = diffRecord('person', person, stored('person', person), ctx.map);
    expect(diff.sourceKey).toBe('patient:5');
    expect(mismatches(diff)).toEqual([]);
    expect(diff.fields.length).toBe(Object.keys(person.fields).length + Object.keys(person.custom).length);
  });

  it('compares after normalising phones, emails, money, times and HTML', () => {
    const readBack = stored('person', person, (api) => {
      api.phones = [{ value: '+1 (312) 555-0142', label: 'mobile', primary: true }];
      api.emails = [{ value: 'Zoe.OBrien@Example.com', label: 'home', primary: true }];
      api.add_time = '2019-06-03 05:00:00';
    });
    expect(mismatches(diffRecord('person', person, readBack, ctx.map))).toEqual([]);

    const activity = built('activity', { kind: 'appt', appt: f.appt(), status: f.apptStatus('Complete'), planProcedures: [] });
    const activityBack = stored('activity', activity, (api) => {
      api.due_time = '14:30:00';
      api.note = `<p>${(api.note as string).replace(/<br>/gu, '<br/>')}</p>`;
    });
    expect(mismatches(diffRecord('activity', activity, activityBack, ctx.map))).toEqual([]);

    const deal = built('deal', {
      kind: 'txcase',
      txcase: f.txcase(),
      patient: f.patient(),
      procedures: [f.procedure()],
      procCodes: [f.proccode()],
      ledger: [],
    });
    const dealBack = stored('deal', deal, (api) => {
      api.value = 1150.500000001;
    });
    expect(mismatches(diffRecord('deal', deal, dealBack, ctx.map))).toEqual([]);
  });

  it('missing_record when nothing came back, rejected_by_api when the API refused it', () => {
    expect(new Set(mismatches(diffRecord('person', person, undefined, ctx.map)).map(([, c]) => c))).toEqual(new Set(['missing_record']));
    expect(new Set(mismatches(diffRecord('person', person, undefined, ctx.map, { rejectedByApi: true })).map(([, c]) => c))).toEqual(
      new Set(['rejected_by_api']),
    );
  });

  it('missing_custom_field when the account has no such field', () => {
    const withoutChart: FieldKeys = { ...keys, person: { ...keys.person } };
    delete withoutChart.person!['Chart Number'];
    const readBack = fromPipedriveRecord('person', { id: 1, ...toPipedriveBody('person', person, keys) }, withoutChart);
    expect(mismatches(diffRecord('person', person, readBack, ctx.map))).toEqual([['custom:Chart Number', 'missing_custom_field']]);
  });

  it('option_not_allowed when a pick-list value is not among the options', () => {
    const practiceMap = withSourceOptions(ctx.map, { recalltype: [f.recallType({ name: 'Child Prophy' })] });
    const expected = built(
      'person',
      f.patientBundle({ recalls: [f.recall()], recallTypes: [f.recallType({ name: 'Child Prophy' })] }),
      f.context({ phi: f.ALL_PHI, map: practiceMap }),
    );
    // The lenient conversion creates the record without the field the account cannot take, and says why.
    const { body, problems } = convertToPipedriveBody('person', expected, keys);
    expect(problems).toMatchObject([{ field: 'Recall Type', kind: 'option_not_allowed' }]);
    const readBack = fromPipedriveRecord('person', { id: 1, ...body }, keys);
    // Against the approved default map (which lacks the practice's option) the diff sees it by itself...
    expect(mismatches(diffRecord('person', expected, readBack, ctx.map))).toEqual([['custom:Recall Type', 'option_not_allowed']]);
    // ...and against a map that has it, from the problems the engine passes along.
    const fieldProblems = Object.fromEntries(problems.map((p) => [`custom:${p.field}`, p.kind as 'option_not_allowed']));
    expect(mismatches(diffRecord('person', expected, readBack, practiceMap, { fieldProblems }))).toEqual([['custom:Recall Type', 'option_not_allowed']]);
    expect(mismatches(diffRecord('person', expected, readBack, practiceMap))).toEqual([['custom:Recall Type', 'value_mismatch']]);
  });

  it('time_zone when a date-time is off by whole hours', () => {
    const note = built('note', { kind: 'clinical_note', note: f.clinicalNote() });
    const shifted = stored('note', note, (api) => {
      api.add_time = '2024-03-10 14:05:00';
    });
    expect(mismatches(diffRecord('note', note, shifted, ctx.map))).toEqual([['add_time', 'time_zone']]);

    const activity = built('activity', { kind: 'appt', appt: f.appt({ start_hour: 20 }), status: f.apptStatus('Scheduled'), planProcedures: [] });
    expect(activity.fields).toMatchObject({ due_date: '2024-07-16', due_time: '01:30' });
    const local = stored('activity', activity, (api) => {
      api.due_date = '2024-07-15';
      api.due_time = '20:30';
    });
    expect(mismatches(diffRecord('activity', activity, local, ctx.map))).toEqual([
      ['due_date', 'time_zone'],
      ['due_time', 'time_zone'],
    ]);
    const wrongMinutes = stored('activity', activity, (api) => {
      api.due_time = '01:45';
    });
    expect(mismatches(diffRecord('activity', activity, wrongMinutes, ctx.map))).toEqual([['due_time', 'value_mismatch']]);
  });

  it('truncation when the value came back cut; one we had to cut matches, its whole text being in the review file', () => {
    const readBack = stored('person', person, (api) => {
      (api.custom_fields as Record<string, unknown>)[customKey('Address')] = { value: '12 Lake St, Chic' };
    });
    expect(mismatches(diffRecord('person', person, readBack, ctx.map))).toEqual([['custom:Address', 'truncation']]);

    const longNote = built('note', { kind: 'clinical_note', note: f.clinicalNote({ note_text: 'y'.repeat(120_000) }) });
    // Its whole text is in the note's review file, which the source-side check looks for (review.ts, reviewDiffs).
    expect(longNote.truncated).toEqual([]);
    expect(mismatches(diffRecord('note', longNote, stored('note', longNote), ctx.map))).toEqual([]);
  });

  it('value_mismatch otherwise, and rejected_by_api for fields the API refused', () => {
    const readBack = stored('person', person, (api) => {
      api.name = 'Someone Else';
      (api.custom_fields as Record<string, unknown>)[customKey('Employer')] = 1004;
    });
    expect(mismatches(diffRecord('person', person, readBack, ctx.map, { fieldProblems: { 'custom:Employer': 'rejected_by_api' } }))).toEqual([
      ['name', 'value_mismatch'],
      ['custom:Employer', 'rejected_by_api'],
    ]);
  });

  it('reads the source key of every kind of record from the record itself', () => {
    const dealProduct = built('deal_product', { kind: 'procedure', procedure: f.procedure(), procCode: f.proccode() });
    expect(diffRecord('deal_product', dealProduct, stored('deal_product', dealProduct), ctx.map).sourceKey).toBe('procedure:77');
    const file = built('file', { kind: 'document', document: f.documentRow() });
    expect(diffRecord('file', file, undefined, ctx.map).sourceKey).toBe('document:80');
    expect(diffRecord('file', file, undefined, ctx.map).fields.map((x) => x.field)).toEqual(['name', 'person_id']);
  });
});

describe('summary', () => {
  const results = [
    diffRecord('person', person, stored('person', person), ctx.map),
    diffRecord(
      'person',
      person,
      stored('person', person, (api) => (api.name = 'Zoe OBrien')),
      ctx.map,
    ),
    diffRecord('note', built('note', { kind: 'clinical_note', note: f.clinicalNote() }), undefined, ctx.map),
  ];
  const summary = summariseDiff(results);

  it('gives accuracy overall, per object type and per field, and counts per category', () => {
    const personFields = results[0]!.fields.length;
    expect(summary.recordsCompared).toBe(3);
    expect(summary.fieldsCompared).toBe(personFields * 2 + 4);
    expect(summary.discrepancies).toBe(1 + 4);
    expect(summary.accuracy).toBeCloseTo((personFields * 2 - 1) / (personFields * 2 + 4));
    expect(summary.byObject.person).toMatchObject({ recordsCompared: 2, fieldsCompared: personFields * 2, discrepancies: 1 });
    expect(summary.byObject.note).toMatchObject({ recordsCompared: 1, accuracy: 0 });
    expect(summary.byField['person.name']).toMatchObject({ fieldsCompared: 2, fieldsMatched: 1, accuracy: 0.5 });
    expect(summary.byField['person.custom:Chart Number']).toMatchObject({ accuracy: 1 });
    expect(summary.byCategory).toMatchObject({ value_mismatch: 1, missing_record: 4, time_zone: 0 });
  });

  it('never carries values or source keys; discrepancies carry field names and keys only', () => {
    const text = JSON.stringify(summary);
    for (const value of ["O'Brien", 'Zoe OBrien', 'patient:5', 'zoe.obrien', 'sharp']) expect(text).not.toContain(value);
    expect(discrepanciesOf(results[1]!)).toEqual([{ entity: 'person', sourceKey: 'patient:5', field: 'name', category: 'value_mismatch' }]);
  });

  it('is 100% when nothing was compared', () => {
    expect(summariseDiff([])).toMatchObject({ accuracy: 1, fieldsCompared: 0 });
  });
});

describe('server-stamped fields', () => {
  it('does not compare an add_time the source had no value for (Pipedrive stamps it)', () => {
    const map = defaultFieldMap();
    const expected: LogicalRecord = { entity: 'person', fields: { name: 'A B', add_time: null }, custom: {}, truncated: [] };
    const actual: LogicalRecord = { entity: 'person', fields: { name: 'A B', add_time: '2026-11-23T22:00:00Z' }, custom: {}, truncated: [] };
    const diff = diffRecord('person', expected, actual, map, { sourceKey: 'patient:1' });
    expect(diff.fields.map((f) => f.field)).toEqual(['name']);
    const dated: LogicalRecord = { ...expected, fields: { name: 'A B', add_time: '2020-01-01T06:00:00Z' } };
    expect(diffRecord('person', dated, actual, map, { sourceKey: 'patient:1' }).fields.find((f) => f.field === 'add_time')?.matched).toBe(false);
  });
});
