/**
 * How many batches of one object type to keep in flight when ops do not say (`start --concurrency`): enough to keep
 * the account's request rate busy when each batch sends one create at a time, as it does while someone else fills the
 * token's window (src/engine/load.ts; otherwise a chunk's creates go out together and fewer batches would do). One at
 * a time, a batch manages about 1 / (round trip + engine time per record) requests a second; the rate divided by that
 * is the batches it takes (Little's law). The client's pacer keeps every batch under the burst limit whatever this says.
 *
 * No more than the worker's activity slots: a type loading alone (persons, deals) with one batch more than the slots
 * ran that batch after the others, alone at a fifth of the rate (the throughput bench: 9 batches on 8 slots, the last
 * ~2 s of persons at 5–6 requests/s); types loading together still fill the slots, each with up to this many.
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

export function derivedConcurrency(pacing: { requestsPerSecond: number; latencyMs?: number }, activitySlots?: number): number {
  const requestsPerBatch = 1000 / ((pacing.latencyMs ?? ASSUMED_LATENCY_MS) + ENGINE_MS_PER_RECORD);
  const ceiling = Math.min(MAX_CONCURRENCY, activitySlots ?? MAX_CONCURRENCY);
  return Math.max(MIN_CONCURRENCY, Math.min(ceiling, Math.ceil(pacing.requestsPerSecond / requestsPerBatch)));
}
