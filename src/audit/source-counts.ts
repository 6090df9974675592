import { DENTRIX_TABLES } from '../dentrix/types';
import type { DataQualityReport, SourceIssueGroup, SourceTableCounts } from './report';
import { type AuditContext, rowsOf } from './sql';

/** Per table: what the manifest promised, what was read, staged and rejected, and what the store holds. */
export async function sourceTableCounts(ctx: AuditContext): Promise<DataQualityReport['sourceTables']> {
  const rows = await rowsOf<{
    table: string;
    manifest_rows: number | null;
    rows_read: number;
    rows_staged: number;
    rows_rejected: number;
    rows_in_store: number;
    warnings: number;
  }>(
    ctx.db,
    `SELECT c.source_table AS table, c.manifest_rows, c.rows_read, c.rows_staged, c.rows_rejected,
            (SELECT count(*)::int FROM staged_rows s WHERE s.migration_id = c.migration_id AND s.source_table = c.source_table) AS rows_in_store,
            (SELECT count(*)::int FROM source_issues i
              WHERE i.migration_id = c.migration_id AND i.source_table = c.source_table AND i.severity = 'warning') AS warnings
       FROM extract_counts c
      WHERE c.migration_id = $1`,
    [ctx.migrationId],
  );
  const order = (table: string): number => {
    const index = (DENTRIX_TABLES as readonly string[]).indexOf(table);
    return index < 0 ? DENTRIX_TABLES.length : index;
  };
  const tables: SourceTableCounts[] = rows
    .sort((a, b) => order(a.table) - order(b.table) || a.table.localeCompare(b.table))
    .map((r) => ({
      table: r.table,
      manifestRows: r.manifest_rows,
      rowsRead: r.rows_read,
      rowsStaged: r.rows_staged,
      rowsRejected: r.rows_rejected,
      rowsInStore: r.rows_in_store,
      warnings: r.warnings,
      reconciled: r.rows_read === r.rows_staged + r.rows_rejected && r.rows_in_store === r.rows_staged,
    }));
  const total = (field: 'rowsRead' | 'rowsStaged' | 'rowsRejected' | 'warnings'): number => tables.reduce((sum, t) => sum + t[field], 0);
  return {
    tables,
    totals: { rowsRead: total('rowsRead'), rowsStaged: total('rowsStaged'), rowsRejected: total('rowsRejected'), warnings: total('warnings') },
    allReconciled: tables.every((t) => t.reconciled),
  };
}

/** Every kind of problem the readers reported, counted (reasons never quote values). */
export async function sourceIssueGroups(ctx: AuditContext): Promise<SourceIssueGroup[]> {
  const rows = await rowsOf<{ table: string; column: string | null; severity: 'rejected' | 'warning'; reason: string; count: number }>(
    ctx.db,
    `SELECT source_table AS table, column_name AS column, severity, reason, count(*)::int AS count
       FROM source_issues
      WHERE migration_id = $1
      GROUP BY source_table, column_name, severity, reason
      ORDER BY source_table, severity, count(*) DESC, column_name NULLS FIRST, reason`,
    [ctx.migrationId],
  );
  return rows;
}
