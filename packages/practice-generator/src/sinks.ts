import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify, type Stringifier } from 'csv-stringify';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type ColumnKind, TABLE_COLUMNS } from '../../../src/dentrix/columns';
import { DOCUMENTS_DIR, MANIFEST_FILE } from '../../../src/dentrix/folder-reader';
import { MIRROR_MANIFEST_TABLE } from '../../../src/dentrix/sql-reader';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest, PRIMARY_KEYS } from '../../../src/dentrix/types';
import { TRUTH_FILE, type GeneratorTruth } from './truth';

/** A date the generator deliberately got wrong, rendered per the extract's date format. */
export interface InvalidDate {
  invalid: 'zero_date' | 'impossible_date';
  year: number;
}

/** Dates are ISO `YYYY-MM-DD`, date-times `YYYY-MM-DD HH:mm:ss`, money a decimal string: sinks format them. */
export type GenValue = string | number | boolean | null | InvalidDate;
export type GenRow = Record<string, GenValue>;

export interface PracticeSink {
  write(table: DentrixTable, row: GenRow): Promise<void> | undefined;
  writeDocument(relativePath: string, bytes: Buffer): Promise<void>;
  finish(manifest: ExtractManifest, truth: GeneratorTruth): Promise<void>;
  abort(): Promise<void>;
}

// How each table spells booleans in a CSV extract: both spellings Dentrix exports are exercised.
const BOOLEAN_STYLE: Partial<Record<DentrixTable, [string, string]>> = { provider: ['Y', 'N'], medical_alert: ['1', '0'] };

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ISO → US: 2024-03-10 → 03/10/2024; 2024-03-10 14:05:00 → 03/10/2024 02:05:00 PM. */
function usDate(iso: string): string {
  const date = `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
  if (iso.length <= 10) return date;
  const hour = Number(iso.slice(11, 13));
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  return `${date} ${pad2(twelve)}:${iso.slice(14, 16)}:${iso.slice(17, 19)} ${hour < 12 ? 'AM' : 'PM'}`;
}

function invalidDate(value: InvalidDate, format: 'iso' | 'us'): string {
  if (value.invalid === 'zero_date') return format === 'us' ? '00/00/0000' : '0000-00-00';
  return format === 'us' ? `02/30/${value.year}` : `${value.year}-02-30`;
}

/** Turns generator rows into CSV cells, in contract column order. */
export class RowFormatter {
  private readonly columns: Record<DentrixTable, { name: string; kind: ColumnKind }[]>;

  constructor(private readonly dateFormat: 'iso' | 'us') {
    this.columns = Object.fromEntries(
      DENTRIX_TABLES.map((table) => [
        table,
        Object.entries(TABLE_COLUMNS[table] as Record<string, { kind: ColumnKind }>).map(([name, spec]) => ({ name, kind: spec.kind })),
      ]),
    ) as Record<DentrixTable, { name: string; kind: ColumnKind }[]>;
  }

  header(table: DentrixTable): string[] {
    return this.columns[table].map((column) => column.name);
  }

  cells(table: DentrixTable, row: GenRow): string[] {
    const booleans = BOOLEAN_STYLE[table] ?? ['true', 'false'];
    return this.columns[table].map(({ name, kind }) => {
      const value = row[name];
      if (value === null || value === undefined) return '';
      if (typeof value === 'object') return invalidDate(value, this.dateFormat);
      if (typeof value === 'boolean') return value ? booleans[0] : booleans[1];
      if (typeof value === 'number') return String(value);
      if ((kind === 'date' || kind === 'datetime') && this.dateFormat === 'us') return usDate(value);
      return value;
    });
  }
}

async function writeRecord(stringifier: Stringifier, cells: string[]): Promise<void> {
  if (!stringifier.write(cells)) await once(stringifier, 'drain');
}

/** Writes an extract folder: one CSV per table (CRLF, as Windows exports are), documents/, then manifest.json. */
export class FolderSink implements PracticeSink {
  private readonly formatter: RowFormatter;
  private readonly outputs = new Map<DentrixTable, { stringifier: Stringifier; file: WriteStream }>();

  private constructor(
    private readonly dir: string,
    dateFormat: 'iso' | 'us',
  ) {
    this.formatter = new RowFormatter(dateFormat);
  }

  static async create(dir: string, dateFormat: 'iso' | 'us', encoding: 'utf8' | 'utf8-bom'): Promise<FolderSink> {
    await clearGeneratedFolder(dir);
    await mkdir(path.join(dir, DOCUMENTS_DIR), { recursive: true });
    // Marks the folder as the generator's from the start, so an interrupted run can be regenerated over.
    await writeFile(path.join(dir, TRUTH_FILE), JSON.stringify({ generator: 'dentrix-practice-generator/1', complete: false }) + '\n');
    const sink = new FolderSink(dir, dateFormat);
    for (const table of DENTRIX_TABLES) {
      const file = createWriteStream(path.join(dir, `${table}.csv`), { highWaterMark: 1 << 20 });
      if (encoding === 'utf8-bom') file.write(Buffer.from([0xef, 0xbb, 0xbf]));
      const stringifier = stringify({ record_delimiter: 'windows' });
      stringifier.pipe(file);
      stringifier.write(sink.formatter.header(table));
      sink.outputs.set(table, { stringifier, file });
    }
    return sink;
  }

  write(table: DentrixTable, row: GenRow): Promise<void> | undefined {
    const { stringifier } = this.outputs.get(table)!;
    if (!stringifier.write(this.formatter.cells(table, row))) return once(stringifier, 'drain').then(() => undefined);
    return undefined;
  }

  async writeDocument(relativePath: string, bytes: Buffer): Promise<void> {
    await writeFile(path.join(this.dir, relativePath), bytes);
  }

  async finish(manifest: ExtractManifest, truth: GeneratorTruth): Promise<void> {
    for (const { stringifier, file } of this.outputs.values()) {
      stringifier.end();
      await finished(file);
    }
    // The manifest goes last: a folder with a manifest is a finished extract.
    await writeFile(path.join(this.dir, TRUTH_FILE), JSON.stringify(truth, null, 2) + '\n');
    await writeFile(path.join(this.dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  }

  async abort(): Promise<void> {
    for (const { stringifier, file } of this.outputs.values()) {
      stringifier.destroy();
      file.destroy();
    }
  }
}

/** Empties a folder this generator wrote before; refuses any other non-empty folder (never delete someone's data). */
async function clearGeneratedFolder(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return; // does not exist yet
  }
  if (entries.length === 0) return;
  if (!entries.includes(TRUTH_FILE)) {
    throw new Error(`${dir} is not empty and was not written by the generator (no ${TRUTH_FILE}); refusing to overwrite it`);
  }
  await rm(dir, { recursive: true, force: true });
}

export const GENERATOR_TRUTH_TABLE = '_generator_truth';

/**
 * Writes the practice into a SQL mirror schema: one COPY stream per table, each on its own connection, fed the same
 * CSV as the folder (ISO dates). Column types are native (integer, numeric, boolean, date, timestamp) or all text;
 * in native mode patient.birth_date stays text, because an ODBC dump keeps Dentrix's impossible dates only as text.
 */
export class SqlSink implements PracticeSink {
  private readonly formatter = new RowFormatter('iso');
  private readonly outputs = new Map<DentrixTable, { client: Client; stringifier: Stringifier; done: Promise<void> }>();

  private constructor(
    private readonly connectionString: string,
    private readonly schema: string,
    private readonly documentsDir: string | undefined,
  ) {}

  static async create(options: { connectionString: string; schema: string; columnTypes: 'native' | 'text'; documentsDir?: string }): Promise<SqlSink> {
    const sink = new SqlSink(options.connectionString, options.schema, options.documentsDir);
    const admin = new Client({ connectionString: options.connectionString });
    await admin.connect();
    try {
      await prepareSchema(admin, options.schema, options.columnTypes);
    } finally {
      await admin.end();
    }
    for (const table of DENTRIX_TABLES) {
      const client = new Client({ connectionString: options.connectionString });
      await client.connect();
      const relation = `${client.escapeIdentifier(options.schema)}.${client.escapeIdentifier(table)}`;
      const copy = client.query(copyFrom(`COPY ${relation} FROM STDIN WITH (FORMAT csv, HEADER true)`));
      const stringifier = stringify();
      stringifier.pipe(copy);
      const done = finished(copy).then(() => undefined);
      done.catch(() => undefined); // surfaced in finish()
      await writeRecord(stringifier, sink.formatter.header(table));
      sink.outputs.set(table, { client, stringifier, done });
    }
    if (options.documentsDir) await mkdir(path.join(options.documentsDir, DOCUMENTS_DIR), { recursive: true });
    return sink;
  }

  write(table: DentrixTable, row: GenRow): Promise<void> | undefined {
    const { stringifier } = this.outputs.get(table)!;
    if (!stringifier.write(this.formatter.cells(table, row))) return once(stringifier, 'drain').then(() => undefined);
    return undefined;
  }

  async writeDocument(relativePath: string, bytes: Buffer): Promise<void> {
    if (this.documentsDir) await writeFile(path.join(this.documentsDir, relativePath), bytes);
  }

  async finish(manifest: ExtractManifest, truth: GeneratorTruth): Promise<void> {
    try {
      for (const { stringifier, done } of this.outputs.values()) {
        stringifier.end();
        await done;
      }
    } finally {
      for (const { client } of this.outputs.values()) await client.end();
    }
    const client = new Client({ connectionString: this.connectionString });
    await client.connect();
    try {
      const schema = client.escapeIdentifier(this.schema);
      for (const table of DENTRIX_TABLES) {
        await client.query(`ALTER TABLE ${schema}.${client.escapeIdentifier(table)} ADD PRIMARY KEY (${client.escapeIdentifier(PRIMARY_KEYS[table])})`);
      }
      await client.query(`INSERT INTO ${schema}.${client.escapeIdentifier(GENERATOR_TRUTH_TABLE)} (document) VALUES ($1)`, [JSON.stringify(truth)]);
      await client.query(`INSERT INTO ${schema}.${client.escapeIdentifier(MIRROR_MANIFEST_TABLE)} (document) VALUES ($1)`, [JSON.stringify(manifest)]);
    } finally {
      await client.end();
    }
  }

  async abort(): Promise<void> {
    for (const { client, stringifier } of this.outputs.values()) {
      stringifier.destroy();
      await client.end().catch(() => undefined);
    }
  }
}

const SQL_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  int: 'integer',
  money: 'numeric(12,2)',
  bool: 'boolean',
  date: 'date',
  datetime: 'timestamp',
};

/** Creates the mirror schema; an existing one is replaced only if this generator made it (never a real mirror). */
async function prepareSchema(client: Client, schema: string, columnTypes: 'native' | 'text'): Promise<void> {
  const quoted = client.escapeIdentifier(schema);
  const existing = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
  if (existing.rowCount! > 0) {
    if (!existing.rows.some((row) => row.table_name === GENERATOR_TRUTH_TABLE)) {
      throw new Error(`schema "${schema}" already holds tables that this generator did not make; refusing to replace it`);
    }
    await client.query(`DROP SCHEMA ${quoted} CASCADE`);
  }
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
  await client.query(`CREATE TABLE ${quoted}.${client.escapeIdentifier(GENERATOR_TRUTH_TABLE)} (document jsonb NOT NULL)`);
  await client.query(`CREATE TABLE ${quoted}.${client.escapeIdentifier(MIRROR_MANIFEST_TABLE)} (document jsonb NOT NULL)`);
  for (const table of DENTRIX_TABLES) {
    const columns = Object.entries(TABLE_COLUMNS[table] as Record<string, { kind: ColumnKind }>).map(([name, spec]) => {
      const keepText = columnTypes === 'text' || (table === 'patient' && name === 'birth_date');
      return `${client.escapeIdentifier(name)} ${keepText ? 'text' : SQL_TYPES[spec.kind]}`;
    });
    await client.query(`CREATE TABLE ${quoted}.${client.escapeIdentifier(table)} (${columns.join(', ')})`);
  }
}
