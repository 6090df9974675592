import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES, NON_RETRYABLE as NON_RETRYABLE_TYPES } from './messages';

const NON_RETRYABLE = [...NON_RETRYABLE_TYPES];

/**
 * How soon an activity whose worker died is given to another: activities heartbeat every 2 s whatever they wait on
 * (activities/heartbeat.ts), and the worker sends them to the server every 5 s at most (its heartbeat throttle,
 * src/runtime/worker.ts), so 20 s leaves margin on a loaded machine and takes a killed worker's activities over within
 * seconds instead of at their start-to-close timeout.
 */
const HEARTBEAT_TIMEOUT = '20 seconds';

/**
 * Short bookkeeping activities (store reads/writes, reports, the map proposal). With no heartbeat timeout, one in flight
 * on a killed worker (the next wave's planning or the last wave's count, which run beside the batches) held its
 * migration for the whole start-to-close timeout: a crash test on a loaded machine once took 330 s instead of ~55. A
 * minute, not the batches' 20 s: some of these build a report or profile a practice's values in long stretches of
 * CPU, during which the liveness ticks wait, and a timed-out one would run twice at once.
 */
export const shortActivity: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * Batch activities that write to Pipedrive: they heartbeat per record, and the workflow waits for a cancelled batch
 * to stop, so nothing is created behind a rollback's back.
 */
export const batchActivity: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
};

/** Long reads of the source (extract, audit): heartbeat with progress. */
export const sourceActivity: ActivityOptions = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * The compensations (the rollback's deletes and restores): retried until they succeed, whatever the error; every other
 * activity ends as a visible UnknownFailure after a few attempts at an error no failure type names
 * (src/runtime/unknown-failures.ts).
 */
export const COMPENSATIONS: readonly string[] = ['rollbackBatch', 'restoreBeforeImages'];

/** Compensations: retried until they succeed; they never give up on their own (design-patterns/saga). */
export const compensationActivity: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [FAILURE_TYPES.dailyBudgetExhausted] },
};
