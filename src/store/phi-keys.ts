import { randomBytes } from 'node:crypto';
import { type Pool, type PoolClient } from 'pg';

/**
 * The migration's key for the keyed hash of never-migrate values (see dentrix/never-stored.ts): made at random the
 * first time a migration stages rows, the same for every later staging (the delta window's polls), deleted by a
 * purge. Never logged, never sent to Temporal.
 */
export async function phiHashKey(db: Pool | PoolClient, migrationId: string): Promise<Buffer> {
  await db.query('INSERT INTO phi_hash_keys (migration_id, hmac_key) VALUES ($1, $2) ON CONFLICT (migration_id) DO NOTHING', [
    migrationId,
    randomBytes(32),
  ]);
  const { rows } = await db.query<{ hmac_key: Buffer }>('SELECT hmac_key FROM phi_hash_keys WHERE migration_id = $1', [migrationId]);
  return rows[0]!.hmac_key;
}
