import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { approvedMapLoader, createMappingActivities } from '../../../src/activities/mapping';
import { publishReport } from '../../../src/activities/publish-report';
import type { ActivityDeps } from '../../../src/activities/deps';
import { auditMigration } from '../../../src/audit';
import type { DuplicatePair } from '../../../src/audit/report';
import { MapImportRefusedError, registerMapCommands } from '../../../src/cli/map-commands';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { createLogger } from '../../../src/logging';
import { parseFieldMap, storedMerges } from '../../../src/mapping';
import { phiDecisionsForApproval } from '../../../src/review';
import { duplicateRows, formatDuplicateRowError, importDuplicateRows, type DuplicateSheetRow } from '../../../src/review/duplicates-sheet';
import { getFieldMap, latestFieldMap, saveProposedMap } from '../../../src/store/field-maps';
import { createTestDatabase, type TestDatabase } from '../../support/db';

const PAIRS: DuplicatePair[] = [
  { patientId: 12, duplicateOfPatientId: 5, matched: ['name', 'birth_date', 'phone'] },
  { patientId: 19, duplicateOfPatientId: 5, matched: ['name', 'birth_date'] },
  { patientId: 8, duplicateOfPatientId: 7, matched: ['name', 'birth_date', 'email'] },
];

const row = (n: number, cells: Partial<DuplicateSheetRow>): { row: number; cells: DuplicateSheetRow } => ({
  row: n,
  cells: { patient_id: '', duplicate_of_patient_id: '', matched: '', decision: '', survivor: '', ...cells },
});

describe('the Duplicates sheet (pure)', () => {
  it('lists every pair with the default keep_both, and a merge the version holds', () => {
    expect(duplicateRows(PAIRS, { merge: [{ survivor: 8, duplicate: 7 }] })).toEqual([
      { patient_id: '12', duplicate_of_patient_id: '5', matched: 'name, birth_date, phone', decision: 'keep_both', survivor: '' },
      { patient_id: '19', duplicate_of_patient_id: '5', matched: 'name, birth_date', decision: 'keep_both', survivor: '' },
      { patient_id: '8', duplicate_of_patient_id: '7', matched: 'name, birth_date, email', decision: 'merge', survivor: '8' },
    ]);
  });

  it('reads merges (the earlier chart survives unless named), and keep_both or an empty decision as no merge', () => {
    const result = importDuplicateRows(
      [
        row(2, { patient_id: '12', duplicate_of_patient_id: '5', decision: 'merge' }),
        row(3, { patient_id: '19', duplicate_of_patient_id: '5', decision: 'Merge', survivor: '5' }),
        row(4, { patient_id: '8', duplicate_of_patient_id: '7', decision: '' }),
      ],
      PAIRS,
    );
    expect(result).toEqual({
      ok: true,
      merges: {
        merge: [
          { survivor: 5, duplicate: 12 },
          { survivor: 5, duplicate: 19 },
        ],
      },
    });
  });

  it('refuses a pair not in the report, a patient in two merges, a chain and bad cells, naming each row', () => {
    const result = importDuplicateRows(
      [
        row(2, { patient_id: '12', duplicate_of_patient_id: '6', decision: 'merge' }),
        row(3, { patient_id: '12', duplicate_of_patient_id: '5', decision: 'merge', survivor: '12' }),
        row(4, { patient_id: '19', duplicate_of_patient_id: '5', decision: 'merge', survivor: '19' }),
        row(5, { patient_id: '8', duplicate_of_patient_id: '7', decision: 'join' }),
        row(6, { patient_id: '8', duplicate_of_patient_id: '7', decision: 'merge' }),
        row(7, { patient_id: 'x', duplicate_of_patient_id: '7' }),
      ],
      PAIRS,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatDuplicateRowError)).toEqual([
      'Duplicates row 2 patient_id: patients 12 and 6 are not a pair of the Data Quality Report',
      'Duplicates row 4 decision: patient 5 is in two merges (into 12 and into 19)',
      'Duplicates row 5 decision: "join" is not a decision: keep_both or merge',
      'Duplicates row 6 patient_id: the pair 8 / 7 is already decided on row 5',
      'Duplicates row 7 patient_id: not a Dentrix patient id (a whole number): rows of this sheet must not be added or edited, only decided',
    ]);

    const chain = importDuplicateRows(
      [
        row(2, { patient_id: '12', duplicate_of_patient_id: '5', decision: 'merge', survivor: '12' }),
        row(3, { patient_id: '19', duplicate_of_patient_id: '5', decision: 'merge', survivor: '5' }),
      ],
      PAIRS,
    );
    expect(chain.ok === false && chain.errors.map(formatDuplicateRowError)).toEqual([
      'Duplicates row 3 decision: merge chain: patient 19 is merged into 5, which is itself merged into 12',
    ]);
    const survivorOutside = importDuplicateRows([row(2, { patient_id: '12', duplicate_of_patient_id: '5', decision: 'merge', survivor: '7' })], PAIRS);
    expect(survivorOutside.ok === false && survivorOutside.errors.map(formatDuplicateRowError)).toEqual([
      'Duplicates row 2 survivor: the survivor must be 5 or 12, one of the pair',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const MANIFEST = {
  format: 'dentrix-extract/1' as const,
  practice: { name: 'Duplicate Dental', timezone: 'America/Chicago', currency: 'USD' },
  date_format: 'iso' as const,
  tables: {},
};
/** Names and birth dates only the store and the staged extract may hold: never an error, the audit log or a statement. */
const PHI = ['Quintessa', 'Marchbanks', '1961-07-14'];

let db: TestDatabase;
let dir: string;
const migrationId = 'dup1';
const deps = () =>
  ({
    pool: db.pool,
    settings: { dataDir: path.join(dir, 'data'), imageArchiveBaseUrl: '', budgetResetTimeZone: 'UTC' },
    logger: createLogger('silent'),
  }) as unknown as ActivityDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'duplicates-sheet-'));
  const extract = path.join(dir, 'extract');
  const patient = (patient_id: number, first_name: string, last_name: string, birth_date: string) => ({
    patient_id,
    guar_id: patient_id,
    first_name,
    last_name,
    birth_date,
  });
  await writeExtractFolder(extract, MANIFEST, {
    provider: [{ provider_id: 'DDS1', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }],
    patient: [
      patient(3, 'Quintessa', 'Marchbanks', '1961-07-14'),
      patient(4, 'Bo', 'Other', '1970-01-01'),
      patient(9, 'quintessa', 'MARCHBANKS', '1961-07-14'),
      patient(10, 'Cy', 'Solo', '1980-02-02'),
    ],
  });
  await db.pool.query(
    `INSERT INTO migration_runs (migration_id, practice_name, timezone, source, pipedrive_base_url) VALUES ($1, 'Duplicate Dental', 'America/Chicago', $2, 'http://127.0.0.1:1')`,
    [migrationId, { kind: 'folder', path: extract }],
  );
  const reader = await openExtract({ kind: 'folder', path: extract });
  try {
    await stageExtract(db.pool, migrationId, reader);
  } finally {
    await reader.close();
  }
  const audit = await auditMigration(db.pool, migrationId, { outDir: path.join(dir, 'audit') });
  await publishReport(db.pool, migrationId, 'data-quality', [audit.reportPath, audit.htmlPath], audit.summary);
});

afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function cli(lines: string[]): Command {
  const program = new Command('starter').exitOverride();
  registerMapCommands(program, { withStore: (fn) => fn(db.pool), reportDir: (id) => path.join(dir, 'reports', id), print: (line) => lines.push(line) });
  return program;
}

async function sheetRows(file: string): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.getWorksheet('Duplicates')!;
  return sheet
    .getSheetValues()
    .filter(Boolean)
    .map((r) => (r as unknown[]).slice(1).map((v) => (typeof v === 'string' ? v : '')));
}

async function decide(from: string, to: string, edit: (rows: ExcelJS.Worksheet) => void): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(from);
  edit(workbook.getWorksheet('Duplicates')!);
  await workbook.xlsx.writeFile(to);
}

describe('MAPPING_REVIEW: duplicates decided in the workbook', () => {
  let proposedXlsx: string;
  let proposedVersion: number;

  it('the proposed workbook lists the report’s pairs with ids and evidence only, keep_both by default', async () => {
    const proposed = await createMappingActivities(deps()).proposeMap({ migrationId });
    proposedXlsx = proposed.workbookPath!;
    proposedVersion = proposed.version;
    expect(await sheetRows(proposedXlsx)).toEqual([
      ['patient_id', 'duplicate_of_patient_id', 'matched', 'decision', 'survivor'],
      ['9', '3', 'name, birth_date', 'keep_both', ''],
    ]);
  });

  it('map import refuses a pair not in the report, naming the row, and saves nothing', async () => {
    const edited = path.join(dir, 'bad.xlsx');
    await decide(proposedXlsx, edited, (sheet) => {
      sheet.getRow(2).getCell(4).value = 'merge';
      sheet.getRow(3).values = ['10', '4', '', 'merge', ''];
    });
    const before = (await latestFieldMap(db.pool, migrationId))!.version;
    const lines: string[] = [];
    await expect(cli(lines).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer'])).rejects.toBeInstanceOf(
      MapImportRefusedError,
    );
    expect(lines).toEqual([
      'The workbook has 1 problem(s); nothing was saved:',
      '  Duplicates row 3 patient_id: patients 10 and 4 are not a pair of the Data Quality Report',
    ]);
    expect((await latestFieldMap(db.pool, migrationId))!.version).toBe(before);
  });

  it('a merge imports into a new version, is approved, audited by ids, and reaches the loads', async () => {
    const edited = path.join(dir, 'merge.xlsx');
    await decide(proposedXlsx, edited, (sheet) => {
      sheet.getRow(2).getCell(4).value = 'merge';
    });
    const lines: string[] = [];
    await cli(lines).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer']);
    expect(lines).toContain('Duplicates merged: patient 9 into 3. Every other probable pair stays two Persons.');
    const latest = (await latestFieldMap(db.pool, migrationId))!;
    expect(storedMerges(latest.document)).toEqual({ merge: [{ survivor: 3, duplicate: 9 }] });

    // The re-exported workbook shows the decision.
    const exportLines: string[] = [];
    await cli(exportLines).parseAsync(['node', 'starter', 'map', 'export', '-m', migrationId, '--out', path.join(dir, 'again')]);
    const xlsx = exportLines.find((l) => l.trim().endsWith('.xlsx'))!.trim();
    expect((await sheetRows(xlsx))[1]).toEqual(['9', '3', 'name, birth_date', 'merge', '3']);

    const approval = await createMappingActivities(deps()).approveMap({ migrationId, version: latest.version, by: 'Ana' });
    expect(approval).toMatchObject({ ok: true, version: latest.version });
    const approved = await approvedMapLoader(db.pool)(migrationId);
    expect(approved.merges.survivorOf.get(9)).toBe(3);
    const { rows } = await db.pool.query<{ source_key: string; method: string; note: string }>(
      `SELECT source_key, method, note FROM audit_log WHERE migration_id = $1 AND method = 'MERGE'`,
      [migrationId],
    );
    expect(rows).toEqual([
      { source_key: 'patient:9', method: 'MERGE', note: `patient 9 merged into patient 3 (Duplicates sheet of map v${latest.version}), approved by Ana` },
    ]);
    const { rows: all } = await db.pool.query<{ note: string | null }>(`SELECT note FROM audit_log WHERE migration_id = $1`, [migrationId]);
    for (const value of PHI) expect(JSON.stringify([all, lines, approval])).not.toContain(value);
  });

  it('an approval refuses stored merges the report does not pair, or a chain (ids only)', async () => {
    const current = (await latestFieldMap(db.pool, migrationId))!;
    const version = await saveProposedMap(db.pool, migrationId, {
      map: current.document.map,
      duplicates: {
        merge: [
          { survivor: 4, duplicate: 10 },
          { survivor: 9, duplicate: 3 },
          { survivor: 10, duplicate: 9 },
        ],
      },
    });
    const approval = await createMappingActivities(deps()).approveMap({ migrationId, version, by: 'Ana' });
    expect(approval).toEqual({
      ok: false,
      version,
      errors: [
        'merge chain: patient 3 is merged into 9, which is itself merged into 10',
        'merge chain: patient 9 is merged into 10, which is itself merged into 4',
        'patients 10 and 4 are not a pair of the Data Quality Report',
        'patients 9 and 10 are not a pair of the Data Quality Report',
      ],
    });
  });

  it('an approval refuses merges when the map no longer keeps the duplicate’s id on the survivor', async () => {
    const current = (await latestFieldMap(db.pool, migrationId))!;
    const map = parseFieldMap(current.document.map);
    const withoutIds = { ...map, rules: map.rules.filter((r) => r.id !== 'patient.merged_dentrix_ids') };
    const version = await saveProposedMap(db.pool, migrationId, { map: withoutIds, duplicates: { merge: [{ survivor: 3, duplicate: 9 }] } });
    expect(await createMappingActivities(deps()).approveMap({ migrationId, version, by: 'Ana' })).toEqual({
      ok: false,
      version,
      errors: [
        'merging duplicates needs a rule writing the person field "Merged Dentrix IDs" (patient.merged_dentrix_ids): the survivor keeps the duplicate\'s Dentrix id',
      ],
    });
  });

  it('as CSV, the sheet is a file of its own: imported alone (any file name) it changes the merges and nothing else; a CSV of no sheet, or two files for one sheet, are refused by name', async () => {
    const proposedCsv = proposedXlsx.replace(/\.xlsx$/u, '.duplicates.csv');
    const records: string[][] = parse(await readFile(proposedCsv), { bom: true });
    expect(records).toEqual([
      ['patient_id', 'duplicate_of_patient_id', 'matched', 'decision', 'survivor'],
      ['9', '3', 'name, birth_date', 'keep_both', ''],
    ]);
    // Back to the proposal (the tests above saved other versions), then the pair merged in the CSV alone.
    const proposal = (await getFieldMap(db.pool, migrationId, proposedVersion))!.document;
    await saveProposedMap(db.pool, migrationId, { map: proposal.map, phi: proposal.phi });
    const edited = path.join(dir, 'our decisions.csv');
    records[1]![3] = 'merge';
    await writeFile(edited, stringify(records));
    const lines: string[] = [];
    await cli(lines).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer']);
    expect(lines).toContain('Duplicates merged: patient 9 into 3. Every other probable pair stays two Persons.');
    const latest = (await latestFieldMap(db.pool, migrationId))!;
    expect(storedMerges(latest.document)).toEqual({ merge: [{ survivor: 3, duplicate: 9 }] });
    expect(parseFieldMap(latest.document.map).rules).toEqual(parseFieldMap(proposal.map).rules);
    expect(phiDecisionsForApproval(latest.document, {})).toEqual(phiDecisionsForApproval(proposal, {}));

    const notASheet = path.join(dir, 'patients.csv');
    await writeFile(notASheet, 'patient_id,first_name\n3,Someone\n');
    const importing = (...files: string[]) =>
      cli([]).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', ...files, '--by', 'reviewer']);
    await expect(importing(notASheet)).rejects.toThrow(
      `${notASheet} is no sheet of the mapping workbook: its header row has the columns of none of mapping (rule_id, destination_field, decision), owners (provider_id, records, assign_user), duplicates (patient_id, duplicate_of_patient_id, decision)`,
    );
    await expect(importing(edited, proposedCsv)).rejects.toThrow(`both ${edited} and ${proposedCsv} hold the duplicates sheet: give one of them`);
    await expect(importing(proposedXlsx, proposedCsv)).rejects.toThrow(`both ${proposedXlsx} and ${proposedCsv} hold the duplicates sheet: give one of them`);
    expect((await latestFieldMap(db.pool, migrationId))!.version).toBe(latest.version);
  });
});
