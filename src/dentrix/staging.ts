import type { Pool } from 'pg';
import { canonicalJson, contentHash } from './canonical-json';
import { ExtractError, ExtractIncompleteError } from './errors';
import type { ExtractReader } from './extract-reader';
import { NeverStoredScrubber } from './never-stored';
import { hasChangeCursor } from './sql-reader';
import { issueLine, StagingSession, stagedRowLine, type StagingBatch, type StagingRead } from '../store/staging';
import type { DentrixTable } from './types';

export interface StageOptions {
  /** Rows per COPY-and-merge transaction. */
  batchSize?: number;
  /** Stage only these tables (default: every table the source has). */
  tables?: DentrixTable[];
  /** Called every `progressEvery` rows and at each table's end, e.g. to heartbeat an activity. */
  onProgress?: (progress: { table: DentrixTable; rowsRead: number }) => void;
  progressEvery?: number;
  /**
   * Change-cursor reads (a SQL mirror's delta poll): for each table named here that has a change cursor in the
   * source, only the rows changed since this watermark are read and merged (see `stageTable`). Other tables are
   * read in full. Watermarks come from `ChangeCursorReader.cursorPosition`.
   */
  changedSince?: Partial<Record<DentrixTable, string>>;
  /** How far before its watermark a change-cursor read starts (rows committed late with earlier stamps). */
  cursorOverlapSeconds?: number;
}

export interface TableExtractCounts {
  table: DentrixTable;
  manifestRows: number | null;
  rowsRead: number;
  rowsStaged: number;
  rowsRejected: number;
  /** Row-level warnings (values set to null, text decoded as Windows-1252...). */
  warnings: number;
  /** `full`: every row of the table was read; `changes`: only the rows changed since its watermark. */
  read: 'full' | 'changes';
}

/** What staging did, per table and in total: counts only, so it can go into Temporal history. */
export interface ExtractCounts {
  tables: TableExtractCounts[];
  rowsRead: number;
  rowsStaged: number;
  rowsRejected: number;
  warnings: number;
}

const DEFAULT_BATCH_SIZE = 5_000;

/**
 * Loads every present table of an extract into the migration store: one staged_rows row per source row (upserted
 * on its key, `changed_at` moved only when the content hash changes), every issue into source_issues and the
 * per-table counts into extract_counts; a table's issues and counts are replaced on each run, so re-running is
 * idempotent. Rows go in batches through COPY into a temporary table and one INSERT ... ON CONFLICT per batch,
 * while the next batch is being read. Per table, rows read = rows staged + rows rejected. Values that never migrate
 * (SSN) are never stored: every row, from either reader and on every path (EXTRACT, delta polls), passes through
 * NeverStoredScrubber first, which keeps only their keyed hash.
 *
 * With `changedSince` (a SQL mirror's delta poll), tables with a change cursor are read only from their watermark
 * and merged into what is staged (see stageTable).
 *
 * A table whose rows cannot be trusted (count differs from the manifest, unreadable file) is still staged and
 * reported as far as it was read; once every table is done, ExtractIncompleteError names them all.
 */
export async function stageExtract(pool: Pool, migrationId: string, reader: ExtractReader, opts: StageOptions = {}): Promise<ExtractCounts> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const manifest = await reader.manifest();
  const present = await reader.tables();
  const tables = opts.tables ? present.filter((table) => opts.tables!.includes(table)) : present;

  // Two stagings of one migration at once would interleave their issue replacement: the session serialises them.
  const session = await StagingSession.open(pool, migrationId);
  try {
    const scrubber = new NeverStoredScrubber(session.hmacKey);
    const counts: TableExtractCounts[] = [];
    const failures: { table: DentrixTable; reason: string }[] = [];
    for (const table of tables) {
      const result = await stageTable(session, migrationId, reader, table, manifest.tables[table]?.rows ?? null, batchSize, scrubber, opts);
      counts.push(result.counts);
      if (result.failure) failures.push({ table, reason: result.failure });
    }
    if (failures.length > 0) throw new ExtractIncompleteError(failures);
    return {
      tables: counts,
      rowsRead: sum(counts, 'rowsRead'),
      rowsStaged: sum(counts, 'rowsStaged'),
      rowsRejected: sum(counts, 'rowsRejected'),
      warnings: sum(counts, 'warnings'),
    };
  } finally {
    await session.close();
  }
}

/** Keys of the rows read: change-cursor reads replace their earlier row issues. */
type Batch = StagingBatch;

/** Change reads: `seqBase` is the table's highest row_seq so far; new rows are numbered after it, existing rows keep theirs. */
type TableRead = StagingRead;

/**
 * A full read replaces the table's issues and counts. A change read (only rows changed since the table's watermark)
 * merges: existing rows keep their row_seq (the table's order as first read), new rows are numbered after the last,
 * row issues are replaced only for the keys read, table-level issues and extract_counts still describe the last full
 * read (a partial read cannot say how many rows the table has). In both, changed_at moves only when the content
 * hash changes, so a row read again unchanged (the overlap window) is not a change.
 */
async function stageTable(
  session: StagingSession,
  migrationId: string,
  reader: ExtractReader,
  table: DentrixTable,
  manifestRows: number | null,
  batchSize: number,
  scrubber: NeverStoredScrubber,
  opts: StageOptions,
): Promise<{ counts: TableExtractCounts; failure: string | null }> {
  const since = opts.changedSince?.[table];
  const cursorReader = since !== undefined && hasChangeCursor(reader) && reader.changeCursor(table) ? reader : undefined;
  const mode: TableRead = { mode: cursorReader ? 'changes' : 'full', seqBase: 0 };
  if (cursorReader) {
    mode.seqBase = await session.lastRowSeq(table);
  } else {
    await session.clearTableIssues(table);
  }
  const rowsOf =
    cursorReader && since !== undefined ? cursorReader.readTableChangedSince(table, since, opts.cursorOverlapSeconds ?? 0) : reader.readTable(table);
  const counts: TableExtractCounts = { table, manifestRows, rowsRead: 0, rowsStaged: 0, rowsRejected: 0, warnings: 0, read: mode.mode };
  const progressEvery = opts.progressEvery ?? 50_000;
  let batch: Batch = { rows: [], issues: [], keys: [] };
  let writing: Promise<void> | undefined;
  let failure: string | null = null;

  // Writes a full batch while the reader fills the next one; at most one write is in flight.
  const flush = async (): Promise<void> => {
    if (writing) await writing;
    const full = batch;
    batch = { rows: [], issues: [], keys: [] };
    if (full.rows.length === 0 && full.issues.length === 0) return;
    writing = session.writeBatch(table, full, mode);
    writing.catch(() => undefined); // awaited at the next flush or below; avoid an unhandled rejection meanwhile
  };

  try {
    for await (const result of rowsOf) {
      counts.rowsRead += 1;
      if (result.kind === 'row') {
        const { stored, hashed } = scrubber.scrub(table, result.row as unknown as Record<string, unknown>);
        const canonical = canonicalJson(stored);
        // What the row means, not how the source typed it: values the reader could not read are null in the row and
        // kept as typed (row.unreadable), which differs by source format (a US-dated folder, a SQL mirror).
        const meaning = withoutUnreadable(hashed);
        const hash = contentHash(meaning === stored ? canonical : canonicalJson(meaning));
        batch.rows.push(stagedRowLine(result.key, counts.rowsRead, hash, canonical));
        batch.keys.push(result.key);
        counts.rowsStaged += 1;
        counts.warnings += result.warnings.length;
        for (const warning of result.warnings) batch.issues.push(issueLine(migrationId, warning));
      } else {
        counts.rowsRejected += 1;
        if (result.issue.key !== null) batch.keys.push(result.issue.key);
        batch.issues.push(issueLine(migrationId, result.issue));
      }
      if (batch.rows.length >= batchSize || batch.issues.length >= batchSize) await flush();
      if (counts.rowsRead % progressEvery === 0) opts.onProgress?.({ table, rowsRead: counts.rowsRead });
    }
  } catch (err) {
    // The source's own verdict on this table (row count, unreadable file): keep what was read, report, go on.
    if (!(err instanceof ExtractError)) {
      if (writing) await writing.catch(() => undefined);
      throw err;
    }
    failure = err.message;
    if (!reader.tableIssues(table).some((issue) => issue.severity === 'error')) {
      batch.issues.push(issueLine(migrationId, { table, column: null, reason: err.message, severity: 'error' }));
    }
  }
  // A change read's table-level issues repeat what the last full read recorded; only its errors are news.
  for (const issue of reader.tableIssues(table)) {
    if (mode.mode === 'full' || issue.severity === 'error') batch.issues.push(issueLine(migrationId, issue));
  }
  await flush();
  if (writing) await writing;

  if (mode.mode === 'full') {
    await session.recordExtractCounts(table, counts);
  }
  opts.onProgress?.({ table, rowsRead: counts.rowsRead });
  return { counts, failure };
}

function sum(counts: TableExtractCounts[], field: 'rowsRead' | 'rowsStaged' | 'rowsRejected' | 'warnings'): number {
  return counts.reduce((total, c) => total + c[field], 0);
}

function withoutUnreadable(row: Record<string, unknown>): Record<string, unknown> {
  if (row.unreadable === undefined) return row;
  const { unreadable: _asTyped, ...meaning } = row;
  return meaning;
}
