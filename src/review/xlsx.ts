import type ExcelJS from 'exceljs';

/**
 * A new, empty workbook. exceljs is loaded on first use: it takes about a second to load, and most processes that
 * import the review modules (every worker) never open a workbook.
 */
export async function newWorkbook(): Promise<ExcelJS.Workbook> {
  const { default: excel } = await import('exceljs');
  return new excel.Workbook();
}

/** A sheet as text: lower-cased, trimmed headers and its non-empty rows, numbered as the spreadsheet numbers them. */
export interface SheetTable {
  headers: string[];
  rows: { row: number; values: string[] }[];
}

/** The sheet `name` of an XLSX file as text (`orFirst`: the first sheet when none has that name); undefined without one. */
export async function readXlsxSheet(filePath: string, name: string, options: { orFirst?: boolean } = {}): Promise<SheetTable | undefined> {
  const workbook = await newWorkbook();
  await workbook.xlsx.readFile(filePath);
  const sheet = workbook.getWorksheet(name) ?? (options.orFirst ? workbook.worksheets[0] : undefined);
  if (!sheet) return undefined;
  const width = sheet.columnCount;
  const texts = (r: number) => Array.from({ length: width }, (_, i) => sheet.getRow(r).getCell(i + 1).text ?? '');
  const headers = texts(1).map((h) => h.trim().toLowerCase());
  const rows: SheetTable['rows'] = [];
  for (let r = 2; r <= sheet.rowCount; r += 1) {
    const values = texts(r);
    if (values.some((v) => v.trim() !== '')) rows.push({ row: r, values });
  }
  return { headers, rows };
}
