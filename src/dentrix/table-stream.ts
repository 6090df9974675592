import type { Readable } from 'node:stream';
import type { CoercionContext } from './coerce';
import { readCsvRecords, UnsupportedEncodingError } from './csv-records';
import { ExtractFormatError, TableRowCountError } from './errors';
import { RowBuilder } from './row-builder';
import type { DentrixTable, ReadResult, TableIssue } from './types';

export interface TableStreamOptions {
  ctx: CoercionContext;
  /** Rows the manifest promises, or undefined when it says nothing about this table. */
  manifestRows: number | undefined;
  position: 'line' | 'ordinal';
  /** Receives the table-level issues as they are found. */
  tableIssues: TableIssue[];
  /** Where the bytes come from, for error messages (a file name or schema.table, never data). */
  origin: string;
  /** See CsvReadOptions.decoding. */
  decoding: 'utf8' | 'per-field';
}

/**
 * One table's rows from a CSV byte stream, shared by the folder and SQL-mirror readers so both coerce and report
 * identically. After the last row it checks the count against the manifest and throws TableRowCountError when they
 * differ: every row read has been yielded by then, so the caller can still stage and report them.
 */
export async function* readTableStream<T extends DentrixTable>(table: T, bytes: Readable, options: TableStreamOptions): AsyncGenerator<ReadResult<T>> {
  let builder: RowBuilder<T> | undefined;
  let rowsRead = 0;
  try {
    for await (const event of readCsvRecords(bytes, { position: options.position, decoding: options.decoding })) {
      if (!builder) {
        if (event.kind === 'malformed') {
          throw new ExtractFormatError(`${options.origin}: the header row cannot be parsed (${event.code})`, table);
        }
        builder = new RowBuilder(table, event.record, options.ctx);
        continue;
      }
      rowsRead += 1;
      yield event.kind === 'record' ? builder.build(event.record) : builder.malformed(event.line, event.code);
    }
  } catch (err) {
    if (err instanceof UnsupportedEncodingError) throw new ExtractFormatError(`${options.origin}: ${err.message}`, table);
    throw err;
  } finally {
    if (builder) {
      options.tableIssues.push(...builder.tableIssues);
      if (builder.nonUtf8Fields > 0) {
        options.tableIssues.push({
          table,
          column: null,
          reason: `${builder.nonUtf8Fields} fields were not valid UTF-8 and were decoded as Windows-1252`,
          severity: 'warning',
        });
      }
    }
  }
  if (options.manifestRows !== undefined && options.manifestRows !== rowsRead) {
    const error = new TableRowCountError(table, options.manifestRows, rowsRead);
    options.tableIssues.push({ table, column: null, reason: error.message, severity: 'error' });
    throw error;
  }
}
