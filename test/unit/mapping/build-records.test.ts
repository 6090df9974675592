import {
  LOAD_ORDER,
  buildActivity,
  buildDeal,
  buildDealProduct,
  buildFile,
  buildNote,
  buildOrganization,
  buildProduct,
  buildRecord,
  imageManifestEntry,
  parseFieldMap,
  referencesOf,
  type BuildOutcome,
  type LogicalRecord,
  type TreatmentPlanBundle,
} from '../../../src/mapping';
import { ROLLBACK_ORDER } from '../../../src/object-types/registry';
import * as f from './fixtures';

function record(outcome: BuildOutcome): LogicalRecord {
  if (outcome.kind !== 'record') throw new Error(`expected a record, got ${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`);
  return outcome.record;
}

describe('organizations', () => {
  it('one household per guarantor, typed Household, owned by the guarantor provider', () => {
    const family = [f.patient(), f.patient({ patient_id: 6, guar_id: 5 })];
    const outcome = buildOrganization({ kind: 'household', guarantor: f.patient(), members: family }, f.context());
    expect(outcome).toMatchObject({ kind: 'record', sourceKey: 'household:5' });
    expect(record(outcome).fields).toEqual({ name: "Zoë O'Brien Household", owner_id: 901, address: '12 Lake St, Chicago, IL 60601' });
    expect(record(outcome).custom).toEqual({ Type: 'Household', 'Dentrix Source Key': 'household:5', 'Values Needing Review': null });
  });

  it('skips a patient who is not a guarantor', () => {
    expect(buildOrganization({ kind: 'household', guarantor: f.patient({ guar_id: 12 }), members: [] }, f.context())).toMatchObject({ kind: 'skip' });
  });

  it('skips a single-person family: the seed puts families of two or more under a household', () => {
    const alone = buildOrganization({ kind: 'household', guarantor: f.patient(), members: [f.patient()] }, f.context());
    expect(alone).toMatchObject({ kind: 'skip', reason: 'single-person family: no household organization' });
  });

  it('employers: typed Employer, phone in E.164 with its extension; no name is a reject', () => {
    const employer = record(buildOrganization({ kind: 'employer', employer: f.employer() }, f.context()));
    expect(employer.fields.name).toBe('Acme Widgets');
    expect(employer.custom).toEqual({ Phone: '+13125550100 ext. 12', Type: 'Employer', 'Dentrix Source Key': 'employer:3', 'Values Needing Review': null });
    expect(buildOrganization({ kind: 'employer', employer: f.employer({ employer_name: '  ' }) }, f.context())).toMatchObject({
      kind: 'reject',
      column: 'employer_name',
    });
  });

  it('referral sources: typed Referral Source with their category', () => {
    const referral = record(buildOrganization({ kind: 'referral', referral: f.referral() }, f.context()));
    expect(referral.custom).toEqual({
      'Referral Type': 'Doctor',
      Phone: null,
      Email: 'front@ortho.example',
      Type: 'Referral Source',
      'Dentrix Source Key': 'referral:4',
      'Values Needing Review': null,
    });
  });

  it('insurance carriers: typed Insurance Carrier with group number, payer id and annual maximum', () => {
    const carrier = record(buildOrganization({ kind: 'carrier', carrier: f.carrier() }, f.context()));
    expect(carrier.fields.name).toBe('Delta Dental (group G-1234)');
    expect(carrier.custom).toMatchObject({
      Type: 'Insurance Carrier',
      'Group Number': 'G-1234',
      'Group Name': 'Acme Widgets',
      'Payer ID': 'DDIL1',
      'Annual Maximum': { value: 1500, currency: 'USD' },
      Phone: '+18005550199',
    });
  });
});

describe('products', () => {
  it('a CDT code becomes a product priced in the practice currency', () => {
    const product = record(buildProduct({ kind: 'proccode', proccode: f.proccode() }, f.context({ currency: 'cad' })));
    expect(product.fields).toEqual({
      name: 'D2750 Crown - porcelain fused to high noble metal',
      code: 'D2750',
      description: 'Crown - porcelain fused to high noble metal',
      prices: [{ currency: 'CAD', price: 1200 }],
    });
    expect(product.custom).toEqual({
      'CDT Code': 'D2750',
      'CDT Category': 'Prosthodontics',
      'Dentrix Source Key': 'proccode:30',
      'Values Needing Review': null,
    });
  });
});

describe('treatment plans → deals', () => {
  const plan = (overrides: Partial<TreatmentPlanBundle> = {}): TreatmentPlanBundle => ({
    kind: 'txcase',
    txcase: f.txcase(),
    patient: f.patient(),
    procedures: [f.procedure(), f.procedure({ proc_id: 78, proccode_id: 31, fee: 95.25, ins_estimate: null, tooth: null, surfaces: null })],
    procCodes: [f.proccode(), f.proccode({ proccode_id: 31, ada_code: 'D0120' })],
    ledger: [
      f.ledger({ amount: 1150.5 }),
      f.ledger({ ledger_id: 101, entry_type: 'insurance_payment', amount: -500 }),
      f.ledger({ ledger_id: 102, entry_type: 'adjustment', amount: -20.1 }),
      f.ledger({ ledger_id: 103, entry_type: 'write_off', amount: -30 }),
      f.ledger({ ledger_id: 104, entry_type: 'insurance_estimate', amount: -400 }),
    ],
    ...overrides,
  });

  it('builds the deal: value, links, pipeline, stage, original dates and ledger fields', () => {
    const outcome = buildDeal(plan(), f.context());
    const deal = record(outcome);
    expect(deal.fields).toEqual({
      title: 'Treatment plan 9: Crown UR',
      value: 1245.75,
      currency: 'USD',
      person_id: 2005,
      org_id: 1005,
      owner_id: 901,
      pipeline_id: 11,
      stage_id: 22,
      status: 'open',
      lost_reason: null,
    });
    expect(deal.custom).toEqual({
      'Treatment Plan Status': 'Accepted',
      'CDT Codes': 'D2750, D0120',
      'Plan Created Date': '2024-02-01',
      'Plan Accepted Date': '2024-02-10',
      'Plan Completed Date': null,
      'Insurance Estimate': { value: 575.25, currency: 'USD' },
      'Patient Balance': { value: 600.4, currency: 'USD' },
      Adjustment: { value: -50.1, currency: 'USD' },
      'Dentrix Source Key': 'txcase:9',
      'Values Needing Review': null,
    });
    expect(referencesOf('deal', plan())).toEqual(outcome.kind === 'record' ? outcome.refs : []);
  });

  it('falls back to the plan estimate ledger rows when no procedure carries an estimate', () => {
    const deal = record(buildDeal(plan({ procedures: [f.procedure({ ins_estimate: null })] }), f.context()));
    expect(deal.custom['Insurance Estimate']).toEqual({ value: 400, currency: 'USD' });
  });

  it.each([
    ['Proposed', 21, 'open', null],
    ['In Progress', 23, 'open', null],
    ['Completed', 24, 'won', null],
    ['Rejected', 21, 'lost', 'Rejected in Dentrix'],
    ['On Hold', 25, 'open', null],
  ])('status %s → stage %d, %s', (status, stageId, dealStatus, lostReason) => {
    const deal = record(buildDeal(plan({ txcase: f.txcase({ status }) }), f.context()));
    expect(deal.fields).toMatchObject({ stage_id: stageId, status: dealStatus, lost_reason: lostReason });
    expect(deal.custom['Treatment Plan Status']).toBe(status);
  });

  it('rejects a status the value map does not know', () => {
    expect(buildDeal(plan({ txcase: f.txcase({ status: 'Deferred' }) }), f.context())).toEqual({
      kind: 'reject',
      entity: 'deal',
      sourceKey: 'txcase:9',
      column: 'status',
      reason: 'treatment-plan status has no entry in the pipeline status map',
    });
  });

  it('rejects a plan whose patient did not migrate (orphan reference)', () => {
    expect(buildDeal(plan({ txcase: f.txcase({ patient_id: 6 }), patient: null }), f.context())).toMatchObject({
      kind: 'reject',
      column: 'patient_id',
      reason: 'person patient:6 has no Pipedrive id (missing from the source or rejected)',
    });
  });

  it('a changed value map changes the stage without code changes', () => {
    const map = f.map();
    const edited = {
      ...map,
      objects: {
        ...map.objects,
        pipelines: [
          { ...map.objects.pipelines[0]!, statusMap: { ...map.objects.pipelines[0]!.statusMap, 'On Hold': { stage: 'Proposed', status: 'open' as const } } },
        ],
      },
    };
    const deal = record(buildDeal(plan({ txcase: f.txcase({ status: 'On Hold' }) }), f.context({ map: edited })));
    expect(deal.fields.stage_id).toBe(21);
  });
});

describe('plan procedures → deal products', () => {
  it('links deal and product, prices at the fee, one unit, tooth and surfaces plus the marker in comments', () => {
    const product = record(buildDealProduct({ kind: 'procedure', procedure: f.procedure(), procCode: f.proccode() }, f.context()));
    expect(product.fields).toEqual({
      deal_id: 3009,
      product_id: 4030,
      item_price: 1150.5,
      quantity: 1,
      comments: 'Tooth 3, surfaces MOD\n[dentrix:procedure:77]',
    });
  });

  it('uses the code default fee when the procedure has none, with a warning', () => {
    const outcome = buildDealProduct(
      { kind: 'procedure', procedure: f.procedure({ fee: null, tooth: null, surfaces: null }), procCode: f.proccode() },
      f.context(),
    );
    expect(record(outcome).fields).toMatchObject({ item_price: 1200, comments: '[dentrix:procedure:77]' });
    expect(outcome).toMatchObject({ warnings: [{ code: 'fee_defaulted' }] });
  });

  it('rejects an orphan product and skips procedures outside plans', () => {
    expect(buildDealProduct({ kind: 'procedure', procedure: f.procedure({ proccode_id: 99 }), procCode: null }, f.context())).toMatchObject({
      kind: 'reject',
      column: 'proccode_id',
    });
    expect(buildDealProduct({ kind: 'procedure', procedure: f.procedure({ txcase_id: null }), procCode: null }, f.context())).toMatchObject({
      kind: 'skip',
      reason: 'procedure is not part of a treatment plan',
    });
  });
});

describe('appointments → meetings', () => {
  const appointment = (status: string, overrides: Parameters<typeof f.appt>[0] = {}) => ({
    kind: 'appt' as const,
    appt: f.appt(overrides),
    status: f.apptStatus(status),
    planProcedures: [],
  });

  it('converts the start to UTC, links the patient and owner, keeps no name or reason in the subject', () => {
    const outcome = buildActivity(appointment('Complete', { patient_name: 'Zoë' }), f.context());
    const activity = record(outcome);
    expect(activity.fields).toEqual({
      subject: 'Prophy',
      type: 'meeting',
      due_date: '2024-07-15',
      due_time: '14:30',
      duration: '01:00',
      done: true,
      busy: true,
      person_id: 2005,
      deal_id: null,
      owner_id: 902,
      note: 'Dentrix status: Complete<br>[dentrix:appt:501]',
    });
    expect(JSON.stringify(activity)).not.toContain('Zoë');
    expect(JSON.stringify(activity)).not.toContain('Cleaning');
  });

  it('carries the reason and note only when approved', () => {
    const activity = record(buildActivity(appointment('Scheduled'), f.context({ phi: { include: [{ rule: 'appt.reason_note', deidentify: 'none' }] } })));
    expect(activity.fields.note).toBe('Dentrix status: Scheduled<br>Reason: Cleaning, sensitive #14<br>Note: Prefers mornings<br>[dentrix:appt:501]');
    expect(activity.fields.done).toBe(false);
  });

  it('handles broken and cancelled appointments by the option', () => {
    const open = record(buildActivity(appointment('Broken'), f.context()));
    expect(open.fields).toMatchObject({ done: false, busy: false, note: 'Dentrix status: Broken<br>[dentrix:appt:501]' });
    const done = record(buildActivity(appointment('canceled'), f.context({ options: { brokenCancelledAppointments: 'done_with_marker' } })));
    expect(done.fields).toMatchObject({ done: true, busy: false });
    expect(buildActivity(appointment('Cancelled'), f.context({ options: { brokenCancelledAppointments: 'skip' } }))).toMatchObject({
      kind: 'skip',
      reason: 'cancelled appointment (option brokenCancelledAppointments = skip)',
    });
  });

  it('shifts a start in the spring-forward gap forward, and says so', () => {
    const outcome = buildActivity(appointment('Scheduled', { appointment_date: '2024-03-10', start_hour: 2, start_minute: 30 }), f.context());
    expect(record(outcome).fields).toMatchObject({ due_date: '2024-03-10', due_time: '08:30' });
    expect(outcome).toMatchObject({ warnings: [{ code: 'dst_gap_shifted', column: 'appointment_date' }] });
  });

  it('uses the earlier offset in the fall-back overlap', () => {
    const outcome = buildActivity(
      appointment('Scheduled', { appointment_date: '2024-11-03', start_hour: 1, start_minute: 30 }),
      f.context({ timezone: 'America/New_York' }),
    );
    expect(record(outcome).fields).toMatchObject({ due_date: '2024-11-03', due_time: '05:30' });
    expect(outcome).toMatchObject({ warnings: [{ code: 'dst_overlap_earlier_offset' }] });
  });

  it('links a new-patient booking to its minimal person, or skips it by option', () => {
    const booking = appointment('Scheduled', { appointment_id: 502, patient_id: null, patient_name: 'SMITH, JOHN' });
    expect(record(buildActivity(booking, f.context())).fields.person_id).toBe(2502);
    expect(referencesOf('activity', booking)).toContainEqual({ objectType: 'person', sourceKey: 'newpatient:appt:502' });
    expect(buildActivity(booking, f.context({ options: { newPatientBooking: 'skip' } }))).toMatchObject({ kind: 'skip' });
  });

  it('rejects appointments without a start or whose patient did not migrate', () => {
    expect(buildActivity(appointment('Scheduled', { appointment_date: null }), f.context())).toMatchObject({ kind: 'reject', column: 'appointment_date' });
    expect(buildActivity(appointment('Scheduled', { patient_id: 6 }), f.context())).toMatchObject({ kind: 'reject', column: 'patient_id' });
  });
});

describe('recalls → tasks', () => {
  it('is due at prior date + interval when due_date is NULL (month end clamped)', () => {
    const task = record(
      buildActivity({ kind: 'recall', recall: f.recall(), recallType: f.recallType(), bookedAppointment: null, bookedPlanProcedures: [] }, f.context()),
    );
    expect(task.fields).toEqual({
      subject: 'Recall: Prophy',
      type: 'task',
      due_date: '2025-03-01',
      done: false,
      person_id: 2005,
      deal_id: null,
      owner_id: 902,
      note: '[dentrix:recall:40]',
    });
  });

  it('uses due_date, notes a booked visit, rejects when the due date cannot be known', () => {
    const booked = record(
      buildActivity(
        {
          kind: 'recall',
          recall: f.recall({ due_date: '2025-01-20', appointment_id: 777 }),
          recallType: f.recallType(),
          bookedAppointment: null,
          bookedPlanProcedures: [],
        },
        f.context(),
      ),
    );
    expect(booked.fields).toMatchObject({ due_date: '2025-01-20', note: 'Booked Dentrix appointment: 777<br>[dentrix:recall:40]' });
    expect(
      buildActivity(
        { kind: 'recall', recall: f.recall({ prior_date: null }), recallType: f.recallType(), bookedAppointment: null, bookedPlanProcedures: [] },
        f.context(),
      ),
    ).toMatchObject({
      kind: 'reject',
      column: 'due_date',
    });
    expect(
      buildActivity({ kind: 'recall', recall: f.recall(), recallType: null, bookedAppointment: null, bookedPlanProcedures: [] }, f.context()),
    ).toMatchObject({ kind: 'reject', column: 'recall_type_id' });
  });
});

describe('clinical notes → notes', () => {
  const approved = f.context({ phi: { include: [{ rule: 'clinical_note.content', deidentify: 'none' }] } });

  it('is skipped by rule until the practice approves clinical notes', () => {
    expect(buildNote({ kind: 'clinical_note', note: f.clinicalNote() }, f.context())).toEqual({
      kind: 'skip',
      entity: 'note',
      sourceKey: 'clinical_note:70',
      reason: 'clinical_note.content is PHI not approved for transfer',
    });
  });

  it('escapes the text, keeps line breaks, converts the time to UTC and ends with the marker', () => {
    const note = record(buildNote({ kind: 'clinical_note', note: f.clinicalNote() }, approved));
    expect(note.fields).toEqual({
      content: 'Dentrix clinical note (Exam)<br>Pt reports &quot;sharp&quot; pain &lt;UR&gt;<br>Advised crown &amp; follow-up<br>[dentrix:clinical_note:70]',
      person_id: 2005,
      add_time: '2024-03-10 19:05:00',
      user_id: 901,
    });
  });

  it('skips empty notes and cuts long ones to 100 KB, keeping the marker and the whole text in the review file', () => {
    expect(buildNote({ kind: 'clinical_note', note: f.clinicalNote({ note_text: ' \n ' }) }, approved)).toMatchObject({
      kind: 'skip',
      reason: 'clinical note has no text',
    });
    const longOutcome = buildNote({ kind: 'clinical_note', note: f.clinicalNote({ note_text: '<>'.repeat(40_000) }) }, approved);
    const long = record(longOutcome);
    // Cut, but not lost: the review file holds the whole text, so the field is not counted as truncated.
    expect(long.truncated).toEqual([]);
    expect(longOutcome.kind === 'record' && longOutcome.reviewFile?.startsWith('content (shortened, the rest): ')).toBe(true);
    expect(Buffer.byteLength(long.fields.content as string)).toBeLessThanOrEqual(100_000);
    expect((long.fields.content as string).endsWith('<br>[dentrix:clinical_note:70]')).toBe(true);
  });
});

describe('documents → files', () => {
  const approved = f.context({ phi: { include: [{ rule: 'document.file', deidentify: 'none' }] } });

  it('moves approved documents as files on the person, the file name carrying the key', () => {
    const file = record(buildFile({ kind: 'document', document: f.documentRow() }, approved));
    expect(file.fields).toEqual({ file_path: 'documents/consent/80.pdf', name: 'dentrix-document-80__80.pdf', person_id: 2005 });
  });

  it('skips documents until approved, and imaging always', () => {
    expect(buildFile({ kind: 'document', document: f.documentRow() }, f.context())).toMatchObject({
      kind: 'skip',
      reason: 'document.file is PHI not approved for transfer',
    });
    expect(buildFile({ kind: 'document', document: f.documentRow({ doc_type: 'CBCT' }) }, approved)).toMatchObject({ kind: 'skip' });
  });

  it('rejects a document without a file path', () => {
    expect(buildFile({ kind: 'document', document: f.documentRow({ file_path: null }) }, approved)).toMatchObject({ kind: 'reject', column: 'file_path' });
  });

  it('lists imaging in the image manifest with the person archive link', () => {
    expect(imageManifestEntry({ kind: 'document', document: f.documentRow({ doc_type: 'xray' }) }, { imageArchiveBaseUrl: 'https://a.example/x/' })).toEqual({
      documentKey: 'document:80',
      personSourceKey: 'patient:5',
      docType: 'xray',
      filePath: 'documents/consent/80.pdf',
      sha256: 'ab'.repeat(32),
      sizeBytes: 2048,
      archiveUrl: 'https://a.example/x/5',
    });
    expect(imageManifestEntry({ kind: 'document', document: f.documentRow() }, { imageArchiveBaseUrl: null })).toBeUndefined();
  });
});

describe('dispatch and order', () => {
  it('refuses a bundle for another entity', () => {
    expect(() => buildRecord('deal', { kind: 'proccode', proccode: f.proccode() } as never, f.context())).toThrow('proccode bundles build product records');
  });

  it('loads in dependency order and rolls back in its exact reverse', () => {
    expect(LOAD_ORDER).toEqual(['organization', 'product', 'person', 'deal', 'deal_product', 'activity', 'note', 'file']);
    expect(ROLLBACK_ORDER.filter((t) => (LOAD_ORDER as readonly string[]).includes(t))).toEqual([...LOAD_ORDER].reverse());
  });
});

describe('practice-specific columns', () => {
  it('a rule reads a column the readers kept in row.extra (a practice-specific or renamed column)', () => {
    const base = f.map();
    const map = parseFieldMap({
      ...base,
      objects: {
        ...base.objects,
        customFields: {
          ...base.objects.customFields,
          organization: [...base.objects.customFields.organization, { name: 'Tax ID', field_type: 'varchar' as const, searchable: false }],
        },
      },
      rules: [
        ...base.rules,
        {
          id: 'employer.tax_id',
          kind: 'employer' as const,
          source: { kind: 'columns' as const, table: 'employer' as const, columns: ['tax_id'] },
          target: { entity: 'organization' as const, field: { kind: 'custom' as const, name: 'Tax ID' } },
          transform: { name: 'text' as const, params: {} },
          phi: 'none' as const,
          rationale: 'practice-specific column',
        },
      ],
    });
    const employer = f.employer({ extra: { tax_id: '36-1234567' } });
    const built = record(buildOrganization({ kind: 'employer', employer }, f.context({ map })));
    expect(built.custom['Tax ID']).toBe('36-1234567');
  });
});
