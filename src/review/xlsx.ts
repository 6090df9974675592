import type ExcelJS from 'exceljs';

/**
 * A new, empty workbook. exceljs is loaded on first use: it takes about a second to load, and most processes that
 * import the review modules (every worker) never open a workbook.
 */
export async function newWorkbook(): Promise<ExcelJS.Workbook> {
  const { default: excel } = await import('exceljs');
  return new excel.Workbook();
}
