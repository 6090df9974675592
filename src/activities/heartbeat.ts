import { Context } from '@temporalio/activity';

/**
 * How often a batch tells Temporal it is alive, whatever it waits on (the pacer, a slow read, a retried request). The
 * batch activities' heartbeat timeout (workflows/activity-options.ts) is a few of these: a killed worker's batches are
 * taken over within seconds, and a batch waiting on Pipedrive's rate limit is never mistaken for a dead one.
 */
export const LIVENESS_INTERVAL_MS = 2_000;

/**
 * Runs `fn` with a heartbeat that also ticks on its own. The details are the batch's resume checkpoint, so the tick
 * sends the latest again (never empty details, which would erase it); before `fn` reports any, that is the checkpoint
 * the previous attempt left.
 */
export async function withLiveHeartbeat<T>(fn: (heartbeat: (details: unknown) => void) => Promise<T>, ctx: Context = Context.current()): Promise<T> {
  let latest: unknown = ctx.info.heartbeatDetails;
  const heartbeat = (details: unknown) => {
    latest = details;
    ctx.heartbeat(details);
  };
  const ticker = setInterval(() => ctx.heartbeat(latest), LIVENESS_INTERVAL_MS);
  try {
    return await fn(heartbeat);
  } finally {
    clearInterval(ticker);
  }
}
