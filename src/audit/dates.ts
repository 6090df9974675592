import { DateTime } from 'luxon';
import { TABLE_COLUMNS } from '../dentrix/columns';
import { DENTRIX_TABLES, type DentrixTable } from '../dentrix/types';
import type { DateQuality, ImplausibleDateGroup, InvalidDateGroup } from './report';
import { implausibleDateRow, invalidDateRows } from '../store/source-audit';
import { type AuditContext, keyList } from './sql';

/** `table.column` of every date and date-time column of the contract. */
export function dateColumns(): string[] {
  return DENTRIX_TABLES.flatMap((table) =>
    Object.entries(TABLE_COLUMNS[table] as Record<string, { kind: string }>)
      .filter(([, spec]) => spec.kind === 'date' || spec.kind === 'datetime')
      .map(([column]) => `${table}.${column}`),
  );
}

interface PlausibilityRule {
  table: DentrixTable;
  column: string;
  rule: 'in_the_future' | 'more_than_120_years_ago';
}

/** Dates that can be read but cannot be right on the report's day: history cannot lie ahead, nobody is 120. */
const PLAUSIBILITY_RULES: readonly PlausibilityRule[] = [
  { table: 'patient', column: 'birth_date', rule: 'in_the_future' },
  { table: 'patient', column: 'birth_date', rule: 'more_than_120_years_ago' },
  { table: 'patient', column: 'first_visit_date', rule: 'in_the_future' },
  { table: 'patient', column: 'last_visit_date', rule: 'in_the_future' },
  { table: 'ledger', column: 'entry_date', rule: 'in_the_future' },
  { table: 'clinical_note', column: 'note_date', rule: 'in_the_future' },
  { table: 'txcase', column: 'completed_date', rule: 'in_the_future' },
];

/**
 * Invalid dates (any reader warning on a date column: `00/00/0000`, `02/30/1980` were staged as null) and readable
 * but implausible ones, judged on the practice's calendar day of `ctx.now`.
 */
export async function dateQuality(ctx: AuditContext, timezone: string | null): Promise<DateQuality> {
  const groups = await invalidDateRows(ctx.db, ctx, dateColumns());
  const invalid: InvalidDateGroup[] = groups.map((g) => ({ table: g.table, column: g.column, reason: g.reason, rows: keyList(g.count, g.keys) }));

  const today = DateTime.fromJSDate(ctx.now, { zone: timezone ?? 'UTC' });
  const todayIso = today.toISODate() ?? ctx.now.toISOString().slice(0, 10);
  const oldest = today.minus({ years: 120 }).toISODate() ?? '0000-01-01';
  const implausible: ImplausibleDateGroup[] = [];
  for (const { table, column, rule } of PLAUSIBILITY_RULES) {
    const isDateTime = (TABLE_COLUMNS[table] as Record<string, { kind: string }>)[column]?.kind === 'datetime';
    // ISO text compares in date order; a date-time is in the future once it is past the end of today.
    const bound = rule === 'in_the_future' ? (isDateTime ? `${todayIso}T23:59:59` : todayIso) : oldest;
    const found = await implausibleDateRow(ctx.db, ctx, table, column, rule, bound);
    if (found.count > 0) implausible.push({ table, column, rule, rows: keyList(found.count, found.keys) });
  }
  return {
    invalid,
    invalidTotal: invalid.reduce((sum, g) => sum + g.rows.count, 0),
    implausible,
    implausibleTotal: implausible.reduce((sum, g) => sum + g.rows.count, 0),
  };
}
