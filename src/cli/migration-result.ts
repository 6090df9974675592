import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { MigrationResult } from '../workflows/migration';
import { FAILURE_TYPES } from '../workflows/messages';

/**
 * A migration rolled back by its own workflow ends Failed (so that the Web UI's list never shows it like one that went
 * through), with type MigrationRolledBack and its result in the failure's details.
 */
export function rolledBackResult(err: unknown): MigrationResult | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.rolledBack) return undefined;
  return cause.details?.[0] as MigrationResult | undefined;
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
