// Composition root of the worker process: configuration, store, Pipedrive clients, activities, workflows.
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { loadEnv } from './config';
import { createWorkerRuntime } from './runtime/worker';
import { createLogger } from './logging';

async function main(): Promise<void> {
  const env = loadEnv();
  Runtime.install({ logger: new DefaultLogger(env.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  const logger = createLogger(env.LOG_LEVEL, 'worker');
  const runtime = await createWorkerRuntime(env, { logger });
  logger.info({ taskQueue: env.TASK_QUEUE, temporal: env.TEMPORAL_ADDRESS }, 'worker started');
  try {
    await runtime.worker.run();
  } finally {
    await runtime.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
