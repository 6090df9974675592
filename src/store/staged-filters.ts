import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DriverPlan, RelatedFetch } from '../mapping';
import type { DB } from './generated/db';
import { dataText } from './staged-rows';

/**
 * Conditions on staged rows (their columns are keys of the jsonb `data`) made from the mapping layer's fetch plan:
 * which driving rows a plan keeps, and which of them a change in a related row touches. Column and table names come
 * from the plan (the pinned contract), reduced to letters and underscores before they are written into SQL.
 */
const name = (s: string) => s.replace(/[^a-z_]/g, '');

/** A query over the driving staged rows, aliased `s`. */
type DrivingRows = ExpressionBuilder<DB & { s: DB['staged_rows'] }, 's'>;

/** The plan's filters on the driving row `s`, each a condition (all of them must hold). */
export function planFilters(eb: DrivingRows, plan: DriverPlan): Expression<SqlBool>[] {
  const col = (c: string) => dataText(name(c), 's');
  return plan.filter.map((f) => {
    switch (f.op) {
      case 'is_null':
        return eb(col(f.column), 'is', null);
      case 'is_not_null':
        return eb(col(f.column), 'is not', null);
      case 'equals_column':
        return eb(col(f.column), '=', col(f.other));
    }
  });
}

/** Values of `rel.column` on rows of `rel.table` that changed at or after `since`. */
function changedValues(eb: DrivingRows, rel: RelatedFetch, migrationId: string, since: string) {
  return eb
    .selectFrom('staged_rows as r')
    .select(dataText(name(rel.column), 'r').as('value'))
    .where('r.migration_id', '=', migrationId)
    .where('r.source_table', '=', name(rel.table))
    .where('r.changed_at', '>=', sql<Date>`${since}`);
}

/**
 * True for a driving row `s` when a row its record is built from changed at or after `since`: the fetch plan's own
 * relations (a new alert or a changed insurance row changes the person, a new household member the household, a
 * procedure the deal), one hop further for lookups of related rows (a renamed recall type). Over-inclusive is
 * harmless: the loader updates only records whose rebuilt content differs. Conditions, any of which may hold.
 */
export function relatedChanged(eb: DrivingRows, plan: DriverPlan, migrationId: string, since: string): Expression<SqlBool>[] {
  return plan.related.flatMap((rel) => {
    if (!rel.from) return [eb(dataText(name(rel.equals), 's'), 'in', changedValues(eb, rel, migrationId, since))];
    const via = plan.related.find((r) => r.as === rel.from);
    if (!via || via.from) return [];
    return [
      eb(
        dataText(name(via.equals), 's'),
        'in',
        eb
          .selectFrom('staged_rows as f')
          .select(dataText(name(via.column), 'f').as('value'))
          .where('f.migration_id', '=', migrationId)
          .where('f.source_table', '=', name(via.table))
          .where(dataText(name(rel.equals), 'f'), 'in', changedValues(eb, rel, migrationId, since)),
      ),
    ];
  });
}
