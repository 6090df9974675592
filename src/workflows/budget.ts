import { ActivityFailure, ApplicationFailure, sleep } from '@temporalio/workflow';
import { FAILURE_TYPES } from './messages';

/**
 * When the daily token budget stops a migration, the activity says until when, and why when it is not Pipedrive's
 * budget spent (this migration's part of the day, src/pipedrive/day-shares.ts); undefined for any other failure.
 */
export function budgetStop(err: unknown): { resumeAt: string; reason?: string } | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.dailyBudgetExhausted) return undefined;
  const detail = cause.details?.[0] as { resumeAt?: string; reason?: string } | undefined;
  if (!detail?.resumeAt) return undefined;
  return { resumeAt: detail.resumeAt, ...(typeof detail.reason === 'string' && { reason: detail.reason }) };
}

/**
 * Runs `attempt`; each time it stops on an exhausted daily budget, sleeps durably until the reset (a server-side
 * timer: it survives worker restarts) and tries again. `onPause` lets the caller show the pause in the UI.
 */
export async function withDailyBudget<T>(attempt: () => Promise<T>, onPause: (pause: { reason: string; until: string } | undefined) => void): Promise<T> {
  for (;;) {
    try {
      const result = await attempt();
      onPause(undefined);
      return result;
    } catch (err) {
      const stop = budgetStop(err);
      if (!stop) throw err;
      const { resumeAt, reason } = stop;
      onPause({ reason: reason ?? "Pipedrive's daily API token budget is spent", until: resumeAt });
      const waitMs = Math.max(1000, Date.parse(resumeAt) - Date.now());
      await sleep(waitMs, {
        summary: reason
          ? `Waiting for its part of the daily token budget until ${resumeAt}`
          : `Waiting for Pipedrive's daily token budget to reset at ${resumeAt}`,
      });
    }
  }
}
