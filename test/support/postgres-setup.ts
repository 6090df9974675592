import os from 'node:os';
import path from 'node:path';
import { resolveDatabase, type ResolvedDatabase } from '../../src/store/embedded';
import { createTemplateDatabase } from './db';

/**
 * The tests' PostgreSQL: TEST_DATABASE_ADMIN_URL when given, else the server on 127.0.0.1:5432 when it answers, else
 * an embedded PostgreSQL of the product's own (the same fallback as the product's), so `npm test` needs only Node and
 * Go. The store schema is migrated once into a template database; each test file then creates its own databases as
 * copies of it (test/support/db.ts) and drops them.
 */
export default async function postgresSetup(): Promise<void> {
  await resolveTestPostgres();
  await createTemplateDatabase();
}

async function resolveTestPostgres(): Promise<void> {
  if (process.env.TEST_DATABASE_ADMIN_URL) return;
  const resolved = await resolveDatabase(
    { DATABASE_URL: undefined, DATA_DIR: path.join(os.tmpdir(), 'dtx2pd-test-postgres') },
    // TEST_DATABASE_DEFAULT_URL replaces the probed 5432 (to try the embedded fallback on a machine that has one).
    { log: (line) => console.log(`tests: ${line}`), ...(process.env.TEST_DATABASE_DEFAULT_URL ? { defaultUrl: process.env.TEST_DATABASE_DEFAULT_URL } : {}) },
  );
  if (!resolved.embedded) return; // 5432 answers: test/support/db.ts uses it
  const admin = new URL(resolved.url);
  admin.pathname = '/postgres';
  process.env.TEST_DATABASE_ADMIN_URL = admin.toString();
  (globalThis as { __TEST_POSTGRES__?: ResolvedDatabase }).__TEST_POSTGRES__ = resolved;
  console.log(`tests: ${resolved.description}`);
}
