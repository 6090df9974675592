/**
 * Generates the migration store's table types (src/store/generated/db.ts) from the schema itself: a scratch database
 * on the tests' PostgreSQL (TEST_DATABASE_ADMIN_URL, else 127.0.0.1:5432 when it answers, else the embedded one, as
 * test/support/postgres-setup.ts chooses), every migration in src/store/migrations applied, kysely-codegen run on it
 * with pinned options, the scratch database dropped. A column added by a migration is then a compile error wherever a
 * repository writes or reads that table without it (the way `migration_runs.currency` was once written and dropped).
 *
 *   npm run gen:store-types              # rewrites src/store/generated/db.ts
 *   tsx scripts/gen-store-types.ts OUT   # writes OUT instead (the test compares it with the committed file)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cli } from 'kysely-codegen';
import pg from 'pg';
import { dropDatabase, ensureDatabase, migrateStore } from '../src/store/db';
import { resolveDatabase } from '../src/store/embedded';

const REPO = path.resolve(__dirname, '..');
const DEFAULT_OUT = path.join(REPO, 'src', 'store', 'generated', 'db.ts');

async function adminUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.TEST_DATABASE_ADMIN_URL) return { url: process.env.TEST_DATABASE_ADMIN_URL, stop: async () => undefined };
  const resolved = await resolveDatabase({ DATABASE_URL: undefined, DATA_DIR: path.join(os.tmpdir(), 'dtx2pd-test-postgres') });
  const url = new URL(resolved.url);
  url.pathname = '/postgres';
  return { url: url.toString(), stop: () => resolved.stop() };
}

/**
 * Waits (up to 5 s) until no session is connected to `database`. kysely-codegen's pool resolves its end() before its
 * connections have closed, and the drop (WITH FORCE) terminating one still closing made that pool throw an unhandled
 * 'error' (57P01) and the script exit 1 (seen once in CI under the suite's load).
 */
async function untilUnused(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
      if (rows[0]!.n === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? DEFAULT_OUT);
  const admin = await adminUrl();
  const scratch = new URL(admin.url);
  scratch.pathname = `/dtx_store_types_${randomBytes(5).toString('hex')}`;
  const scratchUrl = scratch.toString();
  try {
    await ensureDatabase(scratchUrl);
    await migrateStore(scratchUrl);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Pinned options: the output depends on the schema only (tables in name order, no timestamps in the file).
    await new Cli().generate({
      url: scratchUrl,
      dialect: 'postgres',
      outFile: out,
      defaultSchemas: ['public'],
      // node-pg-migrate's own bookkeeping table is not the store's.
      excludePattern: 'store_migrations',
      camelCase: false,
      singularize: false,
      runtimeEnums: false,
      typeOnlyImports: true,
      dateParser: 'timestamp',
      numericParser: 'string',
      domains: true,
      partitions: false,
      logLevel: 'warn',
    });
  } finally {
    await untilUnused(admin.url, scratch.pathname.slice(1));
    await dropDatabase(scratchUrl).catch((err: Error) => console.error(`gen-store-types: could not drop the scratch database: ${err.message}`));
    await admin.stop();
  }
  console.log(`gen-store-types: wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
