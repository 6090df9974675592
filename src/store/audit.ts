import { type Pool, type PoolClient } from 'pg';
import { type Insertable, type Selectable } from 'kysely';
import { storeDb, storeDbFor } from './db';
import type { AuditLog } from './generated/db';

export type AuditAction = 'create' | 'update' | 'delete' | 'recover' | 'restore' | 'purge';

export interface AuditEntry {
  migrationId: string;
  action: AuditAction;
  objectType: string;
  sourceKey?: string | null;
  pipedriveId?: string | number | null;
  method: string;
  /** `POST /api/v2/persons` for a request (the object-type registry's label, priced by its spec cost), else what it was. */
  endpoint: string;
  status?: number | null;
  tokens?: number;
  workflowId?: string | null;
  runId?: string | null;
  activityId?: string | null;
  attempt?: number | null;
  note?: string | null;
}

/** The audit_log row of an entry (the table's own id and time are the database's). */
export function auditRowValues(e: AuditEntry): Insertable<AuditLog> {
  return {
    migration_id: e.migrationId,
    action: e.action,
    object_type: e.objectType,
    source_key: e.sourceKey ?? null,
    pipedrive_id: e.pipedriveId == null ? null : String(e.pipedriveId),
    method: e.method,
    endpoint: e.endpoint,
    status: e.status ?? null,
    tokens: e.tokens ?? 0,
    workflow_id: e.workflowId ?? null,
    run_id: e.runId ?? null,
    activity_id: e.activityId ?? null,
    attempt: e.attempt ?? null,
    note: e.note ?? null,
  };
}

/** Appends to the audit log: every write to Pipedrive, before the activity that made it completes. */
export async function appendAudit(db: Pool | PoolClient, e: AuditEntry): Promise<void> {
  await storeDbFor(db).insertInto('audit_log').values(auditRowValues(e)).execute();
}

/** An audit_log row as stored (every column, in table order), its action narrowed to the ones the CHECK allows. */
export type AuditRow = Omit<Selectable<AuditLog>, 'action'> & { action: AuditAction };

export async function* readAudit(pool: Pool, migrationId: string, pageSize = 5000): AsyncGenerator<AuditRow[]> {
  let after = '0';
  for (;;) {
    const rows = (await storeDb(pool)
      .selectFrom('audit_log')
      .selectAll()
      .where('migration_id', '=', migrationId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute()) as AuditRow[];
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
  }
}

/** A gate decision the migration refused before it reached its history (an Update's validator): kept here instead. */
export async function recordRefusedDecision(pool: Pool, migrationId: string, d: { gate: string; decision: string; by: string; reason: string }): Promise<void> {
  await appendAudit(pool, {
    migrationId,
    action: 'update',
    objectType: 'gate',
    sourceKey: d.gate,
    method: 'UPDATE',
    endpoint: `gate:${d.gate}`,
    note: `${d.decision} by ${d.by}: ${d.reason}`,
  });
}

/**
 * A map version made from an edited workbook (`map import`): who made it and what it changed (counts only, no values),
 * so the version a gate approves can be traced to the person who edited it.
 */
export async function recordMapImport(
  pool: Pool,
  migrationId: string,
  m: { by: string; version: number; changes: number; phiIncluded: number; merges: number; ownerAssignments: number },
): Promise<void> {
  await appendAudit(pool, {
    migrationId,
    action: 'update',
    objectType: 'field_map',
    sourceKey: `v${m.version}`,
    method: 'IMPORT',
    endpoint: 'map import',
    note:
      `map v${m.version} imported by ${m.by}: ${m.changes} rule change(s), ${m.phiIncluded} PHI field(s) included, ` +
      `${m.merges} duplicate merge(s), ${m.ownerAssignments} owner assignment(s)`,
  });
}

/**
 * A cutover, decided in the CLI: the workflow's history keeps only who sent the signal, so who, why and how many
 * insurance claims were still in flight (a forced cutover must say why) are kept here.
 */
export async function recordCutover(
  pool: Pool,
  migrationId: string,
  c: { by: string; forced: boolean; inFlightClaims: number; reason?: string },
): Promise<void> {
  const claims = c.inFlightClaims > 0 ? ` with ${c.inFlightClaims} insurance claim(s) in flight` : '';
  await appendAudit(pool, {
    migrationId,
    action: 'update',
    objectType: 'gate',
    sourceKey: 'CUTOVER',
    method: 'SIGNAL',
    endpoint: 'gate:CUTOVER',
    note: `${c.forced ? 'forced_cutover' : 'cutover'} by ${c.by}${claims}${c.reason ? `: ${c.reason}` : ''}`,
  });
}
