import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../src/activities';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { activityDeps } from '../../src/runtime/worker';
import { registerRun } from '../../src/store/runs';
import { activityRunner } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { COMPACT_PATIENTS, generatedPractice } from '../support/practice';

jest.setTimeout(2 * 60 * 1000);

/**
 * The tables a migration fills in bulk and then reads by key get their planner statistics when they are filled, not a
 * minute later when autovacuum comes by: without them a fresh store's first run planned each batch's lookups as scans
 * of all of the migration's rows (src/store/statistics.ts). `last_analyze` counts only an explicit ANALYZE.
 */
describe('planner statistics of the bulk-filled tables', () => {
  let db: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-statistics-'));
  const run = activityRunner();
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const analyzed = async (table: string): Promise<boolean> => {
    const { rows } = await db.pool.query<{ at: Date | null }>('SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = $1', [table]);
    return rows[0]?.at != null;
  };

  const analyzeCount = async (table: string): Promise<number> => {
    const { rows } = await db.pool.query<{ n: string }>('SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = $1', [table]);
    return Number(rows[0]!.n);
  };

  it('refreshes staged_rows after the extract, work_items and id_map when a run plans new work', async () => {
    const extract = await generatedPractice(dataDir, 42, 'demo', COMPACT_PATIENTS);
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir });
    const acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
    const migrationId = 'statistics';
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: extract }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    expect(await analyzed('staged_rows')).toBe(false);

    await run(acts.extractSource, { migrationId });
    expect(await analyzed('staged_rows')).toBe(true);
    expect(await analyzed('work_items')).toBe(false);

    await run(acts.proposeMap, { migrationId });
    expect((await run(acts.approveMap, { migrationId, by: 'test', includeAllPhi: true })).errors).toEqual([]);
    const { total } = await run(acts.planObjectWork, { migrationId, objectType: 'person', runKind: 'full' });
    expect(total).toBeGreaterThan(0);
    expect(await analyzed('work_items')).toBe(true);
    expect(await analyzed('id_map')).toBe(true);

    // Planning what is planned already (a verification's children do) adds nothing, so refreshes nothing.
    const before = await analyzeCount('work_items');
    expect((await run(acts.planObjectWork, { migrationId, objectType: 'person', runKind: 'full' })).total).toBe(total);
    expect(await analyzeCount('work_items')).toBe(before);
  });
});
