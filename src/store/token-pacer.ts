import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/**
 * Takes `count` consecutive send times on a token's shared timeline, `spacingMs` apart, the first no earlier than now
 * and no earlier than `spacingMs` after the last one anyone took; returns how long to wait (ms) for the first. The
 * database's clock decides, so the workers' own clocks never need to agree. One statement: the row's lock orders
 * concurrent callers.
 */
export async function takeSendTimes(pool: Pool, tokenKey: string, count: number, spacingMs: number): Promise<number> {
  const span = sql`make_interval(secs => ${(count * spacingMs) / 1000})`;
  const row = await storeDb(pool)
    .insertInto('token_pacer')
    .values({ token_key: tokenKey, next_at: sql<Date>`now() + ${span}` })
    .onConflict((oc) => oc.column('token_key').doUpdateSet({ next_at: sql<Date>`greatest(token_pacer.next_at, now()) + ${span}` }))
    .returning(sql<number>`extract(epoch from (next_at - now())) * 1000`.as('until_next_ms'))
    .executeTakeFirstOrThrow();
  return Math.max(0, Number(row.until_next_ms) - count * spacingMs);
}
