import { type Pool } from 'pg';
import { sql } from 'kysely';
import { storeDb } from './db';

/** Requests to one endpoint, counted for one phase and object type of a migration. */
export interface RequestTally {
  phase: string;
  /** '' when the request served no one object type (the account, the schema's listings…). */
  objectType: string;
  endpoint: string;
  requests: number;
  tokens: number;
}

/**
 * Adds an activity's requests to the migration's counts, and their tokens to its spend of the budget day `budgetDay`
 * (YYYY-MM-DD, see budgetDayOf), in one statement.
 */
export async function addRequestTokens(pool: Pool, migrationId: string, budgetDay: string, tallies: readonly RequestTally[]): Promise<void> {
  if (tallies.length === 0) return;
  const tokens = tallies.reduce((sum, t) => sum + t.tokens, 0);
  await storeDb(pool)
    .with('counted', (db) =>
      db
        .insertInto('request_tokens')
        .values(
          tallies.map((t) => ({
            migration_id: migrationId,
            phase: t.phase,
            object_type: t.objectType,
            endpoint: t.endpoint,
            requests: t.requests,
            tokens: t.tokens,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['migration_id', 'phase', 'object_type', 'endpoint']).doUpdateSet((eb) => ({
            requests: sql<number>`${eb.ref('request_tokens.requests')} + ${eb.ref('excluded.requests')}`,
            tokens: sql<number>`${eb.ref('request_tokens.tokens')} + ${eb.ref('excluded.tokens')}`,
          })),
        ),
    )
    .insertInto('budget_day_spend')
    .values({ migration_id: migrationId, budget_day: sql<Date>`${budgetDay}::date`, tokens })
    .onConflict((oc) =>
      oc.columns(['migration_id', 'budget_day']).doUpdateSet((eb) => ({
        tokens: sql<number>`${eb.ref('budget_day_spend.tokens')} + ${eb.ref('excluded.tokens')}`,
        // Only tokens say a migration is spending: a round of 429s is not spending the day.
        last_spent_at: sql<Date>`CASE WHEN ${eb.ref('excluded.tokens')} > 0 THEN now() ELSE ${eb.ref('budget_day_spend.last_spent_at')} END`,
      })),
    )
    .execute();
}

/** A migration's spend of one budget day on an account, with its phase and when it last spent tokens. */
export interface AccountDaySpend {
  migrationId: string;
  phase: string;
  tokens: number;
  lastSpentAt: Date;
}

/**
 * What every migration into one Pipedrive company (the account recorded before its first write, `host#company_id`:
 * the daily budget is the company's, whatever base URL reaches it) spent on a budget day.
 */
export async function accountDaySpends(pool: Pool, pipedriveAccount: string, budgetDay: string): Promise<AccountDaySpend[]> {
  const rows = await storeDb(pool)
    .selectFrom('budget_day_spend as s')
    .innerJoin('migration_runs as r', 'r.migration_id', 's.migration_id')
    .select(['s.migration_id', 'r.phase', sql<number>`s.tokens::float8`.as('tokens'), 's.last_spent_at'])
    .where('r.pipedrive_account', '=', pipedriveAccount)
    .where('s.budget_day', '=', sql<Date>`${budgetDay}::date`)
    .orderBy('s.migration_id')
    .execute();
  return rows.map((r) => ({ migrationId: r.migration_id, phase: r.phase, tokens: r.tokens, lastSpentAt: r.last_spent_at }));
}

/** Every count of a migration, by phase, object type and endpoint. */
export async function requestTokens(pool: Pool, migrationId: string): Promise<RequestTally[]> {
  const rows = await storeDb(pool)
    .selectFrom('request_tokens')
    .select(['phase', 'object_type', 'endpoint', 'requests', 'tokens'])
    .where('migration_id', '=', migrationId)
    .orderBy('phase')
    .orderBy('object_type')
    .orderBy('endpoint')
    .execute();
  return rows.map((r) => ({ phase: r.phase, objectType: r.object_type, endpoint: r.endpoint, requests: r.requests, tokens: r.tokens }));
}

/** Requests and their tokens, summed. */
export interface Spend {
  requests: number;
  tokens: number;
}

/** What a migration has spent, by phase (in the order spent) and in all. */
export interface TokenSpend {
  byPhase: Record<string, Spend>;
  total: Spend;
}

/** The migration's counts summed by phase. */
export async function tokenSpend(pool: Pool, migrationId: string): Promise<TokenSpend> {
  const byPhase: Record<string, Spend> = {};
  const total: Spend = { requests: 0, tokens: 0 };
  for (const t of await requestTokens(pool, migrationId)) {
    const phase = (byPhase[t.phase] ??= { requests: 0, tokens: 0 });
    phase.requests += t.requests;
    phase.tokens += t.tokens;
    total.requests += t.requests;
    total.tokens += t.tokens;
  }
  return { byPhase, total };
}
