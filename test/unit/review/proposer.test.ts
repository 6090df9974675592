import { DENTRIX_TABLES, contractColumns } from '../../../src/dentrix';
import { defaultFieldMap, parseFieldMap } from '../../../src/mapping';
import { contractColumnUse } from '../../../src/review/contract-usage';
import { nameSimilarity, nameTokens } from '../../../src/review/names';
import { CONFIDENT, proposalToFieldMap, proposeMap, type ProposalRow } from '../../../src/review/proposer';
import { profileValues, type ColumnProfiles } from '../../../src/review/value-profile';

const baseMap = defaultFieldMap();

function rowOf(rows: ProposalRow[], table: string, column: string): ProposalRow {
  const row = rows.find((r) => r.table === table && r.column === column);
  if (!row) throw new Error(`no proposal row for ${table}.${column}`);
  return row;
}

describe('proposer: contract columns (exact match)', () => {
  const rows = proposeMap({ columnsByTable: { patient: contractColumns('patient') }, profiles: {}, baseMap });

  it('proposes every contract column of all 17 tables, each where the default map sends it, with full confidence', () => {
    for (const table of DENTRIX_TABLES) {
      for (const column of contractColumns(table)) {
        const row = rowOf(rows, table, column);
        expect(row.destination).toEqual({ kind: 'contract', column });
        expect(row.confidence).toBe(1);
        expect(row.basis).toBe('default_map');
      }
    }
  });

  it('carries the map classification and transform: SSN never moves, birth date is PHI, names are not gated', () => {
    expect(rowOf(rows, 'patient', 'ssn').phi).toBe('never');
    expect(rowOf(rows, 'patient', 'birth_date')).toMatchObject({ phi: 'phi', deidentify: 'year_only', transform: { name: 'date' } });
    expect(rowOf(rows, 'patient', 'first_name')).toMatchObject({ phi: 'none', transform: { name: 'household_name' } });
    expect(rowOf(rows, 'medical_alert', 'description')).toMatchObject({ phi: 'phi', transform: { name: 'alert_list' } });
    expect(rowOf(rows, 'medical_alert', 'description').rationale).toContain('patient.allergies');
  });

  it('every contract column is read by a rule, a derived source or the engine, or said to be unused on purpose', () => {
    const unexplained = DENTRIX_TABLES.flatMap((table) =>
      contractColumns(table)
        .map((column) => contractColumnUse(baseMap, table, column))
        .filter((use) => use.directRules.length + use.derivedRules.length === 0 && use.engine === null)
        .map((use) => `${use.table}.${use.column}`),
    );
    expect(unexplained).toEqual([]);
  });

  it('a map of contract columns only is the base map, one version later', () => {
    const map = proposalToFieldMap(baseMap, rows);
    expect(map).toEqual({ ...baseMap, version: baseMap.version + 1 });
  });
});

describe('proposer: unfamiliar names', () => {
  it('matches synonyms and abbreviations to the absent contract columns', () => {
    const rows = proposeMap({ columnsByTable: { patient: ['patient_id', 'fname', 'DOB', 'cell_no', 'postal', 'ins_co'] }, profiles: {}, baseMap });
    expect(rowOf(rows, 'patient', 'fname')).toMatchObject({ origin: 'extra', destination: { kind: 'contract', column: 'first_name' }, basis: 'name' });
    expect(rowOf(rows, 'patient', 'DOB')).toMatchObject({ destination: { kind: 'contract', column: 'birth_date' }, phi: 'phi' });
    expect(rowOf(rows, 'patient', 'cell_no').destination).toEqual({ kind: 'contract', column: 'mobile_phone' });
    expect(rowOf(rows, 'patient', 'postal').destination).toEqual({ kind: 'contract', column: 'zipcode' });
    for (const column of ['fname', 'DOB', 'cell_no', 'postal']) expect(rowOf(rows, 'patient', column).confidence).toBeGreaterThanOrEqual(CONFIDENT);
    // The contract rows say who took their place; the map's rules now read the stand-ins.
    expect(rowOf(rows, 'patient', 'first_name').rationale).toContain('fname takes its place');
    const map = proposalToFieldMap(baseMap, rows);
    expect(map.rules.find((r) => r.id === 'patient.name')!.source).toEqual({ kind: 'columns', table: 'patient', columns: ['fname', 'last_name'] });
    expect(map.rules.find((r) => r.id === 'patient.address')!.source).toMatchObject({ columns: ['address_line1', 'address_line2', 'city', 'state', 'postal'] });
  });

  it('a contract column the extract has keeps its place: a look-alike becomes a field of its own', () => {
    const rows = proposeMap({ columnsByTable: { patient: ['patient_id', 'first_name', 'firstname2'] }, profiles: {}, baseMap });
    expect(rowOf(rows, 'patient', 'firstname2').destination).not.toEqual({ kind: 'contract', column: 'first_name' });
  });

  it('canonical tokens: dob, cell, zip/postal and ins are one vocabulary', () => {
    expect(nameTokens('DOB')).toEqual(['birth', 'date']);
    expect(nameTokens('cell_no')).toEqual(['mobile', 'phone', 'number']);
    expect(nameTokens('PostalCode')).toEqual(['zipcode']);
    expect(nameTokens('ins_co_name')).toEqual(['insurance', 'company', 'name']);
    expect(nameSimilarity('frist_name', 'first_name').how).toBe('edit distance');
    expect(nameSimilarity('frist_name', 'first_name').score).toBeGreaterThan(nameSimilarity('frist_name', 'last_name').score);
  });
});

describe('proposer: value profiling', () => {
  const profiles: ColumnProfiles = {
    patient: {
      usr_fld_2: profileValues(['ann@example.com', 'bob@example.org', 'cy@example.net', null]),
      usr_fld_4: profileValues(['(312) 555-0142', '312.555.0199', '773-555-0100']),
      loyalty_tier: profileValues(['Gold', 'Silver', 'Gold', 'Bronze', 'Silver', 'Gold']),
      alt_notes: profileValues(['Prefers mornings.\nAnxious patient.', 'Call before noon', 'Needs ride']),
      allergy_notes: profileValues(['Latex', 'Penicillin', 'None']),
      sms_ok: profileValues(['Y', 'N', 'Y', 'Y']),
      old_ssn: profileValues(['123-45-6789', '987-65-4321']),
      renewal: profileValues(['2025-01-02', '2026-03-04', '2024-12-31']),
    },
    appt: { room_label: profileValues(['Op 1', 'Op 2', 'Op 1', 'Op 3', 'Op 2']) },
  };
  const rows = proposeMap({
    columnsByTable: {
      patient: ['patient_id', 'first_name', 'mobile_phone', 'home_phone', 'work_phone', 'ssn', ...Object.keys(profiles.patient!)],
      appt: ['appointment_id', 'room_label'],
    },
    profiles,
    baseMap,
  });

  it('values alone place an opaque column when one absent contract column takes such values', () => {
    expect(rowOf(rows, 'patient', 'usr_fld_2')).toMatchObject({ destination: { kind: 'contract', column: 'email' }, basis: 'profile' });
  });

  it('types new custom fields from the values: enum with the observed options, long text, dates, yes/no', () => {
    expect(rowOf(rows, 'patient', 'loyalty_tier')).toMatchObject({
      destination: { kind: 'custom', entity: 'person', field: 'Loyalty Tier', fieldType: 'enum', options: ['Gold', 'Silver', 'Bronze'] },
      transform: { name: 'value_map' },
      phi: 'none',
    });
    expect(rowOf(rows, 'patient', 'alt_notes')).toMatchObject({
      destination: { fieldType: 'text' },
      transform: { name: 'text', params: { multiline: true } },
      phi: 'phi',
    });
    expect(rowOf(rows, 'patient', 'renewal')).toMatchObject({ destination: { fieldType: 'date' }, transform: { name: 'date' } });
    expect(rowOf(rows, 'patient', 'sms_ok')).toMatchObject({ destination: { fieldType: 'enum', options: ['Yes', 'No'] } });
    // Phones of a patient are PHI; every phone column of the contract is present, so it is a field of its own.
    expect(rowOf(rows, 'patient', 'usr_fld_4')).toMatchObject({ destination: { fieldType: 'phone' }, phi: 'phi' });
  });

  it('classifies new columns: clinical notes and allergies are PHI, SSN-shaped values never move', () => {
    expect(rowOf(rows, 'patient', 'allergy_notes').phi).toBe('phi');
    expect(rowOf(rows, 'patient', 'old_ssn')).toMatchObject({ phi: 'never', destination: { kind: 'not_migrated' } });
  });

  it('a column of an activity becomes a labelled line in its note (activities take no custom fields)', () => {
    expect(rowOf(rows, 'appt', 'room_label')).toMatchObject({
      destination: { kind: 'note_line', entity: 'activity', field: 'note', label: 'Room Label' },
      transform: { name: 'labelled_lines' },
    });
  });

  it('the proposal becomes a map parseFieldMap accepts, with the new fields and their rules', () => {
    const map = proposalToFieldMap(baseMap, rows);
    expect(() => parseFieldMap(JSON.parse(JSON.stringify(map)))).not.toThrow();
    expect(map.version).toBe(baseMap.version + 1);
    expect(map.objects.customFields.person.find((f) => f.name === 'Loyalty Tier')).toEqual({
      name: 'Loyalty Tier',
      field_type: 'enum',
      options: ['Gold', 'Silver', 'Bronze'],
      searchable: false,
    });
    expect(map.rules.find((r) => r.id === 'patient.alt_notes')).toMatchObject({
      phi: 'phi',
      deidentify: 'drop',
      target: { entity: 'person', field: { kind: 'custom', name: 'Alt Notes' } },
    });
    expect(map.rules.find((r) => r.id === 'patient.old_ssn')).toMatchObject({ phi: 'never', target: { field: { kind: 'not_migrated' } } });
    expect(map.rules.find((r) => r.id === 'appt.room_label')).toMatchObject({ target: { entity: 'activity', field: { kind: 'standard', name: 'note' } } });
    expect(map.rules.find((r) => r.id === 'patient.usr_fld_2')).toBeUndefined();
    expect(map.rules.find((r) => r.id === 'patient.emails')!.source).toMatchObject({ columns: ['usr_fld_2'] });
  });

  it('proposing again from the proposed map adds nothing new', () => {
    const first = proposalToFieldMap(baseMap, rows);
    const again = proposalToFieldMap(
      first,
      proposeMap({
        columnsByTable: { patient: ['patient_id', ...Object.keys(profiles.patient!)], appt: ['appointment_id', 'room_label'] },
        profiles,
        baseMap: first,
      }),
    );
    expect(again.rules.map((r) => r.id)).toEqual(first.rules.map((r) => r.id));
  });
});

describe('proposer: unknown columns', () => {
  it('an unknown name without profiled values is not migrated, with a low confidence, for the operator to decide', () => {
    const rows = proposeMap({ columnsByTable: { patient: ['patient_id', 'zq_77'] }, profiles: {}, baseMap });
    const row = rowOf(rows, 'patient', 'zq_77');
    expect(row.destination).toEqual({ kind: 'not_migrated' });
    expect(row.confidence).toBeLessThan(0.5);
    expect(row.basis).toBe('none');
  });

  it('a provider column has nowhere to go: providers are matched to users, not created', () => {
    const rows = proposeMap({
      columnsByTable: { provider: ['provider_id', 'board_cert'] },
      profiles: { provider: { board_cert: profileValues(['ABGD', 'ABP']) } },
      baseMap,
    });
    expect(rowOf(rows, 'provider', 'board_cert')).toMatchObject({ destination: { kind: 'not_migrated' }, phi: 'none' });
    expect(proposalToFieldMap(baseMap, rows).rules.some((r) => r.source.kind === 'columns' && r.source.columns.includes('board_cert'))).toBe(false);
  });

  it('rationales never carry sample values', () => {
    const rows = proposeMap({
      columnsByTable: { patient: ['patient_id', 'secret_word'] },
      profiles: { patient: { secret_word: profileValues(['Zebulonius', 'Quixotica', 'Marmaduke']) } },
      baseMap,
    });
    const row = rowOf(rows, 'patient', 'secret_word');
    expect(row.samples).toEqual(['Zebulonius', 'Quixotica', 'Marmaduke']);
    expect(`${row.rationale} ${row.shape} ${JSON.stringify(row.destination)}`).not.toMatch(/Zebulonius|Quixotica|Marmaduke/u);
  });
});
