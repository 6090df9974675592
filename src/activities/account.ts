import { type PipedriveClient } from '../pipedrive/client';
import { type MigrationRun, pipedriveAccountId } from '../store/runs';
import { type ActivityDeps } from './deps';
import { accountMismatch } from '../failures';
import { rethrowAsFailure } from '../failures';

/** The account a token answers for, as recorded in the store (`host#company_id`), and who the token is. */
export interface AccountIdentity {
  account: string;
  userId: number;
  companyName?: string;
}

/** How long a confirmed identity is trusted in one worker process: the token is the process's, so this only bounds staleness. */
const CONFIRMED_FOR_MS = 5 * 60_000;

export async function identifyAccount(client: PipedriveClient, baseUrl: string): Promise<AccountIdentity> {
  const me = await client.me();
  if (typeof me.company_id !== 'number') throw new Error(`GET /users/me on ${new URL(baseUrl).host} did not say which company the token belongs to`);
  return { account: pipedriveAccountId(baseUrl, me.company_id), userId: me.id, companyName: me.company_name };
}

/**
 * Before a write phase, the delta window or a rollback acts on the account, the token must still answer for the account
 * recorded before the migration's first write: a token swapped for another company's would otherwise create records
 * there, or delete by id in the wrong account. Confirmed identities are cached per process for a few minutes.
 */
export function createAccountGuard(deps: Pick<ActivityDeps, 'pipedriveFor' | 'settings'>) {
  const confirmed = new Map<string, number>();

  return {
    /** The client for `run`'s account, after checking the token answers for it. Runs that have not recorded an account yet pass. */
    async clientFor(run: MigrationRun, action: string): Promise<PipedriveClient> {
      const client = deps.pipedriveFor(run.pipedriveBaseUrl);
      const recorded = run.pipedriveAccount;
      if (!recorded) return client;
      const cacheKey = `${run.migrationId}|${run.pipedriveBaseUrl}|${recorded}`;
      const at = confirmed.get(cacheKey);
      if (at !== undefined && Date.now() - at < CONFIRMED_FOR_MS) return client;
      let actual: AccountIdentity;
      try {
        actual = await identifyAccount(client, run.pipedriveBaseUrl);
      } catch (err) {
        rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
      }
      if (actual.account !== recorded) {
        confirmed.delete(cacheKey);
        throw accountMismatch(run.migrationId, recorded, actual.account, action);
      }
      confirmed.set(cacheKey, Date.now());
      return client;
    },
  };
}

/** `start`'s preflight, run on a worker because the API token lives there only. */
export function createAccountActivities(deps: Pick<ActivityDeps, 'pipedriveFor' | 'settings'>) {
  return {
    /**
     * Which account the worker's token answers for at `pipedriveBaseUrl` (a wrong token fails here, permanently). Its
     * one request may spend from the daily budget's reserve: a second practice started while another migration into
     * the account has spent the day down to the reserve is checked now, not refused until tomorrow.
     */
    async identifyPipedriveAccount({ pipedriveBaseUrl }: { pipedriveBaseUrl: string }): Promise<AccountIdentity> {
      try {
        return await identifyAccount(deps.pipedriveFor(pipedriveBaseUrl).withBudgetReserve(), pipedriveBaseUrl);
      } catch (err) {
        rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
      }
    },
  };
}
