import { createTestDatabase } from '../support/db';

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
});
