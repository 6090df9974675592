import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { type Logger } from '../logging';
import { FAILURE_TYPES } from '../workflows/messages';

/**
 * The worker's log says when a migration pauses for Pipedrive's daily token budget: the activity that met the spent
 * budget fails with DailyBudgetExhausted and the workflow sleeps until `resumeAt` (no activity runs at the pause
 * itself, so it is logged here, as the failure leaves the activity). Ids, the activity type and the reset time only.
 */
export function budgetPauseLogging(logger: Logger): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === FAILURE_TYPES.dailyBudgetExhausted) {
            const first = input.args[0] as { migrationId?: unknown } | undefined;
            const migrationId = typeof first?.migrationId === 'string' ? first.migrationId : undefined;
            const resumeAt = (err.details?.[0] as { resumeAt?: string } | undefined)?.resumeAt;
            logger.info(
              { migrationId, activity: ctx.info.activityType, workflowId: ctx.info.workflowExecution?.workflowId, resumeAt },
              `migration ${migrationId ?? '?'}: Pipedrive's daily token budget is spent, paused until ${resumeAt ?? 'the reset'}`,
            );
          }
          throw err;
        }
      },
    };
    return { inbound };
  };
}
