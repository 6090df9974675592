import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { createActivities } from '../../src/activities';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { activityDeps } from '../../src/runtime/worker';
import { DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { Ledger } from '../../src/store/ledger';
import { getRun } from '../../src/store/runs';
import { loadAllBatches, prepareMigration } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { generatedPractice, sandboxFor } from '../support/practice';

jest.setTimeout(5 * 60 * 1000);

/**
 * Two practices migrated into one Pipedrive account: Dentrix keys are per practice, so both have a `patient:5`.
 * When the second migration's creates lose their responses, recovery must find its own record, never the first
 * practice's, even when staff edited that one a moment ago (which puts it inside the recovery window).
 */
describe('two practices in one Pipedrive account', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let acts: ReturnType<typeof createActivities>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-shared-'));
  const createdPersons = async (migrationId: string) =>
    new Map(
      (
        await db.pool.query<{ source_key: string; pipedrive_id: string }>(
          `SELECT source_key, pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'person' AND state = 'created'`,
          [migrationId],
        )
      ).rows.map((r) => [r.source_key, r.pipedrive_id]),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    sandbox = await sandboxFor(await generatedPractice(dataDir));
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '1000' });
    acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("recovers each lost create as the second practice's own record, never the first practice's", async () => {
    // Two practices whose patient ids overlap completely: two copies of one generated practice.
    const extract = await generatedPractice(dataDir);
    await prepareMigration(db.pool, acts, 'practice-a', extract, sandbox.url);
    for (const objectType of ['organization', 'person']) await loadAllBatches(acts, 'practice-a', objectType);
    const first = await createdPersons('practice-a');
    expect(first.size).toBeGreaterThan(100);

    // The migrations know they share the account (recorded from /users/me before any record was written).
    await prepareMigration(db.pool, acts, 'practice-b', extract, sandbox.url);
    const accountA = await db.pool.query<{ pipedrive_account: string | null }>(
      "SELECT pipedrive_account FROM migration_runs WHERE migration_id = 'practice-a'",
    );
    expect(accountA.rows[0]!.pipedrive_account).toMatch(/^127\.0\.0\.1:\d+#\d+$/u);
    expect((await getRun(db.pool, 'practice-b')).pipedriveBaseUrl).toBe(sandbox.url);

    // Staff of practice A edit every one of its persons just now.
    const api = axios.create({ baseURL: sandbox.url, headers: { 'x-api-token': DEFAULT_API_TOKEN } });
    for (const id of first.values()) {
      const person = (await api.get(`/api/v2/persons/${id}`)).data.data as { name: string };
      await api.patch(`/api/v2/persons/${id}`, { name: person.name });
    }

    await api.put('/_sandbox/faults', { lostResponseRate: 0.3, seed: 7 });
    await loadAllBatches(acts, 'practice-b', 'organization');
    // Up to 10 attempts per batch, as Temporal would retry one that a lost response failed.
    const counts = await loadAllBatches(acts, 'practice-b', 'person', { batchSize: 50, attempts: 10 });
    await api.put('/_sandbox/faults', {});
    const recovered = counts.reduce((n, c) => n + c.recovered, 0);
    expect(recovered).toBeGreaterThan(10);

    const second = await createdPersons('practice-b');
    expect(second.size).toBe(first.size);
    const firstIds = new Set(first.values());
    expect([...second.values()].filter((id) => firstIds.has(id))).toEqual([]);
    // Exactly one Person per patient per practice: nothing adopted twice, nothing created twice.
    const { data } = await api.get('/api/v2/persons', { params: { limit: 500 } });
    expect((data.data as unknown[]).length).toBe(first.size + second.size);
    expect(data.additional_data?.next_cursor ?? null).toBeNull();
  });

  it("counts only records another migration of the same account created, not the account's own or another account's", async () => {
    const ledger = new Ledger(db.pool);
    // A person id of practice A's that is no organization id of A's: ids are numbered per object type.
    const { rows: orgs } = await db.pool.query<{ pipedrive_id: string }>(
      "SELECT pipedrive_id FROM id_map WHERE migration_id = 'practice-a' AND object_type = 'organization' AND state = 'created'",
    );
    const orgIds = new Set(orgs.map((r) => r.pipedrive_id));
    const theirs = [...(await createdPersons('practice-a')).values()].find((id) => !orgIds.has(id))!;
    expect(await ledger.createdByAnotherMigration('practice-b', 'person', theirs)).toBe(true);
    expect(await ledger.createdByAnotherMigration('practice-a', 'person', theirs)).toBe(false);
    expect(await ledger.createdByAnotherMigration('practice-b', 'organization', theirs)).toBe(false);
    // A product one migration reused is the account's own: another migration may have created it itself.
    const { rows: reused } = await db.pool.query<{ pipedrive_id: string }>(
      "SELECT pipedrive_id FROM id_map WHERE migration_id = 'practice-a' AND state = 'reused' AND object_type = 'user' LIMIT 1",
    );
    expect(await ledger.createdByAnotherMigration('practice-b', 'user', reused[0]!.pipedrive_id)).toBe(false);
    // Another account behind the same API host (same ids, other company): not a claim.
    const { rows } = await db.pool.query<{ pipedrive_account: string }>("SELECT pipedrive_account FROM migration_runs WHERE migration_id = 'practice-b'");
    // (the product records an account once; the test rewrites it to play another company behind the host)
    await db.pool.query("UPDATE migration_runs SET pipedrive_account = $1 WHERE migration_id = 'practice-b'", [
      rows[0]!.pipedrive_account.replace(/#\d+$/u, '#999999'),
    ]);
    expect(await ledger.createdByAnotherMigration('practice-b', 'person', theirs)).toBe(false);
  });
});
