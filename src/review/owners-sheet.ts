/**
 * The mapping workbook's Owners sheet: one row per Dentrix provider with the Pipedrive user its records go to, and an
 * `assign_user` column where ops name a user (e-mail or user id) for a provider the e-mail match missed or got wrong.
 * The account's users are listed on a hidden sheet for the column's drop-down; the CSV of this sheet
 * (`<name>.owners.csv`) has the same columns, without the drop-down.
 */
import type { Pool } from 'pg';
import type ExcelJS from 'exceljs';
import { readSheet, sheetCsv } from './sheet-csv';
import { latestFieldMap } from '../store/field-maps';
import { readReportFile } from '../store/reports';
import {
  matchOwners,
  ownerAssignmentsOf,
  ownersSummary,
  sameAssignments,
  validateOwnerRows,
  type OwnerAssignment,
  type OwnerSheetRow,
  type OwnersReport,
} from './owners';

export const OWNERS_SHEET = 'Owners';
const USERS_SHEET = 'PipedriveUsers';

const COLUMNS = [
  { key: 'provider_id', width: 14, help: 'the Dentrix provider (read only)' },
  { key: 'provider_name', width: 28, help: 'read only' },
  { key: 'provider_email', width: 30, help: 'the e-mail a Pipedrive user is matched by (read only)' },
  { key: 'inactive', width: 9, help: 'inactive in Dentrix (read only)' },
  { key: 'records', width: 9, help: 'records this provider would own (read only)' },
  { key: 'pipedrive_user', width: 40, help: 'the user who will own them, or the fallback owner (read only)' },
  { key: 'matched_by', width: 12, help: 'e-mail, workbook, or none (read only)' },
  { key: 'assign_user', width: 32, help: 'EDIT: a Pipedrive user e-mail or id to own this provider’s records; empty: match by e-mail' },
] as const;

const WARN_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } };
const EDIT_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE2EFDA' } };

export interface OwnersSheetInput {
  report: OwnersReport;
  /** The assignments of the map version the workbook is for (shown in assign_user). */
  assignments: readonly OwnerAssignment[];
}

/** The owners report the worker keeps in the store (written before MAPPING_REVIEW), if there is one. */
export async function storedOwnersReport(pool: Pool, migrationId: string): Promise<OwnersReport | undefined> {
  const file = await readReportFile(pool, migrationId, 'owners', 'owners.json');
  return file ? (JSON.parse(file.content.toString('utf8')) as OwnersReport) : undefined;
}

/** The Owners sheet of a workbook for a map version with these assignments, when the owners report is in the store. */
export async function ownersSheetInput(pool: Pool, migrationId: string, assignments: readonly OwnerAssignment[]): Promise<OwnersSheetInput | undefined> {
  const report = await storedOwnersReport(pool, migrationId);
  return report && { report, assignments };
}

type OwnerColumn = (typeof COLUMNS)[number]['key'];
const OWNER_HEADERS: readonly OwnerColumn[] = COLUMNS.map((c) => c.key);

/** The sheet's rows, one per provider, as text: the XLSX sheet and its CSV show the same. */
function ownerRows({ report, assignments }: OwnersSheetInput): { cells: Record<OwnerColumn, string>; unmatched: boolean }[] {
  const users = new Map(report.users.map((u) => [u.id, u]));
  const assigned = new Map(assignments.map((a) => [a.providerId, a.userId]));
  return report.providers.map((p) => {
    const assignedId = assigned.get(p.providerId);
    return {
      unmatched: p.userId === null,
      cells: {
        provider_id: p.providerId,
        provider_name: p.name,
        provider_email: p.email ?? '',
        inactive: p.inactive ? 'yes' : '',
        records: String(p.records),
        pipedrive_user: p.userId === null ? `none: the fallback owner, ${userText(report, report.fallbackOwnerId)}` : userText(report, p.userId),
        matched_by: p.matchedBy === 'assignment' ? 'workbook' : p.matchedBy === 'email' ? 'e-mail' : 'none',
        assign_user: assignedId === undefined ? '' : (users.get(assignedId)?.email ?? String(assignedId)),
      },
    };
  });
}

function userText(report: OwnersReport, id: number): string {
  const u = report.users.find((user) => user.id === id);
  return u ? `${u.name} <${u.email}> (id ${id})` : `user ${id}`;
}

/** The Owners sheet as a CSV file of its own (`<name>.owners.csv`): the providers' rows, without the notes below them. */
export function ownersCsv(input: OwnersSheetInput): string {
  return sheetCsv(
    OWNER_HEADERS,
    ownerRows(input).map((r) => r.cells),
    ['provider_name', 'provider_email', 'pipedrive_user'],
  );
}

export function addOwnersSheet(workbook: ExcelJS.Workbook, input: OwnersSheetInput): void {
  const { report } = input;
  const sheet = workbook.addWorksheet(OWNERS_SHEET, { views: [{ state: 'frozen', xSplit: 1, ySplit: 1 }] });
  sheet.columns = COLUMNS.map((c) => ({ header: c.key, key: c.key, width: c.width }));
  sheet.getRow(1).font = { bold: true };
  for (const { cells, unmatched } of ownerRows(input)) {
    const row = sheet.addRow({ ...cells, records: Number(cells.records) });
    if (unmatched) for (const key of ['pipedrive_user', 'matched_by'] as const) row.getCell(key).fill = WARN_FILL;
    row.getCell('assign_user').fill = EDIT_FILL;
    row.getCell('assign_user').dataValidation = {
      type: 'list',
      allowBlank: true,
      formulae: [`${USERS_SHEET}!$A$2:$A$${report.users.length + 1}`],
      showErrorMessage: true,
      errorStyle: 'warning',
      errorTitle: 'assign_user',
      error: `A user's e-mail from the ${USERS_SHEET} sheet, or a user id.`,
    };
  }
  sheet.addRow({});
  sheet.addRow({ provider_id: `Records of providers without a user (red) go to the fallback owner, ${userText(report, report.fallbackOwnerId)}.` });
  sheet.addRow({ provider_id: 'To give them to someone else, put that Pipedrive user’s e-mail or id in assign_user, then map import the workbook.' });
  if (report.recordsWithoutProvider > 0) {
    sheet.addRow({ provider_id: `${report.recordsWithoutProvider} record(s) name no provider (or one not in the extract): they go to the fallback owner.` });
  }

  const list = workbook.addWorksheet(USERS_SHEET, { state: 'hidden' });
  list.columns = [
    { header: 'email', key: 'email', width: 32 },
    { header: 'id', key: 'id', width: 10 },
    { header: 'name', key: 'name', width: 28 },
  ];
  for (const u of report.users) list.addRow({ email: u.email, id: u.id, name: u.name });
}

/**
 * The edited Owners sheet's rows (provider and assign_user), from an XLSX or the sheet's own CSV; undefined when the
 * file has no Owners sheet (another sheet's CSV, or a workbook from before it). Rows without an assignment whose
 * records cell is not a count (the notes below the table) are left out.
 */
export async function readOwnersSheet(filePath: string): Promise<{ rows: OwnerSheetRow[]; error?: string } | undefined> {
  const table = await readSheet(filePath, 'owners', OWNERS_SHEET);
  if (!table) return undefined;
  const col = (key: OwnerColumn) => table.headers.indexOf(key);
  if (col('provider_id') < 0 || col('assign_user') < 0 || col('records') < 0) {
    return { rows: [], error: 'Owners row 1: the header row must keep the columns provider_id, records and assign_user' };
  }
  const cell = (values: string[], key: OwnerColumn) => (values[col(key)] ?? '').trim();
  return {
    rows: table.rows
      .filter(({ values }) => cell(values, 'assign_user') !== '' || /^\d+$/u.test(cell(values, 'records')))
      .map(({ row, values }) => ({ row, providerId: cell(values, 'provider_id'), assign: cell(values, 'assign_user') })),
  };
}

export interface OwnersImport {
  /** Row errors (each names its Owners row and provider): the import saves nothing when there are any. */
  errors: string[];
  /** The assignments the new version carries: the sheet's, or the stored ones when the file has no Owners sheet. */
  assignments: OwnerAssignment[];
  changed: boolean;
  /** What the assignments leave on the fallback owner, for the operator. */
  statement: string;
}

/**
 * The Owners sheet of an edited workbook, validated against the account's users and the staged providers as the
 * owners report (written before MAPPING_REVIEW) lists them: an unknown user, provider or a provider listed twice is an
 * error naming its row.
 */
export async function importOwnersSheet(pool: Pool, migrationId: string, filePath: string | undefined, stored: { owners?: unknown }): Promise<OwnersImport> {
  const storedAssignments = ownerAssignmentsOf(stored);
  const sheet = filePath === undefined ? undefined : await readOwnersSheet(filePath);
  const report = await storedOwnersReport(pool, migrationId);
  const statementOf = (assignments: readonly OwnerAssignment[]) => (report ? ownersStatement(report, assignments) : '');
  if (!sheet) return { errors: [], assignments: storedAssignments, changed: false, statement: statementOf(storedAssignments) };
  if (sheet.error) return { errors: [sheet.error], assignments: storedAssignments, changed: false, statement: '' };
  if (!report) {
    const assigning = sheet.rows.filter((r) => r.assign !== '');
    return {
      errors: assigning.map((r) => `Owners row ${r.row}: the account's Pipedrive users are not known yet (the worker lists them when MAPPING_REVIEW opens)`),
      assignments: storedAssignments,
      changed: false,
      statement: '',
    };
  }
  const { assignments, errors } = validateOwnerRows(
    sheet.rows,
    report.providers.map((p) => p.providerId),
    report.users,
  );
  return { errors, assignments, changed: !sameAssignments(assignments, storedAssignments), statement: ownersStatement(report, assignments) };
}

/**
 * What the latest map version's assignments leave on the fallback owner, from the store: `status` shows it at
 * MAPPING_REVIEW, where the gate's own counts are those of the proposal (an import since may have assigned users).
 */
export async function latestVersionOwners(pool: Pool, migrationId: string): Promise<string | undefined> {
  const report = await storedOwnersReport(pool, migrationId);
  const latest = await latestFieldMap(pool, migrationId);
  if (!report || !latest) return undefined;
  return `map v${latest.version} (${latest.status}): ${ownersStatement(report, ownerAssignmentsOf(latest.document)).replace(/^Owners: /u, '')}`;
}

/** `Owners: 1 provider assigned in the workbook (DDS2 → user 12); 1 without a Pipedrive user (40 records to the fallback owner).` */
export function ownersStatement(report: OwnersReport, assignments: readonly OwnerAssignment[]): string {
  const records = new Map(report.providers.map((p) => [p.providerId, p.records]));
  const matches = matchOwners(report.providers, report.users, assignments, records);
  const summary = ownersSummary(matches, report.fallbackOwnerId, report.recordsWithoutProvider);
  const assigned = assignments.map((a) => `${a.providerId} → user ${a.userId}`).join(', ');
  return (
    `Owners: ${summary.assigned} provider(s) assigned in the workbook${assigned ? ` (${assigned})` : ''}, ${summary.matched} matched by e-mail; ` +
    `${summary.unmatchedCount} without a Pipedrive user (${summary.recordsOnFallback} record(s) to the fallback owner, user ${report.fallbackOwnerId}).`
  );
}
