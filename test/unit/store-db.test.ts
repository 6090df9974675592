import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase } from '../support/db';
import { dropDatabase, ensureDatabase, migrateStore } from '../../src/store/db';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Runs in the unit tier only because it needs nothing but PostgreSQL; it proves the schema applies cleanly.
describe('migration store schema', () => {
  it('applies every migration to a fresh database and is idempotent', async () => {
    const db = await createTestDatabase();
    try {
      const tables = await db.pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['migration_runs', 'staged_rows', 'id_map', 'audit_log', 'field_keys', 'reports', 'source_issues']),
      );
      const { migrateStore } = await import('../../src/store/db');
      await migrateStore(db.url);
    } finally {
      await db.drop();
    }
  });

  // node-pg-migrate ends its connection without waiting: a database dropped right after (every test's) could terminate
  // it mid-close, an unhandled 'error' (a CI run failed on it). migrateStore's own connection is closed when it returns.
  it('leaves no connection open once the migrations have run', async () => {
    const url = new URL(ADMIN_URL);
    const name = `dtx_close_${randomBytes(5).toString('hex')}`;
    url.pathname = `/${name}`;
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    // A connection slow to close (a loaded machine): each end waits 300 ms before it closes.
    const end = Client.prototype.end;
    const slowEnd = jest.spyOn(Client.prototype, 'end').mockImplementation(async function (this: Client) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await (Reflect.apply(end, this, []) as Promise<void>);
    });
    try {
      await ensureDatabase(url.toString());
      await migrateStore(url.toString());
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      expect(rows[0]!.n).toBe(0);
    } finally {
      slowEnd.mockRestore();
      await admin.end();
      await dropDatabase(url.toString());
    }
  });

  // A worker and the CLI starting together both create the store: PostgreSQL answers the loser 23505 (a unique
  // violation on pg_database) rather than 42P04 when the two CREATE DATABASE statements overlap.
  it('creates a new database from 10 concurrent callers, all of them succeeding', async () => {
    const url = new URL(ADMIN_URL);
    url.pathname = `/dtx_race_${randomBytes(5).toString('hex')}`;
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => ensureDatabase(url.toString())));
      expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    } finally {
      await dropDatabase(url.toString());
    }
  });
});
