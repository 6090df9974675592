import { Context } from '@temporalio/activity';
import { appendAudit } from '../store/audit';
import { Ledger, type LedgerEntry } from '../store/ledger';
import { publishReport } from './publish-report';
import { getRun, setRunPhase, writeLockKey } from '../store/runs';
import { loadAccountFieldKeys } from './field-keys';
import type { FingerprintResult, MigrationRef, RollbackBatchInput, RollbackBatchResult } from './contracts';
import { createAccountGuard } from './account';
import { type ActivityDeps } from './deps';
import { dataObjectType, isDataObjectType, objectType as objectTypeEntry, writeOperation } from '../object-types/registry';
import { recoverCreatedId, type RecoveryHints } from './recovery';
import { writeJsonReport } from './report-files';
import { takeAccountFingerprint } from './fingerprint';
import { checkRollbackAgainstAccount, createdFieldCodes } from './rollback-checks';
import { proofVerdict, withoutFields, type RollbackChecks } from './rollback-proof';
import { rethrowAsFailure } from './pipedrive-failures';
import { permanent } from './failures';

/** The saga's compensations: each is idempotent, treats "already gone" as done, and records what it did. */
export function createRollbackActivities(deps: ActivityDeps) {
  const { pool, settings, now = () => new Date() } = deps;
  const accounts = createAccountGuard(deps);

  /** Where a pending child record could be: its person (or deal), found through the staged row and the id map. */
  async function hintsFor(migrationId: string, entry: LedgerEntry): Promise<RecoveryHints> {
    const ledger = new Ledger(pool);
    const hints: RecoveryHints = {
      since: entry.updatedAt,
      createdElsewhere: (pipedriveId) => ledger.createdByAnotherMigration(migrationId, entry.objectType, pipedriveId),
    };
    const [kind, id] = entry.sourceKey.split(':');
    const table = { appt: 'appt', recall: 'recall', clinical_note: 'clinical_note', document: 'document', procedure: 'procedure' }[kind ?? ''];
    if (!table || !id) return hints;
    const { rows } = await pool.query<{ patient_id: string | null; txcase_id: string | null }>(
      `SELECT data->>'patient_id' AS patient_id, data->>'txcase_id' AS txcase_id FROM staged_rows
       WHERE migration_id = $1 AND source_table = $2 AND source_key = $3`,
      [migrationId, table, id],
    );
    const row = rows[0];
    const refs = [];
    if (row?.patient_id) refs.push({ objectType: 'person', sourceKey: `patient:${row.patient_id}` });
    if (row?.txcase_id) refs.push({ objectType: 'deal', sourceKey: `txcase:${row.txcase_id}` });
    const resolved = await ledger.resolve(migrationId, refs);
    if (row?.patient_id) hints.personId = resolved.get(`person|patient:${row.patient_id}`);
    if (row?.txcase_id) hints.dealId = resolved.get(`deal|txcase:${row.txcase_id}`);
    return hints;
  }

  return {
    /**
     * Flips the migration into ROLLING_BACK under the exclusive write lock: batches hold the shared lock while they
     * write, so after this returns no batch is mid-write and every later batch sees the phase and stops.
     */
    async beginRollback({ migrationId, scope, by, reason }: MigrationRef & { scope: 'all' | 'sample'; by: string; reason: string }): Promise<void> {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [writeLockKey(migrationId)]);
        try {
          await client.query("UPDATE migration_runs SET phase = $2, updated_at = now() WHERE migration_id = $1", [
            migrationId,
            scope === 'all' ? 'ROLLING_BACK' : 'ROLLING_BACK_SAMPLE',
          ]);
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [writeLockKey(migrationId)]);
        }
      } finally {
        client.release();
      }
      const info = Context.current().info;
      await appendAudit(pool, {
        migrationId,
        action: 'update',
        objectType: 'migration',
        method: 'SIGNAL',
        endpoint: `rollback:${scope}`,
        workflowId: info.workflowExecution?.workflowId,
        runId: info.workflowExecution?.runId,
        activityId: info.activityId,
        note: `rollback (${scope}) by ${by}: ${reason}`,
      });
    },

    async nextRollbackTarget({ migrationId, scope }: MigrationRef & { scope: 'all' | 'sample' }) {
      const next = await new Ledger(pool).nextToUndo(migrationId, scope);
      if (!next) return undefined;
      if (scope === 'sample' && objectTypeEntry(next.objectType).kind === 'schema') return undefined; // the sample's schema stays for the re-run
      return { objectType: next.objectType, remaining: next.remaining };
    },

    /** Deletes up to `limit` created records of one type; resolves pending ones first (they may exist). */
    async rollbackBatch({ migrationId, objectType, scope, limit }: RollbackBatchInput): Promise<RollbackBatchResult> {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      const client = (await accounts.clientFor(run, 'roll back')).withBudgetReserve();
      const ledger = new Ledger(pool);
      const entries = await ledger.toUndo(migrationId, objectType, scope, limit);
      const type = objectTypeEntry(objectType);
      if (!type.ops) throw permanent(`${objectType} records are resolved, never created: nothing to roll back`);
      const ops = type.ops;
      const byParent = 'deleteByParent' in ops ? ops.deleteByParent : undefined;
      const fieldKeys = isDataObjectType(objectType) ? await loadAccountFieldKeys(pool, migrationId) : {};
      let deleted = 0;
      let alreadyGone = 0;
      /** The ledger row is marked deleted and the delete (or "already gone") is in the audit log, together. */
      const recordUndone = async (
        sourceKey: string,
        pipedriveId: string | null,
        outcome: 'deleted' | 'not_found',
        e: { note?: string | null; tokens: number },
      ) => {
        await ledger.markDeleted(migrationId, objectType, sourceKey);
        await appendAudit(pool, {
          migrationId,
          action: 'delete',
          objectType,
          sourceKey,
          pipedriveId,
          ...writeOperation(objectType, 'delete', { pipedriveId, sourceKey }),
          tokens: e.tokens,
          status: outcome === 'deleted' ? 200 : 404,
          workflowId: ctx.info.workflowExecution?.workflowId,
          runId: ctx.info.workflowExecution?.runId,
          activityId: ctx.info.activityId,
          attempt: ctx.info.attempt,
          note: outcome === 'not_found' ? (e.note ? `already gone; ${e.note}` : 'already gone') : (e.note ?? null),
        });
        if (outcome === 'deleted') deleted++;
        else alreadyGone++;
      };
      if (byParent) {
        // Per parent (deal): one list (10 tokens), then one bulk delete (15 tokens, ≤100) when it beats single deletes (3 each).
        const byDeal = new Map<number, LedgerEntry[]>();
        for (const entry of entries.filter((e) => e.state === 'created' && e.pipedriveId)) {
          const dealId = byParent.parentOf(entry.pipedriveId!);
          byDeal.set(dealId, [...(byDeal.get(dealId) ?? []), entry]);
        }
        for (const [dealId, group] of byDeal) {
          ctx.heartbeat({ objectType, dealId });
          try {
            const present = await byParent.present(client, dealId);
            const ids = group.map((e) => e.pipedriveId!).filter((id) => present.has(id));
            const bulk = ids.length > byParent.bulkAbove;
            await byParent.remove(client, dealId, ids, bulk);
            // One bulk request per 100 attachments: its cost is booked once, on the first item it removed.
            const bulkCost = type.endpoints.bulkDelete?.tokens ?? 0;
            const singleCost = writeOperation(objectType, 'delete').tokens;
            let inChunk = 0;
            for (const entry of group) {
              const gone = !present.has(entry.pipedriveId!);
              let tokens = 0;
              if (!gone) tokens = bulk ? (inChunk++ % byParent.bulkMax === 0 ? bulkCost : 0) : singleCost;
              await recordUndone(entry.sourceKey, entry.pipedriveId, gone ? 'not_found' : 'deleted', {
                note: bulk && !gone ? `bulk delete of ${ids.length}` : null,
                tokens,
              });
            }
          } catch (err) {
            rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
          }
        }
      }
      for (const entry of entries.filter((e) => !byParent || e.state === 'pending')) {
        ctx.heartbeat({ objectType, sourceKey: entry.sourceKey });
        let pipedriveId = entry.pipedriveId;
        try {
          const meter = { tokens: 0 };
          if (entry.state === 'pending' && isDataObjectType(objectType)) {
            pipedriveId = (await recoverCreatedId(client, objectType, entry.sourceKey, fieldKeys, await hintsFor(migrationId, entry), meter)) ?? null;
          }
          const outcome = pipedriveId ? await ops.delete(client, pipedriveId) : 'not_found';
          // The delete's cost (sent even when the record is already gone), plus the reads that recovered a pending id.
          let deleteCost = 0;
          if (pipedriveId) {
            deleteCost = 'deleteTokens' in ops && ops.deleteTokens ? ops.deleteTokens(outcome) : writeOperation(objectType, 'delete', { pipedriveId }).tokens;
          }
          await recordUndone(entry.sourceKey, pipedriveId, outcome, {
            note: meter.tokens > 0 ? 'pending create: id recovered by its Dentrix key first' : null,
            tokens: deleteCost + meter.tokens,
          });
        } catch (err) {
          rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
        }
      }
      if (objectType === 'custom_field') {
        await pool.query(
          `DELETE FROM field_keys fk USING id_map m
           WHERE fk.migration_id = $1 AND m.migration_id = fk.migration_id AND m.object_type = 'custom_field'
             AND m.state = 'deleted' AND m.pipedrive_id = fk.entity || '/' || fk.field_code`,
          [migrationId],
        );
      }
      const remaining = (await ledger.nextToUndo(migrationId, scope))?.remaining ?? 0;
      return { deleted, alreadyGone, remaining };
    },

    /**
     * Puts back the before-images of records the migration updated but did not create (it deleted the rest), then
     * marks them restored. Custom fields the migration created are left out: the record had no value in them, and
     * the rollback removes them.
     */
    async restoreBeforeImages({ migrationId }: MigrationRef & { scope: 'all' | 'sample' }): Promise<{ restored: number }> {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      const client = (await accounts.clientFor(run, 'restore before-images')).withBudgetReserve();
      const { rows } = await pool.query<{ object_type: string; pipedrive_id: string; body: Record<string, unknown> }>(
        `SELECT b.object_type, b.pipedrive_id, b.body FROM before_images b
         WHERE b.migration_id = $1 AND b.restored_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM id_map m WHERE m.migration_id = b.migration_id AND m.object_type = b.object_type
                           AND m.pipedrive_id = b.pipedrive_id AND m.state = 'deleted')`,
        [migrationId],
      );
      const ours = rows.length > 0 ? await createdFieldCodes(pool, migrationId) : new Set<string>();
      let restored = 0;
      for (const row of rows) {
        ctx.heartbeat({ restored });
        const body = withoutFields(row.body, ours);
        try {
          const ops = dataObjectType(row.object_type).ops;
          if (!ops.update) throw permanent(`${row.object_type} records cannot be updated in place: a before-image of one cannot be restored`);
          await ops.update(client, row.pipedrive_id, body);
        } catch (err) {
          rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
        }
        await pool.query('UPDATE before_images SET restored_at = now() WHERE migration_id = $1 AND object_type = $2 AND pipedrive_id = $3', [
          migrationId,
          row.object_type,
          row.pipedrive_id,
        ]);
        await appendAudit(pool, {
          migrationId,
          action: 'restore',
          objectType: row.object_type,
          pipedriveId: row.pipedrive_id,
          ...writeOperation(row.object_type, 'update'),
          status: 200,
          workflowId: ctx.info.workflowExecution?.workflowId,
          runId: ctx.info.workflowExecution?.runId,
          activityId: ctx.info.activityId,
          attempt: ctx.info.attempt,
          note: 'before-image restored',
        });
        restored++;
      }
      return { restored };
    },

    /**
     * The proof, against any account: nothing left in the ledger; every id the ledger created confirmed gone and every
     * restored record re-read equal to its before-image (rollback-checks.ts); and, scope all, the account's fingerprint
     * equal to the one taken before the first write. Without that fingerprint, the checks alone carry the proof.
     */
    async proveRollback({ migrationId, scope }: MigrationRef & { scope: 'all' | 'sample' }) {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      const client = deps.pipedriveFor(run.pipedriveBaseUrl).withBudgetReserve();
      const remaining = await new Ledger(pool).countRemaining(migrationId, scope);
      let after: FingerprintResult | undefined;
      let checks: RollbackChecks;
      try {
        checks = await checkRollbackAgainstAccount(pool, client, migrationId, scope, (d) => ctx.heartbeat(d));
        if (scope === 'all') after = await takeAccountFingerprint(client, run.pipedriveBaseUrl);
      } catch (err) {
        rethrowAsFailure(err, deps.settings.budgetResetTimeZone);
      }
      const fingerprintBefore = run.fingerprintBefore ?? undefined;
      const verdict = proofVerdict({ scope, remaining, checks, fingerprintBefore, fingerprintAfter: after?.fingerprint });
      const proven = verdict.proven;
      if (after) await pool.query('UPDATE migration_runs SET fingerprint_after = $2 WHERE migration_id = $1', [migrationId, after.fingerprint]);
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
