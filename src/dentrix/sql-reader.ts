import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { IANAZone } from 'luxon';
import { ExtractConfigError, ExtractFormatError, MissingTableError } from './errors';
import type { ExtractReader } from './extract-reader';
import { parseManifest } from './manifest';
import { readTableStream } from './table-stream';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest, type ReadResult, REQUIRED_TABLES, type TableIssue } from './types';

export const DEFAULT_MIRROR_SCHEMA = 'admin';
export const MIRROR_MANIFEST_TABLE = 'manifest';
/** The contract's change cursor in a SQL mirror: when Dentrix last modified the row (local wall-clock time). */
export const CHANGE_CURSOR_COLUMN = 'automodifiedtimestamp';

/** Native types a change cursor can be ordered in. A text column is not one: its values need not sort as times. */
const CURSOR_TYPES: Record<string, ChangeCursor['type']> = {
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
  date: 'date',
};

/** A table's change cursor column as the mirror has it. */
export interface ChangeCursor {
  /** The column's name in the mirror (matched case-insensitively to the contract's). */
  column: string;
  type: 'timestamptz' | 'timestamp' | 'date';
}

/**
 * A source that can read only the rows changed since a watermark, for tables with a change cursor. Watermarks are
 * the cursor's values as text (`cursorPosition`), opaque to callers: they are only ever handed back.
 */
export interface ChangeCursorReader extends ExtractReader {
  /** The table's change cursor, or undefined when the table must be read in full to see its changes. */
  changeCursor(table: DentrixTable): ChangeCursor | undefined;
  /**
   * Where the cursor stands in this read's snapshot: its maximum, capped at the mirror's clock (a row stamped in the
   * future must not carry the watermark past rows written now), never behind `after`. Null for an empty table read
   * for the first time. Call it between table reads.
   */
  cursorPosition(table: DentrixTable, after: string | null): Promise<string | null>;
  /**
   * The rows whose cursor is at or after `since` minus `overlapSeconds`, and those with no cursor value (they cannot
   * be placed, so they are always read). No row count is checked: the manifest counts whole tables.
   */
  readTableChangedSince<T extends DentrixTable>(table: T, since: string, overlapSeconds: number): AsyncIterable<ReadResult<T>>;
}

export function hasChangeCursor(reader: ExtractReader): reader is ChangeCursorReader {
  return typeof (reader as Partial<ChangeCursorReader>).readTableChangedSince === 'function';
}

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
export class SqlMirrorReader implements ChangeCursorReader {
  private readonly issuesByTable = new Map<DentrixTable, TableIssue[]>();
  private busy = false;
  /** A UTF8 database only ever sends valid UTF-8; a SQL_ASCII one passes through whatever bytes were loaded. */
  private utf8Database = true;

  private constructor(
    private readonly client: Client,
    private readonly schema: string,
    private readonly extractManifest: ExtractManifest,
    private readonly relations: Map<DentrixTable, string>,
    private readonly cursors: Map<DentrixTable, ChangeCursor>,
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
      const found = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
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
      const manifest = manifestRelation ? await readManifestTable(client, schema, manifestRelation) : await synthesiseManifest(client, schema, tables, options);
      if (manifestRelation && options.rowCounts === 'snapshot') manifest.tables = await countRows(client, schema, tables);
      for (const table of DENTRIX_TABLES) {
        const promised = manifest.tables[table]?.rows ?? 0;
        if (!tables.has(table) && promised > 0) throw new MissingTableError(table, `although the manifest promises ${promised} rows`);
      }
      // timestamptz columns render in the session zone: make that the practice's, so they read as local time.
      await client.query(`SET LOCAL TimeZone = ${client.escapeLiteral(manifest.practice.timezone)}`);
      const reader = new SqlMirrorReader(client, schema, manifest, tables, await findChangeCursors(client, schema, tables));
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
    return this.copyRows(table, null, this.extractManifest.tables[table]?.rows);
  }

  changeCursor(table: DentrixTable): ChangeCursor | undefined {
    return this.cursors.get(table);
  }

  async cursorPosition(table: DentrixTable, after: string | null): Promise<string | null> {
    const { cursor, column, qualified } = this.cursorOf(table);
    if (this.busy) throw new Error('SqlMirrorReader reads one table at a time');
    // The mirror's own clock in the cursor's type; the session zone is the practice's, as Dentrix's stamps are.
    const clock = { timestamptz: 'now()', timestamp: 'localtimestamp', date: 'current_date' }[cursor.type];
    const { rows } = await this.client.query<{ position: string | null }>(
      `SELECT (CASE WHEN max(${column}) IS NULL THEN $1::${cursor.type}
                    ELSE GREATEST($1::${cursor.type}, LEAST(max(${column}), ${clock})) END)::text AS position
       FROM ${qualified}`,
      [after],
    );
    return rows[0]?.position ?? null;
  }

  readTableChangedSince<T extends DentrixTable>(table: T, since: string, overlapSeconds: number): AsyncIterable<ReadResult<T>> {
    const { cursor, column } = this.cursorOf(table);
    if (!Number.isFinite(overlapSeconds) || overlapSeconds < 0) throw new Error('readTableChangedSince: overlapSeconds must be >= 0');
    // COPY takes no parameters: the watermark goes in as an escaped literal of the cursor's type.
    const from = `${this.client.escapeLiteral(since)}::${cursor.type} - make_interval(secs => ${Math.ceil(overlapSeconds)})`;
    return this.copyRows(table, `${column} >= ${from} OR ${column} IS NULL`, undefined);
  }

  private cursorOf(table: DentrixTable): { cursor: ChangeCursor; column: string; qualified: string } {
    const cursor = this.cursors.get(table);
    const relation = this.relations.get(table);
    if (!cursor || !relation) throw new Error(`SqlMirrorReader: table "${table}" has no change cursor in this mirror`);
    return {
      cursor,
      column: this.client.escapeIdentifier(cursor.column),
      qualified: `${this.client.escapeIdentifier(this.schema)}.${this.client.escapeIdentifier(relation)}`,
    };
  }

  private copyRows<T extends DentrixTable>(table: T, where: string | null, manifestRows: number | undefined): AsyncIterable<ReadResult<T>> {
    const relation = this.relations.get(table);
    const issues: TableIssue[] = [];
    this.issuesByTable.set(table, issues);
    if (!relation) return (async function* () {})();
    const qualified = `${this.client.escapeIdentifier(this.schema)}.${this.client.escapeIdentifier(relation)}`;
    const select = `SELECT * FROM ${qualified}${where ? ` WHERE ${where}` : ''}`;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator below runs later, outside this call
    const reader = this;
    return (async function* () {
      if (reader.busy) throw new Error('SqlMirrorReader reads one table at a time');
      reader.busy = true;
      const stream = reader.client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
      let finished = false;
      stream.once('end', () => (finished = true));
      try {
        yield* readTableStream(table, stream, {
          ctx: { timezone: reader.extractManifest.practice.timezone },
          manifestRows,
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

async function synthesiseManifest(client: Client, schema: string, tables: Map<DentrixTable, string>, options: SqlMirrorOptions): Promise<ExtractManifest> {
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

/** The tables whose change cursor column has a native, orderable type; the others are read in full for changes. */
async function findChangeCursors(client: Client, schema: string, tables: Map<DentrixTable, string>): Promise<Map<DentrixTable, ChangeCursor>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = $1 AND lower(column_name) = $2 ORDER BY table_name, column_name`,
    [schema, CHANGE_CURSOR_COLUMN],
  );
  const cursors = new Map<DentrixTable, ChangeCursor>();
  for (const [table, relation] of tables) {
    const found = rows.find((r) => r.table_name === relation);
    const type = found ? CURSOR_TYPES[found.data_type] : undefined;
    if (found && type) cursors.set(table, { column: found.column_name, type });
  }
  return cursors;
}

/** Each table's rows in the reader's snapshot (the transaction is open: the reads that follow see the same rows). */
async function countRows(client: Client, schema: string, tables: Map<DentrixTable, string>): Promise<ExtractManifest['tables']> {
  const counts: ExtractManifest['tables'] = {};
  for (const [table, relation] of tables) {
    const result = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(relation)}`);
    counts[table] = { rows: Number(result.rows[0]?.rows ?? 0) };
  }
  return counts;
}
