import { Client, type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** A client live on a token: its demand on the window (a fraction of it; undefined: it wants more than it has). */
export interface LiveTokenClient {
  clientId: string;
  demand?: number;
  /** When it last looked (the store's clock, ms since the epoch). */
  lookedAt: number;
}

/** The clients live on a token as one look found them. */
export interface TokenLook {
  clients: LiveTokenClient[];
  /** The store's clock when the list was read, after this client's own mark was committed (ms since the epoch). */
  now: number;
}

/** The channel on which a client asks the others on its token to look now (it joins, or waits for a raise). */
const LOOK_CHANNEL = 'token_client_looks';

/**
 * Marks a client live on a token with its demand, and lists the clients live on it now (seen within `liveSeconds`,
 * this one included); rows not seen for ten times that are removed on the way.
 */
export async function markTokenClientLive(pool: Pool, tokenKey: string, clientId: string, liveSeconds: number, demand: number | undefined): Promise<TokenLook> {
  // One statement, so its start is when the client looked and the list it reads is from that moment: the time it
  // stores is then within a round trip of when it acts on what it read (another client's admission counts on that).
  const { rows } = await sql<{ client_id: string; demand: number | null; seen_at: Date; read_at: Date }>`
    WITH mark AS (
      INSERT INTO token_clients (token_key, client_id, demand) VALUES (${tokenKey}, ${clientId}, ${demand ?? null})
      ON CONFLICT (token_key, client_id) DO UPDATE SET seen_at = now(), demand = EXCLUDED.demand
      RETURNING client_id, demand, seen_at
    ), long_gone AS (
      DELETE FROM token_clients
      WHERE token_key = ${tokenKey} AND client_id <> ${clientId} AND seen_at < now() - make_interval(secs => ${liveSeconds * 10})
    )
    SELECT client_id, demand, seen_at, clock_timestamp() AS read_at FROM mark
    UNION ALL
    SELECT client_id, demand, seen_at, clock_timestamp() FROM token_clients
    WHERE token_key = ${tokenKey} AND client_id <> ${clientId} AND seen_at >= now() - make_interval(secs => ${liveSeconds})
    ORDER BY client_id`.execute(storeDb(pool));
  const clients = rows.map((r) => ({ clientId: r.client_id, lookedAt: r.seen_at.getTime(), ...(r.demand !== null && { demand: r.demand }) }));
  return { clients, now: rows[0]?.read_at.getTime() ?? Date.now() };
}

/**
 * Asks every client on the token, in any process, to look now (see `listenForLookRequests`); returns the store's clock
 * as it asked. A look another client starts after that time finds everything this client had marked before asking.
 */
export async function requestTokenLooks(pool: Pool, tokenKey: string): Promise<number> {
  const { rows } = await sql<{ asked_at: Date }>`SELECT pg_notify(${LOOK_CHANNEL}, ${tokenKey}), clock_timestamp() AS asked_at`.execute(storeDb(pool));
  return rows[0]!.asked_at.getTime();
}

/** A connection held open for the others' requests to look; closes it. */
export interface LookRequestListener {
  close(): Promise<void>;
}

/**
 * Listens, on a connection of its own (a pooled one would be taken from the activities for good), for requests to
 * look on any token; `onRequest` gets the token's key. `onLost` is called once if the connection drops.
 */
export async function listenForLookRequests(pool: Pool, onRequest: (tokenKey: string) => void, onLost: (err: Error) => void): Promise<LookRequestListener> {
  const client = new Client(pool.options);
  client.on('notification', (n) => {
    if (n.channel === LOOK_CHANNEL && n.payload) onRequest(n.payload);
  });
  let lost = false;
  client.on('error', (err) => {
    if (!lost) onLost(err);
    lost = true;
  });
  await client.connect();
  await client.query(`LISTEN ${LOOK_CHANNEL}`);
  return { close: () => client.end().catch(() => undefined) };
}

/** A client going away (its worker stops): the others take its share at their next look. */
export async function forgetTokenClient(pool: Pool, tokenKey: string, clientId: string): Promise<void> {
  await storeDb(pool).deleteFrom('token_clients').where('token_key', '=', tokenKey).where('client_id', '=', clientId).execute();
}
