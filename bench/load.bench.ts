/**
 * The price of the exactly-once protocol: loading organizations, persons and activities through the product's batch
 * loader (ledger lookup, `pending` mark, bundles from staging, build, create, id and audit entry recorded, heartbeat)
 * against a bare replay of exactly the request bodies the loader sent, with the same client settings, against the same
 * local sandbox, in the same run. The sandbox and the client allow a burst high enough that nothing paces, so the ratio
 * is the engine's own overhead per record. Prints; asserts nothing.
 *
 *   npx tsx bench/load.bench.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import { loadEnv } from '../src/config';
import { createLogger } from '../src/logging';
import { PipedriveClient } from '../src/pipedrive/client';
import { activityDeps } from '../src/runtime/worker';
import { startSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createPool, dropDatabase, ensureDatabase, migrateStore } from '../src/store/db';
import { saveProposedMap } from '../src/store/field-maps';
import { registerRun } from '../src/store/runs';
import { defaultFieldMap } from '../src/mapping';

const SAMPLE = path.resolve(__dirname, '..', 'samples', 'demo-practice');
const BURST = 100_000;

async function main(): Promise<void> {
  const dbUrl = `postgres://postgres@127.0.0.1:5432/dtx_bench_${process.pid}`;
  await ensureDatabase(dbUrl);
  await migrateStore(dbUrl);
  const pool = createPool(dbUrl);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bench-'));
  const sandbox = await startSandbox({ port: 0, plan: 'ultimate', seats: 100, burstLimit: BURST });
  try {
    const env = loadEnv({ DATABASE_URL: dbUrl, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: String(BURST), LOG_LEVEL: 'silent' });
    // Record every create the loader sends, so the baseline can replay exactly those bodies.
    const sent: { collection: string; body: object }[] = [];
    const deps = activityDeps(env, pool, createLogger('silent'));
    const realFor = deps.pipedriveFor;
    deps.pipedriveFor = (baseUrl) => {
      const client = realFor(baseUrl);
      return new Proxy(client, {
        get(target, prop, receiver) {
          if (prop === 'create') {
            return (collection: string, body: object) => {
              sent.push({ collection, body });
              return target.create(collection as never, body);
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    };
    const acts = createActivities(deps);
    const mock = new MockActivityEnvironment();
    const activity = {
      run: <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => mock.run<A, R, (...a: A) => Promise<R>>(fn, ...args),
    };
    const migrationId = 'bench';
    await registerRun(pool, { migrationId, source: { kind: 'folder', path: SAMPLE }, pipedriveBaseUrl: sandbox.url });
    // The extract activity itself: it stages the rows and records the practice (its currency, which the load needs).
    await activity.run(acts.extractSource, { migrationId });
    await saveProposedMap(pool, migrationId, { map: defaultFieldMap() });
    await activity.run(acts.approveMap, { migrationId, by: 'bench', includeAllPhi: true });
    await activity.run(acts.resolveProviders, { migrationId });
    await activity.run(acts.createSchema, { migrationId });

    const results: { object: string; records: number; engineMs: number; bareMs: number }[] = [];
    for (const objectType of ['organization', 'person', 'activity']) {
      const { total } = await activity.run(acts.planObjectWork, { migrationId, objectType, runKind: 'full' });
      const ranges = await activity.run(acts.nextBatches, {
        migrationId,
        objectType,
        runKind: 'full' as const,
        afterSeq: 0,
        batchSize: 50,
        maxBatches: 1_000_000,
      });
      let created = 0;
      const engineStart = process.hrtime.bigint();
      for (const [i, range] of ranges.entries()) {
        const counts = await activity.run(acts.loadBatch, { migrationId, objectType, runKind: 'full' as const, ...range, batchNumber: i + 1 });
        created += counts.migrated;
      }
      const engineMs = Number(process.hrtime.bigint() - engineStart) / 1e6;

      // Baseline: the very bodies the loader sent, replayed with a bare client: no ledger, no audit, no bundles.
      const bodies = sent.splice(0);
      const bare = new PipedriveClient({ baseUrl: sandbox.url, apiToken: 'sandbox-token', plan: 'ultimate', burstLimit: BURST });
      const bareStart = process.hrtime.bigint();
      for (const { collection, body } of bodies) await bare.create(collection as never, body);
      const bareMs = Number(process.hrtime.bigint() - bareStart) / 1e6;
      bare.close();
      results.push({ object: `${objectType} (${total} planned)`, records: created, engineMs, bareMs });
    }

    console.log('Loading through the exactly-once batch loader vs a bare replay of the same request bodies (same client, same sandbox):\n');
    console.log('object                      records   engine rec/s   bare rec/s   engine ms/rec   overhead ratio');
    for (const r of results) {
      const engineRate = (r.records / r.engineMs) * 1000;
      const bareRate = (r.records / r.bareMs) * 1000;
      console.log(
        `${r.object.padEnd(26)} ${String(r.records).padStart(8)} ${engineRate.toFixed(0).padStart(14)} ${bareRate.toFixed(0).padStart(12)}` +
          ` ${(r.engineMs / r.records).toFixed(2).padStart(15)} ${(r.engineMs / r.bareMs).toFixed(2).padStart(15)}×`,
      );
    }
    const usage = sandbox.usage();
    console.log(`\nsandbox: ${JSON.stringify({ requests: (usage as { requests?: unknown }).requests ?? null })}`);
  } finally {
    await sandbox.close();
    await pool.end();
    await dropDatabase(dbUrl);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
