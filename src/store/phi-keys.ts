import { randomBytes } from 'node:crypto';
import { type Pool, type PoolClient } from 'pg';
import { storeDbFor } from './db';

/**
 * The migration's key for the keyed hash of never-migrate values (see dentrix/never-stored.ts): made at random the
 * first time a migration stages rows, the same for every later staging (the delta window's polls), deleted by a
 * purge. Never logged, never sent to Temporal.
 */
export async function phiHashKey(db: Pool | PoolClient, migrationId: string): Promise<Buffer> {
  const store = storeDbFor(db);
  await store
    .insertInto('phi_hash_keys')
    .values({ migration_id: migrationId, hmac_key: randomBytes(32) })
    .onConflict((oc) => oc.column('migration_id').doNothing())
    .execute();
  const row = await store.selectFrom('phi_hash_keys').select('hmac_key').where('migration_id', '=', migrationId).executeTakeFirstOrThrow();
  return row.hmac_key;
}
