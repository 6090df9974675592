import { ActivityFailure, type ApplicationFailure, RetryState } from '@temporalio/common';
import { dailyBudgetExhausted, permanent } from '../../../src/failures';
import { budgetStop } from '../../../src/workflows/budget';

const fromActivity = (cause: ApplicationFailure) => new ActivityFailure('Activity task failed', 'loadBatch', '3', RetryState.NON_RETRYABLE_FAILURE, 'w', cause);

/** What the workflow shows and waits for when the daily budget stops a batch (its pause in `status`, its timer). */
describe('budgetStop', () => {
  it("says until when Pipedrive's budget is spent (no reason: the default one is shown)", () => {
    const resumeAt = new Date('2026-12-07T00:00:00.000Z');
    expect(budgetStop(fromActivity(dailyBudgetExhausted(resumeAt)))).toEqual({ resumeAt: resumeAt.toISOString() });
  });

  it("carries the reason when the migration had its part of the day's budget", () => {
    const resumeAt = new Date('2026-12-06T18:00:00.000Z');
    const reason = "This migration has had its part of today's Pipedrive token budget";
    expect(budgetStop(fromActivity(dailyBudgetExhausted(resumeAt, reason)))).toEqual({ resumeAt: resumeAt.toISOString(), reason });
  });

  it('is undefined for any other failure', () => {
    expect(budgetStop(fromActivity(permanent('refused')))).toBeUndefined();
    expect(budgetStop(new Error('x'))).toBeUndefined();
  });
});
