import { type Pool } from 'pg';
import { storeDb } from './db';

/** The last daily budget Pipedrive reported for an account (its `x-daily-ratelimit-token-*` headers). */
export interface AccountBudget {
  remaining: number;
  limit?: number;
  observedAt: string;
}

/** The account root as the client normalises it (no trailing slash): one row per Pipedrive company. */
const accountKey = (baseUrl: string): string => baseUrl.replace(/\/+$/u, '');

/** Keeps the newest report of an account's daily budget (an older one, from a slower worker, never overwrites it). */
export async function recordAccountBudget(pool: Pool, baseUrl: string, budget: AccountBudget): Promise<void> {
  const row = { base_url: accountKey(baseUrl), remaining: budget.remaining, budget_limit: budget.limit ?? null, observed_at: new Date(budget.observedAt) };
  await storeDb(pool)
    .insertInto('account_budgets')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('base_url')
        .doUpdateSet({ remaining: row.remaining, budget_limit: row.budget_limit, observed_at: row.observed_at })
        .where('account_budgets.observed_at', '<', row.observed_at),
    )
    .execute();
}

/** What the workers last saw of the account's daily budget; undefined when none has reported it. */
export async function accountBudget(pool: Pool, baseUrl: string): Promise<AccountBudget | undefined> {
  const row = await storeDb(pool).selectFrom('account_budgets').selectAll().where('base_url', '=', accountKey(baseUrl)).executeTakeFirst();
  if (!row) return undefined;
  return { remaining: row.remaining, ...(row.budget_limit === null ? {} : { limit: row.budget_limit }), observedAt: row.observed_at.toISOString() };
}
