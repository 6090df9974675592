import {
  CUSTOM_FIELD_ENTITIES,
  DERIVED_SOURCES,
  FIELD_MAP_FORMAT,
  FieldMapError,
  RECORD_KIND_NAMES,
  RECORD_KINDS,
  REVIEW_FIELD,
  defaultFieldMap,
  parseFieldMap,
  providerMatchEmail,
  withSourceOptions,
  type FieldMap,
} from '../../../src/mapping';
import * as f from './fixtures';

const ROWS: Record<string, object> = {
  patient: f.patient(),
  employer: f.employer(),
  referral: f.referral(),
  inscarrier: f.carrier(),
  insured: f.insured(),
  proccode: f.proccode(),
  txcase: f.txcase(),
  procedure: f.procedure(),
  ledger: f.ledger(),
  appt: f.appt(),
  appt_status: f.apptStatus('Scheduled'),
  recalltype: f.recallType(),
  recall: f.recall(),
  medical_alert: f.medicalAlert(),
  clinical_note: f.clinicalNote(),
  document: f.documentRow(),
};

/** A deep copy to edit, as an operator would edit the JSON. */
function editable(): FieldMap {
  return JSON.parse(JSON.stringify(defaultFieldMap())) as FieldMap;
}

function problemsOf(edit: (map: FieldMap) => void): string {
  const map = editable();
  edit(map);
  try {
    parseFieldMap(map);
  } catch (error) {
    expect(error).toBeInstanceOf(FieldMapError);
    return (error as FieldMapError).issues.join('\n');
  }
  throw new Error('the edited map was accepted');
}

describe('the default field map', () => {
  const map = defaultFieldMap();

  it('is versioned and survives a JSON round trip unchanged', () => {
    expect(map.format).toBe(FIELD_MAP_FORMAT);
    expect(map.version).toBe(1);
    expect(parseFieldMap(JSON.parse(JSON.stringify(map)))).toEqual(map);
  });

  // One entry per row of the seed's object-mapping table: the rules that carry it.
  it.each([
    ['Patient → Person', ['patient.name', 'patient.emails', 'patient.phones', 'patient.owner', 'patient.email_missing', 'patient.address']],
    [
      'Patient → Organization (employer, referral source)',
      ['employer.name', 'employer.org_type', 'referral.name', 'referral.org_type', 'patient.employer', 'patient.referral'],
    ],
    ['Provider → User', ['patient.owner', 'txcase.owner', 'appt.owner', 'recall.owner']],
    ['Appointment → Activity', ['appt.subject', 'appt.type', 'appt.due_date', 'appt.due_time', 'appt.duration', 'appt.done', 'appt.person', 'appt.owner']],
    ['Treatment Plan → Deal', ['txcase.title', 'txcase.value', 'txcase.stage', 'txcase.status', 'txcase.person', 'procedure.deal', 'procedure.product']],
    ['Insurance Carrier → Organization', ['carrier.name', 'carrier.org_type', 'carrier.group_number', 'carrier.payer_id']],
    ['CDT Procedure Code → Product + Custom Field', ['proccode.name', 'proccode.code', 'proccode.cdt_code', 'txcase.cdt_codes']],
    ['Recall → Activity + Custom Field', ['recall.subject', 'recall.type', 'recall.due_date', 'recall.person', 'patient.recall_types']],
    [
      'Clinical Note / Alert → Custom Field on Person',
      ['patient.allergies', 'patient.conditions', 'patient.medications', 'patient.clinical_narrative', 'clinical_note.content'],
    ],
    [
      'Billing Ledger Item → Custom Field on Deal',
      ['txcase.insurance_estimate', 'txcase.patient_balance', 'txcase.adjustment', 'patient.balance_forward', 'txcase.claims_in_flight'],
    ],
    ['Family / Guarantor → Person + Organization Link', ['household.name', 'household.org_type', 'patient.household', 'txcase.household']],
    ['X-ray / Imaging File → External Link', ['patient.image_archive_link', 'document.imaging']],
  ])('covers %s', (_row, ruleIds) => {
    const ids = map.rules.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(ruleIds));
  });

  it('distinguishes organizations by a Type enum and provides for users by email with a fallback owner', () => {
    expect(map.objects.customFields.organization.find((x) => x.name === 'Type')?.options).toEqual([
      'Household',
      'Employer',
      'Referral Source',
      'Insurance Carrier',
    ]);
    expect(map.objects.users).toMatchObject({ sourceTable: 'provider', matchBy: 'email', fallback: 'fallback_owner' });
    expect(providerMatchEmail({ email: ' Dr.Lee@Practice.COM ' })).toBe('dr.lee@practice.com');
    expect(providerMatchEmail({ email: '  ' })).toBeNull();
  });

  it('reads only columns the extract format has', () => {
    for (const rule of map.rules) {
      if (rule.source.kind !== 'columns') continue;
      const row = ROWS[rule.source.table];
      expect(row).toBeDefined();
      for (const column of rule.source.columns) expect([rule.id, column in row!]).toEqual([rule.id, true]);
    }
  });

  it('never moves the SSN and classifies every rule', () => {
    const ssn = map.rules.find((r) => r.source.kind === 'columns' && r.source.columns.includes('ssn'));
    expect(ssn).toMatchObject({ phi: 'never', target: { field: { kind: 'not_migrated' } } });
    for (const rule of map.rules) {
      expect(['none', 'phi', 'never']).toContain(rule.phi);
      expect(rule.rationale.length).toBeGreaterThan(10);
    }
  });

  it('keeps the exactly-once keys in searchable varchar fields', () => {
    for (const entity of ['person', 'organization', 'deal', 'product'] as const) {
      expect(map.objects.customFields[entity].find((x) => x.name === 'Dentrix Source Key')).toMatchObject({ field_type: 'varchar', searchable: true });
    }
    expect(map.objects.customFields.person.find((x) => x.name === 'Dentrix Patient ID')).toMatchObject({ field_type: 'varchar', searchable: true });
  });

  it('links employer and referral source with org-type person fields, the household with org_id', () => {
    const target = (id: string) => map.rules.find((r) => r.id === id)?.target.field;
    expect(target('patient.household')).toEqual({ kind: 'standard', name: 'org_id' });
    expect(target('patient.employer')).toEqual({ kind: 'custom', name: 'Employer' });
    expect(map.objects.customFields.person.find((x) => x.name === 'Employer')?.field_type).toBe('org');
    expect(map.objects.customFields.person.find((x) => x.name === 'Referral Source')?.field_type).toBe('org');
  });

  it('gives every kind whose entity takes custom fields a review field rule, and no other kind one', () => {
    // Derived from the record kinds, so a kind added to RECORD_KINDS is covered (or must be, by this test) at once.
    const map = defaultFieldMap();
    for (const kind of RECORD_KIND_NAMES) {
      const entity = RECORD_KINDS[kind].entity;
      const takesCustomFields = (CUSTOM_FIELD_ENTITIES as readonly string[]).includes(entity);
      const rule = map.rules.find((r) => r.id === `${kind}.values_for_review`);
      expect([kind, rule?.target]).toEqual([kind, takesCustomFields ? { entity, field: { kind: 'custom', name: REVIEW_FIELD } } : undefined]);
      if (takesCustomFields) {
        expect([kind, map.objects.customFields[entity as (typeof CUSTOM_FIELD_ENTITIES)[number]].map((f) => f.name)]).toEqual([
          kind,
          expect.arrayContaining([REVIEW_FIELD]),
        ]);
      }
    }
    expect(RECORD_KIND_NAMES.filter((kind) => (CUSTOM_FIELD_ENTITIES as readonly string[]).includes(RECORD_KINDS[kind].entity)).length).toBeGreaterThan(0);
  });

  it('derives every record kind its source key', () => {
    expect([...DERIVED_SOURCES.source_key.kinds].sort()).toEqual([...RECORD_KIND_NAMES].sort());
  });

  it('documents the defaults of the open decisions', () => {
    expect(map.options).toMatchObject({ newPatientBooking: 'create_person', brokenCancelledAppointments: 'open_with_marker', imageArchiveBaseUrl: null });
    expect(map.objects.pipelines[0]).toMatchObject({
      name: 'Treatment Plans',
      stages: ['Proposed', 'Accepted', 'In Progress', 'Completed', 'On Hold'],
    });
    expect(map.objects.pipelines[0]!.statusMap['On Hold']).toEqual({ stage: 'On Hold', status: 'open' });
  });
});

describe('map validation', () => {
  it.each<[string, (map: FieldMap) => void, string]>([
    [
      'a custom field that is not defined',
      (m) => ((m.rules.find((r) => r.id === 'patient.chart_num')!.target.field as { name: string }).name = 'Chart No'),
      'patient.chart_num: custom field person.Chart No is not defined',
    ],
    ['a duplicate rule id', (m) => m.rules.push({ ...m.rules[0]! }), 'duplicate rule id'],
    [
      'transform parameters of the wrong shape',
      (m) => (m.rules.find((r) => r.id === 'patient.emails')!.transform.params = { label: 'fax' }),
      'patient.emails: transform emails parameters',
    ],
    [
      'SSN given a target',
      (m) => (m.rules.find((r) => r.id === 'patient.ssn')!.target.field = { kind: 'custom', name: 'Chart Number' }),
      'never moves must target not_migrated',
    ],
    [
      'a PHI rule without a default de-identification',
      (m) => delete m.rules.find((r) => r.id === 'patient.birth_date')!.deidentify,
      'needs a default de-identification',
    ],
    [
      'year_only on a text field',
      (m) => (m.rules.find((r) => r.id === 'patient.subscriber_id')!.deidentify = 'year_only'),
      'year_only applies to date fields only',
    ],
    ['an enum without options', (m) => delete m.objects.customFields.person.find((x) => x.name === 'Gender')!.options, 'Gender: enum field needs options'],
    [
      'a status mapped to a stage that does not exist',
      (m) => (m.objects.pipelines[0]!.statusMap['On Hold'] = { stage: 'Paused', status: 'open' }),
      'stage Paused is not a stage',
    ],
    [
      'a kind without its source-key rule',
      (m) => (m.rules = m.rules.filter((r) => r.id !== 'carrier.source_key')),
      'carrier records need a rule writing "Dentrix Source Key"',
    ],
    [
      'columns of a table the kind does not hold',
      (m) => (m.rules.find((r) => r.id === 'patient.chart_num')!.source = { kind: 'columns', table: 'ledger', columns: ['amount'] }),
      'has no single ledger row',
    ],
    [
      'a derived source of another kind',
      (m) => (m.rules.find((r) => r.id === 'patient.chart_num')!.source = { kind: 'derived', name: 'plan_fee_total' }),
      'does not apply to patient records',
    ],
    [
      'two rules writing one plain field',
      (m) => m.rules.push({ ...m.rules.find((r) => r.id === 'patient.chart_num')!, id: 'patient.chart_again' }),
      'is already written by patient.chart_num',
    ],
    [
      'a link to a type that does not load before its own (persons load before deals)',
      (m) => (m.rules.find((r) => r.id === 'patient.household')!.transform.params = { objectType: 'deal', prefix: 'txcase' }),
      'patient.household: links to deal, which does not load before person',
    ],
    ['a searchable enum', (m) => (m.objects.customFields.person.find((x) => x.name === 'Gender')!.searchable = true), 'cannot search enum fields'],
    [
      'a non-searchable source key',
      (m) => (m.objects.customFields.deal.find((x) => x.name === 'Dentrix Source Key')!.searchable = false),
      'deal needs a searchable varchar',
    ],
  ])('rejects %s', (_what, edit, message) => {
    expect(problemsOf(edit)).toContain(message);
  });

  it('accepts several rules composing one note', () => {
    const map = editable();
    map.rules.push({ ...map.rules.find((r) => r.id === 'appt.status_line')!, id: 'appt.status_again' });
    expect(() => parseFieldMap(map)).not.toThrow();
  });
});

describe('practice options', () => {
  it('adds the practice recall types to Recall Type, case-insensitively, without duplicates', () => {
    const map = withSourceOptions(defaultFieldMap(), {
      recalltype: [f.recallType({ name: 'PROPHY' }), f.recallType({ name: ' Child  Prophy ' }), f.recallType({ name: null })],
    });
    const options = map.objects.customFields.person.find((x) => x.name === 'Recall Type')?.options;
    expect(options).toContain('Child Prophy');
    expect(options?.filter((o) => o.toLowerCase() === 'prophy')).toHaveLength(1);
    expect(() => parseFieldMap(map)).not.toThrow();
  });
});
