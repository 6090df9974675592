/**
 * The mapping workbook's sheets as CSV files, one sheet per file: `<name>.csv` (Mapping), `<name>.owners.csv` and
 * `<name>.duplicates.csv`, for ops who edit in a text editor or a tool without XLSX. A CSV file says which sheet it is
 * by its header row, so `map import` takes any of them, alone or together, under any file name.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { readXlsxSheet, type SheetTable } from './xlsx';

/** Which sheet a CSV holds; the columns that tell it (a header with all of them is that sheet). */
const SHEET_MARKERS = {
  mapping: ['rule_id', 'destination_field', 'decision'],
  owners: ['provider_id', 'records', 'assign_user'],
  duplicates: ['patient_id', 'duplicate_of_patient_id', 'decision'],
} as const;
export type CsvSheetKind = keyof typeof SHEET_MARKERS;

/** The CSV file of a sheet: `<basename>.csv` for the Mapping sheet, `<basename>.<kind>.csv` for the others. */
export function sheetCsvName(basename: string, kind: CsvSheetKind): string {
  return kind === 'mapping' ? `${basename}.csv` : `${basename}.${kind}.csv`;
}

/** Text a spreadsheet would read as a formula (a leading = + - @) is written with a leading quote. Never imported. */
function defuse(text: string): string {
  return /^[=+\-@\t\r]/u.test(text) ? `'${text}` : text;
}

/** A sheet as CSV, with a BOM and CRLF line ends (what spreadsheet programs expect); `readOnly` columns are defused. */
export function sheetCsv<K extends string>(columns: readonly K[], rows: readonly Record<K, string>[], readOnly: readonly K[]): string {
  return stringify(
    rows.map((row) => columns.map((key) => (readOnly.includes(key) ? defuse(row[key]) : row[key]))),
    { header: true, columns: [...columns], bom: true, record_delimiter: 'windows' },
  );
}

export async function readSheetCsv(filePath: string): Promise<SheetTable> {
  const records: string[][] = parse(await readFile(filePath), { bom: true, relax_column_count: true, skip_empty_lines: false });
  const headers = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const rows: SheetTable['rows'] = [];
  records.slice(1).forEach((values, i) => {
    if (values.some((v) => v.trim() !== '')) rows.push({ row: i + 2, values });
  });
  return { headers, rows };
}

/**
 * The Owners or Duplicates sheet of an edited file as text: the sheet of that name in an XLSX, or a CSV whose header
 * row says it is that sheet; undefined when the file has no such sheet.
 */
export async function readSheet(filePath: string, kind: Exclude<CsvSheetKind, 'mapping'>, xlsxSheet: string): Promise<SheetTable | undefined> {
  if (!isCsv(filePath)) return readXlsxSheet(filePath, xlsxSheet);
  const csv = await readSheetCsv(filePath);
  return csvSheetKind(csv.headers) === kind ? csv : undefined;
}

/** The sheet a CSV header row belongs to, or undefined when it is none of the workbook's. */
function csvSheetKind(headers: readonly string[]): CsvSheetKind | undefined {
  return (Object.keys(SHEET_MARKERS) as CsvSheetKind[]).find((kind) => SHEET_MARKERS[kind].every((h) => headers.includes(h)));
}

/** What `csvSheetKind` looks for, for an error message: `mapping (rule_id, …), owners (…), duplicates (…)`. */
function csvSheetMarkers(): string {
  return (Object.entries(SHEET_MARKERS) as [CsvSheetKind, readonly string[]][]).map(([kind, cols]) => `${kind} (${cols.join(', ')})`).join(', ');
}

export const isCsv = (filePath: string): boolean => filePath.toLowerCase().endsWith('.csv');

/** The file each sheet of an import comes from; a sheet no file holds stays as the map version has it. */
export type SheetFiles = Partial<Record<CsvSheetKind, string>>;

/**
 * Which of the files given to `map import` holds which sheet: an XLSX holds them all (a sheet it lacks stays as it
 * was); a CSV holds the one its header row says. A CSV that is no sheet, or two files for one sheet, is refused,
 * naming the files.
 */
export async function sheetFiles(paths: readonly string[]): Promise<SheetFiles> {
  const files: SheetFiles = {};
  const claim = (kind: CsvSheetKind, filePath: string) => {
    const earlier = files[kind];
    if (earlier) throw new Error(`both ${earlier} and ${filePath} hold the ${kind} sheet: give one of them`);
    files[kind] = filePath;
  };
  for (const filePath of paths) {
    if (!isCsv(filePath)) {
      for (const kind of Object.keys(SHEET_MARKERS) as CsvSheetKind[]) claim(kind, filePath);
      continue;
    }
    const kind = csvSheetKind((await readSheetCsv(filePath)).headers);
    if (!kind) throw new Error(`${filePath} is no sheet of the mapping workbook: its header row has the columns of none of ${csvSheetMarkers()}`);
    claim(kind, filePath);
  }
  return files;
}
