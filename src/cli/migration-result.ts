import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { MigrationResult } from '../workflows/migration';
import type { RollbackResult } from '../workflows/rollback';
import { FAILURE_TYPES } from '../workflows/messages';

/**
 * A migration rolled back by its own workflow ends Failed (so that the Web UI's list never shows it like one that went
 * through), with type MigrationRolledBack and its result in the failure's details.
 */
export function rolledBackResult(err: unknown): MigrationResult | undefined {
  return rolledBackDetails(err) as MigrationResult | undefined;
}

function rolledBackDetails(err: unknown): unknown {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.rolledBack) return undefined;
  return cause.details?.[0];
}

/**
 * A finished migration's rollback (the workflow `rollback` starts) ends Failed too, with type MigrationRolledBack and
 * its result in the details, once it has proven the account is back; a rollback that did not prove it completes with
 * `proven: false`. Either way: its result; any other failure is thrown.
 */
export async function rollbackResult(handle: Pick<WorkflowHandle, 'result'>): Promise<RollbackResult> {
  try {
    return (await handle.result()) as RollbackResult;
  } catch (err) {
    const rolledBack = rolledBackDetails(err) as RollbackResult | undefined;
    if (rolledBack) return rolledBack;
    throw err;
  }
}

/** The migration's result, whether it went through or was rolled back; any other failure is thrown. */
export async function migrationResult(handle: Pick<WorkflowHandle, 'result'>): Promise<MigrationResult> {
  try {
    return (await handle.result()) as MigrationResult;
  } catch (err) {
    const rolledBack = rolledBackResult(err);
    if (rolledBack) return rolledBack;
    throw err;
  }
}
