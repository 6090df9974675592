import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { parse } from 'csv-parse/sync';
import { auditMigration, type AuditOptions, type AuditResult, type DataQualityReport } from '../../../src/audit';
import { openExtract, stageExtract } from '../../../src/dentrix';

/** Temporary directories made during a test file, removed after it. */
export function tempDirs(): { make(): Promise<string> } {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });
  return {
    async make() {
      const dir = await mkdtemp(path.join(tmpdir(), 'audit-test-'));
      made.push(dir);
      return dir;
    },
  };
}

/** Registers a migration for an extract folder (time zone from its manifest) and stages it, as the EXTRACT phase does. */
export async function stageFolder(pool: Pool, migrationId: string, dir: string): Promise<void> {
  const reader = await openExtract({ kind: 'folder', path: dir });
  try {
    const manifest = await reader.manifest();
    await pool.query(
      `INSERT INTO migration_runs (migration_id, practice_name, timezone, currency, source, pipedrive_base_url)
       VALUES ($1, $2, $3, $4, $5, 'http://127.0.0.1:1')`,
      [migrationId, manifest.practice.name, manifest.practice.timezone, manifest.practice.currency, { kind: 'folder', path: dir }],
    );
    await stageExtract(pool, migrationId, reader);
  } finally {
    await reader.close();
  }
}

export interface AuditedExtract {
  result: AuditResult;
  report: DataQualityReport;
  json: string;
  html: string;
}

export async function runAudit(pool: Pool, migrationId: string, opts: AuditOptions): Promise<AuditedExtract> {
  const result = await auditMigration(pool, migrationId, opts);
  const json = await readFile(result.reportPath, 'utf8');
  const html = await readFile(result.htmlPath, 'utf8');
  return { result, report: JSON.parse(json) as DataQualityReport, json, html };
}

/** One CSV table of an extract folder, as header-keyed records of text. */
export async function readCsv(dir: string, table: string): Promise<Record<string, string>[]> {
  return parse<Record<string, string>>(await readFile(path.join(dir, `${table}.csv`)), { columns: true, bom: true, skip_empty_lines: true });
}
