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

/** Adds an activity's requests to the migration's counts (one statement). */
export async function addRequestTokens(pool: Pool, migrationId: string, tallies: readonly RequestTally[]): Promise<void> {
  if (tallies.length === 0) return;
  await storeDb(pool)
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
    )
    .execute();
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
