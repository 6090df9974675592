/**
 * Reports from the migration store, on any machine: `report` prints one or exports them to a folder, `map export`
 * exports the stored workbook. Whichever worker wrote a report, its contents are in the store (DATA_DIR is only
 * each machine's cache), so nothing here reads another machine's files.
 */
import { REPORTS_WITH_VALUES } from '../store/purge';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { listReports, readReportFile, type ReportFileInfo, type StoredReport, type StoredReportFile } from '../store/reports';

export interface ExportedReportFile {
  kind: string;
  name: string;
  contentType: string;
  bytes: number;
  sha256: string;
  /** Where it was written. */
  path: string;
}

/** The reports of a migration, or an error naming it when it has none yet. */
export async function reportsOf(pool: Pool, migrationId: string): Promise<StoredReport[]> {
  const reports = await listReports(pool, migrationId);
  if (reports.length === 0) throw new Error(`no reports for migration "${migrationId}" yet`);
  return reports;
}

/** One report's file from the store: its main file (JSON, XLSX) or the one named (e.g. `verification.html`). */
export async function storedReportFile(pool: Pool, migrationId: string, kind: string, name?: string): Promise<StoredReportFile> {
  const reports = await reportsOf(pool, migrationId);
  const report = reports.find((r) => r.kind === kind);
  if (!report) throw new Error(`no "${kind}" report; there are: ${reports.map((r) => r.kind).join(', ')}`);
  const file = await readReportFile(pool, migrationId, kind, name);
  if (file) return file;
  if (name && report.files.length > 0) {
    throw new Error(`the "${kind}" report has no file "${name}"; it has: ${report.files.map((f) => f.name).join(', ')}`);
  }
  if (REPORTS_WITH_VALUES.includes(kind) && report.writtenBy) {
    throw new Error(
      `the "${kind}" report's stored contents were purged with the staged PHI (they quote source values); its summary: ${JSON.stringify(report.summary)}`,
    );
  }
  throw new Error(
    `the "${kind}" report was written before reports were kept in the store: its only copy is on the worker that wrote it (${report.writtenBy ?? report.path})`,
  );
}

/**
 * Writes the stored files of one report kind (or of every report) into `out`: a folder the operator named, created
 * owner-only when missing (an existing one is left as it is); the files are owner-only, since reports may hold PHI.
 */
export async function exportReports(pool: Pool, migrationId: string, out: string, kind?: string): Promise<ExportedReportFile[]> {
  const reports = await reportsOf(pool, migrationId);
  const chosen = kind ? reports.filter((r) => r.kind === kind) : reports;
  if (kind && chosen.length === 0) throw new Error(`no "${kind}" report; there are: ${reports.map((r) => r.kind).join(', ')}`);
  if (kind && chosen[0]!.files.length === 0) await storedReportFile(pool, migrationId, kind); // says why there is nothing
  await makePrivateDir(out);
  const written: ExportedReportFile[] = [];
  for (const report of chosen) {
    for (const info of report.files) {
      const file = await readReportFile(pool, migrationId, report.kind, info.name);
      if (!file) continue; // replaced by a newer report of the kind since the listing: the next export has it
      const target = path.join(out, path.basename(file.name));
      await writePrivateFile(target, file.content);
      written.push({ kind: report.kind, name: file.name, contentType: file.contentType, bytes: file.bytes, sha256: file.sha256, path: target });
    }
  }
  return written;
}

/** Bytes for humans: 812 B, 115.2 KB, 3.4 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** How `status` and `report` show where a report is: the store, and which worker wrote (and caches) it. */
export function describeReportLocation(r: Pick<StoredReport, 'location' | 'writtenBy' | 'path' | 'files'>): string {
  if (r.files.length === 0) return `${r.path} (on the worker that wrote it only)`;
  const files = r.files.map((f) => `${f.name} ${formatBytes(f.bytes)}`).join(', ');
  return `${r.location} (${files})`;
}

/** True when the content is text a terminal can show. */
export function isText(contentType: string): boolean {
  return /^(text\/|application\/json)/u.test(contentType);
}

/** True for a report's HTML page. */
export function isHtml(file: Pick<ReportFileInfo, 'contentType'>): boolean {
  return file.contentType.startsWith('text/html');
}

/** One report's HTML page from the store, or an error naming the reports that have one. */
export async function storedReportHtml(pool: Pool, migrationId: string, kind: string): Promise<StoredReportFile> {
  const reports = await reportsOf(pool, migrationId);
  const report = reports.find((r) => r.kind === kind);
  const page = report?.files.find(isHtml);
  if (report && page) return storedReportFile(pool, migrationId, kind, page.name);
  const withPages = reports.filter((r) => r.files.some(isHtml)).map((r) => r.kind);
  const which = withPages.length ? `these have one: ${withPages.join(', ')}` : 'none of its reports has one yet';
  if (!report) throw new Error(`no "${kind}" report; ${which}`);
  await storedReportFile(pool, migrationId, kind); // a purged or cache-only report says so
  throw new Error(`the "${kind}" report has no HTML page (print it with --kind ${kind}, or write it with --out DIR); ${which}`);
}

/**
 * Writes a report's HTML page where a browser can open it: into `out` when given, else a fresh owner-only folder
 * under the system's temp folder (pages may hold ids a practice considers private). Returns the file's path.
 */
export async function writeReportPage(file: StoredReportFile, migrationId: string, out?: string): Promise<string> {
  const dir = out ?? (await mkdtemp(path.join(os.tmpdir(), 'dentrix-pipedrive-report-')));
  await makePrivateDir(dir);
  const target = path.join(dir, `${migrationId}-${path.basename(file.name)}`);
  await writePrivateFile(target, file.content);
  return target;
}

/** The desktop's opener (`xdg-open`) when this machine has one on its PATH. */
export function findOpener(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'xdg-open');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Opens a file with the opener, detached (the CLI does not wait for the browser); false when there is none. */
export function openFile(target: string, opener = findOpener()): boolean {
  if (!opener) return false;
  const child = spawn(opener, [target], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return true;
}

/**
 * `report`'s listing, a few lines per report: kind, where it is and its files, the summary; then its HTML page and
 * the command that opens it, links and owners one type a line, and each warning on a line of its own (a provider
 * without a Pipedrive user, records on the fallback owner), never folded into a summary that reads as a success.
 */
export function describeReports(migrationId: string, reports: readonly StoredReport[]): string[] {
  const indent = ''.padEnd(18);
  return reports.flatMap((r) => {
    const { linkLines, warnings, ...summary } = (r.summary ?? {}) as { linkLines?: string[]; warnings?: string[] };
    const page = r.files.find(isHtml);
    return [
      `${r.kind.padEnd(18)} ${describeReportLocation(r)}  ${JSON.stringify(summary)}`,
      ...(page ? [`${indent}   page: ${page.name} · npm run starter -- report -m ${migrationId} --kind ${r.kind} --open   (or --html to print it)`] : []),
      ...(linkLines ?? []).map((line) => `${indent}   ${line}`),
      ...(warnings ?? []).map((w) => `${indent}   WARNING: ${w}`),
    ];
  });
}
