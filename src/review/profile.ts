/**
 * Reads a sample of each staged table and profiles its columns for the proposer: which columns the extract has
 * (contract columns with values, practice-specific ones from `data.extra`) and what their values look like. The
 * sample is spread over the whole table (every n-th row by staging order), so it is not just the oldest records.
 * Values stay in this process: only profiles come out, and of those only shapes ever leave the machine.
 */
import type { Pool } from 'pg';
import { DENTRIX_TABLES, contractColumns, type DentrixTable } from '../dentrix';
import { profileValues, type ColumnProfiles } from './value-profile';
import { sampleStagedData } from '../store/staged-rows';

export const DEFAULT_SAMPLE_ROWS = 500;

export interface StagedColumns {
  /** Per table: the contract columns with at least one value in the sample, then the practice-specific columns (A–Z). */
  columnsByTable: Partial<Record<DentrixTable, string[]>>;
  profiles: ColumnProfiles;
}

export async function profileStagedColumns(pool: Pool, migrationId: string, opts: { sampleRows?: number } = {}): Promise<StagedColumns> {
  const sampleRows = Math.max(1, Math.floor(opts.sampleRows ?? DEFAULT_SAMPLE_ROWS));
  const columnsByTable: StagedColumns['columnsByTable'] = {};
  const profiles: ColumnProfiles = {};
  for (const table of DENTRIX_TABLES) {
    const rows = await sampleTable(pool, migrationId, table, sampleRows);
    if (rows.length === 0) continue;
    const extras: string[] = [];
    for (const row of rows) {
      for (const name of Object.keys(extraOf(row))) if (!extras.includes(name)) extras.push(name);
    }
    // jsonb does not keep the header's order: list them alphabetically, the same every time.
    extras.sort((a, b) => a.localeCompare(b));
    const tableProfiles: Record<string, ReturnType<typeof profileValues>> = {};
    for (const column of contractColumns(table)) tableProfiles[column] = profileValues(rows.map((row) => row[column] ?? null));
    for (const column of extras) tableProfiles[column] = profileValues(rows.map((row) => extraOf(row)[column] ?? null));
    profiles[table] = tableProfiles;
    columnsByTable[table] = [...contractColumns(table).filter((c) => tableProfiles[c]!.nonNull > 0), ...extras];
  }
  return { columnsByTable, profiles };
}

async function sampleTable(pool: Pool, migrationId: string, table: DentrixTable, sampleRows: number): Promise<Record<string, unknown>[]> {
  return sampleStagedData(pool, migrationId, table, sampleRows);
}

function extraOf(row: Record<string, unknown>): Record<string, unknown> {
  const extra = row.extra;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? (extra as Record<string, unknown>) : {};
}
