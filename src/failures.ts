import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { PipedriveError } from './pipedrive/errors';
import { FAILURE_TYPES, NON_RETRYABLE, type FailureType } from './workflows/messages';

/**
 * The failures activities and the write engine throw: builders of the failure types the workflows understand
 * (FAILURE_TYPES, src/workflows/messages.ts, says what each means), and Pipedrive client errors turned into them.
 */
export function permanent(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.permanent, message, nonRetryable: true, details: details ? [details] : [] });
}

export function transientFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.transient, message, nonRetryable: false });
}

export function badSource(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.badSource, message, nonRetryable: true, details: details ? [details] : [] });
}

/** The source cannot be read consistently right now (a re-export half-written, a mirror unreachable): look again. */
export function sourceNotReady(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.sourceNotReady, message, nonRetryable: false, details: details ? [details] : [] });
}

/**
 * The daily token budget stops this migration until `resumeAt`: Pipedrive's budget is spent, or (`reason`, shown to
 * ops as the pause's reason) this migration had its part of the day while another one on the account wants its own.
 */
export function dailyBudgetExhausted(resumeAt: Date, reason?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.dailyBudgetExhausted,
    message: reason
      ? `${reason}; looking again at ${resumeAt.toISOString()}`
      : `Pipedrive's daily token budget is spent; it resets at ${resumeAt.toISOString()}`,
    nonRetryable: true,
    details: [{ resumeAt: resumeAt.toISOString(), ...(reason && { reason }) }],
  });
}

export function rateLimited(retryAfterMs: number, endpoint: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.rateLimited,
    message: `Pipedrive rate limit on ${endpoint}; retrying in ${Math.ceil(retryAfterMs / 1000)} s`,
    nonRetryable: false,
    nextRetryDelay: Math.max(1000, retryAfterMs),
  });
}

/**
 * An error no failure type names (a bug, an unexpected library error), as Temporal keeps it: only the error's class
 * and code, because its message could quote a value and Temporal records every attempt's failure in the history (the
 * worker's log keeps the stack frames). `final`: after the last attempt it ends as a visible failure instead of
 * retrying forever; before, it is retried.
 */
export function unknownFailure(activityType: string, attempt: number, err: unknown, final: boolean): ApplicationFailure {
  const name = err instanceof Error ? err.name : typeof err;
  const code = (err as { code?: unknown } | null)?.code;
  // The product's own error classes write PHI-free messages (ids, tables, columns): theirs is worth keeping.
  const own = err instanceof Error && !FOREIGN_ERROR_NAMES.has(name);
  const what = own ? `${name}: ${err.message}` : `an unexpected ${name}${typeof code === 'string' ? ` (${code})` : ''}`;
  return ApplicationFailure.create({
    type: FAILURE_TYPES.unknown,
    message: final
      ? `${activityType} failed ${attempt} times with ${what}; see the worker's log`
      : `${activityType} attempt ${attempt} failed with ${what}; retrying`,
    nonRetryable: final,
    details: [{ activityType, attempt, errorName: name, ...(typeof code === 'string' ? { code } : {}) }],
  });
}

/** Error classes of the platform and of libraries, whose messages may quote the values they choked on. */
const FOREIGN_ERROR_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'EvalError',
  'URIError',
  'AggregateError',
  'DatabaseError',
  'ZodError',
  'AxiosError',
]);

/** Node's network error codes: a connection that failed or dropped; a retry may well succeed. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * Whether an error has a known failure type: a typed ApplicationFailure, an error the Pipedrive client classified, a
 * network error, or a PostgreSQL error a retry can settle (connection lost, server shutting down, too many
 * connections, a serialization failure or deadlock). Anything else is unexpected, and gets bounded attempts.
 */
export function hasKnownFailureType(err: unknown): boolean {
  if (err instanceof ApplicationFailure) return true;
  // Thrown as a class of that name, a failure type the retry policies already stop on (ConfigError, …).
  if (err instanceof Error && NON_RETRYABLE.includes(err.name as FailureType)) return true;
  if (err instanceof PipedriveError || err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError')) return true;
  // node-postgres's own words when the server goes away or the pool cannot connect in time (no SQLSTATE then).
  if (err instanceof Error && /^(Connection terminated|timeout exceeded when trying to connect)/u.test(err.message)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (NETWORK_CODES.has(code)) return true;
  return /^(08|53|57P0)/u.test(code) || code === '40001' || code === '40P01';
}

/** The API token answers for another Pipedrive account than the one the migration recorded before its first write. */
export function accountMismatch(migrationId: string, recorded: string, actual: string, action: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.accountMismatch,
    message:
      `refusing to ${action}: migration ${migrationId} writes to Pipedrive account ${recorded} (recorded before its first write), ` +
      `but PIPEDRIVE_API_TOKEN now answers for ${actual}; give the worker that account's token`,
    nonRetryable: true,
    details: [{ recorded, actual }],
  });
}

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
