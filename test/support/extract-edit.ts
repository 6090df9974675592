import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { MANIFEST_FILE, type DentrixTable } from '../../src/dentrix';

/** One CSV table of an extract folder as text cells, header order kept. */
export interface CsvTable {
  columns: string[];
  rows: Record<string, string>[];
}

export async function readCsvTable(dir: string, table: DentrixTable): Promise<CsvTable> {
  const text = await fs.readFile(path.join(dir, `${table}.csv`), 'utf8');
  const records: string[][] = parse(text, { bom: true });
  const [header, ...body] = records;
  const columns = header ?? [];
  return { columns, rows: body.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']))) };
}

/** Replaces a file by rename, so a concurrent reader sees the old bytes or the new ones, never half of them. */
async function replaceFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}

/** Writes a table's CSV the way the generator does (CRLF, RFC 4180 quoting). Does not touch the manifest. */
export async function writeCsvTable(dir: string, table: DentrixTable, t: CsvTable): Promise<void> {
  const text = stringify([t.columns, ...t.rows.map((r) => t.columns.map((c) => r[c] ?? ''))], { record_delimiter: 'windows' });
  await replaceFile(path.join(dir, `${table}.csv`), text);
}

/** Sets manifest.json's row count of each table to what its CSV now holds. */
export async function syncManifestCounts(dir: string, tables: Record<string, number>): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as { tables: Record<string, { rows: number }> };
  for (const [table, rows] of Object.entries(tables)) manifest.tables[table] = { ...manifest.tables[table], rows };
  await replaceFile(file, JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * Changes an extract folder the way a fresh Dentrix export during the cutover window would: each edited table's
 * CSV is rewritten, then the manifest's row counts (last, as an exporter writes it).
 */
export async function editExtract(dir: string, edits: Partial<Record<DentrixTable, (t: CsvTable) => void>>): Promise<void> {
  const counts: Record<string, number> = {};
  for (const [table, edit] of Object.entries(edits) as [DentrixTable, (t: CsvTable) => void][]) {
    const t = await readCsvTable(dir, table);
    edit(t);
    await writeCsvTable(dir, table, t);
    counts[table] = t.rows.length;
  }
  await syncManifestCounts(dir, counts);
}

/** Dentrix's local-time stamp format (`YYYY-MM-DD HH:MM:SS`), for automodifiedtimestamp. */
export function dentrixTimestamp(at = new Date()): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** The next integer id of a table's key column. */
export function nextId(t: CsvTable, column: string): number {
  return t.rows.reduce((max, r) => Math.max(max, Number(r[column]) || 0), 0) + 1;
}
