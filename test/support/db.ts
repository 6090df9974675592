import { randomBytes } from 'node:crypto';
import { type Pool } from 'pg';
import { createPool, dropDatabase, ensureDatabase, migrateStore } from '../../src/store/db';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A throw-away database with the store schema applied; drop() removes it. */
export async function createTestDatabase(prefix = 'dtx_test'): Promise<TestDatabase> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${prefix}_${randomBytes(5).toString('hex')}`;
  const dbUrl = url.toString();
  await ensureDatabase(dbUrl);
  await migrateStore(dbUrl);
  const pool = createPool(dbUrl, { max: 5 });
  return {
    url: dbUrl,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(dbUrl);
    },
  };
}
