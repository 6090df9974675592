import { createPool } from '../../src/store/db';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('a store pool whose idle connection the server terminates', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reports it to the handler, does not crash, and serves the next query on a fresh connection', async () => {
    const errors: string[] = [];
    const pool = createPool(db.url, { max: 1, application_name: 'pool-under-test' }, (err) => errors.push((err as { code?: string }).code ?? 'none'));
    try {
      const first = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const idleReported = new Promise<void>((resolve) => pool.once('error', () => resolve()));
      // What DROP DATABASE … WITH (FORCE) or a server restart does to a connection sitting idle in the pool.
      await db.pool.query('SELECT pg_terminate_backend($1)', [first.rows[0]!.pid]);
      await idleReported;
      expect(errors).toEqual(['57P01']);
      const second = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(second.rows[0]!.pid).not.toBe(first.rows[0]!.pid);
    } finally {
      await pool.end();
    }
  });
});
