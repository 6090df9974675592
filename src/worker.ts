// Composition root of the worker process: configuration, store, Pipedrive clients, activities, workflows.
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { loadEnv } from './config';
import { createWorkerRuntime } from './runtime/worker';
import { TemporalUnreachableError } from './runtime/temporal';
import { describeTemporal } from './runtime/temporal-config';
import { createLogger } from './logging';
import { resolveDatabase } from './store/embedded';

/** The signals the Temporal runtime shuts a worker down on (its defaults); the worker says so when one arrives. */
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] as const;

async function main(): Promise<void> {
  const env = loadEnv();
  Runtime.install({ logger: new DefaultLogger(env.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  const logger = createLogger(env.LOG_LEVEL, 'worker');
  // The store: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR, started if none runs and left running for the CLI.
  const database = await resolveDatabase({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: env.DATA_DIR }, { leaveRunning: true });
  logger.info({ embedded: database.embedded }, database.description);
  const runtime = await createWorkerRuntime({ ...env, DATABASE_URL: database.url }, { logger });
  logger.info({ taskQueue: env.TASK_QUEUE, temporal: describeTemporal(runtime.temporal) }, 'worker started');
  // The runtime's own handlers stop polling and let in-flight activities finish; this one only says so.
  const announce = (signal: NodeJS.Signals) => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, announce);
    const grace = env.WORKER_SHUTDOWN_GRACE_SECONDS;
    logger.info({ signal, graceSeconds: grace }, `worker shutting down (${signal}): finishing in-flight activities, grace ${grace}s`);
  };
  for (const s of SHUTDOWN_SIGNALS) process.once(s, announce);
  try {
    await runtime.worker.run();
  } finally {
    await runtime.close();
  }
  logger.info({ taskQueue: env.TASK_QUEUE }, 'worker stopped');
}

main().catch((err: unknown) => {
  // Temporal not answering is an operator's fix, not a bug: one line, the address, what to do.
  if (err instanceof TemporalUnreachableError) console.error(`worker: ${err.message}`);
  else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
