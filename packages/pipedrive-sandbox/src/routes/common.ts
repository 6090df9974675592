import { badRequest, forbidden } from '../errors';
import type { AccountState } from '../state/account';
import type { EntityTable } from '../state/table';
import { parseTimestamp, rfc3339 } from '../time';
import type { AccountSettings, RequestContext } from './types';

export const V2_DEFAULT_LIMIT = 100;
export const V2_MAX_LIMIT = 500;

/**
 * Pipedrive's v2 cursor: base64url of `{field, fieldValue, sortDirection, id}` naming the first item of the next
 * page (the shape of the spec's example cursor). Clients must treat it as opaque.
 */
interface Cursor {
  field: string;
  fieldValue: string | number | null;
  sortDirection: 'asc' | 'desc';
  id: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(raw: string, field: string, direction: 'asc' | 'desc'): Cursor {
  let cursor: Partial<Cursor>;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw badRequest('Validation failed: cursor: Invalid cursor');
  }
  if (typeof cursor !== 'object' || cursor === null || typeof cursor.id !== 'number' || cursor.field !== field || cursor.sortDirection !== direction) {
    throw badRequest('Validation failed: cursor: Invalid cursor (it does not belong to this sort order)');
  }
  return cursor as Cursor;
}

export function pageLimit(params: Record<string, unknown>, max = V2_MAX_LIMIT): number {
  const limit = (params.limit as number | undefined) ?? Math.min(V2_DEFAULT_LIMIT, max);
  if (limit < 1) throw badRequest('Validation failed: limit: must be >= 1');
  if (limit > max) throw badRequest(`Validation failed: limit: must be <= ${max}`);
  return limit;
}

export interface ListQuery<T> {
  table: EntityTable<T & { id: number }>;
  params: Record<string, unknown>;
  /** Must the record appear (live-ness included)? */
  include: (row: T) => boolean;
  /** Sort fields the endpoint allows besides `id`. */
  sortValue?: (row: T, field: string) => string | number | null;
  /** Ids to restrict to (the `ids` filter), already parsed. */
  ids?: number[];
  max?: number;
}

export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

/**
 * One page of a v2 list. Sorting by id walks the table's id order from the cursor (binary search, no full scan);
 * other sort fields sort the matching records.
 */
export function listPage<T extends { id: number }>(q: ListQuery<T>): Page<T> {
  const field = (q.params.sort_by as string | undefined) ?? 'id';
  const direction = (q.params.sort_direction as 'asc' | 'desc' | undefined) ?? 'asc';
  const limit = pageLimit(q.params, q.max);
  const cursor = typeof q.params.cursor === 'string' ? decodeCursor(q.params.cursor, field, direction) : undefined;
  const value = (row: T): string | number | null => (field === 'id' ? row.id : (q.sortValue?.(row, field) ?? null));

  let collected: T[] = [];
  if (q.ids) {
    const ids = [...new Set(q.ids)].sort((a, b) => (direction === 'asc' ? a - b : b - a));
    collected = ids.map((id) => q.table.get(id)).filter((row): row is T & { id: number } => row !== undefined && q.include(row));
    if (field !== 'id') collected.sort(comparator(value, direction));
    collected = afterCursor(collected, cursor, value, direction);
  } else if (field === 'id') {
    const start = cursor
      ? direction === 'asc'
        ? q.table.indexOfId(cursor.id)
        : q.table.indexOfId(cursor.id + 1) - 1
      : direction === 'asc'
        ? 0
        : q.table.length - 1;
    for (const row of q.table.scan(start, direction)) {
      if (!q.include(row)) continue;
      collected.push(row);
      if (collected.length > limit) break;
    }
  } else {
    for (const row of q.table.scan()) if (q.include(row)) collected.push(row);
    collected.sort(comparator(value, direction));
    collected = afterCursor(collected, cursor, value, direction);
  }

  const next = collected[limit];
  return {
    rows: collected.slice(0, limit),
    nextCursor: next ? encodeCursor({ field, fieldValue: value(next), sortDirection: direction, id: next.id }) : null,
  };
}

function comparator<T extends { id: number }>(value: (row: T) => string | number | null, direction: 'asc' | 'desc') {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: T, b: T): number => sign * compareKeys(value(a), a.id, value(b), b.id);
}

function compareKeys(av: string | number | null, aid: number, bv: string | number | null, bid: number): number {
  if (av !== bv) {
    if (av === null) return -1;
    if (bv === null) return 1;
    return av < bv ? -1 : 1;
  }
  return aid - bid;
}

function afterCursor<T extends { id: number }>(
  sorted: T[],
  cursor: Cursor | undefined,
  value: (row: T) => string | number | null,
  direction: 'asc' | 'desc',
): T[] {
  if (!cursor) return sorted;
  const sign = direction === 'asc' ? 1 : -1;
  const start = sorted.findIndex((row) => sign * compareKeys(value(row), row.id, cursor.fieldValue, cursor.id) >= 0);
  return start < 0 ? [] : sorted.slice(start);
}

/** The `ids` filter: up to 100 comma-separated ids. */
export function parseIds(raw: unknown, name = 'ids', max = 100): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = asText(raw)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p))) throw badRequest(`Validation failed: ${name}: Expected a comma-separated list of integer ids`);
  if (parts.length > max) throw badRequest(`Validation failed: ${name}: A maximum of ${max} ids is allowed`);
  return parts.map(Number);
}

/** `updated_since` / `updated_until` as RFC3339 strings comparable with stored v2 timestamps. */
export function updatedWindow(params: Record<string, unknown>): { since?: string; until?: string } {
  const parse = (name: string): string | undefined => {
    const raw = params[name];
    if (raw === undefined) return undefined;
    const ms = parseTimestamp(asText(raw));
    if (ms === undefined) throw badRequest(`Validation failed: ${name}: Expected an RFC3339 date-time, e.g. 2025-01-01T10:20:00Z`);
    return rfc3339(ms);
  };
  return { since: parse('updated_since'), until: parse('updated_until') };
}

export function inUpdatedWindow(updateTime: string, window: { since?: string; until?: string }): boolean {
  if (window.since !== undefined && updateTime < window.since) return false;
  if (window.until !== undefined && updateTime >= window.until) return false;
  return true;
}

/** Visibility values by plan: Lite/Growth know 1 (owner & followers) and 3 (company); Premium/Ultimate 1/3/5/7. */
export function checkVisibleTo(value: unknown, settings: AccountSettings): number | undefined {
  if (value === undefined) return undefined;
  const allowed = settings.plan === 'premium' || settings.plan === 'ultimate' ? [1, 3, 5, 7] : [1, 3];
  if (typeof value !== 'number' || !allowed.includes(value)) {
    throw forbidden(`Visibility value ${asText(value)} is not allowed on this plan (allowed: ${allowed.join(', ')})`);
  }
  return value;
}

export function defaultVisibleTo(settings: AccountSettings): number {
  return settings.plan === 'premium' || settings.plan === 'ultimate' ? 7 : 3;
}

export function requireUser(state: AccountState, id: unknown, param: string): number {
  if (typeof id !== 'number' || !state.users.getLive(id)) throw badRequest(`Validation failed: ${param}: User with id ${asText(id)} not found`);
  return id;
}

/** What a reference check needs of a table. */
export interface LiveLookup {
  getLive(id: number): unknown;
}

/** A reference to a live record (null clears it where the caller allows). */
export function requireLive(table: LiveLookup, id: unknown, param: string, label: string): number {
  if (typeof id !== 'number' || !table.getLive(id)) throw badRequest(`Validation failed: ${param}: ${label} with id ${asText(id)} not found`);
  return id;
}

export function optionalRef(table: LiveLookup, value: unknown, param: string, label: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return requireLive(table, value, param, label);
}

/** `label_ids` must name options of the entity's Labels field. */
export function checkLabelIds(ctx: RequestContext, entity: 'person' | 'organization' | 'deal', value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  const ids = value as number[];
  const known = new Set((ctx.state.field(entity, 'label_ids')?.options ?? []).map((o) => o.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) throw badRequest(`Validation failed: label_ids: Label with id ${unknown} not found`);
  return [...new Set(ids)];
}

export function nonEmptyString(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`Validation failed: ${param}: Cannot be an empty string`);
  return value;
}

export function has(body: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(body, key);
}

export function bodyObject(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Validation failed: body: Expected an object');
  return body as Record<string, unknown>;
}

/** Any request value as text for parsing or an error message (objects as JSON, not "[object Object]"). */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

export function idParam(ctx: RequestContext, name = 'id'): number {
  return ctx.params[name] as number;
}
