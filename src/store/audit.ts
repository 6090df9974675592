import { type Pool, type PoolClient } from 'pg';

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

/** Appends to the audit log: every write to Pipedrive, before the activity that made it completes. */
export async function appendAudit(db: Pool | PoolClient, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (migration_id, action, object_type, source_key, pipedrive_id, method, endpoint, status, tokens,
                            workflow_id, run_id, activity_id, attempt, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      e.migrationId,
      e.action,
      e.objectType,
      e.sourceKey ?? null,
      e.pipedriveId == null ? null : String(e.pipedriveId),
      e.method,
      e.endpoint,
      e.status ?? null,
      e.tokens ?? 0,
      e.workflowId ?? null,
      e.runId ?? null,
      e.activityId ?? null,
      e.attempt ?? null,
      e.note ?? null,
    ],
  );
}

export interface AuditRow {
  id: string;
  at: Date;
  action: AuditAction;
  object_type: string;
  source_key: string | null;
  pipedrive_id: string | null;
  method: string;
  endpoint: string;
  status: number | null;
  tokens: number;
  workflow_id: string | null;
  run_id: string | null;
  activity_id: string | null;
  attempt: number | null;
  note: string | null;
}

export async function* readAudit(pool: Pool, migrationId: string, pageSize = 5000): AsyncGenerator<AuditRow[]> {
  let after = '0';
  for (;;) {
    const { rows } = await pool.query<AuditRow>(
      'SELECT * FROM audit_log WHERE migration_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [migrationId, after, pageSize],
    );
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
  }
}

/** A gate decision the migration refused before it reached its history (an Update's validator): kept here instead. */
export async function recordRefusedDecision(
  pool: Pool,
  migrationId: string,
  d: { gate: string; decision: string; by: string; reason: string },
): Promise<void> {
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
