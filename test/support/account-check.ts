import { type Pool } from 'pg';
import { loadAccountFieldKeys } from '../../src/activities/field-keys';
import { LOAD_ORDER as DATA_OBJECT_TYPES } from '../../src/object-types/registry';
import { sourceKeyOf } from '../../src/mapping/source-keys';
import { sandboxAdminHeaders } from '../../src/pipedrive/sandbox-admin';
import type { MigrationStatus } from '../../src/workflows/messages';

/** Sandbox tables holding the records a migration creates, by the ledger's object type. */
const TABLE_OF: Record<(typeof DATA_OBJECT_TYPES)[number], string> = {
  organization: 'organizations',
  product: 'products',
  person: 'persons',
  deal: 'deals',
  deal_product: 'dealProducts',
  activity: 'activities',
  note: 'notes',
  file: 'files',
};

type Row = Record<string, unknown> & { id: number };

/** Live, as the sandbox's fingerprint sees it: soft-deleted records are not account content. */
function isLive(objectType: string, row: Row): boolean {
  if (objectType === 'deal_product') return true; // deal products are hard-deleted
  if ('is_deleted' in row) return row.is_deleted !== true;
  if ('active_flag' in row) return row.active_flag !== false;
  return true;
}

/** The ledger's id for a live record: deal products are `<deal id>/<attachment id>`. */
function ledgerIdOf(objectType: string, row: Row): string {
  return objectType === 'deal_product' ? `${String(row.deal_id)}/${row.id}` : String(row.id);
}

export interface AccountRecord {
  objectType: string;
  pipedriveId: string;
  sourceKey: string | undefined;
}

async function snapshotTables(sandboxUrl: string): Promise<Record<string, Row[]>> {
  const res = await fetch(new URL('/_sandbox/snapshot', sandboxUrl), { headers: sandboxAdminHeaders() });
  if (!res.ok) throw new Error(`GET /_sandbox/snapshot answered ${res.status}`);
  return ((await res.json()) as { tables: Record<string, Row[]> }).tables;
}

/** Every live data record in the sandbox, read back through `GET /_sandbox/snapshot` (ids as the ledger writes them). */
export async function liveAccountRecords(sandboxUrl: string, pool: Pool, migrationId: string): Promise<AccountRecord[]> {
  const snapshot = { tables: await snapshotTables(sandboxUrl) };
  const fieldKeys = await loadAccountFieldKeys(pool, migrationId);
  const out: AccountRecord[] = [];
  for (const objectType of DATA_OBJECT_TYPES) {
    for (const row of snapshot.tables[TABLE_OF[objectType]] ?? []) {
      if (!isLive(objectType, row)) continue;
      out.push({ objectType, pipedriveId: ledgerIdOf(objectType, row), sourceKey: sourceKeyOf(objectType, row, fieldKeys) });
    }
  }
  return out;
}

export interface ExactlyOnceReport {
  /** Per object type: records the ledger says were created, and live records in the account the migration made. */
  counts: Record<string, { ledgerCreated: number; live: number }>;
  /** Source keys carried by more than one live record (a duplicate create). */
  duplicateKeys: string[];
  /** Live records no ledger row accounts for (created, then forgotten: rollback would leave them behind). */
  unaccounted: string[];
  /** Ledger rows whose record is not live in the account (lost, or the id is wrong). */
  missing: string[];
  /** Ledger rows whose record carries another source key than the row's. */
  mismatched: string[];
  /** Ledger rows still `pending` (a create whose outcome was never settled). */
  pending: string[];
}

/**
 * Compares the ledger with the account: every `created` row is one live record carrying its source key, and every
 * live data record that was not in the account before the migration (`preexisting`, by `objectType/id`) is one
 * `created` row. Empty lists mean each source record was created exactly once and nothing escaped the ledger.
 */
export async function exactlyOnceReport(
  pool: Pool,
  migrationId: string,
  sandboxUrl: string,
  preexisting: ReadonlySet<string> = new Set(),
): Promise<ExactlyOnceReport> {
  const { rows } = await pool.query<{ object_type: string; source_key: string; pipedrive_id: string | null; state: string }>(
    `SELECT object_type, source_key, pipedrive_id, state FROM id_map
     WHERE migration_id = $1 AND object_type = ANY($2::text[]) AND state IN ('created', 'pending')`,
    [migrationId, [...DATA_OBJECT_TYPES]],
  );
  const live = (await liveAccountRecords(sandboxUrl, pool, migrationId)).filter((r) => !preexisting.has(`${r.objectType}/${r.pipedriveId}`));
  const liveById = new Map(live.map((r) => [`${r.objectType}/${r.pipedriveId}`, r]));
  const report: ExactlyOnceReport = { counts: {}, duplicateKeys: [], unaccounted: [], missing: [], mismatched: [], pending: [] };
  for (const t of DATA_OBJECT_TYPES) report.counts[t] = { ledgerCreated: 0, live: 0 };

  const accounted = new Set<string>();
  for (const r of rows) {
    if (r.state === 'pending') {
      report.pending.push(`${r.object_type} ${r.source_key}`);
      continue;
    }
    report.counts[r.object_type]!.ledgerCreated++;
    const id = `${r.object_type}/${r.pipedrive_id}`;
    const record = liveById.get(id);
    if (!record) report.missing.push(`${r.object_type} ${r.source_key} → ${r.pipedrive_id}`);
    else if (record.sourceKey !== r.source_key) report.mismatched.push(`${r.object_type} ${r.source_key} → ${r.pipedrive_id} carries ${record.sourceKey}`);
    accounted.add(id);
  }
  const seenKeys = new Map<string, number>();
  for (const r of live) {
    report.counts[r.objectType]!.live++;
    if (!accounted.has(`${r.objectType}/${r.pipedriveId}`)) report.unaccounted.push(`${r.objectType} ${r.pipedriveId} (${r.sourceKey ?? 'no source key'})`);
    if (r.sourceKey) seenKeys.set(`${r.objectType} ${r.sourceKey}`, (seenKeys.get(`${r.objectType} ${r.sourceKey}`) ?? 0) + 1);
  }
  report.duplicateKeys = [...seenKeys].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  return report;
}

/**
 * The report says each source record was created exactly once: nothing duplicated, unaccounted, missing, mismatched
 * or pending, and per object type as many live records and `created` ledger rows as the migration counts migrated.
 */
export function expectExactlyOnce(report: ExactlyOnceReport, objects: Record<string, { migrated: number }>): void {
  expect({ duplicates: report.duplicateKeys, unaccounted: report.unaccounted, missing: report.missing }).toEqual({
    duplicates: [],
    unaccounted: [],
    missing: [],
  });
  expect({ mismatched: report.mismatched, pending: report.pending }).toEqual({ mismatched: [], pending: [] });
  for (const [type, c] of Object.entries(report.counts)) {
    const migrated = objects[type]?.migrated ?? 0;
    expect({ type, live: c.live, ledgerCreated: c.ledgerCreated }).toEqual({ type, live: migrated, ledgerCreated: migrated });
  }
}

/** `objectType/id` of the records a migration created: another practice's in a shared account, not this one's. */
export async function createdRecordIds(pool: Pool, migrationId: string): Promise<string[]> {
  const { rows } = await pool.query<{ object_type: string; pipedrive_id: string }>(
    "SELECT object_type, pipedrive_id FROM id_map WHERE migration_id = $1 AND state = 'created'",
    [migrationId],
  );
  return rows.map((r) => `${r.object_type}/${r.pipedrive_id}`);
}

/**
 * Migrations of two practices into one account: each ended DONE, verified at 100%, and every record of it is in the
 * account once; the other practice's records (and what the account held before the migration) are set aside.
 */
export async function expectBothDoneOnce(
  pool: Pool,
  sandboxUrl: string,
  migrations: readonly { migrationId: string; status: MigrationStatus; before: Set<string> }[],
): Promise<void> {
  for (const [i, { migrationId, status, before }] of migrations.entries()) {
    expect({ migration: migrationId, phase: status.phase, error: status.error }).toEqual({ migration: migrationId, phase: 'DONE', error: undefined });
    expect({ migration: migrationId, accuracy: status.verification?.accuracy }).toEqual({ migration: migrationId, accuracy: 100 });
    const others = migrations.filter((_, j) => j !== i).map((m) => m.migrationId);
    const notOurs = new Set([...before, ...(await Promise.all(others.map((id) => createdRecordIds(pool, id)))).flat()]);
    const report = await exactlyOnceReport(pool, migrationId, sandboxUrl, notOurs);
    expect({ duplicates: report.duplicateKeys, unaccounted: report.unaccounted, missing: report.missing, pending: report.pending }).toEqual({
      duplicates: [],
      unaccounted: [],
      missing: [],
      pending: [],
    });
  }
}

/** `objectType/id` of every live data record, to tell the migration's records from what the account already held. */
export async function preexistingRecords(sandboxUrl: string, pool: Pool, migrationId: string): Promise<Set<string>> {
  return new Set((await liveAccountRecords(sandboxUrl, pool, migrationId)).map((r) => `${r.objectType}/${r.pipedriveId}`));
}

/**
 * The account's schema by name, ids left out: custom fields per entity, pipelines, stages (with their pipeline's
 * name) and activity types, sorted. Two accounts that got the same schema have equal shapes; a schema element
 * created twice shows up twice.
 */
export async function schemaShape(sandboxUrl: string): Promise<string[]> {
  const tables = await snapshotTables(sandboxUrl);
  const live = (t: string) => (tables[t] ?? []).filter((r) => r.is_deleted !== true && r.active_flag !== false);
  const pipelineName = new Map(live('pipelines').map((p) => [p.id, String(p.name)]));
  return [
    ...['person', 'organization', 'deal', 'product', 'activity'].flatMap((e) =>
      live(`${e}Fields`)
        .filter((f) => f.is_custom_field === true)
        .map((f) => `${e} field ${String(f.field_name)}`),
    ),
    ...live('pipelines').map((p) => `pipeline ${String(p.name)}`),
    ...live('stages').map((s) => `stage ${pipelineName.get(s.pipeline_id as number) ?? '?'}/${String(s.name)}`),
    ...live('activityTypes').map((t) => `activity type ${String(t.name)}`),
  ].sort();
}

/**
 * The creates in flight while the full run loads persons: the `pending` ledger rows (marked, no id yet) once at
 * least 10 persons exist, else undefined. A poll for the moment to crash or roll back in the middle of a create.
 */
export async function pendingCreatesMidPersons(pool: Pool, migrationId: string): Promise<string[] | undefined> {
  const { rows } = await pool.query<{ persons: number; pending: string[] | null }>(
    `SELECT count(*) FILTER (WHERE state = 'created' AND object_type = 'person')::int AS persons,
            array_agg(object_type || ' ' || source_key) FILTER (WHERE state = 'pending') AS pending
     FROM id_map WHERE migration_id = $1 AND run_kind = 'full'`,
    [migrationId],
  );
  const r = rows[0]!;
  return r.persons >= 10 && r.pending ? r.pending : undefined;
}
