import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { FAILURE_TYPES } from './messages';

type Activities = ReturnType<typeof createActivities>;
// A wrong token is permanent (401); a network blip gets two more tries, then `start` says what failed.
const { identifyPipedriveAccount } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [FAILURE_TYPES.permanent] },
});

export interface PreflightInput {
  pipedriveBaseUrl: string;
}

/**
 * `start`'s check, before any extract work, that a worker answers and that its API token is valid for the account it
 * is pointed at. Returns the account identity (`host#company_id`), no patient data.
 */
export async function preflightWorkflow(input: PreflightInput): Promise<{ account: string; userId: number; companyName?: string }> {
  return identifyPipedriveAccount({ pipedriveBaseUrl: input.pipedriveBaseUrl });
}
