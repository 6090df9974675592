import { Context } from '@temporalio/activity';
import { purgeStagedPhiRows, type PurgeCounts } from '../store/purge';
import type { MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { reconciledFields } from './reconciliation';
import { heartbeat } from './heartbeat';

/**
 * PHI at rest (DESIGN §5.11): once a migration no longer needs its staged extract (after a full rollback; after
 * cutover, DONE), its staged PHI is purged from the store (store/purge.ts). Input and result are PHI-free.
 */
export function createPurgeActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    /** `reason` is PHI-free (e.g. `rollback (all)`, `cutover`): it goes to the audit log and the history. */
    async purgeStagedPhi({ migrationId, reason }: MigrationRef & { reason: string }): Promise<PurgeCounts> {
      const ctx = Context.current();
      const { info } = ctx;
      const counts = await purgeStagedPhiRows(pool, migrationId, {
        by: info.workflowType ?? 'workflow',
        reason,
        keepDiffFields: reconciledFields(),
        workflowId: info.workflowExecution?.workflowId,
        runId: info.workflowExecution?.runId,
        activityId: info.activityId,
        attempt: info.attempt,
        onProgress: (p) => heartbeat(p, ctx),
      });
      deps.logger.info({ migrationId, reason, ...counts }, 'staged PHI purged');
      return counts;
    },
  };
}
