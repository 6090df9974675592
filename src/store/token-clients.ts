import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** A client live on a token: its demand on the window (a fraction of it; undefined: it wants more than it has) and the slots it holds. */
export interface LiveTokenClient {
  clientId: string;
  demand?: number;
  slots: number;
}

/**
 * One client's look at its token's window (the store function `take_token_slots`, atomic per token): it is marked live
 * with its demand and holds `keep` slots (what its requests still occupy) or up to `want` when the other live clients'
 * slots leave room, whichever is more; the clients live on the token now (seen within `liveSeconds`, this one
 * included) come back with their slots. Rows not seen for ten times that long are removed on the way.
 */
export async function takeTokenSlots(
  pool: Pool,
  q: { tokenKey: string; clientId: string; want: number; keep: number; limit: number; liveSeconds: number; demand: number | undefined },
): Promise<LiveTokenClient[]> {
  const { rows } = await sql<{ client_id: string; demand: number | null; slots: number }>`
    SELECT client_id, demand, slots FROM take_token_slots(${q.tokenKey}, ${q.clientId}, ${q.want}::integer, ${q.keep}::integer,
      ${q.limit}::integer, ${q.liveSeconds}::double precision, ${q.demand ?? null}::real)`.execute(storeDb(pool));
  return rows.map((r) => ({ clientId: r.client_id, slots: r.slots, ...(r.demand !== null && { demand: r.demand }) }));
}

/** A client going away (quiet, or its worker stops): its slots are free for the others at their next look. */
export async function forgetTokenClient(pool: Pool, tokenKey: string, clientId: string): Promise<void> {
  await storeDb(pool).deleteFrom('token_clients').where('token_key', '=', tokenKey).where('client_id', '=', clientId).execute();
}
