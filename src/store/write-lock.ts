import { type Pool, type PoolClient } from 'pg';
import { writeLockKey } from './runs';

/** Runs `fn` holding the migration's shared write lock: batches write under it, many at once. */
export async function withSharedWriteLock<T>(pool: Pool, migrationId: string, fn: (lockClient: PoolClient) => Promise<T>): Promise<T> {
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock_shared(hashtext($1))', [writeLockKey(migrationId)]);
    try {
      return await fn(lockClient);
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock_shared(hashtext($1))', [writeLockKey(migrationId)]);
    }
  } finally {
    lockClient.release();
  }
}

/**
 * Flips the migration into a rollback phase under the exclusive write lock: batches hold the shared lock while they
 * write, so after this returns no batch is mid-write and every later batch sees the phase and stops.
 */
export async function enterRollbackPhase(pool: Pool, migrationId: string, phase: 'ROLLING_BACK' | 'ROLLING_BACK_SAMPLE'): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [writeLockKey(migrationId)]);
    try {
      await client.query('UPDATE migration_runs SET phase = $2, updated_at = now() WHERE migration_id = $1', [migrationId, phase]);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [writeLockKey(migrationId)]);
    }
  } finally {
    client.release();
  }
}
