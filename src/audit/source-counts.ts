import { DENTRIX_TABLES } from '../dentrix/types';
import type { DataQualityReport, SourceIssueGroup, SourceTableCounts } from './report';
import { sourceIssueRows, sourceTableRows } from '../store/source-audit';
import { type AuditContext } from './sql';

/** Per table: what the manifest promised, what was read, staged and rejected, and what the store holds. */
export async function sourceTableCounts(ctx: AuditContext): Promise<DataQualityReport['sourceTables']> {
  const rows = await sourceTableRows(ctx.db, ctx);
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
  const rows = await sourceIssueRows(ctx.db, ctx);
  return rows;
}
