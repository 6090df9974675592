/**
 * The mapping workbook files: XLSX (header row, frozen panes, drop-downs for decisions, PHI and types, PHI rows
 * marked, a sheet explaining the columns) and CSV with the same columns. Either can be edited and imported back;
 * an import gives a new map version and PHI decisions, or per-row errors and nothing applied.
 */
import path from 'node:path';
import type ExcelJS from 'exceljs';
import { newWorkbook, readXlsxSheet } from './xlsx';
import { CUSTOM_FIELD_TYPES, LOAD_ORDER, PHI_CLASSES, TRANSFORM_NAMES, type FieldMap } from '../mapping';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { addOwnersSheet, ownersCsv, type OwnersSheetInput } from './owners-sheet';
import { isCsv, readSheet, readSheetCsv, sheetCsv, sheetCsvName } from './sheet-csv';
import type { DuplicatePair } from '../audit/report';
import type { DuplicateMerges } from '../mapping';
import {
  DUPLICATES_SHEET,
  DUPLICATE_COLUMNS,
  DUPLICATE_DECISIONS,
  DUPLICATE_HEADERS,
  duplicateRows,
  importDuplicateRows,
  type DuplicateImport,
  type DuplicateSheetRow,
} from './duplicates-sheet';
import {
  DECISIONS,
  DESTINATION_KINDS,
  PHI_DECISIONS,
  WORKBOOK_COLUMNS,
  WORKBOOK_HEADERS,
  checkHeaders,
  importRows,
  isUnsure,
  workbookRows,
  type ImportResult,
  type NumberedRow,
  type WorkbookColumn,
  type WorkbookInput,
  type WorkbookRow,
} from './workbook-rows';

export const MAPPING_SHEET = 'Mapping';
const COLUMNS_SHEET = 'Columns';
const LISTS_SHEET = 'Lists';

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };
const PHI_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFCE4D6' } };
const PHI_HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF4B084' } };
const UNSURE_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF2CC' } };
const INFO_FONT: Partial<ExcelJS.Font> = { color: { argb: 'FF7F7F7F' } };
const PHI_COLUMNS: readonly WorkbookColumn[] = ['sample_values', 'phi_class', 'phi_decision'];

/** The Data Quality Report's probable duplicate pairs and the map version's merge decisions: the Duplicates sheet. */
export interface DuplicatesSheetInput {
  pairs: readonly DuplicatePair[];
  merges: DuplicateMerges;
}

/**
 * Writes `<basename>.xlsx` (every sheet) and the same sheets as CSV files into dir: `<basename>.csv` (Mapping), and
 * `<basename>.owners.csv` and `<basename>.duplicates.csv` when the workbook has those sheets (`sheetCsvPaths`).
 * Atomically: a reader never sees half a file.
 */
export async function exportWorkbook(
  input: WorkbookInput & { duplicates?: DuplicatesSheetInput; owners?: OwnersSheetInput },
  dir: string,
  basename: string,
): Promise<{ xlsxPath: string; csvPath: string; sheetCsvPaths: string[] }> {
  await makePrivateDir(dir);
  const rows = workbookRows(input);
  const xlsxPath = path.join(dir, `${basename}.xlsx`);
  const csvPath = path.join(dir, sheetCsvName(basename, 'mapping'));
  const workbook = await xlsxOf(rows, input.map);
  if (input.duplicates) addDuplicatesSheet(workbook, input.duplicates);
  if (input.owners) addOwnersSheet(workbook, input.owners);
  await writeAtomically(xlsxPath, Buffer.from(await workbook.xlsx.writeBuffer()));
  // Sample values are data: a leading = + - @ must not become a formula in a spreadsheet.
  await writeAtomically(csvPath, sheetCsv(WORKBOOK_HEADERS, rows, ['sample_values']));
  const sheetCsvs: [string, string][] = [];
  if (input.owners) sheetCsvs.push([sheetCsvName(basename, 'owners'), ownersCsv(input.owners)]);
  if (input.duplicates && input.duplicates.pairs.length > 0) {
    const duplicates = duplicateRows(input.duplicates.pairs, input.duplicates.merges);
    sheetCsvs.push([sheetCsvName(basename, 'duplicates'), sheetCsv(DUPLICATE_HEADERS, duplicates, ['matched'])]);
  }
  for (const [name, content] of sheetCsvs) await writeAtomically(path.join(dir, name), content);
  return { xlsxPath, csvPath, sheetCsvPaths: sheetCsvs.map(([name]) => path.join(dir, name)) };
}

/** Owner-only: sample values may be PHI. */
async function writeAtomically(target: string, content: string | Buffer): Promise<void> {
  await writePrivateFile(target, content);
}

async function xlsxOf(rows: readonly WorkbookRow[], map: FieldMap): Promise<ExcelJS.Workbook> {
  const workbook = await newWorkbook();
  workbook.creator = 'dentrix-pipedrive-migration';
  const sheet = workbook.addWorksheet(MAPPING_SHEET, { views: [{ state: 'frozen', xSplit: 3, ySplit: 1 }] });
  sheet.columns = WORKBOOK_COLUMNS.map((c) => ({ header: c.key, key: c.key, width: c.width }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((cell, col) => {
    cell.fill = PHI_COLUMNS.includes(WORKBOOK_HEADERS[col - 1]!) ? PHI_HEADER_FILL : HEADER_FILL;
  });
  const columnIndex = (key: WorkbookColumn) => WORKBOOK_HEADERS.indexOf(key) + 1;

  for (const row of rows) {
    // Every cell is text (confidence excepted): Excel must not turn "1" into a number or a date on the way back.
    const added = sheet.addRow(WORKBOOK_HEADERS.map((key) => (key === 'confidence' ? Number(row.confidence) : row[key])));
    if (row.destination_kind === 'info') added.font = INFO_FONT;
    if (row.phi_class !== 'none') for (const key of PHI_COLUMNS) added.getCell(columnIndex(key)).fill = PHI_FILL;
    if (isUnsure(row)) added.getCell(columnIndex('confidence')).fill = UNSURE_FILL;
    added.getCell(columnIndex('confidence')).numFmt = '0.00';
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: WORKBOOK_HEADERS.length } };

  const lists = workbook.addWorksheet(LISTS_SHEET, { state: 'hidden' });
  const listColumns: [string, readonly string[]][] = [
    ['transform', TRANSFORM_NAMES],
    ['field_type', CUSTOM_FIELD_TYPES],
  ];
  listColumns.forEach(([title, values], i) => {
    lists.getCell(1, i + 1).value = title;
    values.forEach((v, j) => (lists.getCell(j + 2, i + 1).value = v));
  });
  const listRange = (i: number, count: number) => `${LISTS_SHEET}!$${String.fromCharCode(65 + i)}$2:$${String.fromCharCode(65 + i)}$${count + 1}`;
  const validations: [WorkbookColumn, string, string][] = [
    ['decision', `"${DECISIONS.join(',')}"`, 'accept, reject or edit'],
    ['phi_decision', `"${PHI_DECISIONS.join(',')}"`, 'exclude, include, include:mask, include:year_only (PHI rows), never (SSN); empty for non-PHI rows'],
    ['phi_class', `"${PHI_CLASSES.join(',')}"`, 'none, phi or never'],
    ['destination_kind', `"${DESTINATION_KINDS.join(',')}"`, 'standard, custom, not_migrated (info rows have no rule)'],
    ['destination_entity', `"${LOAD_ORDER.join(',')}"`, 'a Pipedrive object'],
    ['transform', listRange(0, TRANSFORM_NAMES.length), 'a transform from the Lists sheet'],
  ];
  for (let r = 2; r <= rows.length + 1; r += 1) {
    for (const [key, formula, hint] of validations) {
      sheet.getCell(r, columnIndex(key)).dataValidation = {
        type: 'list',
        allowBlank: true,
        formulae: [formula],
        showErrorMessage: true,
        errorStyle: 'stop',
        errorTitle: key,
        error: `Choose ${hint}.`,
      };
    }
    // Standard rows show their value kind here: a warning, not a refusal, outside the custom types.
    sheet.getCell(r, columnIndex('field_type')).dataValidation = {
      type: 'list',
      allowBlank: true,
      formulae: [listRange(1, CUSTOM_FIELD_TYPES.length)],
      showErrorMessage: true,
      errorStyle: 'warning',
      errorTitle: 'field_type',
      error: 'Custom fields take one of the Pipedrive field types on the Lists sheet.',
    };
  }

  const help = workbook.addWorksheet(COLUMNS_SHEET);
  help.columns = [
    { header: 'column', key: 'column', width: 20 },
    { header: 'meaning', key: 'meaning', width: 110 },
    { header: 'editable', key: 'editable', width: 18 },
  ];
  help.getRow(1).font = { bold: true };
  for (const c of WORKBOOK_COLUMNS) help.addRow({ column: c.key, meaning: c.help, editable: c.editable });
  help.addRow({});
  for (const line of [
    `Map version ${map.version}. One row per rule of the map, then information rows (grey) for source columns no rule reads by name.`,
    'To change a row, edit its cells and set decision to edit; reject keeps the field in Dentrix; a new rule is a new row with a new rule_id and decision edit.',
    'PHI fields (orange) move only when phi_decision includes them; SSN never moves. PHI sample values are shown as shapes only.',
    "Rows with a confidence below 0.70 (yellow) are the proposer's guesses: check them first.",
    'Import the edited file with: starter map import --migration-id <id> --file <path> --by <your name>. Any invalid row refuses the whole import.',
    'As CSV, each sheet is a file of its own (<name>.csv: Mapping, <name>.owners.csv, <name>.duplicates.csv): import one or several (--file a.csv b.csv); a sheet not given stays as it was.',
  ]) {
    help.addRow({ column: '', meaning: line });
  }
  return workbook;
}

/**
 * The Duplicates sheet: one row per probable pair, Dentrix ids and evidence kinds only, a decision drop-down (its
 * CSV, `<name>.duplicates.csv`, has the same columns).
 */
function addDuplicatesSheet(workbook: ExcelJS.Workbook, input: DuplicatesSheetInput): void {
  const sheet = workbook.addWorksheet(DUPLICATES_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = DUPLICATE_COLUMNS.map((c) => ({ header: c.key, key: c.key, width: c.width }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((cell) => (cell.fill = HEADER_FILL));
  const decisionColumn = DUPLICATE_HEADERS.indexOf('decision') + 1;
  for (const row of duplicateRows(input.pairs, input.merges)) {
    const added = sheet.addRow(DUPLICATE_HEADERS.map((key) => row[key]));
    added.getCell(decisionColumn).dataValidation = {
      type: 'list',
      allowBlank: true,
      formulae: [`"${DUPLICATE_DECISIONS.join(',')}"`],
      showErrorMessage: true,
      errorStyle: 'stop',
      errorTitle: 'decision',
      error: 'Choose keep_both or merge.',
    };
  }
  const help = workbook.getWorksheet(COLUMNS_SHEET);
  if (!help) return;
  help.addRow({});
  help.addRow({ column: DUPLICATES_SHEET, meaning: 'Probable duplicate patients of the Data Quality Report, one row per pair (Dentrix ids only).' });
  for (const c of DUPLICATE_COLUMNS) help.addRow({ column: `${DUPLICATES_SHEET}.${c.key}`, meaning: c.help, editable: c.editable });
  help.addRow({
    column: '',
    meaning:
      'A patient can be merged away once and a survivor cannot itself be merged away (no chains); a survivor may take several duplicates. Decisions apply when this map version is approved.',
  });
}

/**
 * The Duplicates sheet of an edited XLSX (or its own CSV file), checked against the report's pairs: the merges or row
 * errors; undefined when the file has no such sheet (another sheet's CSV, or a workbook without duplicates), and the
 * decisions stay as they were.
 */
export async function importDuplicateSheet(filePath: string, pairs: readonly DuplicatePair[]): Promise<DuplicateImport | undefined> {
  const table = await readSheet(filePath, 'duplicates', DUPLICATES_SHEET);
  if (!table) return undefined;
  const missing = DUPLICATE_HEADERS.filter((h) => h !== 'matched' && !table.headers.includes(h));
  if (missing.length > 0) return { ok: false, errors: missing.map((h) => ({ row: 1, column: h, message: `the header has no "${h}" column` })) };
  const rows = table.rows.map(({ row, values }) => ({
    row,
    cells: Object.fromEntries(DUPLICATE_HEADERS.map((key) => [key, values[table.headers.indexOf(key)] ?? ''])) as DuplicateSheetRow,
  }));
  return importDuplicateRows(rows, pairs);
}

/**
 * Reads an edited workbook (.xlsx, or .csv) against the map it was exported from: a new map version (the same
 * map when nothing changed) and the PHI decisions, or every row error, with nothing applied.
 */
export async function importWorkbook(filePath: string, currentMap: FieldMap): Promise<ImportResult> {
  const table = isCsv(filePath) ? await readCsv(filePath) : await readXlsx(filePath);
  const headerErrors = checkHeaders(table.headers);
  if (headerErrors.length > 0) return { ok: false, errors: headerErrors };
  return importRows(table.rows, currentMap);
}

/** The rows of an exported (or edited) workbook as they stand, unvalidated: for summaries, not for import. */
export async function readWorkbookRows(filePath: string): Promise<WorkbookRow[]> {
  const table = isCsv(filePath) ? await readCsv(filePath) : await readXlsx(filePath);
  return table.rows.map((r) => r.cells);
}

interface ReadTable {
  headers: string[];
  rows: NumberedRow[];
}

function toRow(headers: readonly string[], values: readonly string[]): WorkbookRow {
  const row = Object.fromEntries(WORKBOOK_HEADERS.map((key) => [key, ''])) as WorkbookRow;
  headers.forEach((header, i) => {
    if ((WORKBOOK_HEADERS as readonly string[]).includes(header)) row[header as WorkbookColumn] = values[i] ?? '';
  });
  return row;
}

async function readCsv(filePath: string): Promise<ReadTable> {
  const { headers, rows } = await readSheetCsv(filePath);
  return { headers, rows: rows.map(({ row, values }) => ({ row, cells: toRow(headers, values) })) };
}

async function readXlsx(filePath: string): Promise<ReadTable> {
  const table = await readXlsxSheet(filePath, MAPPING_SHEET, { orFirst: true });
  if (!table) return { headers: [], rows: [] };
  return { headers: table.headers, rows: table.rows.map(({ row, values }) => ({ row, cells: toRow(table.headers, values) })) };
}
