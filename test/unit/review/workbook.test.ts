import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { contractColumns } from '../../../src/dentrix';
import { defaultFieldMap, parseFieldMap, type FieldMap } from '../../../src/mapping';
import { exportWorkbook, importWorkbook } from '../../../src/review/workbook';
import { formatRowError, type RowError } from '../../../src/review/workbook-rows';
import { proposalToFieldMap, proposeMap, type Proposal } from '../../../src/review/proposer';
import { profileValues } from '../../../src/review/value-profile';
import { WORKBOOK_HEADERS, type WorkbookColumn } from '../../../src/review/workbook-rows';

let dir: string;
let map: FieldMap;
let proposal: Proposal;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'review-workbook-'));
  const base = defaultFieldMap();
  proposal = proposeMap({
    columnsByTable: { patient: [...contractColumns('patient'), 'loyalty_tier', 'alt_notes'] },
    profiles: {
      patient: {
        first_name: profileValues(['Zebulonius', 'Quixotica', 'Marmaduke']),
        birth_date: profileValues(['1971-04-05', '1988-09-10']),
        loyalty_tier: profileValues(['Gold', 'Silver', 'Gold', 'Bronze', 'Silver']),
        alt_notes: profileValues(['Anxious about needles', 'Prefers mornings']),
        status: profileValues([1, 1, 2, 3]),
      },
    },
    baseMap: base,
  });
  map = proposalToFieldMap(base, proposal);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Edits = Record<string, Partial<Record<WorkbookColumn, string>>>;

/** Edits rows of the exported XLSX by rule id (as an operator would in Excel) and saves it under a new name. */
async function editXlsx(xlsxPath: string, edits: Edits, extraRows: Partial<Record<WorkbookColumn, string>>[] = []): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(xlsxPath);
  const sheet = workbook.getWorksheet('Mapping')!;
  const col = (key: WorkbookColumn) => WORKBOOK_HEADERS.indexOf(key) + 1;
  const found = new Set<string>();
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const ruleId = row.getCell(col('rule_id')).text;
    const edit = edits[ruleId];
    if (!edit) return;
    found.add(ruleId);
    for (const [key, value] of Object.entries(edit)) row.getCell(col(key as WorkbookColumn)).value = value;
  });
  expect([...found].sort()).toEqual(Object.keys(edits).sort());
  for (const extra of extraRows) sheet.addRow(WORKBOOK_HEADERS.map((key) => extra[key] ?? ''));
  const edited = xlsxPath.replace(/\.xlsx$/u, `-edited-${Object.keys(edits).length}-${extraRows.length}.xlsx`);
  await workbook.xlsx.writeFile(edited);
  return edited;
}

describe('mapping workbook', () => {
  it('exports a header row, frozen panes, drop-downs, PHI marking and a sheet explaining the columns', async () => {
    const { xlsxPath, csvPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'look');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsxPath);
    const sheet = workbook.getWorksheet('Mapping')!;
    expect(sheet.getRow(1).values).toEqual([undefined, ...WORKBOOK_HEADERS]);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const col = (key: WorkbookColumn) => WORKBOOK_HEADERS.indexOf(key) + 1;
    expect(sheet.getCell(2, col('decision')).dataValidation).toMatchObject({ type: 'list', formulae: ['"accept,reject,edit"'] });
    expect(sheet.getCell(2, col('phi_decision')).dataValidation.formulae[0]).toContain('include:year_only');
    expect(workbook.getWorksheet('Columns')!.getCell('A2').text).toBe('rule_id');

    let birthRow: ExcelJS.Row | undefined;
    let nameRow: ExcelJS.Row | undefined;
    sheet.eachRow((row) => {
      if (row.getCell(col('rule_id')).text === 'patient.birth_date') birthRow = row;
      if (row.getCell(col('rule_id')).text === 'patient.name') nameRow = row;
    });
    expect(birthRow!.getCell(col('phi_class')).text).toBe('phi');
    expect(birthRow!.getCell(col('phi_decision')).text).toBe('exclude');
    expect(birthRow!.getCell(col('sample_values')).text).toBe('(masked) 9999-99-99 | 9999-99-99');
    // Patient names move (not gated), but the workbook still shows their shape only.
    expect(nameRow!.getCell(col('sample_values')).text).toMatch(/^first_name: \(masked\) Xxxx/u);
    const csv = await readFile(csvPath, 'utf8');
    expect(csv).not.toMatch(/Zebulonius|Quixotica|1971-04-05|Anxious/u);
    expect(csv).toContain('Gold | Silver | Bronze');
  });

  it('round trip is lossless: export then import without edits gives the same map and no PHI', async () => {
    const { xlsxPath, csvPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'round-trip');
    for (const file of [xlsxPath, csvPath]) {
      const result = await importWorkbook(file, map);
      if (!result.ok) throw new Error(result.errors.map(formatRowError).join('\n'));
      expect(result.changes).toEqual([]);
      expect(result.map).toEqual(map);
      expect(result.phi).toEqual({ include: [] });
    }
  });

  it('exported PHI decisions come back as they were', async () => {
    const phi = {
      include: [
        { rule: 'patient.birth_date', deidentify: 'year_only' as const },
        { rule: 'patient.allergies', deidentify: 'none' as const },
      ],
    };
    const { xlsxPath } = await exportWorkbook({ map, proposal, phi }, dir, 'with-phi');
    const result = await importWorkbook(xlsxPath, map);
    expect(result).toMatchObject({ ok: true, phi, map });
  });

  it('applies edits: a destination changed, a rule rejected, a new field accepted, PHI included with year_only', async () => {
    const { xlsxPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'edit');
    const edited = await editXlsx(xlsxPath, {
      'patient.preferred_name': {
        destination_kind: 'custom',
        destination_field: 'Nickname',
        field_type: 'varchar',
        decision: 'edit',
        rationale: 'staff call patients by it',
      },
      'patient.gender': { decision: 'reject' },
      'patient.loyalty_tier': { decision: 'accept' },
      'patient.birth_date': { phi_decision: 'include:year_only' },
      'patient.medications': { phi_decision: 'include' },
    });
    const result = await importWorkbook(edited, map);
    if (!result.ok) throw new Error(result.errors.map(formatRowError).join('\n'));
    expect(result.map.version).toBe(map.version + 1);
    expect(() => parseFieldMap(JSON.parse(JSON.stringify(result.map)))).not.toThrow();
    const rule = (id: string) => result.map.rules.find((r) => r.id === id)!;
    expect(rule('patient.preferred_name')).toMatchObject({
      target: { entity: 'person', field: { kind: 'custom', name: 'Nickname' } },
      transform: { name: 'name' },
      rationale: 'staff call patients by it',
    });
    expect(result.map.objects.customFields.person.find((f) => f.name === 'Nickname')).toEqual({ name: 'Nickname', field_type: 'varchar', searchable: false });
    expect(rule('patient.gender')).toMatchObject({ target: { field: { kind: 'not_migrated' } }, transform: { name: 'not_migrated' } });
    expect(rule('patient.loyalty_tier')).toEqual(map.rules.find((r) => r.id === 'patient.loyalty_tier'));
    expect(result.phi).toEqual({
      include: [
        { rule: 'patient.birth_date', deidentify: 'year_only' },
        { rule: 'patient.medications', deidentify: 'none' },
      ],
    });
    expect(result.changes).toEqual(
      expect.arrayContaining(['patient.preferred_name: edited', 'patient.gender: rejected (not migrated)', 'custom field person.Nickname: added']),
    );
    // Everything else is as it was.
    const untouched = (m: FieldMap) => m.rules.filter((r) => !['patient.preferred_name', 'patient.gender'].includes(r.id));
    expect(untouched(result.map)).toEqual(untouched(map));
  });

  it('a new rule row maps a column the proposal left out', async () => {
    const { xlsxPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'new-rule');
    const edited = await editXlsx(xlsxPath, {}, [
      {
        rule_id: 'patient.salutation_text',
        table: 'patient',
        column: 'salutation',
        destination_kind: 'custom',
        destination_entity: 'person',
        destination_field: 'Salutation',
        field_type: 'varchar',
        transform: 'text',
        transform_params: '{}',
        phi_class: 'none',
        decision: 'edit',
        rationale: 'letters still go out by post',
      },
    ]);
    const result = await importWorkbook(edited, map);
    if (!result.ok) throw new Error(result.errors.map(formatRowError).join('\n'));
    expect(result.map.rules.at(-1)).toMatchObject({
      id: 'patient.salutation_text',
      kind: 'patient',
      source: { table: 'patient', columns: ['salutation'] },
      phi: 'none',
    });
  });

  it('refuses a broken edit with row-level messages and applies nothing', async () => {
    const { xlsxPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'broken');
    const edited = await editXlsx(
      xlsxPath,
      {
        'patient.name': { destination_field: 'nmae', decision: 'edit' },
        'patient.chart_num': { field_type: 'blob', decision: 'edit' },
        'patient.preferred_name': { transform: 'frobnicate', decision: 'edit' },
        'patient.last_visit_date': { phi_decision: 'include' },
        'patient.status': { rationale: 'changed without saying so' },
        'patient.ssn': { phi_decision: 'include' },
        'patient.gender': { transform_params: '{"map": ', decision: 'edit' },
      },
      [
        {
          rule_id: 'patient.mi',
          table: 'patient',
          column: 'mi',
          destination_kind: 'not_migrated',
          destination_entity: 'person',
          transform: 'not_migrated',
          phi_class: 'none',
          decision: 'accept',
          rationale: 'again',
        },
      ],
    );
    const result = await importWorkbook(edited, map);
    expect(result.ok).toBe(false);
    const errors = (result as { errors: RowError[] }).errors;
    const about = (ruleId: string) => errors.filter((e) => e.ruleId === ruleId);
    expect(about('patient.name')[0]).toMatchObject({ column: 'destination_field', message: expect.stringContaining('unknown destination field') });
    expect(about('patient.chart_num')[0]).toMatchObject({ column: 'field_type', message: expect.stringContaining('invalid field type "blob"') });
    expect(about('patient.preferred_name')[0]).toMatchObject({ column: 'transform', message: 'invalid transform "frobnicate"' });
    expect(about('patient.last_visit_date')[0]).toMatchObject({
      column: 'phi_decision',
      message: expect.stringContaining('a PHI decision on a non-PHI field'),
    });
    expect(about('patient.status')[0]!.message).toContain('set decision to edit');
    expect(about('patient.ssn')[0]).toMatchObject({ column: 'phi_decision', message: 'patient.ssn never moves (e.g. SSN): it cannot be included' });
    expect(about('patient.gender')[0]).toMatchObject({ column: 'transform_params' });
    expect(about('patient.mi')[0]!.message).toMatch(/^duplicate rule: row \d+ has the same rule id$/u);
    for (const e of errors) expect(e.row).toEqual(expect.any(Number));
    expect(formatRowError(about('patient.name')[0]!)).toMatch(/^row \d+ destination_field \(patient\.name\): unknown destination field/u);
  });

  it('refuses to include SSN even when it is the only edit', async () => {
    const { xlsxPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'ssn');
    const result = await importWorkbook(await editXlsx(xlsxPath, { 'patient.ssn': { phi_decision: 'include:mask' } }), map);
    expect(result).toEqual({
      ok: false,
      errors: [expect.objectContaining({ ruleId: 'patient.ssn', message: 'patient.ssn never moves (e.g. SSN): it cannot be included' })],
    });
  });

  it('imports an edited CSV the same way', async () => {
    const { csvPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'csv');
    const records: string[][] = parse(await readFile(csvPath), { bom: true });
    const header = records[0]!;
    const at = (key: WorkbookColumn) => header.indexOf(key);
    for (const record of records.slice(1)) {
      if (record[at('rule_id')] === 'patient.alt_notes') record[at('phi_decision')] = 'include:mask';
      if (record[at('rule_id')] === 'patient.chart_num') {
        record[at('decision')] = 'edit';
        record[at('rationale')] = 'front desk searches by chart number';
      }
    }
    const editedPath = path.join(dir, 'csv-edited.csv');
    await writeFile(editedPath, stringify(records));
    const result = await importWorkbook(editedPath, map);
    if (!result.ok) throw new Error(result.errors.map(formatRowError).join('\n'));
    expect(result.phi).toEqual({ include: [{ rule: 'patient.alt_notes', deidentify: 'mask' }] });
    expect(result.map.rules.find((r) => r.id === 'patient.chart_num')!.rationale).toBe('front desk searches by chart number');
    expect(result.map.version).toBe(map.version + 1);
  });

  it('a deleted rule row is refused: rejecting is how a field stays behind', async () => {
    const { csvPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'deleted');
    const records: string[][] = parse(await readFile(csvPath), { bom: true });
    const ruleIdAt = records[0]!.indexOf('rule_id');
    const kept = records.filter((r) => r[ruleIdAt] !== 'patient.chart_num');
    const editedPath = path.join(dir, 'deleted-edited.csv');
    await writeFile(editedPath, stringify(kept));
    const result = await importWorkbook(editedPath, map);
    expect(result).toEqual({
      ok: false,
      errors: [expect.objectContaining({ row: null, ruleId: 'patient.chart_num', message: expect.stringContaining('has no row') })],
    });
  });
});
