import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { hasKnownFailureType, unknownFailure } from '../failures';
import { type Logger } from '../logging';
import { COMPENSATIONS } from '../workflows/activity-options';

/** Attempts an activity gets at an error no failure type names before it ends as a visible UnknownFailure. */
export const UNKNOWN_FAILURE_ATTEMPTS = 5;

/**
 * An unexpected error (a bad setting read late, a bug) would otherwise retry forever behind a phase that looks busy,
 * and its message (which could quote a patient's value) would reach the history with each attempt's failure. Every
 * attempt's unexpected error is replaced by an UnknownFailure naming only the activity and the error's class; after
 * `maxAttempts` it is non-retryable and the migration shows FAILED with it. Typed failures, the Pipedrive client's
 * classified errors and transient network or PostgreSQL errors pass unchanged; the rollback's compensations, which
 * never give up on their own, keep retrying.
 */
export function boundedUnknownFailures(logger: Logger, maxAttempts = UNKNOWN_FAILURE_ATTEMPTS): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (hasKnownFailureType(err)) throw err;
          const { activityType, attempt } = ctx.info;
          const final = !COMPENSATIONS.includes(activityType) && attempt >= maxAttempts;
          const failure = unknownFailure(activityType, attempt, err, final);
          // The stack's frames say where; its first line (the message) could quote a value, so it stays out.
          const frames = err instanceof Error ? (err.stack ?? '').split('\n').slice(1, 8).join('\n') : undefined;
          const fields = { activity: activityType, attempt, workflowId: ctx.info.workflowExecution?.workflowId, frames };
          if (final) logger.error(fields, failure.message);
          else logger.warn(fields, failure.message);
          throw failure;
        }
      },
    };
    return { inbound };
  };
}
