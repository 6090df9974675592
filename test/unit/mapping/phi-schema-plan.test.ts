import {
  NO_PHI,
  PhiDecisionError,
  PhiDecisionsSchema,
  applyPhiDecisions,
  fetchPlan,
  matchesFilters,
  phiDecisionProblems,
  phiFields,
  schemaRequirements,
} from '../../../src/mapping';
import * as f from './fixtures';

describe('PHI decisions', () => {
  const map = f.map();

  it('lists the PHI fields for the Data Quality Report, SSN as never moving', () => {
    const fields = phiFields(map);
    expect(fields.map((x) => x.ruleId)).toEqual(expect.arrayContaining(f.ALL_PHI.include.map((d) => d.rule)));
    expect(fields.find((x) => x.ruleId === 'patient.ssn')).toMatchObject({
      classification: 'never',
      defaultDeidentification: 'never moves',
      field: 'not migrated',
    });
    expect(fields.find((x) => x.ruleId === 'patient.birth_date')).toMatchObject({
      classification: 'phi',
      defaultDeidentification: 'year_only',
      field: 'Birth Date',
      source: 'patient.birth_date',
    });
    expect(fields.every((x) => x.classification !== ('none' as never))).toBe(true);
  });

  it('excludes every PHI rule by default', () => {
    const plan = applyPhiDecisions(map, NO_PHI);
    const excluded = plan.excluded.map((r) => r.id);
    expect(excluded).toEqual(expect.arrayContaining(f.ALL_PHI.include.map((d) => d.rule)));
    expect(plan.active.some(({ rule }) => rule.phi !== 'none')).toBe(false);
  });

  it('includes by rule id with the chosen treatment', () => {
    const plan = applyPhiDecisions(map, { include: [{ rule: 'patient.birth_date', deidentify: 'year_only' }] });
    expect(plan.active.find(({ rule }) => rule.id === 'patient.birth_date')?.treatment).toBe('year_only');
  });

  it.each([
    [{ rule: 'patient.ssn', deidentify: 'none' as const }, 'patient.ssn never moves (e.g. SSN): it cannot be included'],
    [{ rule: 'patient.name', deidentify: 'none' as const }, 'patient.name is not PHI: it moves without a decision'],
    [{ rule: 'patient.shoe_size', deidentify: 'none' as const }, 'patient.shoe_size is not a rule of map version 1'],
    [{ rule: 'patient.allergies', deidentify: 'year_only' as const }, 'patient.allergies cannot be de-identified as year_only'],
    [{ rule: 'patient.birth_date', deidentify: 'mask' as const }, 'patient.birth_date cannot be de-identified as mask'],
  ])('refuses %j', (decision, message) => {
    expect(phiDecisionProblems(map, { include: [decision] })).toEqual([message]);
    expect(() => applyPhiDecisions(map, { include: [decision] })).toThrow(PhiDecisionError);
  });

  it('parses decisions from JSON with zod', () => {
    expect(PhiDecisionsSchema.parse({})).toEqual({ include: [] });
    expect(() => PhiDecisionsSchema.parse({ include: [{ rule: 'patient.birth_date', deidentify: 'blur' }] })).toThrow();
  });
});

describe('schema requirements', () => {
  it('lists the custom fields active rules write, the pipeline with ordered stages and the activity types', () => {
    const schema = schemaRequirements(f.map(), NO_PHI);
    const person = schema.customFields.person.map((x) => x.name);
    expect(person).toEqual(
      expect.arrayContaining([
        'Dentrix Patient ID',
        'Dentrix Source Key',
        'Email Missing',
        'Recall Type',
        'Employer',
        'Referral Source',
        'Image Archive Link',
        'Balance Forward',
      ]),
    );
    expect(person).not.toContain('Birth Date');
    expect(person).not.toContain('Allergy Alert');
    expect(schema.customFields.person.find((x) => x.name === 'Dentrix Source Key')).toEqual({
      name: 'Dentrix Source Key',
      field_type: 'varchar',
      searchable: true,
      rules: ['patient.source_key', 'newpatient.source_key'],
    });
    expect(schema.customFields.organization.find((x) => x.name === 'Type')).toMatchObject({
      field_type: 'enum',
      options: ['Household', 'Employer', 'Referral Source', 'Insurance Carrier'],
    });
    expect(schema.customFields.deal.map((x) => x.name)).toEqual([
      'Dentrix Source Key',
      'Treatment Plan Status',
      'CDT Codes',
      'Plan Created Date',
      'Plan Accepted Date',
      'Plan Completed Date',
      'Insurance Estimate',
      'Patient Balance',
      'Adjustment',
      'Values Needing Review',
    ]);
    expect(schema.customFields.product.map((x) => x.name)).toEqual(['Dentrix Source Key', 'CDT Code', 'CDT Category', 'Values Needing Review']);
    expect(schema.pipelines).toEqual([{ name: 'Treatment Plans', stages: ['Proposed', 'Accepted', 'In Progress', 'Completed', 'On Hold'] }]);
    expect(schema.activityTypes).toEqual([
      { name: 'Meeting', key_string: 'meeting', icon_key: 'meeting' },
      { name: 'Task', key_string: 'task', icon_key: 'task' },
    ]);
  });

  it('creates approved PHI fields, de-identified ones as text', () => {
    const schema = schemaRequirements(f.map(), {
      include: [
        { rule: 'patient.birth_date', deidentify: 'year_only' },
        { rule: 'patient.allergies', deidentify: 'none' },
      ],
    });
    expect(schema.customFields.person.find((x) => x.name === 'Birth Date')?.field_type).toBe('varchar');
    expect(schema.customFields.person.find((x) => x.name === 'Allergy Alert')?.field_type).toBe('text');
    const asIs = schemaRequirements(f.map(), { include: [{ rule: 'patient.birth_date', deidentify: 'none' }] });
    expect(asIs.customFields.person.find((x) => x.name === 'Birth Date')?.field_type).toBe('date');
  });
});

describe('fetch plan', () => {
  it('drives organizations from guarantors, employers, referral sources and carriers', () => {
    const plan = fetchPlan('organization');
    expect(plan.map((d) => [d.kind, d.table, d.sourceKeyPattern])).toEqual([
      ['household', 'patient', 'household:<guar_id>'],
      ['employer', 'employer', 'employer:<employer_id>'],
      ['referral', 'referral', 'referral:<referral_id>'],
      ['carrier', 'inscarrier', 'carrier:<ins_id>'],
    ]);
    const household = plan[0]!;
    expect(matchesFilters(f.patient(), household.filter)).toBe(true);
    expect(matchesFilters(f.patient({ guar_id: 12 }), household.filter)).toBe(false);
  });

  it('tells the engine which related rows a person needs and by which key', () => {
    const [patient, newPatient] = fetchPlan('person');
    expect(patient!.related.map((r) => [r.as, r.table, r.column, r.equals, r.from ?? null])).toEqual([
      ['primaryInsured', 'insured', 'insured_id', 'prim_insured_id', null],
      ['medicalAlerts', 'medical_alert', 'patient_id', 'patient_id', null],
      ['recalls', 'recall', 'patient_id', 'patient_id', null],
      ['recallTypes', 'recalltype', 'recall_type_id', 'recall_type_id', 'recalls'],
      ['clinicalNotes', 'clinical_note', 'patient_id', 'patient_id', null],
      ['documents', 'document', 'patient_id', 'patient_id', null],
      ['balanceForwardEntries', 'ledger', 'guar_id', 'patient_id', null],
    ]);
    expect(patient!.related.find((r) => r.as === 'balanceForwardEntries')?.filter).toEqual([{ column: 'txcase_id', op: 'is_null' }]);
    expect(newPatient).toMatchObject({ kind: 'newpatient', table: 'appt', sourceKeyPattern: 'newpatient:appt:<appointment_id>' });
    expect(matchesFilters(f.appt({ patient_id: null }), newPatient!.filter)).toBe(true);
    expect(matchesFilters(f.appt(), newPatient!.filter)).toBe(false);
    expect(fetchPlan('person', { newPatientBooking: 'skip' }).map((d) => d.kind)).toEqual(['patient']);
  });

  it('drives deals by plan with procedures, codes and ledger; deal products by planned procedure', () => {
    expect(fetchPlan('deal')[0]!.related.map((r) => `${r.as}<-${r.table}.${r.column}`)).toEqual([
      'patient<-patient.patient_id',
      'procedures<-procedure.txcase_id',
      'procCodes<-proccode.proccode_id',
      'ledger<-ledger.txcase_id',
    ]);
    const dealProduct = fetchPlan('deal_product')[0]!;
    expect(matchesFilters(f.procedure({ txcase_id: null }), dealProduct.filter)).toBe(false);
    expect(fetchPlan('activity').map((d) => [d.kind, d.related.map((r) => r.table)])).toEqual([
      ['appt', ['appt_status', 'procedure']],
      ['recall', ['recalltype', 'appt', 'procedure']],
    ]);
    expect(fetchPlan('file')[0]!.filter).toEqual([]);
  });
});
