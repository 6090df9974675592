import { createHash } from 'node:crypto';
import { type Pool } from 'pg';
import { inTransaction } from './db';

/**
 * Reports in the migration store: one row per migration and kind (the latest wins) with its summary, and its files'
 * contents (`report_files`), so that `report`, `map export` and `status` work on any machine, whichever worker wrote
 * the report. Each worker's DATA_DIR keeps a copy as a local cache; `path` is where the writing worker cached it.
 */

/** A report file to store: its name (as in the cache folder), content type and bytes. */
export interface ReportFileContent {
  name: string;
  contentType: string;
  content: Buffer;
}

/** A stored report file without its bytes. */
export interface ReportFileInfo {
  name: string;
  contentType: string;
  bytes: number;
  sha256: string;
}

export interface StoredReport {
  kind: string;
  /** Where the worker that wrote it cached it (on that worker's machine). */
  path: string;
  /** `host:path` of that worker's cached copy; null for a report stored before reports kept their contents. */
  writtenBy: string | null;
  /** Where every machine finds it: `store:<kind>` when its contents are in the store. */
  location: string;
  summary: object;
  createdAt: Date;
  /** Its files, the main one first; empty for a report stored before reports kept their contents. */
  files: ReportFileInfo[];
}

export interface StoredReportFile extends ReportFileInfo {
  kind: string;
  content: Buffer;
}

/** `store:<kind>`: how a stored report is named on any machine (`report -m <id> --kind <kind>`). */
export function storeLocation(kind: string): string {
  return `store:${kind}`;
}

/**
 * Records a report (replacing the previous one of its kind): its summary and where it was written, and, given
 * `files`, their contents (the main file first), in one transaction, so a reader sees the old report or the new one.
 */
export async function saveReport(
  pool: Pool,
  migrationId: string,
  kind: string,
  path: string,
  summary: object = {},
  stored: { files: readonly ReportFileContent[]; writtenBy?: string } = { files: [] },
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO reports (migration_id, kind, path, summary, written_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (migration_id, kind) DO UPDATE
         SET path = EXCLUDED.path, summary = EXCLUDED.summary, written_by = EXCLUDED.written_by, created_at = now()`,
      [migrationId, kind, path, summary, stored.writtenBy ?? null],
    );
    await client.query('DELETE FROM report_files WHERE migration_id = $1 AND kind = $2', [migrationId, kind]);
    for (const [position, file] of stored.files.entries()) {
      await client.query(
        `INSERT INTO report_files (migration_id, kind, name, position, content_type, content, bytes, sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [migrationId, kind, file.name, position, file.contentType, file.content, file.content.length, sha256(file.content)],
      );
    }
  });
}

/** A migration's reports by kind, with their files (names, types, sizes; not their bytes). */
export async function listReports(pool: Pool, migrationId: string): Promise<StoredReport[]> {
  const { rows } = await pool.query<{ kind: string; path: string; summary: object; created_at: Date; written_by: string | null; files: ReportFileInfo[] | null }>(
    `SELECT r.kind, r.path, r.summary, r.created_at, r.written_by,
            (SELECT json_agg(json_build_object('name', f.name, 'contentType', f.content_type, 'bytes', f.bytes, 'sha256', f.sha256) ORDER BY f.position)
               FROM report_files f WHERE f.migration_id = r.migration_id AND f.kind = r.kind) AS files
       FROM reports r WHERE r.migration_id = $1 ORDER BY r.kind`,
    [migrationId],
  );
  return rows.map((r) => {
    const files = r.files ?? [];
    return {
      kind: r.kind,
      path: r.path,
      writtenBy: r.written_by,
      location: files.length > 0 ? storeLocation(r.kind) : r.path,
      summary: r.summary,
      createdAt: r.created_at,
      files,
    };
  });
}

/**
 * One stored file of a report, with its bytes: the main one (the JSON, the workbook's XLSX) unless `name` says which
 * (e.g. `verification.html`). Undefined when the store has no such file.
 */
export async function readReportFile(pool: Pool, migrationId: string, kind: string, name?: string): Promise<StoredReportFile | undefined> {
  const { rows } = await pool.query<{ kind: string; name: string; content_type: string; content: Buffer; bytes: number; sha256: string }>(
    `SELECT kind, name, content_type, content, bytes, sha256 FROM report_files
      WHERE migration_id = $1 AND kind = $2 AND ($3::text IS NULL OR name = $3) ORDER BY position LIMIT 1`,
    [migrationId, kind, name ?? null],
  );
  const r = rows[0];
  return r && { kind: r.kind, name: r.name, contentType: r.content_type, content: r.content, bytes: r.bytes, sha256: r.sha256 };
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
