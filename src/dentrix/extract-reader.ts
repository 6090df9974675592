import type { DentrixTable, ExtractManifest, ReadResult, TableIssue } from './types';

/**
 * Where a Dentrix extract is. The SQL mirror's manifest comes from its optional `<schema>.manifest` table (one row,
 * column `document`: the same JSON as manifest.json); without that table it is synthesised from the options below
 * and the tables' row counts, and `timezone` is then required (every date-time in Dentrix is local wall-clock time).
 */
export type ExtractSourceSpec =
  | { kind: 'folder'; path: string }
  | {
      kind: 'sql';
      connectionString: string;
      schema?: string;
      timezone?: string;
      practiceName?: string;
      rowCounts?: 'manifest' | 'snapshot';
      /** Where the files that `document.file_path` names live (a SQL mirror holds no files). */
      documentsDir?: string;
    };

export interface ExtractReader {
  manifest(): Promise<ExtractManifest>;
  /** The tables present in the source, in contract order; an absent optional table means "none". */
  tables(): Promise<DentrixTable[]>;
  /**
   * Streams one table's rows, one at a time (memory stays flat whatever the size). Bad rows come as `rejected`,
   * bad optional values as warnings on their row. After the last row, a count that disagrees with the manifest
   * throws TableRowCountError. Read one table at a time.
   */
  readTable<T extends DentrixTable>(table: T): AsyncIterable<ReadResult<T>>;
  /** Problems with the table as a whole (missing columns, non-UTF-8 text, row count); complete once readTable ends. */
  tableIssues(table: DentrixTable): TableIssue[];
  close(): Promise<void>;
}
