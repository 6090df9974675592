import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, ensureDatabase, migrateStore } from '../../src/store/db';
import { embeddedRoot, embeddedStatus, resolveDatabase, stopEmbeddedPostgres } from '../../src/store/embedded';

/**
 * The embedded PostgreSQL (DATABASE_URL=embedded, or unset with nothing on 127.0.0.1:5432): a real server from the
 * npm-installed binaries under DATA_DIR/postgres, initialised once, shared by a second resolver, stopped by its owner
 * only when nobody else is connected, and started again on the same data.
 */
describe('embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-embedded-'));
  });
  afterAll(async () => {
    // Whatever happened, no server is left running on the temp folder.
    await stopEmbeddedPostgres(embeddedRoot(dataDir)).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts under DATA_DIR, holds the store, is shared, stops, and starts again with its data', async () => {
    const env = { DATABASE_URL: 'embedded', DATA_DIR: dataDir };
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);

    let t = Date.now();
    const first = await resolveDatabase(env, { log });
    const firstStartMs = Date.now() - t;
    expect(first).toMatchObject({ embedded: true, startedHere: true });
    expect(first.description).toMatch(/^PostgreSQL: embedded PostgreSQL \d+\.\d+ on 127\.0\.0\.1:\d+ \(DATABASE_URL=embedded; started in/u);
    expect(first.description).toContain(embeddedRoot(dataDir));
    expect(first.description).not.toContain(new URL(first.url).password);
    const dataFolder = path.join(embeddedRoot(dataDir), 'data');
    expect(fs.statSync(dataFolder).mode & 0o777).toBe(0o700);

    await ensureDatabase(first.url);
    // A worker and the CLI migrating a fresh store at the same moment: the second waits for the first.
    await Promise.all([migrateStore(first.url), migrateStore(first.url)]);
    let pool = createPool(first.url, { max: 2 });
    await pool.query(
      `INSERT INTO migration_runs (migration_id, practice_name, source, pipedrive_base_url) VALUES ('embedded-check', 'Embedded Dental', '{"kind":"folder","path":"/x"}', 'http://127.0.0.1:8787')`,
    );
    expect((await pool.query('SELECT practice_name FROM migration_runs WHERE migration_id = $1', ['embedded-check'])).rows).toEqual([
      { practice_name: 'Embedded Dental' },
    ]);

    // Another process (a worker, the CLI) finds the running server and connects; it never stops it.
    const second = await resolveDatabase(env, { leaveRunning: true });
    expect(second).toMatchObject({ url: first.url, embedded: true, startedHere: false });
    expect(second.description).toContain('already running');
    await second.stop();
    expect((await embeddedStatus(embeddedRoot(dataDir))).running).toBe(true);

    // The owner does not stop it while someone else is connected...
    const held = await pool.connect();
    await first.stop();
    expect((await embeddedStatus(embeddedRoot(dataDir))).running).toBe(true);
    expect(logs.join('\n')).toContain('left running: 1 other connection(s)');
    held.release();
    await pool.end();
    // ...and does once they are gone.
    await first.stop();
    expect(await embeddedStatus(embeddedRoot(dataDir))).toMatchObject({ initialised: true, running: false });

    t = Date.now();
    const again = await resolveDatabase(env, { log });
    const restartMs = Date.now() - t;
    expect(again).toMatchObject({ embedded: true, startedHere: true });
    expect(again.url).toBe(first.url); // same port (recorded) and password
    await migrateStore(again.url); // nothing pending: already migrated
    pool = createPool(again.url, { max: 1 });
    expect((await pool.query('SELECT practice_name FROM migration_runs WHERE migration_id = $1', ['embedded-check'])).rows).toEqual([
      { practice_name: 'Embedded Dental' },
    ]);
    await pool.end();
    await again.stop();
    expect((await embeddedStatus(embeddedRoot(dataDir))).running).toBe(false);
    process.stdout.write(`embedded PostgreSQL: first start (initdb included) ${firstStartMs} ms, restart ${restartMs} ms\n`);
  });
});
