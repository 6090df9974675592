import { ActivityFailure, ApplicationFailure, sleep } from '@temporalio/workflow';
import { FAILURE_TYPES } from './messages';

/** When Pipedrive's daily token budget is spent, the activity says when it resets; undefined for any other failure. */
export function budgetResumeAt(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.dailyBudgetExhausted) return undefined;
  const detail = cause.details?.[0] as { resumeAt?: string } | undefined;
  return detail?.resumeAt;
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
      const resumeAt = budgetResumeAt(err);
      if (!resumeAt) throw err;
      onPause({ reason: "Pipedrive's daily API token budget is spent", until: resumeAt });
      const waitMs = Math.max(1000, Date.parse(resumeAt) - Date.now());
      await sleep(waitMs, { summary: `Waiting for Pipedrive's daily token budget to reset at ${resumeAt}` });
    }
  }
}
