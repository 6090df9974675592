import { PipedriveError } from '../pipedrive/errors';
import { dailyBudgetExhausted, permanent, rateLimited } from './failures';

/**
 * Turns a Pipedrive client error into the Temporal failure the workflows expect (typed, PHI-free):
 * daily budget → DailyBudgetExhausted (the workflow sleeps until the reset); burst 429 → RateLimited with
 * nextRetryDelay; permanent → PermanentFailure; transient → rethrown as is (the retry policy handles it).
 */
export function rethrowAsFailure(err: unknown, _budgetResetTimeZone: string): never {
  if (err instanceof PipedriveError) {
    if (err.dailyBudgetExhausted) {
      throw dailyBudgetExhausted(err.retryAt ?? new Date(Date.now() + (err.retryAfterMs ?? 60 * 60 * 1000)));
    }
    if (err.failureType === 'rate_limited') throw rateLimited(err.retryAfterMs ?? 2000, err.endpoint);
    if (err.failureType === 'permanent') {
      throw permanent(err.message, { endpoint: err.endpoint, status: err.status, code: err.code, reason: err.reason });
    }
  }
  throw err;
}

/** A create that failed in a way that says "this record, as built, will never be accepted". */
export function isRecordRejection(err: unknown): err is PipedriveError {
  return err instanceof PipedriveError && err.failureType === 'permanent' && (err.reason === 'validation' || err.reason === 'client_error');
}
