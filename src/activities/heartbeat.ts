import { Context } from '@temporalio/activity';

/**
 * How often an activity tells Temporal it is alive, whatever it waits on (the pacer, a slow read, a retried request, a
 * long query). The activities' heartbeat timeout (workflows/activity-options.ts) is a few of these: a killed worker's
 * activities are taken over within seconds, and one waiting on Pipedrive's rate limit is never mistaken for a dead one.
 */
const LIVENESS_INTERVAL_MS = 2_000;

/** The details each running activity sent last: a liveness tick sends them again. */
const lastDetails = new WeakMap<Context, { details: unknown }>();

/**
 * An activity's heartbeat with its details (a batch's resume checkpoint, a read's progress). Every heartbeat with
 * details goes through here, so the liveness ticks repeat the latest rather than erase them with empty ones.
 */
export function heartbeat(details: unknown, ctx: Context = Context.current()): void {
  lastDetails.set(ctx, { details });
  ctx.heartbeat(details);
}

/** The running activity's context; undefined when called outside one (a plain unit test calling the function). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs an activity with a heartbeat every `intervalMs` when its options give it a heartbeat timeout (Temporal asks
 * that activities without one do not heartbeat). The tick sends the details the activity sent last; before it sends
 * any, the ones the previous attempt left, so a retry's checkpoint survives a tick.
 */
export async function withLiveness<T>(run: () => Promise<T>, intervalMs = LIVENESS_INTERVAL_MS): Promise<T> {
  const ctx = currentContext();
  if (!ctx?.info.heartbeatTimeoutMs) return run();
  const tick = setInterval(() => ctx.heartbeat(lastDetails.has(ctx) ? lastDetails.get(ctx)!.details : ctx.info.heartbeatDetails), intervalMs);
  try {
    return await run();
  } finally {
    clearInterval(tick);
  }
}

/** The same activities, each run with liveness heartbeats (`withLiveness`). */
export function keptAlive<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) wrapped[name] = (...args: never[]) => withLiveness(() => fn(...args));
  return wrapped as A;
}
