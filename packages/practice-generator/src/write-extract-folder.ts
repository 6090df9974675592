import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { DOCUMENTS_DIR, MANIFEST_FILE } from '../../../src/dentrix/folder-reader';
import type { DentrixTable, ExtractManifest } from '../../../src/dentrix/types';

export interface WriteExtractFolderOptions {
  /** Bytes of the CSV files; `windows-1252` writes what an old Dentrix workstation export looks like. */
  encoding?: 'utf8' | 'utf8-bom' | 'windows-1252';
  lineEnding?: '\r\n' | '\n';
  /** `from-rows` (default) fills manifest.tables with the number of rows given; `as-given` keeps the manifest's. */
  manifestRowCounts?: 'from-rows' | 'as-given';
  /** Renames header cells, e.g. to upper-case them. */
  headerName?: (column: string) => string;
  /** Files to put under documents/, by path relative to it. */
  documents?: Record<string, Buffer>;
}

/**
 * Writes a small hand-made extract folder from in-memory rows (tests and fixtures; the generator streams instead).
 * Values are written as given: strings verbatim, numbers with String(), booleans as 1/0, null/undefined empty.
 * The header of each table is the union of its rows' keys, in first-seen order.
 */
export async function writeExtractFolder(
  dir: string,
  manifest: ExtractManifest,
  tables: Partial<Record<DentrixTable, object[]>>,
  opts: WriteExtractFolderOptions = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const counts: ExtractManifest['tables'] = opts.manifestRowCounts === 'as-given' ? { ...manifest.tables } : {};
  for (const [table, rows] of Object.entries(tables) as [DentrixTable, object[]][]) {
    const columns: string[] = [];
    for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    const records = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])));
    const header = columns.map((column) => (opts.headerName ? opts.headerName(column) : column));
    const text = stringify([header, ...records], { record_delimiter: opts.lineEnding === '\n' ? 'unix' : 'windows' });
    await writeFile(path.join(dir, `${table}.csv`), encode(text, opts.encoding ?? 'utf8'));
    if (opts.manifestRowCounts !== 'as-given') counts[table] = { rows: rows.length };
  }
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, tables: counts }, null, 2) + '\n');
  for (const [relative, bytes] of Object.entries(opts.documents ?? {})) {
    const target = path.join(dir, DOCUMENTS_DIR, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function encode(text: string, encoding: 'utf8' | 'utf8-bom' | 'windows-1252'): Buffer {
  if (encoding === 'windows-1252') return iconv.encode(text, 'win1252');
  const bytes = Buffer.from(text, 'utf8');
  return encoding === 'utf8-bom' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
}
