import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { IANAZone } from 'luxon';
import { ExtractConfigError, ExtractFormatError, MissingTableError } from './errors';
import type { ExtractReader } from './extract-reader';
import { parseManifest } from './manifest';
import { readTableStream } from './table-stream';
import {
  DENTRIX_TABLES,
  type DentrixTable,
  type ExtractManifest,
  type ReadResult,
  REQUIRED_TABLES,
  type TableIssue,
} from './types';

export const DEFAULT_MIRROR_SCHEMA = 'admin';
export const MIRROR_MANIFEST_TABLE = 'manifest';

export interface SqlMirrorOptions {
  connectionString: string;
  schema?: string;
  timezone?: string;
  practiceName?: string;
  /**
   * `manifest` (default): each table must hold the rows the manifest table promises, as a loaded dump must.
   * `snapshot`: count each table in the read's own snapshot instead; for re-reading a live mirror (the delta window),
   * whose manifest describes the mirror as first loaded and goes stale with every insert.
   */
  rowCounts?: 'manifest' | 'snapshot';
}

/**
 * Reads the SQL mirror through one connection holding a read-only REPEATABLE READ transaction: every table is read
 * from the same snapshot (row counts and references agree even if the mirror is being refreshed), and nothing can
 * be written. Rows stream out with COPY ... TO STDOUT (CSV), which renders native and text columns alike as text,
 * so the same row builder as the folder reader coerces them.
 */
export class SqlMirrorReader implements ExtractReader {
  private readonly issuesByTable = new Map<DentrixTable, TableIssue[]>();
  private busy = false;
  /** A UTF8 database only ever sends valid UTF-8; a SQL_ASCII one passes through whatever bytes were loaded. */
  private utf8Database = true;

  private constructor(
    private readonly client: Client,
    private readonly schema: string,
    private readonly extractManifest: ExtractManifest,
    private readonly relations: Map<DentrixTable, string>,
  ) {}

  static async open(options: SqlMirrorOptions): Promise<SqlMirrorReader> {
    const schema = options.schema ?? DEFAULT_MIRROR_SCHEMA;
    const client = new Client({ connectionString: options.connectionString, application_name: 'dentrix-extract-reader' });
    // The server closing the connection between reads is emitted here; the next query then fails with its own error.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch {
      throw new ExtractConfigError('cannot connect to the Dentrix SQL mirror (check source.connectionString)', 'source.connectionString');
    }
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query("SET LOCAL DateStyle = 'ISO, MDY'");
      await client.query("SET LOCAL client_encoding = 'UTF8'");
      const found = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      if (found.rowCount === 0) {
        throw new ExtractConfigError(`the SQL mirror has no schema "${schema}" with tables (check source.schema)`, 'source.schema');
      }
      const relations = new Map<string, string>();
      for (const { table_name } of found.rows) {
        const lower = table_name.toLowerCase();
        if (!relations.has(lower)) relations.set(lower, table_name);
      }
      const tables = new Map<DentrixTable, string>();
      for (const table of DENTRIX_TABLES) {
        const name = relations.get(table);
        if (name) tables.set(table, name);
      }
      for (const table of REQUIRED_TABLES) {
        if (!tables.has(table)) throw new MissingTableError(table);
      }
      const manifestRelation = relations.get(MIRROR_MANIFEST_TABLE);
      const manifest = manifestRelation
        ? await readManifestTable(client, schema, manifestRelation)
        : await synthesiseManifest(client, schema, tables, options);
      if (manifestRelation && options.rowCounts === 'snapshot') manifest.tables = await countRows(client, schema, tables);
      for (const table of DENTRIX_TABLES) {
        const promised = manifest.tables[table]?.rows ?? 0;
        if (!tables.has(table) && promised > 0) throw new MissingTableError(table, `although the manifest promises ${promised} rows`);
      }
      // timestamptz columns render in the session zone: make that the practice's, so they read as local time.
      await client.query(`SET LOCAL TimeZone = ${client.escapeLiteral(manifest.practice.timezone)}`);
      const reader = new SqlMirrorReader(client, schema, manifest, tables);
      const encoding = await client.query<{ server_encoding: string }>('SHOW server_encoding');
      reader.utf8Database = encoding.rows[0]?.server_encoding.toUpperCase() === 'UTF8';
      return reader;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  async manifest(): Promise<ExtractManifest> {
    return this.extractManifest;
  }

  async tables(): Promise<DentrixTable[]> {
    return DENTRIX_TABLES.filter((table) => this.relations.has(table));
  }

  readTable<T extends DentrixTable>(table: T): AsyncIterable<ReadResult<T>> {
    const relation = this.relations.get(table);
    const issues: TableIssue[] = [];
    this.issuesByTable.set(table, issues);
    if (!relation) return (async function* () {})();
    const qualified = `${this.client.escapeIdentifier(this.schema)}.${this.client.escapeIdentifier(relation)}`;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator below runs later, outside this call
    const reader = this;
    return (async function* () {
      if (reader.busy) throw new Error('SqlMirrorReader reads one table at a time');
      reader.busy = true;
      const stream = reader.client.query(copyTo(`COPY (SELECT * FROM ${qualified}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
      let finished = false;
      stream.once('end', () => (finished = true));
      try {
        yield* readTableStream(table, stream, {
          ctx: { timezone: reader.extractManifest.practice.timezone },
          manifestRows: reader.extractManifest.tables[table]?.rows,
          position: 'ordinal',
          decoding: reader.utf8Database ? 'utf8' : 'per-field',
          tableIssues: issues,
          origin: `${reader.schema}.${relation}`,
        });
      } finally {
        // A COPY cannot be abandoned half-way on a connection that is reused: drain what is left when stopped early.
        if (!finished && !stream.destroyed) {
          await new Promise<void>((resolve) => {
            stream.once('end', resolve);
            stream.once('error', () => resolve());
            stream.resume();
          });
        }
        reader.busy = false;
      }
    })();
  }

  tableIssues(table: DentrixTable): TableIssue[] {
    return [...(this.issuesByTable.get(table) ?? [])];
  }

  async close(): Promise<void> {
    try {
      await this.client.query('ROLLBACK');
    } finally {
      await this.client.end();
    }
  }
}

async function readManifestTable(client: Client, schema: string, relation: string): Promise<ExtractManifest> {
  const where = `${schema}.${relation}`;
  let rows: { document?: unknown }[];
  try {
    rows = (await client.query<{ document?: unknown }>(`SELECT * FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(relation)}`)).rows;
  } catch {
    throw new ExtractFormatError(`${where} cannot be read`, null);
  }
  if (rows.length !== 1 || rows[0]?.document === undefined) {
    throw new ExtractFormatError(`${where} must hold exactly one row with a "document" column (the manifest JSON)`, null);
  }
  let document = rows[0].document;
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document);
    } catch {
      throw new ExtractFormatError(`${where}.document is not valid JSON`, null);
    }
  }
  return parseManifest(document, where);
}

async function synthesiseManifest(
  client: Client,
  schema: string,
  tables: Map<DentrixTable, string>,
  options: SqlMirrorOptions,
): Promise<ExtractManifest> {
  if (!options.timezone) {
    throw new ExtractConfigError(
      `the SQL mirror has no ${schema}.${MIRROR_MANIFEST_TABLE} table, so the practice's time zone must be given (source.timezone, e.g. America/Chicago)`,
      'source.timezone',
    );
  }
  if (!IANAZone.isValidZone(options.timezone)) {
    throw new ExtractConfigError('source.timezone is not an IANA time zone (e.g. America/Chicago)', 'source.timezone');
  }
  return {
    format: 'dentrix-extract/1',
    practice: { name: options.practiceName ?? `Dentrix practice (${schema})`, timezone: options.timezone, currency: 'USD' },
    source: { method: 'sql-mirror' },
    date_format: 'iso',
    tables: await countRows(client, schema, tables),
  };
}

/** Each table's rows in the reader's snapshot (the transaction is open: the reads that follow see the same rows). */
async function countRows(client: Client, schema: string, tables: Map<DentrixTable, string>): Promise<ExtractManifest['tables']> {
  const counts: ExtractManifest['tables'] = {};
  for (const [table, relation] of tables) {
    const result = await client.query<{ rows: string }>(
      `SELECT count(*) AS rows FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(relation)}`,
    );
    counts[table] = { rows: Number(result.rows[0]?.rows ?? 0) };
  }
  return counts;
}
