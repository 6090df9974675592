import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { type WorkflowBundle } from '@temporalio/worker';
import { loadEnv, type Env } from '../../src/config';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/runtime/worker';
import { createLogger } from '../../src/logging';
import { createTestDatabase, type TestDatabase } from './db';
import { buildWorkflowBundle, WORKFLOW_BUNDLE_ENV } from './workflow-bundle';

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * The workflow bundle: the one the jest global setup built once for the whole run (bundling takes seconds of CPU), or,
 * without it (a tier whose setup does not build one), built once per test file.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  const built = process.env[WORKFLOW_BUNDLE_ENV];
  bundle ??= built && fs.existsSync(built) ? Promise.resolve({ code: fs.readFileSync(built, 'utf8') }) : buildWorkflowBundle();
  return bundle;
}

/** The environment of a worker or CLI process started by a test: this harness's store, Temporal and task queue. */
export function processEnv(env: Env, overrides: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: env.DATABASE_URL,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    TASK_QUEUE: env.TASK_QUEUE,
    // The run's prebuilt bundle: a spawned worker polls in about a second instead of bundling the sources first.
    ...(process.env[WORKFLOW_BUNDLE_ENV] ? { WORKFLOW_BUNDLE: process.env[WORKFLOW_BUNDLE_ENV] } : {}),
    ...overrides,
  };
}

export interface Harness {
  env: Env;
  db: TestDatabase;
  client: Client;
  dataDir: string;
  taskQueue: string;
  /**
   * A worker on the harness's task queue and database; `workerEnv` changes its environment only (e.g. its own
   * DATA_DIR, as a worker on another machine has).
   */
  startWorker(workerEnv?: Partial<Env>): Promise<WorkerRuntime & { running: Promise<void>; stop(): Promise<void> }>;
  close(): Promise<void>;
}

/**
 * A throw-away world for one test file: its own database and data folder, a unique task queue on the shared real
 * Temporal dev server (started by the jest global setup), and workers built from the real composition code.
 */
export async function createHarness(envOverrides: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-'));
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const env = loadEnv({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: taskQueue,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WORKER_SHUTDOWN_GRACE_SECONDS: '1',
    // The test sandbox allows 2,000 requests per 2 s (sandboxFor); the client paces to this.
    PIPEDRIVE_PLAN: 'ultimate',
    PIPEDRIVE_BURST_LIMIT: '1000',
    ...envOverrides,
  });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const workers: { stop(): Promise<void> }[] = [];
  return {
    env,
    db,
    client,
    dataDir,
    taskQueue,
    async startWorker(workerEnv: Partial<Env> = {}) {
      const runtime = await createWorkerRuntime(
        { ...env, ...workerEnv },
        { workflowBundle: await workflowBundle(), logger: createLogger('warn', 'test-worker') },
      );
      const running = runtime.worker.run();
      const handle = {
        ...runtime,
        running,
        async stop() {
          if (runtime.worker.getState() === 'RUNNING') runtime.worker.shutdown();
          await running.catch(() => undefined);
          await runtime.close();
        },
      };
      workers.push(handle);
      return handle;
    },
    async close() {
      for (const w of workers) await w.stop().catch(() => undefined);
      await connection.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Timers a workflow started whose summary matches `summary` (how the daily-budget sleeps say what they wait for). */
export async function timersWithSummary(client: Client, workflowId: string, summary: RegExp): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.timerStartedEventAttributes && summary.test(e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : ''),
  ).length;
}
