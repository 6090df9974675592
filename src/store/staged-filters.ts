import type { DriverPlan, RelatedFetch } from '../mapping';

/**
 * SQL conditions on staged rows (their columns are keys of the jsonb `data`) made from the mapping layer's fetch plan:
 * which driving rows a plan keeps, and which of them a change in a related row touches. Column and table names come
 * from the plan (the pinned contract), reduced to letters and underscores before they are written into SQL.
 */
const column = (name: string) => `'${name.replace(/[^a-z_]/g, '')}'`;

/** ` AND …` for each of the plan's filters on the driving row aliased `alias`. */
export function filterSql(plan: DriverPlan, alias = 's'): string {
  const col = (c: string) => `(${alias}.data->>'${c.replace(/[^a-z_]/g, '')}')`;
  return plan.filter
    .map((f) => {
      switch (f.op) {
        case 'is_null':
          return `${col(f.column)} IS NULL`;
        case 'is_not_null':
          return `${col(f.column)} IS NOT NULL`;
        case 'equals_column':
          return `${col(f.column)} = ${col(f.other)}`;
      }
    })
    .map((c) => ` AND ${c}`)
    .join('');
}

/** Values of `rel.column` on rows of `rel.table` that changed since the watermark ($1 migration, $5 since). */
function changedValues(rel: RelatedFetch): string {
  return `SELECT r.data->>${column(rel.column)} FROM staged_rows r
          WHERE r.migration_id = $1 AND r.source_table = ${column(rel.table)} AND r.changed_at >= $5`;
}

/**
 * ` OR …`: true for a driving row `s` when a row its record is built from changed: the fetch plan's own relations (a
 * new alert or a changed insurance row changes the person, a new household member the household, a procedure the
 * deal), one hop further for lookups of related rows (a renamed recall type). Over-inclusive is harmless: the loader
 * updates only records whose rebuilt content differs. Parameters: $1 the migration, $5 the watermark.
 */
export function relatedChangedSql(plan: DriverPlan): string {
  const conditions = plan.related.flatMap((rel) => {
    if (!rel.from) return [`(s.data->>${column(rel.equals)}) IN (${changedValues(rel)})`];
    const via = plan.related.find((r) => r.as === rel.from);
    if (!via || via.from) return [];
    return [
      `(s.data->>${column(via.equals)}) IN (SELECT f.data->>${column(via.column)} FROM staged_rows f
         WHERE f.migration_id = $1 AND f.source_table = ${column(via.table)} AND (f.data->>${column(rel.equals)}) IN (${changedValues(rel)}))`,
    ];
  });
  return conditions.map((c) => ` OR ${c}`).join('');
}
