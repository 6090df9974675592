/**
 * What the benches that run a whole migration share: a throw-away Temporal dev server (the existing CLI binary, nothing
 * downloaded), a worker in this process on its own database and data folder, and a migration of the bundled demo
 * practice driven through its gates into a sandbox the bench starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { type SandboxPlan } from '@dentrix-pipedrive/pipedrive-sandbox';
import { loadEnv, parseMigrationOptions, type Env, type MigrationOptions } from '../src/config';
import { startMigration } from '../src/cli/commands';
import { providerUsers } from '../src/cli/demo';
import { driveMigration } from '../src/cli/drive';
import { assertTemporalCli } from '../src/devserver/dev-server';
import { createLogger } from '../src/logging';
import { createWorkerRuntime, type WorkerRuntime } from '../src/runtime/worker';
import { dropDatabase } from '../src/store/db';
import type { MigrationStatus } from '../src/workflows/messages';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { buildWorkflowBundle } from '../test/support/workflow-bundle';

/** The bundled demo practice (the generator's `demo` profile, seed 42). */
export const DEMO_PRACTICE = path.resolve(__dirname, '..', 'samples', 'demo-practice');

export interface BenchWorld {
  env: Env;
  server: TestWorkflowEnvironment;
  runtime: WorkerRuntime;
  /** The demo practice's providers as sandbox users (all but one, as the demo does). */
  users: { name: string; email: string }[];
  /** Starts one more worker on the world's task queue, store and account (as a second machine would run one). */
  addWorker(): Promise<WorkerRuntime>;
  close(): Promise<void>;
}

/** Temporal's runtime is installed once per process, whatever number of worlds a bench starts. */
let runtimeInstalled = false;

/**
 * A dev server and an in-process worker for one bench: database `dtx_bench_<name>_<pid>` on the local PostgreSQL,
 * task queue `bench-<name>`, a temporary data folder; `close` takes it all down and drops the database.
 */
export async function startBenchWorld(
  name: string,
  account: { plan: SandboxPlan; seats: number; burstLimit?: number; dailyTokenBudget?: number },
): Promise<BenchWorld> {
  // The SDK's own INFO lines (bundling, worker states) would bury the bench's output, as in src/worker.ts.
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const dbUrl = `postgres://postgres@127.0.0.1:5432/dtx_bench_${name}_${process.pid}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bench-'));
  const users = await providerUsers(DEMO_PRACTICE);
  // The existing CLI binary, as scripts/record-histories.ts uses it: nothing is downloaded.
  const server = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: assertTemporalCli() }, searchAttributes: ALL_SEARCH_ATTRIBUTES, ip: '127.0.0.1' },
  });
  const env = loadEnv({
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace ?? 'default',
    TASK_QUEUE: `bench-${name}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WORKER_SHUTDOWN_GRACE_SECONDS: '1',
    PIPEDRIVE_PLAN: account.plan,
    PIPEDRIVE_SEATS: String(account.seats),
    // An account whose burst window never binds (the engine's own speed): the worker's client paces to it too.
    ...(account.burstLimit === undefined ? {} : { PIPEDRIVE_BURST_LIMIT: String(account.burstLimit) }),
    ...(account.dailyTokenBudget === undefined ? {} : { PIPEDRIVE_DAILY_TOKEN_BUDGET: String(account.dailyTokenBudget) }),
    // The worker's activity slots: the product's default unless the caller's environment says otherwise.
    WORKER_MAX_CONCURRENT_ACTIVITIES: process.env.WORKER_MAX_CONCURRENT_ACTIVITIES,
  });
  let bundle: Promise<WorkflowBundle> | undefined;
  const workers: { runtime: WorkerRuntime; running: Promise<void> }[] = [];
  const startWorker = async (workflowBundle?: WorkflowBundle): Promise<WorkerRuntime> => {
    const logger = createLogger('warn', `bench-${name}-${workers.length + 1}`);
    const runtime = await createWorkerRuntime(env, { logger, ...(workflowBundle ? { workflowBundle } : {}) });
    workers.push({ runtime, running: runtime.worker.run() });
    return runtime;
  };
  const runtime = await startWorker();
  return {
    env,
    server,
    runtime,
    users,
    // The workflow code bundled once for the added workers (bundling takes seconds of CPU), as the tests bundle it.
    addWorker: async () => startWorker(await (bundle ??= buildWorkflowBundle())),
    async close() {
      for (const w of workers) w.runtime.worker.shutdown();
      for (const w of workers) {
        await w.running.catch(() => undefined);
        await w.runtime.close();
      }
      await server.teardown();
      await dropDatabase(dbUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Migrates the demo practice (or another practice folder) into the sandbox at `pipedriveBaseUrl`, approving every gate as the demo does (every PHI
 * rule included, the sample at 99% or better), and returns the final status; anything but DONE throws.
 */
export async function migrateDemoPractice(
  world: BenchWorld,
  migrationId: string,
  pipedriveBaseUrl: string,
  options: Partial<MigrationOptions>,
  practice = DEMO_PRACTICE,
): Promise<MigrationStatus> {
  await startMigration(world.env, world.runtime.pool, world.server.client, {
    migrationId,
    source: { kind: 'folder', path: practice },
    pipedriveBaseUrl,
    options: parseMigrationOptions(options),
  });
  const { status } = await driveMigration(world.server.client, migrationId, { by: 'bench', includeAllPhi: true, minSampleAccuracy: 99 });
  if (status.phase !== 'DONE') throw new Error(`ended in ${status.phase}${status.error ? `: ${status.error}` : ''}`);
  return status;
}
