import path from 'node:path';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { runner } from 'node-pg-migrate';
import { Kysely, PostgresDialect } from 'kysely';
import type { DB } from './generated/db';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/dentrix_pipedrive';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * A pool that survives the server closing an idle connection (a restart, an admin's pg_terminate_backend, a dropped
 * database): pg emits that as an 'error' on the pool, which would crash the process without a listener. The pool has
 * already discarded the dead client; the next query opens a fresh one or fails with its own error.
 */
export function createPool(databaseUrl: string, options: Omit<PoolConfig, 'connectionString'> = {}, onIdleError: (err: Error) => void = () => undefined): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max: 10, ...options });
  pool.on('error', onIdleError);
  return pool;
}

/** How long migrateStore waits for another process that is migrating the same database. */
const MIGRATE_LOCK_WAIT_MS = 60_000;

/**
 * Applies every pending schema migration; safe to call from several processes at once (a worker and the CLI starting
 * together): node-pg-migrate's advisory lock does not wait, it fails with "Another migration is already running", so
 * this waits for the other process and runs again (nothing is pending then).
 */
export async function migrateStore(databaseUrl: string): Promise<void> {
  const deadline = Date.now() + MIGRATE_LOCK_WAIT_MS;
  for (;;) {
    try {
      await migrateOnce(databaseUrl);
      return;
    } catch (err) {
      if (!/Another migration is already running/u.test((err as Error).message) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * One run of the migrations on a connection of our own, closed before this returns: node-pg-migrate ends its own
 * connection without waiting, so a database dropped right after (a test's) could terminate it while it closed, an
 * 'error' event with no listener (a CI run failed on it).
 */
async function migrateOnce(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // the server ending the connection; a query's own errors reach the query
  await client.connect();
  try {
    await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'store_migrations',
      log: () => undefined,
      noLock: false,
      singleTransaction: true,
    });
  } finally {
    await client.end();
  }
}

/** A connection string fit for a message: the password masked. */
export function redactedUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

/** Creates the database named in the URL when it does not exist yet (the demo's first run). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  if (databaseUrl === 'embedded') {
    throw new Error('DATABASE_URL=embedded reached the store unresolved: resolve it first (resolveDatabase in src/store/embedded.ts)');
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(`DATABASE_URL names database "${name}"; use letters, digits and underscores only`);
  }
  url.pathname = '/postgres';
  const admin = createPool(url.toString(), { max: 1 });
  try {
    await admin.query('SELECT 1').catch((err: Error & { code?: string }) => {
      throw new Error(`PostgreSQL at DATABASE_URL=${redactedUrl(databaseUrl)} does not answer: ${err.code ?? ''} ${err.message}`.replace(/\s+/gu, ' ').trim());
    });
    const exists = async () => ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
    if (!(await exists())) {
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another process (the worker and the CLI starting together) may have created it between the check and the
        // create: PostgreSQL answers 42P04 (duplicate_database), or 23505 (unique_violation on pg_database) when the
        // two CREATE DATABASE statements overlap. Either way the database must now be there.
        const code = (err as { code?: string }).code;
        if ((code !== '42P04' && code !== '23505') || !(await exists())) throw err;
      }
    }
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = createPool(url.toString(), { max: 1 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * The store's typed query builder: Kysely over the process's existing pg pool, typed with the tables generated from
 * the migrations (src/store/generated/db.ts, `npm run gen:store-types`), so a repository that writes a column and
 * forgets to read it back, or names one that does not exist, fails to compile. One per pool; the pool's owner ends it
 * (pool.end()), never the Kysely instance (its destroy() would end the shared pool).
 */
export type StoreDb = Kysely<DB>;

const dbByPool = new WeakMap<Pool, StoreDb>();

export function storeDb(pool: Pool): StoreDb {
  let db = dbByPool.get(pool);
  if (!db) {
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    dbByPool.set(pool, db);
  }
  return db;
}

const dbByClient = new WeakMap<PoolClient, StoreDb>();

/** The typed query builder on one checked-out connection (a transaction's, an advisory lock's): it never releases it. */
export function storeDbOn(client: PoolClient): StoreDb {
  let db = dbByClient.get(client);
  if (!db) {
    const held = { query: client.query.bind(client), release: () => undefined };
    const pool = { connect: async () => held, end: async () => undefined, options: {} };
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    dbByClient.set(client, db);
  }
  return db;
}

/**
 * Takes (`lock`) or releases (`unlock`) a session-level advisory lock on `key` (hashed with hashtext) on the held
 * connection `db`: exclusive, or shared by many holders at once.
 */
export async function advisoryLock(db: StoreDb, action: 'lock' | 'unlock', key: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<void> {
  const fn = `pg_advisory_${action}${mode === 'shared' ? '_shared' : ''}`;
  await db.selectNoFrom((eb) => eb.fn(fn, [eb.fn('hashtext', [eb.val(key)])]).as('held')).execute();
}

/** The typed query builder for a pool, or for a connection a caller holds (inside its transaction). */
export function storeDbFor(db: Pool | PoolClient): StoreDb {
  return typeof (db as Partial<PoolClient>).release === 'function' ? storeDbOn(db as PoolClient) : storeDb(db as Pool);
}

/**
 * Runs `fn` in one transaction on one pooled connection: committed when it returns, rolled back when it throws. `db`
 * is the typed query builder on that same connection.
 */
export async function inTransaction<T>(pool: Pool, fn: (tx: PoolClient, db: StoreDb) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await fn(tx, storeDbOn(tx));
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}
