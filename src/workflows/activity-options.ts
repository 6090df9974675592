import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES, NON_RETRYABLE as NON_RETRYABLE_TYPES } from './messages';

const NON_RETRYABLE = [...NON_RETRYABLE_TYPES];

/** Short bookkeeping activities (store reads/writes, reports). */
export const shortActivity: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * How soon a batch whose worker died is given to another: batches heartbeat every 2 s whatever they wait on
 * (activities/heartbeat.ts), and the worker sends them to the server every 5 s at most (its heartbeat throttle,
 * src/runtime/worker.ts), so 20 s leaves margin on a loaded machine and takes a killed worker's batches over within
 * seconds instead of a minute.
 */
const BATCH_HEARTBEAT_TIMEOUT = '20 seconds';

/**
 * Batch activities that write to Pipedrive: they heartbeat per record, and the workflow waits for a cancelled batch
 * to stop, so nothing is created behind a rollback's back.
 */
export const batchActivity: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: BATCH_HEARTBEAT_TIMEOUT,
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
  heartbeatTimeout: BATCH_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [FAILURE_TYPES.dailyBudgetExhausted] },
};
