import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type Pool } from 'pg';
import { createActivities } from '../activities';
import { type ActivityDeps } from '../activities/deps';
import { type Env } from '../config';
import { openExtract } from '../dentrix';
import { accountFingerprinter } from '../engine/account-fingerprint';
import { dataDir } from '../devserver/paths';
import { createLogger, type Logger } from '../logging';
import { PipedriveClient } from '../pipedrive/client';
import { loadMappingLlmConfig } from '../review/llm';
import { createPool, ensureDatabase, migrateStore } from '../store/db';
import { storePoolSize } from '../store/write-lock';
import { TokenShares } from './token-shares';
import { RequestAccounting } from './request-accounting';
import { shortConnectReason, TemporalUnreachableError } from './temporal';
import { budgetPauseLogging } from './activity-logging';
import { boundedUnknownFailures } from './unknown-failures';
import { temporalConnectConfig, type TemporalConnectConfig } from './temporal-config';

export const SANDBOX_DEFAULT_TOKEN = 'sandbox-token';

export interface WorkerRuntime {
  worker: Worker;
  pool: Pool;
  deps: ActivityDeps;
  /** Where the worker polls: address, namespace and connection options. */
  temporal: TemporalConnectConfig;
  close(): Promise<void>;
}

/** What a worker process adds to its clients: a burst window shared with other workers, and every request counted. */
export interface WorkerProcessServices {
  tokenShares?: TokenShares;
  accounting?: RequestAccounting;
}

/**
 * Pipedrive clients per account, sharing one pacing limiter per base URL within this worker process; in a worker,
 * each shares its token's burst window with the other workers and reports every request to the accounting.
 */
export function pipedriveClientFactory(env: Env, logger: Logger, services: WorkerProcessServices = {}): (baseUrl: string) => PipedriveClient {
  const clients = new Map<string, PipedriveClient>();
  return (baseUrl) => {
    let client = clients.get(baseUrl);
    if (!client) {
      const apiToken = env.PIPEDRIVE_API_TOKEN ?? (isLocal(baseUrl) ? SANDBOX_DEFAULT_TOKEN : undefined);
      if (!apiToken) {
        throw new Error(`PIPEDRIVE_API_TOKEN is not set: the worker needs it to write to ${new URL(baseUrl).host}`);
      }
      client = new PipedriveClient({
        baseUrl,
        apiToken,
        plan: env.PIPEDRIVE_PLAN,
        burstLimit: env.PIPEDRIVE_BURST_LIMIT,
        budgetResetTimeZone: env.PIPEDRIVE_BUDGET_RESET_TZ,
        seats: env.PIPEDRIVE_SEATS,
        dailyTokenBudget: env.PIPEDRIVE_DAILY_TOKEN_BUDGET,
        budgetReserve: env.PIPEDRIVE_BUDGET_RESERVE,
        budgetRecheckMs: env.PIPEDRIVE_BUDGET_RECHECK_SECONDS * 1000,
        onRequest: services.accounting && ((event) => services.accounting!.record(event)),
      });
      clients.set(baseUrl, client);
      services.tokenShares?.watch(client);
      logger.info({ host: new URL(baseUrl).host }, 'pipedrive client ready');
    }
    return client;
  };
}

function isLocal(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

export function activityDeps(env: Env, pool: Pool, logger: Logger, services: WorkerProcessServices = {}): ActivityDeps {
  return {
    pool,
    pipedriveFor: pipedriveClientFactory(env, logger, services),
    openSource: openExtract,
    fingerprinter: accountFingerprinter,
    logger,
    settings: {
      dataDir: env.DATA_DIR ?? dataDir(),
      imageArchiveBaseUrl: env.IMAGE_ARCHIVE_BASE_URL,
      fallbackOwnerId: env.PIPEDRIVE_FALLBACK_OWNER_ID,
      budgetResetTimeZone: env.PIPEDRIVE_BUDGET_RESET_TZ,
      budgetRecheckMs: env.PIPEDRIVE_BUDGET_RECHECK_SECONDS * 1000,
      mappingLlm: loadMappingLlmConfig(env),
      activitySlots: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    },
  };
}

/** How long the worker waits for Temporal to accept its connection before saying it does not answer. */
export const WORKER_CONNECT_TIMEOUT_MS = 10_000;

/** The longest the worker holds an activity's newest heartbeat back from the server (see the Worker's options below). */
const HEARTBEAT_THROTTLE = '5 seconds';

/** The worker's connection to Temporal, or a TemporalUnreachableError: one readable line instead of the core's dump. */
export async function connectWorkerToTemporal(config: TemporalConnectConfig, timeoutMs = WORKER_CONNECT_TIMEOUT_MS): Promise<NativeConnection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  const connecting = NativeConnection.connect(config.connectionOptions);
  try {
    return await Promise.race([connecting, timeout]);
  } catch (err) {
    // A connection that completes after the timeout is closed, not leaked.
    void connecting.then((c) => c.close()).catch(() => undefined);
    throw new TemporalUnreachableError(config.address, config.namespace, shortConnectReason(err));
  } finally {
    clearTimeout(timer);
  }
}

/** Next to the compiled worker (dist/), `npm run build` leaves the workflow bundle built once. */
export const PREBUILT_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

/**
 * The bundle WORKFLOW_BUNDLE names, else the prebuilt one when there is one (the production image), else the workflow
 * sources, bundled at start (dev).
 */
export function workflowSource(named?: string): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (named) return { workflowBundle: { codePath: named } };
  return fs.existsSync(PREBUILT_BUNDLE) ? { workflowBundle: { codePath: PREBUILT_BUNDLE } } : { workflowsPath: require.resolve('../workflows') };
}

/**
 * Wires a worker: store (migrated), Pipedrive clients, activities, the workflow bundle. Used by the worker process,
 * the demo and the tests; `overrides` lets tests pass a prebuilt bundle.
 */
export async function createWorkerRuntime(env: Env, overrides: Partial<WorkerOptions> & { logger?: Logger } = {}): Promise<WorkerRuntime> {
  const logger = overrides.logger ?? createLogger(env.LOG_LEVEL, 'worker');
  // Temporal first: a worker that cannot reach it says so at once, before touching the store. Its settings come from
  // Temporal's own env vars and config profile, as the CLI's do (temporal-config.ts).
  const temporal = temporalConnectConfig(env);
  const connection = await connectWorkerToTemporal(temporal);
  try {
    await ensureDatabase(env.DATABASE_URL);
    await migrateStore(env.DATABASE_URL);
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  // Only the pg error code: a server message could quote a value.
  const pool = createPool(env.DATABASE_URL, { max: storePoolSize(env.WORKER_MAX_CONCURRENT_ACTIVITIES) }, (err) =>
    logger.warn({ code: (err as { code?: string }).code }, 'store connection closed by the server'),
  );
  // Every worker on a token keeps to its share of the token's burst window (the store counts the live ones), and
  // books every request its activities send.
  const tokenShares = new TokenShares(pool, logger);
  const accounting = new RequestAccounting(pool, logger, env.PIPEDRIVE_BUDGET_RESET_TZ);
  const deps = activityDeps(env, pool, logger, { tokenShares, accounting });
  const { logger: _ignored, ...workerOverrides } = overrides;
  const workflows = workerOverrides.workflowBundle ? { workflowBundle: workerOverrides.workflowBundle } : workflowSource(env.WORKFLOW_BUNDLE);
  logger.info({ workflows: 'workflowBundle' in workflows ? 'prebuilt bundle' : 'bundled from source at start' }, 'workflow code');
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: env.TASK_QUEUE,
    ...workflows,
    activities: createActivities(deps),
    interceptors: { activity: [accounting.interceptor(), budgetPauseLogging(logger), boundedUnknownFailures(logger)] },
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    // The SDK sends a batch's heartbeats at most every 0.8 × its timeout (16 s of 20): a loaded machine that delays
    // one by 4 s timed a live batch out and ran it twice. Every 5 s leaves 15 s of margin for a few more small RPCs.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    shutdownGraceTime: `${env.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
    ...workerOverrides,
  });
  return {
    worker,
    pool,
    deps,
    temporal,
    async close() {
      await tokenShares.close();
      await pool.end();
      await connection.close();
    },
  };
}
