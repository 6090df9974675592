import { PhiDecisionError, buildPerson, referencesOf, type BuildOutcome, type LogicalRecord } from '../../../src/mapping';
import * as f from './fixtures';

function record(outcome: BuildOutcome): LogicalRecord {
  if (outcome.kind !== 'record') throw new Error(`expected a record, got ${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`);
  return outcome.record;
}

/** Source values that must never appear in reasons or warnings. */
const PHI_STRINGS = ['Zoë', "O'Brien", 'zoe.obrien', '555-0142', '1985-04-12', '123-45-6789', 'XJ55512345', 'Penicillin'];

function expectNoPhi(outcome: BuildOutcome): void {
  const text = JSON.stringify(outcome.kind === 'record' ? outcome.warnings : outcome);
  for (const value of PHI_STRINGS) expect(text).not.toContain(value);
}

describe('patient → person', () => {
  it('maps the standard fields, the household and the owner', () => {
    const outcome = buildPerson(f.patientBundle(), f.context());
    const person = record(outcome);
    expect(outcome).toMatchObject({ kind: 'record', entity: 'person', sourceKey: 'patient:5' });
    expect(person.fields).toEqual({
      name: "Zoë O'Brien",
      emails: [{ value: 'zoe.obrien@example.com', label: 'home', primary: true }],
      phones: [{ value: '+13125550142', label: 'mobile', primary: true }],
      owner_id: 901,
      add_time: '2019-06-03T05:00:00Z',
      org_id: 1005,
    });
    expect(person.custom).toMatchObject({
      'Dentrix Patient ID': '5',
      'Dentrix Source Key': 'patient:5',
      'Chart Number': 'CH-0005',
      'Patient Status': 'Active',
      Gender: 'Female',
      'Email Missing': null,
      Address: '12 Lake St, Chicago, IL 60601',
      'Last Visit Date': '2024-10-01',
    });
  });

  it('links dependents to the guarantor household', () => {
    const dependent = record(buildPerson(f.patientBundle({ patient: f.patient({ patient_id: 13, guar_id: 12 }) }), f.context()));
    expect(dependent.fields.org_id).toBe(1012);
    expect(dependent.custom['Dentrix Source Key']).toBe('patient:13');
  });

  it('leaves the household empty with a warning when it did not migrate', () => {
    const outcome = buildPerson(f.patientBundle({ patient: f.patient({ guar_id: 44 }) }), f.context());
    expect(record(outcome).fields.org_id).toBeNull();
    expect(outcome).toMatchObject({ warnings: [{ ruleId: 'patient.household', code: 'unresolved_optional_reference', column: 'guar_id' }] });
  });

  it('flags a missing or invalid email so staff can complete it', () => {
    expect(record(buildPerson(f.patientBundle({ patient: f.patient({ email: null }) }), f.context())).custom['Email Missing']).toBe('Yes');
    const invalid = buildPerson(f.patientBundle({ patient: f.patient({ email: 'zoe.obrien@' }) }), f.context());
    expect(record(invalid).custom['Email Missing']).toBe('Yes');
    expect(record(invalid).fields.emails).toBeNull();
    expect(invalid).toMatchObject({ warnings: [{ code: 'invalid_email_dropped', column: 'email' }] });
    expectNoPhi(invalid);
  });

  it('drops invalid phones from the standard field, counts them and keeps them for review', () => {
    const outcome = buildPerson(
      f.patientBundle({ patient: f.patient({ mobile_phone: '555-0142', home_phone: '312.555.0142 x7', work_phone: '000-000-0000' }) }),
      f.context(),
    );
    const person = record(outcome);
    expect(person.fields.phones).toEqual([{ value: '+13125550142 ext. 7', label: 'home', primary: true }]);
    expect(person.custom['Phones Needing Review']).toBe('mobile: 555-0142; work: 000-000-0000');
    const dropped = outcome.kind === 'record' ? outcome.warnings.filter((w) => w.code === 'invalid_phone_dropped') : [];
    expect(dropped.map((w) => w.column)).toEqual(['mobile_phone', 'work_phone']);
    expectNoPhi(outcome);
  });

  it('gives records of unmatched or missing providers to the fallback owner', () => {
    const unmatched = buildPerson(f.patientBundle({ patient: f.patient({ pri_provider_id: 'GONE1' }) }), f.context());
    expect(record(unmatched).fields.owner_id).toBe(f.FALLBACK_OWNER);
    expect(unmatched).toMatchObject({ warnings: [{ code: 'fallback_owner', reason: 'provider:GONE1 has no matching Pipedrive user: fallback owner' }] });
    const missing = buildPerson(f.patientBundle({ patient: f.patient({ pri_provider_id: null }) }), f.context());
    expect(record(missing).fields.owner_id).toBe(f.FALLBACK_OWNER);
  });

  it('rejects a patient without a name, naming the column and not the values', () => {
    const outcome = buildPerson(f.patientBundle({ patient: f.patient({ first_name: ' ', last_name: null }) }), f.context());
    expect(outcome).toEqual({
      kind: 'reject',
      entity: 'person',
      sourceKey: 'patient:5',
      column: 'first_name',
      reason: 'patient has neither a first nor a last name',
    });
  });

  it('links employer, referral source and primary carrier through org fields', () => {
    const bundle = f.patientBundle({ patient: f.patient({ employer_id: 3, referred_by_id: 4, prim_insured_id: 11 }), primaryInsured: f.insured() });
    const person = record(buildPerson(bundle, f.context()));
    expect(person.custom).toMatchObject({ Employer: 1003, 'Referral Source': 1004, 'Primary Insurance Carrier': 1007 });
    expect(referencesOf('person', bundle)).toEqual([
      { objectType: 'user', sourceKey: 'provider:DDS1' },
      { objectType: 'organization', sourceKey: 'household:5' },
      { objectType: 'organization', sourceKey: 'carrier:7' },
      { objectType: 'organization', sourceKey: 'employer:3' },
      { objectType: 'organization', sourceKey: 'referral:4' },
    ]);
  });

  it('keeps recall categories, contact restrictions and the balance forward on the guarantor', () => {
    const bundle = f.patientBundle({
      patient: f.patient({ privacy_flags: 6 }),
      recalls: [f.recall(), f.recall({ recall_id: 41, recall_type_id: 3 }), f.recall({ recall_id: 42 })],
      recallTypes: [f.recallType(), f.recallType({ recall_type_id: 3, name: 'Perio Maintenance' })],
      balanceForwardEntries: [
        f.ledger({ txcase_id: null, amount: 80.1 }),
        f.ledger({ ledger_id: 101, txcase_id: null, entry_type: 'patient_payment', amount: -30.05 }),
        f.ledger({ ledger_id: 102, txcase_id: 9, amount: 999 }),
        f.ledger({ ledger_id: 103, txcase_id: null, guar_id: 12, amount: 999 }),
      ],
    });
    const person = record(buildPerson(bundle, f.context()));
    expect(person.custom['Recall Type']).toEqual(['Perio Maintenance', 'Prophy']);
    expect(person.custom['Contact Restrictions']).toEqual(['No SMS/email', 'No mail']);
    expect(person.custom['Balance Forward']).toEqual({ value: 50.05, currency: 'USD' });
  });

  it('links imaging to the archive when a base URL is configured, and says so when it is not', () => {
    const imaging = f.patientBundle({ documents: [f.documentRow({ doc_type: 'xray' }), f.documentRow({ document_id: 81, doc_type: 'consent_form' })] });
    const linked = buildPerson(imaging, f.context({ options: { imageArchiveBaseUrl: 'https://archive.example/lakeside/' } }));
    expect(record(linked).custom['Image Archive Link']).toBe('https://archive.example/lakeside/5');
    const unconfigured = buildPerson(imaging, f.context());
    expect(record(unconfigured).custom['Image Archive Link']).toBeNull();
    expect(unconfigured).toMatchObject({ warnings: [{ code: 'image_archive_url_missing' }] });
    const none = buildPerson(f.patientBundle({ documents: [f.documentRow()] }), f.context({ options: { imageArchiveBaseUrl: 'https://a.example' } }));
    expect(record(none).custom['Image Archive Link']).toBeNull();
  });
});

describe('PHI on persons', () => {
  const clinical = f.patientBundle({
    patient: f.patient({ prim_insured_id: 11 }),
    primaryInsured: f.insured(),
    medicalAlerts: [
      f.medicalAlert(),
      f.medicalAlert({ alert_id: 61, alert_type: 'condition', description: 'Type 2 diabetes', critical: false }),
      f.medicalAlert({ alert_id: 62, alert_type: 'premedication', description: 'Amoxicillin 2g', critical: false }),
    ],
    clinicalNotes: [f.clinicalNote()],
  });
  const PHI_FIELDS = ['Birth Date', 'Insurance Subscriber ID', 'Allergy Alert', 'Medical Condition', 'Medication List', 'Clinical Narrative'];

  it('excludes every PHI field by default, and never carries the SSN', () => {
    const outcome = buildPerson(clinical, f.context());
    const person = record(outcome);
    for (const field of PHI_FIELDS) expect(person.custom).not.toHaveProperty([field]);
    expect(JSON.stringify(outcome)).not.toContain('123-45-6789');
  });

  it('includes approved PHI as approved: unchanged, masked or as the year', () => {
    const phi = {
      include: [
        { rule: 'patient.birth_date', deidentify: 'year_only' as const },
        { rule: 'patient.subscriber_id', deidentify: 'mask' as const },
        { rule: 'patient.allergies', deidentify: 'none' as const },
        { rule: 'patient.conditions', deidentify: 'none' as const },
        { rule: 'patient.medications', deidentify: 'none' as const },
      ],
    };
    const person = record(buildPerson(clinical, f.context({ phi })));
    expect(person.custom).toMatchObject({
      'Birth Date': '1985',
      'Insurance Subscriber ID': '******2345',
      'Allergy Alert': 'Penicillin (critical)',
      'Medical Condition': 'Type 2 diabetes',
      'Medication List': 'Premedication: Amoxicillin 2g',
    });
    expect(person.custom).not.toHaveProperty(['Clinical Narrative']);
    expect(JSON.stringify(person)).not.toContain('123-45-6789');
  });

  it('refuses to build when the decisions include the SSN', () => {
    const phi = { include: [{ rule: 'patient.ssn', deidentify: 'none' as const }] };
    expect(() => buildPerson(clinical, f.context({ phi }))).toThrow(PhiDecisionError);
    expect(() => buildPerson(clinical, f.context({ phi }))).toThrow('patient.ssn never moves');
  });

  it("cuts an over-long narrative to the specs' 65k limit of a text field and keeps the rest for review", () => {
    const long = f.patientBundle({ clinicalNotes: [f.clinicalNote({ note_text: 'x'.repeat(120_000) })] });
    const outcome = buildPerson(long, f.context({ phi: { include: [{ rule: 'patient.clinical_narrative', deidentify: 'none' }] } }));
    const person = record(outcome);
    expect((person.custom['Clinical Narrative'] as string).length).toBe(65_000);
    expect(outcome).toMatchObject({ warnings: [{ code: 'truncated', ruleId: 'patient.clinical_narrative' }] });
    // Not a truncation for the diff: the rest is on the record, and the source-side check looks for it there.
    expect(person.truncated).toEqual([]);
    // The characters cut off are kept in the review field: the two fields hold the narrative whole.
    const review = outcome.kind === 'record' ? (outcome.review ?? []) : [];
    expect(review.map(({ field, kind, kept }) => ({ field, kind, kept }))).toEqual([{ field: 'custom:Clinical Narrative', kind: 'shortened', kept: true }]);
    expect(review[0]!.value).toMatch(/^x{50000,}$/u);
    expect(person.custom['Values Needing Review']).toBe(`Clinical Narrative (shortened, the rest): ${review[0]!.value}`);
  });
});

describe('new-patient booking → minimal person', () => {
  const booking = {
    kind: 'newpatient' as const,
    appt: f.appt({ appointment_id: 502, patient_id: null, patient_name: 'SMITH, JOHN', patient_phone: '773-202-5862' }),
  };

  it('creates a person keyed newpatient:appt:<id> by default', () => {
    const outcome = buildPerson(booking, f.context());
    expect(outcome).toMatchObject({ kind: 'record', sourceKey: 'newpatient:appt:502' });
    expect(record(outcome).fields).toEqual({
      name: 'John Smith',
      phones: [{ value: '+17732025862', label: 'other', primary: true }],
      owner_id: 902,
    });
    expect(record(outcome).custom).toEqual({
      'Email Missing': 'Yes',
      'Phones Needing Review': null,
      'Dentrix Source Key': 'newpatient:appt:502',
      'Values Needing Review': null,
    });
  });

  it('is skipped under newPatientBooking = skip, and for bookings that have a patient', () => {
    expect(buildPerson(booking, f.context({ options: { newPatientBooking: 'skip' } }))).toMatchObject({ kind: 'skip' });
    expect(buildPerson({ kind: 'newpatient', appt: f.appt() }, f.context())).toMatchObject({
      kind: 'skip',
      reason: 'booking has a patient record: the appointment links to that patient',
    });
  });

  it('rejects a booking without a name', () => {
    expect(buildPerson({ kind: 'newpatient', appt: { ...booking.appt, patient_name: null } }, f.context())).toMatchObject({
      kind: 'reject',
      column: 'patient_name',
      reason: 'booking has no patient name',
    });
  });
});
