import { type Client, WorkflowFailedError } from '@temporalio/client';
import { TemporalFailure } from '@temporalio/common';
import { shortConnectReason } from '../runtime/temporal';

/** gRPC status codes of a server that is down, restarting or too slow to answer right now. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/**
 * Whether an error from a Temporal client call means "the server did not answer" (a restart, a network blip), which
 * a later attempt may get past. A workflow's own failure never is, even when its message says "deadline".
 */
export function isTransientConnectionError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e; depth++) {
    if (e instanceof WorkflowFailedError || e instanceof TemporalFailure) return false;
    const code = (e as { code?: unknown }).code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED || code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
    const own = (e as { message?: unknown }).message; // duck-typed: Node's own errors may come from another realm
    const message = typeof own === 'string' ? own : typeof e === 'string' ? e : '';
    if (/\bUNAVAILABLE\b|ECONNREFUSED|ECONNRESET|deadline exceeded|no connection established|connection refused/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Temporal stayed unreachable longer than the caller was willing to wait. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

export interface TemporalRetryOptions {
  /** How long one outage may last (from its first failed call) before giving up. Default 2 minutes. */
  giveUpAfterMs?: number;
  /** First wait between attempts, doubled each time up to `maxDelayMs`. Defaults 500 ms and 10 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each retry, so the caller can say why it is waiting. */
  onRetry?: (message: string) => void;
}

/**
 * Runs a Temporal client call, retrying it with backoff while the server does not answer (UNAVAILABLE, connection
 * refused, deadline exceeded), the way a worker keeps polling through a restart; any other error is thrown at once.
 * After `giveUpAfterMs` of one outage it throws a TemporalUnavailableError saying what it was doing and for how long.
 */
export async function retryTemporal<T>(what: string, call: () => Promise<T>, options: TemporalRetryOptions = {}): Promise<T> {
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  let delay = options.initialDelayMs ?? 500;
  let outageStarted: number | undefined;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isTransientConnectionError(err)) throw err;
      outageStarted ??= Date.now();
      const elapsed = Date.now() - outageStarted;
      const reason = shortConnectReason(err);
      if (elapsed + delay > giveUpAfterMs) {
        throw new TemporalUnavailableError(
          `Temporal has not answered ${what} for ${Math.round(elapsed / 1000)} s (${reason}); giving up. ` +
            'The migration itself is durable: once Temporal is back, check it with "npm run starter -- status"',
        );
      }
      options.onRetry?.(`Temporal did not answer ${what} (${reason}); retrying in ${delay < 1000 ? `${delay} ms` : `${(delay / 1000).toFixed(1)} s`}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(maxDelayMs, delay * 2);
    }
  }
}

/** Workflow-handle calls that go to the server and are safe to repeat while it does not answer. */
const RETRIED_HANDLE_CALLS = new Set(['query', 'signal', 'result', 'describe', 'executeUpdate', 'fetchHistory']);

/**
 * The same client, whose workflow handles retry their server calls through an outage (see retryTemporal): the gate
 * driver keeps going through a Temporal restart instead of dying on the first UNAVAILABLE.
 */
export function withTemporalRetry(client: Client, options: TemporalRetryOptions = {}): Client {
  const wrapHandle = (handle: object & { workflowId?: string }): object =>
    new Proxy(handle, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string' || !RETRIED_HANDLE_CALLS.has(prop) || typeof value !== 'function') return value;
        const what = prop === 'result' ? `the wait for ${target.workflowId}'s result` : `a ${prop} of ${target.workflowId}`;
        return (...args: unknown[]) => retryTemporal(what, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), options);
      },
    });
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      return prop === 'getHandle' ? (...args: unknown[]) => wrapHandle(bound(...args) as object) : bound;
    },
  });
  return new Proxy(client, { get: (target, prop, receiver) => (prop === 'workflow' ? workflow : Reflect.get(target, prop, receiver)) });
}
