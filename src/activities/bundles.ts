import { type Pool } from 'pg';
import { PRIMARY_KEYS, type DentrixTable } from '../dentrix/types';
import { stagedDataByKeys, stagedDataWhereIn } from '../store/staged-rows';
import { fetchPlan, matchesFilters, type DriverPlan, type FetchPlanOptions, type SourceBundle, type TargetEntity } from '../mapping';

type Row = Record<string, unknown>;

/** `household:<guar_id>` → `household:`; the part of a source key before the driving row's id. */
export function keyPrefix(plan: DriverPlan): string {
  return plan.sourceKeyPattern.slice(0, plan.sourceKeyPattern.indexOf('<'));
}

/** Staged rows of `table` whose `column` is one of `values`, keyed lookups by the table's primary key when possible. */
async function stagedRowsWhere(pool: Pool, migrationId: string, table: DentrixTable, column: string, values: string[]): Promise<Row[]> {
  if (values.length === 0) return [];
  const byKey = PRIMARY_KEYS[table] === column;
  const distinct = [...new Set(values)];
  return byKey ? stagedDataByKeys<Row>(pool, migrationId, table, distinct) : stagedDataWhereIn<Row>(pool, migrationId, table, column, distinct);
}

function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * Assembles the source bundles of a batch from staging, as the mapping layer's fetch plan says: the driving row of
 * each source key plus its related rows, loaded per relation for the whole batch (a handful of queries per batch,
 * not per record). Keys whose driving row is gone come back missing.
 */
export async function fetchBundles(
  pool: Pool,
  migrationId: string,
  entity: TargetEntity,
  sourceKeys: string[],
  options: FetchPlanOptions = {},
): Promise<Map<string, SourceBundle>> {
  const bundles = new Map<string, SourceBundle>();
  for (const plan of fetchPlan(entity, options)) {
    const prefix = keyPrefix(plan);
    const ids = sourceKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    if (ids.length === 0) continue;
    const drivers = (await stagedRowsWhere(pool, migrationId, plan.table, PRIMARY_KEYS[plan.table], ids)).filter((r) => matchesFilters(r, plan.filter));
    const loaded: Record<string, Row[]> = {};
    /** Per relation: its rows' positions in `loaded` by the value of the column they are matched on. */
    const byValue: Record<string, Map<string, number[]>> = {};
    for (const rel of plan.related) {
      const sourceRows = rel.from ? (loaded[rel.from] ?? []) : drivers;
      const values = sourceRows.map((r) => text(r[rel.equals])).filter((v): v is string => v !== undefined);
      const rows = (await stagedRowsWhere(pool, migrationId, rel.table, rel.column, values)).filter((r) => matchesFilters(r, rel.filter ?? []));
      loaded[rel.as] = rows;
      byValue[rel.as] = positionsByValue(rows, rel.column);
    }
    for (const driver of drivers) {
      const bundle: Row = { kind: plan.kind, [plan.as]: driver };
      for (const rel of plan.related) {
        const candidates = loaded[rel.as] ?? [];
        const anchors = rel.from ? (bundle[rel.from] as Row[] | Row | null | undefined) : driver;
        const anchorValues = new Set(
          (Array.isArray(anchors) ? anchors : anchors ? [anchors] : []).map((a) => text(a[rel.equals])).filter((v): v is string => v !== undefined),
        );
        // Looked up, not scanned: a batch's drivers times its related rows grew with the square of the batch size.
        const positions = [...anchorValues].flatMap((v) => byValue[rel.as]?.get(v) ?? []);
        const matched = (anchorValues.size > 1 ? positions.sort((a, b) => a - b) : positions).map((i) => candidates[i]!);
        bundle[rel.as] = rel.many ? dedupe(matched, rel.table) : (matched[0] ?? null);
      }
      bundles.set(prefix + text(driver[plan.keyColumn]), bundle as unknown as SourceBundle);
    }
  }
  return bundles;
}

/** Row positions by the text of `column` (rows without one are never matched), each list in row order. */
function positionsByValue(rows: readonly Row[], column: string): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const value = text(row[column]);
    if (value === undefined) return;
    const list = positions.get(value);
    if (list) list.push(i);
    else positions.set(value, [i]);
  });
  return positions;
}

function dedupe(rows: Row[], table: DentrixTable): Row[] {
  const pk = PRIMARY_KEYS[table];
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = text(r[pk]) ?? '';
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
