import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { hasKnownFailureType, unknownFailure } from '../activities/failures';
import { type Logger } from '../logging';
import { COMPENSATIONS } from '../workflows/activity-options';

/** Attempts an activity gets at an error no failure type names before it ends as a visible UnknownFailure. */
export const UNKNOWN_FAILURE_ATTEMPTS = 5;

/**
 * An unexpected error (a bad setting read late, a bug) would otherwise retry forever behind a phase that looks busy:
 * after `maxAttempts` the activity fails with UnknownFailure, non-retryable, and the migration shows FAILED with it.
 * Typed failures, the Pipedrive client's classified errors and transient network or PostgreSQL errors keep their
 * retry policy; so do the rollback's compensations, which never give up on their own.
 */
export function boundedUnknownFailures(logger: Logger, maxAttempts = UNKNOWN_FAILURE_ATTEMPTS): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          const { activityType, attempt } = ctx.info;
          if (hasKnownFailureType(err) || COMPENSATIONS.includes(activityType) || attempt < maxAttempts) throw err;
          const failure = unknownFailure(activityType, attempt, err);
          // The stack's frames say where; its first line (the message) could quote a value, so it stays out.
          const frames = err instanceof Error ? (err.stack ?? '').split('\n').slice(1, 8).join('\n') : undefined;
          logger.error({ activity: activityType, attempt, workflowId: ctx.info.workflowExecution?.workflowId, frames }, failure.message);
          throw failure;
        }
      },
    };
    return { inbound };
  };
}

