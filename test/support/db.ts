import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { createPool, dropDatabase, ensureDatabase, migrateStore } from '../../src/store/db';

const adminUrl = () => process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Names the run's template database (the store schema migrated once, by the jest global setup) for the test workers. */
export const TEMPLATE_DATABASE_ENV = 'DTX_TEST_TEMPLATE_DATABASE';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * The store schema, migrated once for a whole jest run into a template database: every test database is then a copy
 * of it (`CREATE DATABASE … TEMPLATE`), which is several times quicker than running the migrations again.
 */
export async function createTemplateDatabase(): Promise<string> {
  const name = `dtx_tmpl_${randomBytes(5).toString('hex')}`;
  const url = databaseUrl(name);
  await ensureDatabase(url);
  await migrateStore(url);
  process.env[TEMPLATE_DATABASE_ENV] = name;
  return name;
}

export async function dropTemplateDatabase(): Promise<void> {
  const name = process.env[TEMPLATE_DATABASE_ENV];
  if (name) await dropDatabase(databaseUrl(name));
}

/**
 * A throw-away database with the store schema applied; drop() removes it. A copy of the run's template database when
 * the global setup made one, else created and migrated here.
 */
export async function createTestDatabase(prefix = 'dtx_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const dbUrl = databaseUrl(name);
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (template) {
    await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } else {
    await ensureDatabase(dbUrl);
    await migrateStore(dbUrl);
  }
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
