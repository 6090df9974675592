import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../support/db';
import { dropDatabase, ensureDatabase } from '../../src/store/db';

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
