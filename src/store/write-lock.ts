import { type Pool, type PoolClient } from 'pg';
import { sql } from 'kysely';
import { advisoryLock, storeDbOn } from './db';
import { writeLockKey } from './runs';

/**
 * Store connections one activity slot can hold at once: a load batch keeps one for the migration's write lock (an
 * advisory lock lives on its session) while each of its queries takes a second. A pool smaller than this times the
 * worker's activity slots deadlocks: every slot holds a lock connection and waits for a query connection none frees.
 */
export const CONNECTIONS_PER_ACTIVITY = 2;

/** The worker's store pool: every activity slot its two connections, and one spare for whatever runs between them. */
export function storePoolSize(maxConcurrentActivities: number): number {
  return CONNECTIONS_PER_ACTIVITY * maxConcurrentActivities + 1;
}

/**
 * Runs `fn` holding the migration's shared write lock: batches write under it, many at once. The lock's connection
 * stays checked out until `fn` ends, so the pool must be sized by storePoolSize (no deadlock at any concurrency).
 */
export async function withSharedWriteLock<T>(pool: Pool, migrationId: string, fn: (lockClient: PoolClient) => Promise<T>): Promise<T> {
  const lockClient = await pool.connect();
  const db = storeDbOn(lockClient);
  try {
    await advisoryLock(db, 'lock', writeLockKey(migrationId), 'shared');
    try {
      return await fn(lockClient);
    } finally {
      await advisoryLock(db, 'unlock', writeLockKey(migrationId), 'shared');
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
  const db = storeDbOn(client);
  try {
    await advisoryLock(db, 'lock', writeLockKey(migrationId));
    try {
      await db
        .updateTable('migration_runs')
        .set({ phase, updated_at: sql`now()` })
        .where('migration_id', '=', migrationId)
        .execute();
    } finally {
      await advisoryLock(db, 'unlock', writeLockKey(migrationId));
    }
  } finally {
    client.release();
  }
}
