import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { activityDeps } from '../../src/runtime/worker';
import { DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import type { BatchCounts } from '../../src/workflows/messages';
import { activityRunner, loadAllBatches, prepareMigration } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { editExtract, readCsvTable } from '../support/extract-edit';
import { generatedPractice, sandboxFor } from '../support/practice';

jest.setTimeout(5 * 60 * 1000);

/**
 * The batch loader's recovery paths, driven activity by activity on real PostgreSQL and the sandbox:
 * - deals with many procedures get their products in one bulk request, which Pipedrive refuses whole when one item
 *   is bad; every item must still end created or rejected with a reason, none pending (nothing lost);
 * - a batch retried after its attempt died resumes from its heartbeat checkpoint and reports its work once.
 */
describe('loadBatch', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let acts: ReturnType<typeof createActivities>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bulk-'));
  const run = activityRunner();
  const migrationId = 'bulk-refused';
  let uniqueCode = '';
  let bulkPlan = '';

  const loadAll = async (objectType: string) => void (await loadAllBatches(acts, migrationId, objectType));

  beforeAll(async () => {
    db = await createTestDatabase();
    const extract = await generatedPractice(dataDir);
    // The demo practice's plans have at most 4 procedures: give one plan 8 more, one of them with a code no other
    // plan uses, so its deal gets a bulk attach (above 5 items) that only that code can spoil.
    const codes = (await readCsvTable(extract, 'proccode')).rows.map((r) => r.proccode_id!);
    await editExtract(extract, {
      procedure: (t) => {
        const planned = t.rows.filter((r) => r.txcase_id !== '');
        const template = planned[0]!;
        const usedCodes = new Set(planned.map((r) => r.proccode_id));
        const otherCodes = [...usedCodes].slice(0, 7);
        uniqueCode = codes.find((c) => !usedCodes.has(c))!;
        let nextId = Math.max(...t.rows.map((r) => Number(r.proc_id))) + 1;
        for (const code of [...otherCodes, uniqueCode] as string[]) t.rows.push({ ...template, proc_id: String(nextId++), proccode_id: code });
        bulkPlan = template.txcase_id!;
      },
    });
    sandbox = await sandboxFor(extract);
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '1000' });
    acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
    await prepareMigration(db.pool, acts, migrationId, extract, sandbox.url);
    for (const objectType of ['organization', 'product', 'person', 'deal']) await loadAll(objectType);
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes a retried batch from its heartbeat checkpoint: counts carry on, settled items are not redone', async () => {
    const objectType = 'activity';
    const { total } = await run(acts.planObjectWork, { migrationId, objectType, runKind: 'full' });
    expect(total).toBeGreaterThan(60);
    const [range] = await run(acts.nextBatches, { migrationId, objectType, runKind: 'full', afterSeq: 0, batchSize: 60, maxBatches: 1 });
    const batch = { migrationId, objectType, runKind: 'full' as const, ...range!, batchNumber: 1 };

    // Attempt 1 dies (here: cancelled) at its first checkpoint: its 41st record, once the first chunk's ids are
    // recorded (with the second chunk's claims). A checkpoint is told only when it moves, not per record.
    const first = new MockActivityEnvironment({ attempt: 1 });
    const beats: unknown[] = [];
    first.on('heartbeat', (details: unknown) => {
      beats.push(details);
      if (beats.length === 1) first.cancel();
    });
    await expect(first.run(acts.loadBatch, batch)).rejects.toBeInstanceOf(CancelledFailure);
    const last = beats.at(-1) as { processed: number; counts: { migrated: number } };
    // Creates are claimed and recorded twenty at a time: the stopped attempt recorded the second chunk's ids, and its
    // checkpoint is the first record it had not claimed.
    expect(beats.map((b) => (b as { processed: number }).processed)).toEqual([20, 40]);
    expect(last.counts.migrated).toBe(40);
    expect(JSON.stringify(beats)).not.toMatch(/[A-Z][a-z]+ [A-Z][a-z]+/u); // ids and counts only, no names

    // Attempt 2 gets the last heartbeat, as Temporal hands it to a retry.
    const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: last });
    const counts = await second.run<[typeof batch], BatchCounts, typeof acts.loadBatch>(acts.loadBatch, batch);
    // Everything is reported once. Only the record in flight when attempt 1 died (settled after its last
    // heartbeat) can show as already done.
    expect(counts.migrated + counts.skipped + counts.rejected + counts.recovered + counts.alreadyDone).toBe(60);
    expect(counts.alreadyDone).toBeLessThanOrEqual(1);
    expect(counts.migrated).toBeGreaterThanOrEqual(last.counts.migrated);

    // Without a checkpoint (an attempt that died before its first heartbeat) the ledger still makes it exact.
    const third = new MockActivityEnvironment({ attempt: 3 });
    const again = await third.run<[typeof batch], BatchCounts, typeof acts.loadBatch>(acts.loadBatch, batch);
    expect(again.alreadyDone).toBe(60);
    expect(again.migrated).toBe(0);
  });

  it('attaches the items of a refused bulk request one by one: the bad one rejected with a reason, the rest created', async () => {
    expect(uniqueCode).not.toBe('');
    const { rows: product } = await db.pool.query<{ pipedrive_id: string }>(
      `SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'product' AND state = 'created' AND source_key = $2`,
      [migrationId, `proccode:${uniqueCode}`],
    );
    expect(product.length).toBe(1);
    const api = axios.create({ baseURL: sandbox.url, headers: { 'x-api-token': DEFAULT_API_TOKEN } });
    await api.delete(`/api/v2/products/${product[0]!.pipedrive_id}`);

    await loadAll('deal_product');

    const { rows: states } = await db.pool.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM id_map WHERE migration_id = $1 AND object_type = 'deal_product' GROUP BY 1`,
      [migrationId],
    );
    const byState = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]));
    expect(byState.pending ?? 0).toBe(0);
    const { rows: work } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM work_items WHERE migration_id = $1 AND object_type = 'deal_product' AND run_kind = 'full'`,
      [migrationId],
    );
    expect((byState.created ?? 0) + (byState.rejected ?? 0) + (byState.skipped ?? 0)).toBe(Number(work[0]!.n));

    // Exactly the procedures of the deleted product are rejected, each with Pipedrive's reason.
    const { rows: rejected } = await db.pool.query<{ source_key: string; reason: string }>(
      `SELECT source_key, reason FROM id_map WHERE migration_id = $1 AND object_type = 'deal_product' AND state = 'rejected'`,
      [migrationId],
    );
    const { rows: ofDeleted } = await db.pool.query<{ source_key: string }>(
      `SELECT 'procedure:' || (data->>'proc_id') AS source_key FROM staged_rows
       WHERE migration_id = $1 AND source_table = 'procedure' AND data->>'txcase_id' = $2 AND data->>'proccode_id' = $3`,
      [migrationId, bulkPlan, uniqueCode],
    );
    expect(ofDeleted.length).toBe(1);
    expect(rejected.map((r) => r.source_key).sort()).toEqual(ofDeleted.map((r) => r.source_key).sort());
    expect(rejected.every((r) => r.reason.startsWith('Pipedrive refused the record'))).toBe(true);

    // The single attaches after a refused bulk are on the audit log as such.
    const { rows: singles } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log WHERE migration_id = $1 AND object_type = 'deal_product' AND note LIKE 'attached singly%'`,
      [migrationId],
    );
    expect(Number(singles[0]!.n)).toBeGreaterThan(0);
  });
});
