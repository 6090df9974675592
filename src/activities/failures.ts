import { ApplicationFailure } from '@temporalio/activity';

/**
 * Failure types the workflows understand. Messages are PHI-free: ids, tables, columns, endpoints, counts.
 * - PermanentFailure: bad data or a refused request; retrying cannot help.
 * - BadSource: the extract itself is unusable (missing table, truncated file).
 * - SourceNotReady: during the delta window, the live source cannot be read consistently now; retried.
 * - DailyBudgetExhausted: Pipedrive's daily token budget is spent; details carry `resumeAt`, the workflow sleeps.
 * - RateLimited: a burst-window 429 that outlasted the client's own waiting; retried after `nextRetryDelay`.
 * - TransientFailure: an answer left something unsettled that a retry of the activity settles.
 */
export function permanent(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: 'PermanentFailure', message, nonRetryable: true, details: details ? [details] : [] });
}

export function transientFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'TransientFailure', message, nonRetryable: false });
}

export function badSource(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: 'BadSource', message, nonRetryable: true, details: details ? [details] : [] });
}

/** The source cannot be read consistently right now (a re-export half-written, a mirror unreachable): look again. */
export function sourceNotReady(message: string, details?: object): ApplicationFailure {
  return ApplicationFailure.create({ type: 'SourceNotReady', message, nonRetryable: false, details: details ? [details] : [] });
}

export function dailyBudgetExhausted(resumeAt: Date): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'DailyBudgetExhausted',
    message: `Pipedrive's daily token budget is spent; it resets at ${resumeAt.toISOString()}`,
    nonRetryable: true,
    details: [{ resumeAt: resumeAt.toISOString() }],
  });
}

export function rateLimited(retryAfterMs: number, endpoint: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'RateLimited',
    message: `Pipedrive rate limit on ${endpoint}; retrying in ${Math.ceil(retryAfterMs / 1000)} s`,
    nonRetryable: false,
    nextRetryDelay: Math.max(1000, retryAfterMs),
  });
}

/** The API token answers for another Pipedrive account than the one the migration recorded before its first write. */
export function accountMismatch(migrationId: string, recorded: string, actual: string, action: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'AccountMismatch',
    message:
      `refusing to ${action}: migration ${migrationId} writes to Pipedrive account ${recorded} (recorded before its first write), ` +
      `but PIPEDRIVE_API_TOKEN now answers for ${actual}; give the worker that account's token`,
    nonRetryable: true,
    details: [{ recorded, actual }],
  });
}
