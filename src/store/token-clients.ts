import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/**
 * Marks a client live on a token and counts the clients live on it now (seen within `liveSeconds`, this one
 * included); rows not seen for ten times that are removed on the way.
 */
export async function markTokenClientLive(pool: Pool, tokenKey: string, clientId: string, liveSeconds: number): Promise<number> {
  const db = storeDb(pool);
  await db
    .insertInto('token_clients')
    .values({ token_key: tokenKey, client_id: clientId })
    .onConflict((oc) => oc.columns(['token_key', 'client_id']).doUpdateSet({ seen_at: sql`now()` }))
    .execute();
  await db
    .deleteFrom('token_clients')
    .where('token_key', '=', tokenKey)
    .where('seen_at', '<', sql<Date>`now() - make_interval(secs => ${liveSeconds * 10})`)
    .execute();
  const row = await db
    .selectFrom('token_clients')
    .select((eb) => eb.fn.countAll<string>().as('live'))
    .where('token_key', '=', tokenKey)
    .where('seen_at', '>=', sql<Date>`now() - make_interval(secs => ${liveSeconds})`)
    .executeTakeFirstOrThrow();
  return Math.max(1, Number(row.live));
}

/** A client going away (its worker stops): the others take its share at their next look. */
export async function forgetTokenClient(pool: Pool, tokenKey: string, clientId: string): Promise<void> {
  await storeDb(pool).deleteFrom('token_clients').where('token_key', '=', tokenKey).where('client_id', '=', clientId).execute();
}
