import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** A client live on a token: its demand on the window (a fraction of it; undefined: it wants more than it has). */
export interface LiveTokenClient {
  clientId: string;
  demand?: number;
}

/**
 * Marks a client live on a token with its demand, and lists the clients live on it now (seen within `liveSeconds`,
 * this one included); rows not seen for ten times that are removed on the way.
 */
export async function markTokenClientLive(
  pool: Pool,
  tokenKey: string,
  clientId: string,
  liveSeconds: number,
  demand: number | undefined,
): Promise<LiveTokenClient[]> {
  const db = storeDb(pool);
  await db
    .insertInto('token_clients')
    .values({ token_key: tokenKey, client_id: clientId, demand: demand ?? null })
    .onConflict((oc) => oc.columns(['token_key', 'client_id']).doUpdateSet({ seen_at: sql`now()`, demand: demand ?? null }))
    .execute();
  await db
    .deleteFrom('token_clients')
    .where('token_key', '=', tokenKey)
    .where('seen_at', '<', sql<Date>`now() - make_interval(secs => ${liveSeconds * 10})`)
    .execute();
  const rows = await db
    .selectFrom('token_clients')
    .select(['client_id', 'demand'])
    .where('token_key', '=', tokenKey)
    .where('seen_at', '>=', sql<Date>`now() - make_interval(secs => ${liveSeconds})`)
    .orderBy('client_id')
    .execute();
  return rows.map((r) => ({ clientId: r.client_id, ...(r.demand !== null && { demand: r.demand }) }));
}

/** A client going away (its worker stops): the others take its share at their next look. */
export async function forgetTokenClient(pool: Pool, tokenKey: string, clientId: string): Promise<void> {
  await storeDb(pool).deleteFrom('token_clients').where('token_key', '=', tokenKey).where('client_id', '=', clientId).execute();
}
