import type { DentrixTable } from './types';

/**
 * Errors that stop an extract. All are permanent (re-reading the same source gives the same answer), carry a
 * stable `type` for Temporal failure types, and name tables, columns, files and settings, never values.
 */
export abstract class ExtractError extends Error {
  abstract readonly type: string;
  readonly nonRetryable = true;
}

/** The source is not where the spec says, or the spec lacks a setting (e.g. the SQL mirror's time zone). */
export class ExtractConfigError extends ExtractError {
  readonly type = 'DentrixExtractConfig';
  constructor(
    message: string,
    readonly setting: string,
  ) {
    super(message);
    this.name = 'ExtractConfigError';
  }
}

/** The manifest or a table file cannot be read as the extract format (bad JSON, missing key column, broken CSV). */
export class ExtractFormatError extends ExtractError {
  readonly type = 'DentrixExtractFormat';
  constructor(
    message: string,
    readonly table: DentrixTable | null,
  ) {
    super(message);
    this.name = 'ExtractFormatError';
  }
}

/** A required table (provider, patient) is absent, or a table the manifest promises rows for has no file. */
export class MissingTableError extends ExtractError {
  readonly type = 'DentrixMissingTable';
  constructor(
    readonly table: DentrixTable,
    why = 'which is required',
  ) {
    super(`Dentrix extract has no "${table}" table, ${why}`);
    this.name = 'MissingTableError';
  }
}

/**
 * A table's row count disagrees with the manifest (a file cut short by a failed copy, an extract still being
 * written). Thrown by the reader after the last row, so everything read is still reported.
 */
export class TableRowCountError extends ExtractError {
  readonly type = 'DentrixTableRowCount';
  constructor(
    readonly table: DentrixTable,
    readonly manifestRows: number,
    readonly rowsRead: number,
  ) {
    super(
      rowsRead < manifestRows
        ? `Dentrix table "${table}" is truncated: the manifest promises ${manifestRows} rows, ${rowsRead} were read`
        : `Dentrix table "${table}" has ${rowsRead} rows but the manifest promises ${manifestRows}: the manifest belongs to another extract`,
    );
    this.name = 'TableRowCountError';
  }
}

/** Staging finished but some tables could not be trusted (row counts, unreadable files); their issues are stored. */
export class ExtractIncompleteError extends ExtractError {
  readonly type = 'DentrixExtractIncomplete';
  constructor(readonly failures: { table: DentrixTable; reason: string }[]) {
    super(`Dentrix extract is incomplete: ${failures.map((f) => `${f.table} (${f.reason})`).join('; ')}`);
    this.name = 'ExtractIncompleteError';
  }
}
