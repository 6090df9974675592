/**
 * How many batches of one object type to keep in flight when ops do not say (`start --concurrency`): enough to keep
 * the account's request rate busy. A batch sends one request at a time, so it manages about 1 / (round trip + engine
 * time per record) requests a second; the rate divided by that is the batches it takes (Little's law). The client's
 * pacer keeps every batch under the burst limit whatever this says, and the worker's activity slots cap it too.
 */

/**
 * The engine's own time per record around its request (ledger marks, audit row, build): 3–6 ms on a local sandbox
 * (bench/load.bench.ts), taken as 20 ms for a busy worker.
 */
const ENGINE_MS_PER_RECORD = 20;
/** Before the client has seen a response: a round trip to Pipedrive from a cloud worker. */
const ASSUMED_LATENCY_MS = 150;
/** The bounds `start --concurrency` accepts (src/config.ts). */
const MIN_CONCURRENCY = 2;
const MAX_CONCURRENCY = 16;

export function derivedConcurrency(pacing: { requestsPerSecond: number; latencyMs?: number }): number {
  const requestsPerBatch = 1000 / ((pacing.latencyMs ?? ASSUMED_LATENCY_MS) + ENGINE_MS_PER_RECORD);
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, Math.ceil(pacing.requestsPerSecond / requestsPerBatch)));
}
