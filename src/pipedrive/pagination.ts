import { type V1Pagination } from './types';

/** v2 lists: `limit` up to 500 (`/itemSearch`: 100). Bigger pages cost the same tokens, so the client asks for the most. */
export const V2_MAX_PAGE_SIZE = 500;
/** v1 lists: `limit` up to 500, `GET /v1/files` up to 100. */
export const V1_MAX_PAGE_SIZE = 500;
export const V1_FILES_MAX_PAGE_SIZE = 100;

export interface CursorPage<T> {
  items: T[];
  /** `additional_data.next_cursor`: null or absent on the last page. */
  nextCursor?: string | null;
}

/**
 * Follows a v2 cursor until `next_cursor` is null, yielding each page. A cursor that repeats is a server fault and
 * would loop forever spending tokens, so it stops with an error instead.
 */
export async function* cursorPages<T>(fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield page.items;
    const next = page.nextCursor ?? undefined;
    if (next === undefined || next === '') return;
    if (seen.has(next)) throw new Error('Pipedrive returned the same next_cursor twice; stopping to avoid an endless listing');
    seen.add(next);
    cursor = next;
  }
}

export interface OffsetPage<T> {
  items: T[];
  /** `additional_data.pagination`; absent on endpoints that return everything at once. */
  pagination?: V1Pagination;
}

/** Follows v1 `start`/`limit` pagination (`more_items_in_collection`, `next_start`), yielding each page. */
export async function* offsetPages<T>(fetchPage: (start: number) => Promise<OffsetPage<T>>): AsyncGenerator<T[]> {
  let start = 0;
  for (;;) {
    const page = await fetchPage(start);
    yield page.items;
    const p = page.pagination;
    if (!p?.more_items_in_collection) return;
    const next = p.next_start ?? start + page.items.length;
    if (next <= start) throw new Error('Pipedrive returned a next_start that does not advance; stopping to avoid an endless listing');
    start = next;
  }
}

export async function collectPages<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}
