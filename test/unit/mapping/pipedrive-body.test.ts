import {
  PipedriveBodyError,
  buildRecord,
  convertToPipedriveBody,
  fromPipedriveRecord,
  requestFor,
  schemaRequirements,
  sourceKeyOf,
  toPipedriveBody,
  type BuildOutcome,
  type FieldKeys,
  type LogicalRecord,
  type SourceBundle,
  type TargetEntity,
} from '../../../src/mapping';
import * as f from './fixtures';

const ctx = f.context({ phi: f.ALL_PHI, options: { imageArchiveBaseUrl: 'https://archive.example' } });
const keys: FieldKeys = f.fieldKeysFor(schemaRequirements(ctx.map, ctx.phi));
const keyOf = (entity: TargetEntity, name: string) => keys[entity]![name]!.key;
const optionOf = (entity: TargetEntity, name: string, label: string) => keys[entity]![name]!.options!.find((o) => o.label === label)!.id;

function built(entity: TargetEntity, bundle: SourceBundle): LogicalRecord {
  const outcome: BuildOutcome = buildRecord(entity, bundle as never, ctx);
  if (outcome.kind !== 'record') throw new Error(`${outcome.kind}: ${outcome.reason}`);
  return outcome.record;
}

const richPatient = f.patientBundle({
  patient: f.patient({ employer_id: 3, referred_by_id: 4, prim_insured_id: 11, privacy_flags: 2, home_phone: '312-555-0199 x3' }),
  primaryInsured: f.insured(),
  medicalAlerts: [f.medicalAlert()],
  recalls: [f.recall()],
  recallTypes: [f.recallType()],
  clinicalNotes: [f.clinicalNote()],
  documents: [f.documentRow({ doc_type: 'pano' })],
  balanceForwardEntries: [f.ledger({ txcase_id: null, amount: 42.5 })],
});
const plan: SourceBundle = {
  kind: 'txcase',
  txcase: f.txcase({ status: 'Rejected' }),
  patient: f.patient(),
  procedures: [f.procedure()],
  procCodes: [f.proccode()],
  ledger: [f.ledger(), f.ledger({ ledger_id: 101, entry_type: 'adjustment', amount: -10 })],
};

const SAMPLES: [TargetEntity, SourceBundle][] = [
  ['person', richPatient],
  ['organization', { kind: 'household', guarantor: f.patient(), members: [f.patient(), f.patient({ patient_id: 6, guar_id: 5 })] }],
  ['organization', { kind: 'carrier', carrier: f.carrier() }],
  ['organization', { kind: 'referral', referral: f.referral() }],
  ['product', { kind: 'proccode', proccode: f.proccode() }],
  ['deal', plan],
  ['deal_product', { kind: 'procedure', procedure: f.procedure(), procCode: f.proccode() }],
  ['activity', { kind: 'appt', appt: f.appt(), status: f.apptStatus('Broken'), planProcedures: [] }],
  ['activity', { kind: 'recall', recall: f.recall(), recallType: f.recallType(), bookedAppointment: null, bookedPlanProcedures: [] }],
  ['note', { kind: 'clinical_note', note: f.clinicalNote() }],
];

describe('logical record → v2 body', () => {
  it('puts custom fields under custom_fields by key, enums as option ids, money with currency, org links as ids', () => {
    const body = toPipedriveBody('person', built('person', richPatient), keys);
    expect(body).toMatchObject({
      name: "Zoë O'Brien",
      owner_id: 901,
      org_id: 1005,
      add_time: '2019-06-03T05:00:00Z',
      emails: [{ value: 'zoe.obrien@example.com', label: 'home', primary: true }],
      phones: [
        { value: '+13125550142', label: 'mobile', primary: true },
        { value: '+13125550199 ext. 3', label: 'home', primary: false },
      ],
    });
    const custom = body.custom_fields as Record<string, unknown>;
    expect(custom[keyOf('person', 'Patient Status')]).toBe(optionOf('person', 'Patient Status', 'Active'));
    expect(custom[keyOf('person', 'Contact Restrictions')]).toEqual([optionOf('person', 'Contact Restrictions', 'No SMS/email')]);
    expect(custom[keyOf('person', 'Balance Forward')]).toEqual({ value: 42.5, currency: 'USD' });
    expect(custom[keyOf('person', 'Employer')]).toBe(1003);
    expect(custom[keyOf('person', 'Address')]).toEqual({ value: '12 Lake St, Chicago, IL 60601' });
    expect(custom[keyOf('person', 'Dentrix Source Key')]).toBe('patient:5');
    expect(Object.keys(custom).every((k) => /^[0-9a-f]{40}$/u.test(k))).toBe(true);
    expect(custom).not.toHaveProperty([keyOf('person', 'Preferred Name')]);
  });

  it('sends empty values as null on update so they clear', () => {
    const body = toPipedriveBody('person', built('person', f.patientBundle({ patient: f.patient({ email: null }) })), keys, { mode: 'update' });
    expect(body.emails).toEqual([]);
    expect((body.custom_fields as Record<string, unknown>)[keyOf('person', 'Preferred Name')]).toBeNull();
  });

  it('leaves out what a v2 PATCH refuses: add_time, and a null address (not nullable in v2)', () => {
    const person = toPipedriveBody('person', built('person', richPatient), keys, { mode: 'update' });
    expect(person).not.toHaveProperty('add_time');
    expect(person.name).toBe("Zoë O'Brien");
    const carrier = built('organization', { kind: 'carrier', carrier: f.carrier() });
    expect(toPipedriveBody('organization', carrier, keys, { mode: 'update' })).not.toHaveProperty('address');
    expect(toPipedriveBody('organization', carrier, keys, { mode: 'create' })).not.toHaveProperty('address');
  });

  it('on update, leaves out empty values a v2 PATCH refuses as null (ids cannot be unlinked) and clears text with ""', () => {
    // A patient with no organization to link: org_id is not nullable in the v2 PATCH schema (`Expected 'integer'`).
    const person = built('person', f.patientBundle({ patient: f.patient() }));
    const unlinked = toPipedriveBody('person', { ...person, fields: { ...person.fields, org_id: null } }, keys, { mode: 'update' });
    expect(unlinked).not.toHaveProperty('org_id');
    expect(unlinked.name).toBe(person.fields.name);
    const activity = built('activity', { kind: 'appt', appt: f.appt(), status: f.apptStatus('Scheduled'), planProcedures: [] });
    const withoutNote: LogicalRecord = { ...activity, fields: { ...activity.fields, note: null } };
    expect(toPipedriveBody('activity', withoutNote, keys, { mode: 'update' }).note).toBe('');
    const deal = built('deal', plan);
    expect(toPipedriveBody('deal', { ...deal, fields: { ...deal.fields, lost_reason: null } }, keys, { mode: 'update' }).lost_reason).toBeNull();
  });

  it('links activities to the person as primary participant', () => {
    const body = toPipedriveBody('activity', built('activity', { kind: 'appt', appt: f.appt(), status: f.apptStatus('Complete'), planProcedures: [] }), keys);
    expect(body).toEqual({
      subject: 'Prophy',
      type: 'meeting',
      due_date: '2024-07-15',
      due_time: '14:30',
      duration: '01:00',
      done: true,
      busy: true,
      person_id: 2005,
      participants: [{ person_id: 2005, primary: true }],
      owner_id: 902,
      note: 'Dentrix status: Complete<br>Reason: Cleaning, sensitive #14<br>Note: Prefers mornings<br>[dentrix:appt:501]',
    });
  });

  it('knows each entity endpoint: deal products under their deal, notes and files on v1', () => {
    const dealProduct = built('deal_product', { kind: 'procedure', procedure: f.procedure(), procCode: f.proccode() });
    expect(requestFor('deal_product', dealProduct, keys)).toEqual({
      api: 'v2',
      method: 'POST',
      path: '/deals/3009/products',
      contentType: 'json',
      body: { product_id: 4030, item_price: 1150.5, quantity: 1, comments: 'Tooth 3, surfaces MOD\n[dentrix:procedure:77]' },
    });
    const note = built('note', { kind: 'clinical_note', note: f.clinicalNote() });
    expect(requestFor('note', note, keys)).toMatchObject({
      api: 'v1',
      method: 'POST',
      path: '/notes',
      body: { person_id: 2005, add_time: '2024-03-10 19:05:00' },
    });
    expect(requestFor('person', built('person', richPatient), keys, { id: 77 })).toMatchObject({ api: 'v2', method: 'PATCH', path: '/persons/77' });
    const file = built('file', { kind: 'document', document: f.documentRow() });
    expect(requestFor('file', file, keys)).toEqual({
      api: 'v1',
      method: 'POST',
      path: '/files',
      contentType: 'multipart',
      body: { person_id: 2005, file: { path: 'documents/consent/80.pdf', name: 'dentrix-document-80__80.pdf' } },
    });
  });
});

describe('body problems are typed and name the field, never the value', () => {
  it('reports a custom field the account lacks', () => {
    const partial: FieldKeys = { ...keys, person: { ...keys.person } };
    delete partial.person!['Chart Number'];
    const record = built('person', richPatient);
    expect(() => toPipedriveBody('person', record, partial)).toThrow(PipedriveBodyError);
    const { body, problems } = convertToPipedriveBody('person', record, partial);
    expect(problems).toEqual([
      { entity: 'person', field: 'Chart Number', kind: 'missing_custom_field', message: 'custom field person.Chart Number does not exist in the account' },
    ]);
    expect(body.name).toBe("Zoë O'Brien");
  });

  it('reports an option the field does not allow', () => {
    const record = built('person', f.patientBundle({ recalls: [f.recall()], recallTypes: [f.recallType({ name: 'Martian Prophy' })] }));
    try {
      toPipedriveBody('person', record, keys);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(PipedriveBodyError);
      const problems = (error as PipedriveBodyError).problems;
      expect(problems).toMatchObject([{ field: 'Recall Type', kind: 'option_not_allowed' }]);
      expect((error as Error).message).not.toContain('Martian');
    }
  });

  it('adapts to the account type where it can and reports a mismatch where it cannot', () => {
    const asText: FieldKeys = { ...keys, person: { ...keys.person, 'Patient Status': { key: 'f'.repeat(40), type: 'varchar' } } };
    expect((toPipedriveBody('person', built('person', richPatient), asText).custom_fields as Record<string, unknown>)['f'.repeat(40)]).toBe('Active');
    const asNumber: FieldKeys = { ...keys, person: { ...keys.person, 'Chart Number': { key: 'e'.repeat(40), type: 'double' } } };
    expect(convertToPipedriveBody('person', built('person', richPatient), asNumber).problems).toMatchObject([{ field: 'Chart Number', kind: 'type_mismatch' }]);
  });
});

describe('round trip: fromPipedriveRecord(toPipedriveBody(x)) ≈ x', () => {
  it.each(SAMPLES.map(([entity, bundle]) => [`${entity} (${bundle.kind})`, entity, bundle] as const))('%s', (_name, entity, bundle) => {
    const record = built(entity, bundle);
    const body = toPipedriveBody(entity, record, keys);
    // What the API returns: the body plus an id (and the deal of a deal product, which was in the path).
    const readBack = fromPipedriveRecord(entity, { id: 1, ...body, ...(entity === 'deal_product' ? { deal_id: record.fields.deal_id } : {}) }, keys);
    for (const [name, value] of Object.entries(record.fields)) expect([name, readBack.fields[name]]).toEqual([name, value]);
    for (const [name, value] of Object.entries(record.custom)) expect([name, readBack.custom[name]]).toEqual([name, value]);
  });
});

describe('reading v2 responses', () => {
  it('accepts option objects, HH:MM:SS times, org objects and participants', () => {
    const activity = fromPipedriveRecord(
      'activity',
      { id: 9, due_time: '14:30:00', duration: '01:00:00', participants: [{ person_id: 44, primary: true }], done: false },
      keys,
    );
    expect(activity.fields).toMatchObject({ due_time: '14:30', duration: '01:00', person_id: 44, done: false, subject: null });
    const person = fromPipedriveRecord(
      'person',
      {
        id: 3,
        emails: [{ value: '', primary: true, label: 'work' }],
        custom_fields: {
          [keyOf('person', 'Gender')]: { id: optionOf('person', 'Gender', 'Male'), label: 'Male' },
          [keyOf('person', 'Patient Status')]: 99999,
          [keyOf('person', 'Employer')]: { value: 1003, name: 'Acme Widgets' },
          [keyOf('person', 'Recall Type')]: [{ id: optionOf('person', 'Recall Type', 'Prophy'), label: 'Prophy' }],
        },
      },
      keys,
    );
    expect(person.fields.emails).toBeNull();
    expect(person.custom).toMatchObject({ Gender: 'Male', 'Patient Status': '#99999', Employer: 1003, 'Recall Type': ['Prophy'], 'Chart Number': null });
  });
});

describe('exactly-once keys read back', () => {
  it('finds the key in the source-key field, the patient id, markers and file names', () => {
    const sourceKeyField = keyOf('person', 'Dentrix Source Key');
    expect(sourceKeyOf('person', { custom_fields: { [sourceKeyField]: 'patient:5' } }, keys)).toBe('patient:5');
    expect(sourceKeyOf('person', { custom_fields: { [keyOf('person', 'Dentrix Patient ID')]: '17' } }, keys)).toBe('patient:17');
    expect(sourceKeyOf('deal', { custom_fields: { [keyOf('deal', 'Dentrix Source Key')]: 'txcase:9' } }, keys)).toBe('txcase:9');
    expect(sourceKeyOf('organization', { [keyOf('organization', 'Dentrix Source Key')]: 'household:5' }, keys)).toBe('household:5');
    expect(sourceKeyOf('activity', { note: '<p>typed [dentrix:appt:1]</p><p>[dentrix:appt:501]</p>' }, keys)).toBe('appt:501');
    expect(sourceKeyOf('activity', { note: 'Dentrix status: Broken<br/>[dentrix:newpatient:appt:7]' }, keys)).toBe('newpatient:appt:7');
    expect(sourceKeyOf('note', { content: 'x<br>[dentrix:clinical_note:70]' }, keys)).toBe('clinical_note:70');
    expect(sourceKeyOf('deal_product', { comments: 'Tooth 3\n[dentrix:procedure:77]' }, keys)).toBe('procedure:77');
    expect(sourceKeyOf('file', { name: 'dentrix-document-80__consent.pdf' }, keys)).toBe('document:80');
    expect(sourceKeyOf('file', { name: 'renamed.pdf', file_name: 'dentrix-document-80__consent_5223349.pdf' }, keys)).toBe('document:80');
  });

  it('returns undefined for records we did not create', () => {
    expect(sourceKeyOf('person', { custom_fields: {} }, keys)).toBeUndefined();
    expect(sourceKeyOf('activity', { note: 'call back' }, keys)).toBeUndefined();
    expect(sourceKeyOf('file', { name: 'scan.pdf' }, keys)).toBeUndefined();
    expect(sourceKeyOf('product', { custom_fields: { x: 'proccode:1' } }, {})).toBeUndefined();
  });
});
