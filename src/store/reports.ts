import { createHash } from 'node:crypto';
import { type Pool } from 'pg';
import { sql } from 'kysely';
import { inTransaction, storeDb } from './db';

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
  await inTransaction(pool, async (_tx, db) => {
    await db
      .insertInto('reports')
      .values({ migration_id: migrationId, kind, path, summary: JSON.stringify(summary), written_by: stored.writtenBy ?? null })
      .onConflict((oc) =>
        oc.columns(['migration_id', 'kind']).doUpdateSet((eb) => ({
          path: eb.ref('excluded.path'),
          summary: eb.ref('excluded.summary'),
          written_by: eb.ref('excluded.written_by'),
          created_at: sql`now()`,
        })),
      )
      .execute();
    await db.deleteFrom('report_files').where('migration_id', '=', migrationId).where('kind', '=', kind).execute();
    for (const [position, file] of stored.files.entries()) {
      await db
        .insertInto('report_files')
        .values({
          migration_id: migrationId,
          kind,
          name: file.name,
          position,
          content_type: file.contentType,
          content: file.content,
          bytes: file.content.length,
          sha256: sha256(file.content),
        })
        .execute();
    }
  });
}

/** A migration's reports by kind, with their files (names, types, sizes; not their bytes). */
export async function listReports(pool: Pool, migrationId: string): Promise<StoredReport[]> {
  const rows = await storeDb(pool)
    .selectFrom('reports as r')
    .select([
      'r.kind',
      'r.path',
      'r.summary',
      'r.created_at',
      'r.written_by',
      // SQL: json_agg … ORDER BY position builds the file list in order (a subquery's row order is not guaranteed).
      sql<
        ReportFileInfo[] | null
      >`(SELECT json_agg(json_build_object('name', f.name, 'contentType', f.content_type, 'bytes', f.bytes, 'sha256', f.sha256) ORDER BY f.position)
               FROM report_files f WHERE f.migration_id = r.migration_id AND f.kind = r.kind)`.as('files'),
    ])
    .where('r.migration_id', '=', migrationId)
    .orderBy('r.kind')
    .execute();
  return rows.map((r) => {
    const files = r.files ?? [];
    return {
      kind: r.kind,
      path: r.path,
      writtenBy: r.written_by,
      location: files.length > 0 ? storeLocation(r.kind) : r.path,
      summary: r.summary as object,
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
  let query = storeDb(pool)
    .selectFrom('report_files')
    .select(['kind', 'name', 'content_type', 'content', 'bytes', 'sha256'])
    .where('migration_id', '=', migrationId)
    .where('kind', '=', kind);
  if (name !== undefined) query = query.where('name', '=', name);
  const r = await query.orderBy('position').limit(1).executeTakeFirst();
  return r && { kind: r.kind, name: r.name, contentType: r.content_type, content: r.content, bytes: r.bytes, sha256: r.sha256 };
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
