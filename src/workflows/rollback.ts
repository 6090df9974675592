import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { compensationActivity, shortActivity, sourceActivity } from './activity-options';
import { withDailyBudget } from './budget';
import { FAILURE_TYPES, rollbackProgressSignal } from './messages';
import { SEARCH_ATTRIBUTES } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;
const short = proxyActivities<Activities>(shortActivity);
const compensate = proxyActivities<Activities>(compensationActivity);
/** Long store work with heartbeats (a whole extract's staged rows). */
const store = proxyActivities<Activities>(sourceActivity);

export interface RollbackWorkflowInput {
  migrationId: string;
  /** `sample`: only what the sample run created (the schema stays); `all`: everything, schema included. */
  scope: 'all' | 'sample';
  by: string;
  reason: string;
  /** Carried across continue-as-new. */
  resume?: { deleted: number; alreadyGone: number; started: boolean };
}

export interface RollbackResult {
  scope: 'all' | 'sample';
  deleted: number;
  alreadyGone: number;
  restored: number;
  /** Ledger rows still marked created or pending after the run: 0 when the rollback is complete. */
  remaining: number;
  fingerprintBefore?: string;
  fingerprintAfter?: string;
  /** True when the account is provably back where it was (scope all: fingerprints equal and nothing remains). */
  proven: boolean;
}

const BATCH = 100;
/** Histories from before this change told the migration nothing of a rollback's progress until it ended. */
const PROGRESS_TO_PARENT = 'rollback-progress-to-parent';
/** Histories from before this change completed (green in the Web UI's list) after rolling a finished migration back. */
const ROLLED_BACK_IS_NOT_SUCCESS = 'standalone-rollback-ends-failed';

/**
 * The saga's compensation: deletes what the migration created, highest load rank first (the exact reverse of the
 * dependency order: files, notes, activities, deal products, deals, persons, products, organizations, then fields,
 * stages, pipelines, activity types), restores before-images, proves the result and, for a full rollback, purges
 * the staged PHI. It runs to completion even when cancelled: a half-done rollback is worse than either end state.
 */
export async function rollbackWorkflow(input: RollbackWorkflowInput): Promise<RollbackResult> {
  return CancellationScope.nonCancellable(async () => {
    const { migrationId, scope } = input;
    let deleted = input.resume?.deleted ?? 0;
    let alreadyGone = input.resume?.alreadyGone ?? 0;
    let paused: { reason: string; until: string } | undefined;
    const show = (current?: string) =>
      setCurrentDetails(
        `**Rollback (${scope})** by ${input.by}\n\ndeleted ${deleted} · already gone ${alreadyGone}` +
          (current ? `\n\nnow: ${current}` : '') +
          (paused ? `\n\n⏸ ${paused.reason}; resumes at ${paused.until}` : ''),
      );

    if (!input.resume?.started) {
      await short.beginRollback({ migrationId, scope, by: input.by, reason: input.reason });
      if (workflowInfo().workflowType === 'rollbackWorkflow' && !workflowInfo().parent) {
        upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: 'ROLLING_BACK' }]);
      }
    }

    // The migration running this rollback shows its progress in its own status and Web UI details (ops watch that one).
    const tellParent = (current?: string) => {
      const parent = workflowInfo().parent;
      if (!parent || !patched(PROGRESS_TO_PARENT)) return;
      void getExternalWorkflowHandle(parent.workflowId)
        .signal(rollbackProgressSignal, { scope, deleted, alreadyGone, current })
        .catch(() => undefined);
    };

    for (;;) {
      const next = await short.nextRollbackTarget({ migrationId, scope });
      if (!next) break;
      show(`${next.objectType}: ${next.remaining} left`);
      tellParent(`${next.objectType}: ${next.remaining} left`);
      const result = await withDailyBudget(
        () =>
          compensate.rollbackBatch.executeWithOptions({ ...compensationActivity, summary: `rollback ${next.objectType} (${next.remaining} left)` }, [
            { migrationId, objectType: next.objectType, scope, limit: BATCH },
          ]),
        (p) => {
          paused = p;
          show(next.objectType);
        },
      );
      deleted += result.deleted;
      alreadyGone += result.alreadyGone;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof rollbackWorkflow>({ ...input, resume: { deleted, alreadyGone, started: true } });
      }
    }

    show('restoring before-images');
    tellParent('restoring before-images, then proving the account is back');
    const pauseShown = (p: { reason: string; until: string } | undefined) => {
      paused = p;
      show();
    };
    const restored = await withDailyBudget(() => compensate.restoreBeforeImages({ migrationId, scope }), pauseShown);
    show('proving the account is back to its pre-migration state');
    const proof = await withDailyBudget(() => short.proveRollback({ migrationId, scope }), pauseShown);
    // PHI at rest (DESIGN §5.11): nothing will be loaded from this staging again, so its PHI goes. Not after a
    // rejected sample's rollback: the sample is re-run from staging.
    if (scope === 'all' && patched('purge-staged-phi-after-rollback')) {
      show('purging the staged extract');
      await store.purgeStagedPhi({ migrationId, reason: 'rollback (all)' });
    }
    if (!workflowInfo().parent) {
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: scope === 'all' ? 'ROLLED_BACK' : 'MAPPING_REVIEW' }]);
    }
    setCurrentDetails(
      `**Rollback (${scope}) complete**: deleted ${deleted}, already gone ${alreadyGone}, restored ${restored.restored}` +
        `\n\nproof: ${proof.proven ? 'account state matches the pre-migration fingerprint' : 'NOT PROVEN: see the rollback report'}`,
    );
    const result: RollbackResult = {
      scope,
      deleted,
      alreadyGone,
      restored: restored.restored,
      remaining: proof.remaining,
      fingerprintBefore: proof.fingerprintBefore,
      fingerprintAfter: proof.fingerprintAfter,
      proven: proof.proven,
    };
    // A finished migration rolled back: its own run stays Completed (a closed run cannot change), so this one is what
    // the Web UI's list shows for it, and it must not read as a success either. A child's (a rejected sample, a
    // rollback the migration runs) ends normally: the migration itself ends as it should.
    if (!workflowInfo().parent && scope === 'all' && proof.proven && patched(ROLLED_BACK_IS_NOT_SUCCESS)) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.rolledBack,
        nonRetryable: true,
        message: `migration ${migrationId} rolled back (requested by ${input.by}): ${deleted} record(s) deleted, ${alreadyGone} already gone; the Pipedrive account is back at its pre-migration fingerprint`,
        details: [result],
      });
    }
    return result;
  });
}
