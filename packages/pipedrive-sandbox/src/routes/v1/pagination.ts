import { badRequest } from '../../errors';
import type { EntityTable } from '../../state/table';

export const V1_DEFAULT_LIMIT = 100;
export const V1_MAX_LIMIT = 500;

export interface V1Page<T> {
  rows: T[];
  pagination: { start: number; limit: number; more_items_in_collection: boolean; next_start?: number };
}

/**
 * Where each sequential walk got to: `start` → table position, keyed by the query's filters. Clients page
 * through start=0, 500, 1000…; resuming from the remembered position keeps reading all of a big table linear
 * instead of rescanning from the top for every page.
 */
const continuations = new WeakMap<object, Map<string, number>>();
const MAX_CONTINUATIONS = 256;

/**
 * A v1 offset page over a table in id order. `limit` above the maximum is cut to it (v1 is lenient; v2 refuses).
 * `next_start` is present only when more items exist.
 */
export function v1TablePage<T extends { id: number }>(
  table: EntityTable<T>,
  params: Record<string, unknown>,
  include: (row: T) => boolean,
  filterSignature: string,
  maxLimit = V1_MAX_LIMIT,
): V1Page<T> {
  const start = Math.max(0, (params.start as number | undefined) ?? 0);
  const limit = clampLimit(params.limit, maxLimit);
  let memo = continuations.get(table);
  if (!memo) continuations.set(table, (memo = new Map()));
  const resumeAt = memo.get(`${filterSignature}|${start}`);

  let position = resumeAt ?? 0;
  let skipped = resumeAt === undefined ? 0 : start;
  const rows: T[] = [];
  let more = false;
  for (const row of table.scan(position)) {
    position += 1;
    if (!include(row)) continue;
    if (skipped < start) {
      skipped += 1;
      continue;
    }
    if (rows.length === limit) {
      more = true;
      position -= 1;
      break;
    }
    rows.push(row);
  }
  if (more) {
    if (memo.size >= MAX_CONTINUATIONS) memo.clear();
    memo.set(`${filterSignature}|${start + limit}`, position);
  }
  return { rows, pagination: pagination(start, limit, more) };
}

/** A v1 offset page over an in-memory list (already filtered and sorted). */
export function v1ListPage<T>(all: T[], params: Record<string, unknown>, maxLimit = V1_MAX_LIMIT): V1Page<T> {
  const start = Math.max(0, (params.start as number | undefined) ?? 0);
  const limit = clampLimit(params.limit, maxLimit);
  const rows = all.slice(start, start + limit);
  return { rows, pagination: pagination(start, limit, start + limit < all.length) };
}

function clampLimit(raw: unknown, max: number): number {
  const limit = (raw as number | undefined) ?? Math.min(V1_DEFAULT_LIMIT, max);
  return Math.min(Math.max(1, limit), max);
}

function pagination(start: number, limit: number, more: boolean): V1Page<unknown>['pagination'] {
  return { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) };
}

/**
 * The v1 `sort` parameter: "field ASC, other DESC". The first field decides (ids break ties); unknown fields fail
 * so that a typo does not silently change the order.
 */
export function parseV1Sort(raw: unknown, allowed: string[]): { field: string; direction: 'asc' | 'desc' } | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const [first] = raw.split(',');
  const [field = '', dir = 'ASC'] = first!.trim().split(/\s+/);
  if (!allowed.includes(field) || !['ASC', 'DESC'].includes(dir.toUpperCase())) {
    throw badRequest(`Validation failed: sort: Expected "<field> ASC|DESC" with a field among ${allowed.join(', ')}`);
  }
  return { field, direction: dir.toUpperCase() === 'DESC' ? 'desc' : 'asc' };
}
