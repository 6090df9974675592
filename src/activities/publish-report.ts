import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Pool } from 'pg';
import { saveReport, type ReportFileContent } from '../store/reports';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function reportContentType(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Publishes a report this worker has just written to its DATA_DIR cache: the files (the main one first, then its
 * companions) go into the migration store with the summary, where `report`, `map export` and `status` read them on
 * any machine. Returns the main file's cached path, which the workflow's status shows as before: a location on the
 * worker that wrote it (the store's copy is `store:<kind>`), never the contents.
 */
export async function publishReport(
  pool: Pool,
  migrationId: string,
  kind: string,
  files: readonly [string, ...string[]],
  summary: object = {},
): Promise<string> {
  const contents: ReportFileContent[] = [];
  for (const file of files) {
    contents.push({ name: path.basename(file), contentType: reportContentType(file), content: await readFile(file) });
  }
  const main = files[0];
  await saveReport(pool, migrationId, kind, main, summary, { files: contents, writtenBy: `${os.hostname()}:${main}` });
  return main;
}
