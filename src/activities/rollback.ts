import { Context } from '@temporalio/activity';
import { appendAudit } from '../store/audit';
import { pgAuditLog, pgLedger, stagedParentKeys, type AuditContext } from '../store/engine-store';
import { Ledger } from '../store/ledger';
import { latestFieldMap } from '../store/field-maps';
import { mergePlan, redirectRef, storedMerges } from '../mapping';
import { enterRollbackPhase } from '../store/write-lock';
import { publishReport } from './publish-report';
import { heartbeat } from './heartbeat';
import { getRun, recordFingerprint, setRunPhase } from '../store/runs';
import { loadAccountFieldKeys } from './field-keys';
import type { FingerprintResult, MigrationRef, RollbackBatchInput, RollbackBatchResult } from './contracts';
import { createAccountGuard } from './account';
import { type ActivityDeps } from './deps';
import { isDataObjectType, objectType as objectTypeEntry } from '../object-types/registry';
import { writeJsonReport } from './report-files';
import { checkRollbackAgainstAccount } from '../engine/read-back';
import { proofVerdict, type RollbackChecks } from '../engine/rollback-proof';
import { nextToUndo, restoreBeforeImages, undoBatch } from '../engine/rollback';
import type { StagingSource } from '../engine/ports';
import { registryOperations } from '../engine/registry-operations';
import { rethrowAsFailure } from '../failures';

/** The context of the running activity attempt, for the audit log (ids only). */
function auditContext(): AuditContext {
  const info = Context.current().info;
  return { workflowId: info.workflowExecution?.workflowId, runId: info.workflowExecution?.runId, activityId: info.activityId, attempt: info.attempt };
}

/** The saga's compensations, thin adapters over the write engine: each is idempotent, treats "already gone" as done, and records what it did. */
export function createRollbackActivities(deps: ActivityDeps) {
  const { pool, settings, now = () => new Date() } = deps;
  const accounts = createAccountGuard(deps);

  /** Where a pending child record could be: its person (or deal), found through the staged row and the id map. */
  function recoveryParents(migrationId: string): Pick<StagingSource, 'recoveryParents'> {
    return {
      async recoveryParents(sourceKey) {
        const { patientId, txcaseId } = await stagedParentKeys(pool, migrationId, sourceKey);
        const refs = [];
        // A merged duplicate's records were written on its survivor's person.
        const merges = patientId ? mergePlan(storedMerges((await latestFieldMap(pool, migrationId, 'approved'))?.document)) : undefined;
        const personKey = patientId ? redirectRef(merges, { objectType: 'person', sourceKey: `patient:${patientId}` }).sourceKey : undefined;
        if (personKey) refs.push({ objectType: 'person', sourceKey: personKey });
        if (txcaseId) refs.push({ objectType: 'deal', sourceKey: `txcase:${txcaseId}` });
        const resolved = await new Ledger(pool).resolve(migrationId, refs);
        return {
          personId: personKey ? resolved.get(`person|${personKey}`) : undefined,
          dealId: txcaseId ? resolved.get(`deal|txcase:${txcaseId}`) : undefined,
        };
      },
    };
  }

  return {
    /**
     * Flips the migration into ROLLING_BACK under the exclusive write lock: batches hold the shared lock while they
     * write, so after this returns no batch is mid-write and every later batch sees the phase and stops.
     */
    async beginRollback({ migrationId, scope, by, reason }: MigrationRef & { scope: 'all' | 'sample'; by: string; reason: string }): Promise<void> {
      await enterRollbackPhase(pool, migrationId, scope === 'all' ? 'ROLLING_BACK' : 'ROLLING_BACK_SAMPLE');
      const { workflowId, runId, activityId } = auditContext();
      await appendAudit(pool, {
        migrationId,
        action: 'update',
        objectType: 'migration',
        method: 'SIGNAL',
        endpoint: `rollback:${scope}`,
        workflowId,
        runId,
        activityId,
        note: `rollback (${scope}) by ${by}: ${reason}`,
      });
    },

    async nextRollbackTarget({ migrationId, scope }: MigrationRef & { scope: 'all' | 'sample' }) {
      const next = await nextToUndo(pgLedger(pool, migrationId, {}), scope);
      if (!next) return undefined;
      if (scope === 'sample' && objectTypeEntry(next.objectType).kind === 'schema') return undefined; // the sample's schema stays for the re-run
      return { objectType: next.objectType, remaining: next.remaining };
    },

    /** Deletes up to `limit` created records of one type; resolves pending ones first (they may exist). */
    async rollbackBatch({ migrationId, objectType, scope, limit }: RollbackBatchInput): Promise<RollbackBatchResult> {
      const run = await getRun(pool, migrationId);
      const client = (await accounts.clientFor(run, 'roll back')).withBudgetReserve();
      const context = auditContext();
      const ledger = pgLedger(pool, migrationId, context);
      let result: { deleted: number; alreadyGone: number };
      try {
        result = await undoBatch(
          {
            ledger,
            audit: pgAuditLog(pool, migrationId, context),
            account: registryOperations(client),
            staging: recoveryParents(migrationId),
            fieldKeys: isDataObjectType(objectType) ? await loadAccountFieldKeys(pool, migrationId) : {},
          },
          { objectType, scope, limit, progress: (d) => heartbeat(d) },
        );
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
      if (objectType === 'custom_field') await new Ledger(pool).forgetDeletedFieldKeys(migrationId);
      const remaining = (await nextToUndo(ledger, scope))?.remaining ?? 0;
      return { ...result, remaining };
    },

    /**
     * Puts back the before-images of records the migration updated but did not create (it deleted the rest), then
     * marks them restored. Custom fields the migration created are left out: the record had no value in them, and
     * the rollback removes them.
     */
    async restoreBeforeImages({ migrationId }: MigrationRef & { scope: 'all' | 'sample' }): Promise<{ restored: number }> {
      const run = await getRun(pool, migrationId);
      const client = (await accounts.clientFor(run, 'restore before-images')).withBudgetReserve();
      const context = auditContext();
      try {
        return await restoreBeforeImages(
          { ledger: pgLedger(pool, migrationId, context), audit: pgAuditLog(pool, migrationId, context), account: registryOperations(client) },
          (d) => heartbeat(d),
        );
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
    },

    /**
     * The proof, against any account: nothing left in the ledger; every id the ledger created confirmed gone and every
     * restored record re-read equal to its before-image (engine/read-back.ts); and, scope all, the account's fingerprint
     * equal to the one taken before the first write. Without that fingerprint, the checks alone carry the proof.
     */
    async proveRollback({ migrationId, scope }: MigrationRef & { scope: 'all' | 'sample' }) {
      const run = await getRun(pool, migrationId);
      const client = deps.pipedriveFor(run.pipedriveBaseUrl).withBudgetReserve();
      const remaining = await new Ledger(pool).countRemaining(migrationId, scope);
      const ledger = pgLedger(pool, migrationId, auditContext());
      let after: FingerprintResult | undefined;
      let checks: RollbackChecks;
      try {
        checks = await checkRollbackAgainstAccount(
          ledger,
          client,
          () => loadAccountFieldKeys(pool, migrationId),
          scope,
          (d) => heartbeat(d),
        );
        if (scope === 'all') after = await deps.fingerprinter.take(client, run.pipedriveBaseUrl);
      } catch (err) {
        rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
      }
      const fingerprintBefore = run.fingerprintBefore ?? undefined;
      const verdict = proofVerdict({ scope, remaining, checks, fingerprintBefore, fingerprintAfter: after?.fingerprint });
      const proven = verdict.proven;
      if (after) await recordFingerprint(pool, migrationId, 'after_rollback', after.fingerprint);
      if (scope === 'all') await setRunPhase(pool, migrationId, 'ROLLED_BACK');
      // Counts and ids only: the report never carries a record's values.
      const reportPath = await writeJsonReport(settings, migrationId, `rollback-${scope}.json`, {
        migrationId,
        scope,
        at: now().toISOString(),
        proven,
        basis: verdict.basis,
        failures: verdict.failures,
        remainingLedgerRows: remaining,
        fingerprint: verdict.fingerprint,
        fingerprintBefore: fingerprintBefore ?? null,
        fingerprintAfter: after?.fingerprint ?? null,
        fingerprintMethod: after?.method ?? null,
        checks: {
          tokens: checks.tokens,
          createdConfirmedDeleted: checks.deleted.map((c) => ({
            objectType: c.objectType,
            checked: c.checked,
            stillPresent: c.stillPresent.length,
            stillPresentIds: c.stillPresent,
            method: c.method,
            requests: c.requests,
          })),
          restoredConfirmed: checks.restored.map((c) => ({
            objectType: c.objectType,
            checked: c.checked,
            matched: c.checked - c.mismatched.length - c.missing.length - c.notRestored.length,
            mismatched: c.mismatched,
            missingIds: c.missing,
            notRestoredIds: c.notRestored,
            requests: c.requests,
          })),
        },
      });
      await publishReport(pool, migrationId, `rollback-${scope}`, [reportPath], { proven });
      return { proven, remaining, fingerprintBefore, fingerprintAfter: after?.fingerprint, reportPath };
    },
  };
}
