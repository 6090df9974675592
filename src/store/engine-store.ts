import { type Pool } from 'pg';
import type { AuditLog, AuditRecord, CreatedRecord, Ledger as LedgerPort } from '../engine/ports';
import { appendAudit } from './audit';
import { storeDb } from './db';
import { Ledger } from './ledger';
import { dataText } from './staged-rows';

/** Who wrote an audit row: the workflow and activity attempt (ids only). */
export interface AuditContext {
  workflowId?: string | null;
  runId?: string | null;
  activityId?: string | null;
  attempt?: number | null;
}

/** The write engine's audit log over the `audit_log` table, for one migration and one activity attempt. */
export function pgAuditLog(pool: Pool, migrationId: string, context: AuditContext): AuditLog {
  return { append: (e) => appendAudit(pool, { migrationId, ...e, ...context }) };
}

/**
 * The write engine's ledger over `id_map` and `before_images`, for one migration. A create's id and its audit row are
 * committed in one transaction.
 */
export function pgLedger(pool: Pool, migrationId: string, context: AuditContext): LedgerPort {
  const ledger = new Ledger(pool);
  const audited = (records: readonly CreatedRecord[]) => records.map(({ entry, audit }) => ({ entry, audit: { migrationId, ...audit, ...context } }));
  return {
    getMany: (objectType, keys) => ledger.getMany(migrationId, objectType, keys),
    claim: (e) => ledger.markPending(migrationId, [e]),
    claimAll: (entries, recordFirst = []) => ledger.markPending(migrationId, entries, audited(recordFirst)),
    recordCreated: (e, audit?: AuditRecord) =>
      audit ? ledger.markCreatedWithAudit(migrationId, audited([{ entry: e, audit }])) : ledger.markCreated(migrationId, e),
    recordAllCreated: (records) => ledger.markCreatedWithAudit(migrationId, audited(records)),
    releaseClaims: (claims) => ledger.releaseClaims(migrationId, claims),
    recordOutcome: (e) => ledger.markOutcomes(migrationId, [e]),
    recordOutcomes: (entries) => ledger.markOutcomes(migrationId, entries),
    markGone: (e) => ledger.markGone(migrationId, e),
    setContentHash: (objectType, sourceKey, hash) => ledger.setContentHash(migrationId, objectType, sourceKey, hash),
    createdByAnotherMigration: (objectType, pipedriveId) => ledger.createdByAnotherMigration(migrationId, objectType, pipedriveId),
    saveBeforeImage: (image) => ledger.saveBeforeImage(migrationId, image),
    beforeImagesToRestore: () => ledger.beforeImagesToRestore(migrationId),
    markRestored: (objectType, pipedriveId) => ledger.markRestored(migrationId, objectType, pipedriveId),
    toUndo: (objectType, scope, limit) => ledger.toUndo(migrationId, objectType, scope, limit),
    remainingByType: (scope) => ledger.remainingByType(migrationId, scope),
    markDeleted: (objectType, sourceKey) => ledger.markDeleted(migrationId, objectType, sourceKey),
    createdFieldCodes: () => ledger.createdFieldCodes(migrationId),
    deletedIds: (scope) => ledger.deletedIds(migrationId, scope),
    beforeImagesKept: () => ledger.beforeImagesKept(migrationId),
  };
}

/** The patient and treatment case of a staged child row (appointment, recall, note, document, procedure), by its source key. */
export async function stagedParentKeys(pool: Pool, migrationId: string, sourceKey: string): Promise<{ patientId?: string; txcaseId?: string }> {
  const [kind, id] = sourceKey.split(':');
  const table = { appt: 'appt', recall: 'recall', clinical_note: 'clinical_note', document: 'document', procedure: 'procedure' }[kind ?? ''];
  if (!table || !id) return {};
  const rows = await storeDb(pool)
    .selectFrom('staged_rows')
    .select([dataText('patient_id').as('patient_id'), dataText('txcase_id').as('txcase_id')])
    .where('migration_id', '=', migrationId)
    .where('source_table', '=', table)
    .where('source_key', '=', id)
    .execute();
  const row = rows[0];
  return { patientId: row?.patient_id ?? undefined, txcaseId: row?.txcase_id ?? undefined };
}
