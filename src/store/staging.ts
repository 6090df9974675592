import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sql } from 'kysely';
import type { RowIssue, TableIssue } from '../dentrix/types';
import { advisoryLock, storeDbOn, type StoreDb } from './db';
import { phiHashKey } from './phi-keys';

/**
 * Writing staged source rows into the store (staged_rows, source_issues, extract_counts) for one staging of one
 * migration: a held connection with the staging lock, a temporary table that COPY fills batch by batch, and one
 * INSERT ... ON CONFLICT per batch from it. What is read and how it is batched is src/dentrix/staging.ts's business;
 * how it is written is this module's. Staged rows are COPY text lines (stagedRowLine, issueLine).
 */

const INCOMING = 'dentrix_staging_incoming';

/** The advisory lock a staging of the migration holds (and a purge of its staged rows). */
export function stagingLockKey(migrationId: string): string {
  return `dentrix-stage:${migrationId}`;
}

/** One batch: COPY lines of staged rows and of issues, and the keys read (change reads replace those keys' issues). */
export interface StagingBatch {
  rows: string[];
  issues: string[];
  keys: string[];
}

/** How one table is read and merged: in full, or only its changes numbered after `seqBase`. */
export interface StagingRead {
  mode: 'full' | 'changes';
  seqBase: number;
}

export class StagingSession {
  private readonly db: StoreDb;

  private constructor(
    private readonly client: PoolClient,
    readonly migrationId: string,
    /** The migration's key for the keyed hash of never-migrate values. */
    readonly hmacKey: Buffer,
  ) {
    this.db = storeDbOn(client);
  }

  /**
   * Holds a connection for one staging: refuses a migration the store does not know, takes the staging lock (two
   * stagings of one migration at once would interleave their issue replacement) and makes the temporary table.
   */
  static async open(pool: Pool, migrationId: string): Promise<StagingSession> {
    const client = await pool.connect();
    const db = storeDbOn(client);
    try {
      const run = await db
        .selectFrom('migration_runs')
        .select((eb) => eb.lit(1).as('one'))
        .where('migration_id', '=', migrationId)
        .executeTakeFirst();
      if (!run) throw new Error(`stageExtract: migration_runs has no row for migration ${migrationId}`);
      await advisoryLock(db, 'lock', stagingLockKey(migrationId));
      const key = await phiHashKey(client, migrationId);
      // SQL: a session's temporary table (not in the generated types), which COPY fills and each batch merges from.
      await sql`CREATE TEMP TABLE IF NOT EXISTS ${sql.raw(INCOMING)} (source_key text, row_seq bigint, content_hash text, data jsonb) ON COMMIT DELETE ROWS`.execute(
        db,
      );
      return new StagingSession(client, migrationId, key);
    } catch (err) {
      await release(client, migrationId);
      throw err;
    }
  }

  /** Drops the temporary table, releases the staging lock and the connection. */
  async close(): Promise<void> {
    await release(this.client, this.migrationId);
  }

  /** The table's highest row_seq so far (0 when nothing is staged). */
  async lastRowSeq(table: string): Promise<number> {
    const row = await this.db
      .selectFrom('staged_rows')
      .select((eb) => eb.fn.coalesce(eb.fn.max('row_seq'), sql.lit('0')).as('seq'))
      .where('migration_id', '=', this.migrationId)
      .where('source_table', '=', table)
      .executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  /** A full read replaces the table's issues. */
  async clearTableIssues(table: string): Promise<void> {
    await this.db.deleteFrom('source_issues').where('migration_id', '=', this.migrationId).where('source_table', '=', table).execute();
  }

  /**
   * Writes one batch in one transaction. Full reads upsert every row (row_seq as read); change reads keep existing
   * rows' row_seq and number new ones after `seqBase`, and replace the issues of the keys read. Either way changed_at
   * moves only when the content hash changes.
   */
  async writeBatch(table: string, batch: StagingBatch, read: StagingRead): Promise<void> {
    const { client, db, migrationId } = this;
    // One transaction on the held connection: COPY streams on the same connection, so it is part of it.
    await db.transaction().execute(async (trx) => {
      if (read.mode === 'changes' && batch.keys.length > 0) {
        await trx
          .deleteFrom('source_issues')
          .where('migration_id', '=', migrationId)
          .where('source_table', '=', table)
          .where('source_key', '=', (eb) => eb.fn.any(eb.val(batch.keys)))
          .execute();
      }
      if (batch.rows.length > 0) {
        await copyLines(client, `COPY ${INCOMING} (source_key, row_seq, content_hash, data) FROM STDIN`, batch.rows);
        // SQL: merged from the temporary table, which the generated types do not know.
        await (
          read.mode === 'full'
            ? sql`INSERT INTO staged_rows (migration_id, source_table, source_key, row_seq, content_hash, data)
             SELECT ${migrationId}, ${table}, source_key, row_seq, content_hash, data FROM ${sql.raw(INCOMING)}
             ON CONFLICT (migration_id, source_table, source_key) DO UPDATE SET
               row_seq = EXCLUDED.row_seq,
               content_hash = EXCLUDED.content_hash,
               data = EXCLUDED.data,
               changed_at = CASE WHEN staged_rows.content_hash = EXCLUDED.content_hash THEN staged_rows.changed_at ELSE now() END
             WHERE staged_rows.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR staged_rows.row_seq IS DISTINCT FROM EXCLUDED.row_seq`
            : sql`INSERT INTO staged_rows (migration_id, source_table, source_key, row_seq, content_hash, data)
             SELECT ${migrationId}, ${table}, source_key, ${read.seqBase}::bigint + row_seq, content_hash, data FROM ${sql.raw(INCOMING)}
             ON CONFLICT (migration_id, source_table, source_key) DO UPDATE SET
               content_hash = EXCLUDED.content_hash, data = EXCLUDED.data, changed_at = now()
             WHERE staged_rows.content_hash IS DISTINCT FROM EXCLUDED.content_hash`
        ).execute(trx);
      }
      if (batch.issues.length > 0) {
        await copyLines(client, 'COPY source_issues (migration_id, source_table, source_key, column_name, reason, severity, line) FROM STDIN', batch.issues);
      }
    });
  }

  /** What a full read of the table found: the manifest's count, rows read, staged and rejected (replacing the last). */
  async recordExtractCounts(table: string, counts: { manifestRows: number | null; rowsRead: number; rowsStaged: number; rowsRejected: number }): Promise<void> {
    await this.db
      .insertInto('extract_counts')
      .values({
        migration_id: this.migrationId,
        source_table: table,
        manifest_rows: counts.manifestRows,
        rows_read: counts.rowsRead,
        rows_staged: counts.rowsStaged,
        rows_rejected: counts.rowsRejected,
        extracted_at: sql`now()`,
      })
      .onConflict((oc) =>
        oc.columns(['migration_id', 'source_table']).doUpdateSet((eb) => ({
          manifest_rows: eb.ref('excluded.manifest_rows'),
          rows_read: eb.ref('excluded.rows_read'),
          rows_staged: eb.ref('excluded.rows_staged'),
          rows_rejected: eb.ref('excluded.rows_rejected'),
          extracted_at: eb.ref('excluded.extracted_at'),
        })),
      )
      .execute();
  }
}

async function release(client: PoolClient, migrationId: string): Promise<void> {
  const db = storeDbOn(client);
  try {
    await db.schema
      .dropTable(`pg_temp.${INCOMING}`)
      .ifExists()
      .execute()
      .catch(() => undefined);
    await advisoryLock(db, 'unlock', stagingLockKey(migrationId)).catch(() => undefined);
  } finally {
    client.release();
  }
}

async function copyLines(client: PoolClient, statement: string, lines: string[]): Promise<void> {
  const stream = client.query(copyFrom(statement));
  await pipeline(Readable.from(chunk(lines)), stream);
}

// ~1 MB writes: fewer stream round trips than one write per row, without building one huge string.
function* chunk(lines: string[]): Generator<string> {
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length > 1 << 20) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

/** A staged row as a COPY line of the temporary table: key, row_seq, content hash, canonical JSON. */
export function stagedRowLine(key: string, seq: number, hash: string, canonical: string): string {
  return `${copyText(key)}\t${seq}\t${hash}\t${copyText(canonical)}\n`;
}

/** A reader's issue as a COPY line of source_issues. */
export function issueLine(migrationId: string, issue: RowIssue | TableIssue): string {
  const isRowIssue = 'key' in issue;
  const severity = issue.severity === 'warning' ? 'warning' : 'rejected'; // a table-level error rejects the table
  const key = isRowIssue ? issue.key : null;
  const line = isRowIssue && issue.line !== undefined ? String(issue.line) : null;
  return [migrationId, issue.table, key, issue.column, issue.reason, severity, line].map(copyField).join('\t') + '\n';
}

function copyField(value: string | null): string {
  return value === null ? '\\N' : copyText(value);
}

/** Escapes a value for COPY's text format. */
function copyText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
