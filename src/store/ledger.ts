import { type Pool, type PoolClient } from 'pg';
import { ROLLBACK_ORDER } from '../object-types/registry';

export type LedgerState = 'pending' | 'created' | 'reused' | 'deleted' | 'skipped' | 'rejected';
export type RunKind = 'sample' | 'full' | 'delta' | 'schema';

export interface LedgerEntry {
  objectType: string;
  sourceKey: string;
  pipedriveId: string | null;
  state: LedgerState;
  reason: string | null;
  runKind: string;
  contentHash: string | null;
  updatedAt: Date;
}

interface LedgerRow {
  object_type: string;
  source_key: string;
  pipedrive_id: string | null;
  state: LedgerState;
  reason: string | null;
  run_kind: string;
  content_hash: string | null;
  updated_at: Date;
}

const toEntry = (r: LedgerRow): LedgerEntry => ({
  objectType: r.object_type,
  sourceKey: r.source_key,
  pipedriveId: r.pipedrive_id,
  state: r.state,
  reason: r.reason,
  runKind: r.run_kind,
  contentHash: r.content_hash,
  updatedAt: r.updated_at,
});

type Db = Pool | PoolClient;

/**
 * The id map and creation ledger. The exactly-once protocol (DESIGN §5.1) is: look up → mark `pending` before the
 * create → record the id (`created`) right after, in the same activity; a `pending` row found later means the
 * outcome is unknown and the id must be recovered from Pipedrive before creating again.
 */
export class Ledger {
  constructor(private readonly db: Db) {}

  async get(migrationId: string, objectType: string, sourceKey: string): Promise<LedgerEntry | undefined> {
    const { rows } = await this.db.query<LedgerRow>(
      'SELECT * FROM id_map WHERE migration_id = $1 AND object_type = $2 AND source_key = $3',
      [migrationId, objectType, sourceKey],
    );
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async getMany(migrationId: string, objectType: string, sourceKeys: string[]): Promise<Map<string, LedgerEntry>> {
    if (sourceKeys.length === 0) return new Map();
    const { rows } = await this.db.query<LedgerRow>(
      'SELECT * FROM id_map WHERE migration_id = $1 AND object_type = $2 AND source_key = ANY($3::text[])',
      [migrationId, objectType, sourceKeys],
    );
    return new Map(rows.map((r) => [r.source_key, toEntry(r)]));
  }

  /** Pipedrive ids of live records for a set of references, keyed `objectType|sourceKey`. */
  async resolve(migrationId: string, refs: { objectType: string; sourceKey: string }[]): Promise<Map<string, number>> {
    if (refs.length === 0) return new Map();
    const { rows } = await this.db.query<{ object_type: string; source_key: string; pipedrive_id: string }>(
      `SELECT object_type, source_key, pipedrive_id FROM id_map
       WHERE migration_id = $1 AND state IN ('created', 'reused') AND pipedrive_id IS NOT NULL
         AND (object_type, source_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [migrationId, refs.map((r) => r.objectType), refs.map((r) => r.sourceKey)],
    );
    return new Map(rows.map((r) => [`${r.object_type}|${r.source_key}`, Number(r.pipedrive_id)]));
  }

  /**
   * Whether another migration into the same Pipedrive account holds this record as one it created. Dentrix keys are
   * per practice, so two practices in one account can both have a `patient:5`; recovery never adopts the other's.
   * Only `created` counts: a `reused` row is the account's own record (a product), and it may be ours.
   */
  async createdByAnotherMigration(migrationId: string, objectType: string, pipedriveId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM id_map m JOIN migration_runs other USING (migration_id)
       WHERE m.object_type = $2 AND m.pipedrive_id = $3 AND m.state = 'created' AND m.migration_id <> $1
         AND other.pipedrive_account = (SELECT pipedrive_account FROM migration_runs WHERE migration_id = $1)
       LIMIT 1`,
      [migrationId, objectType, pipedriveId],
    );
    return rows.length > 0;
  }

  async markPending(
    migrationId: string,
    e: { objectType: string; sourceKey: string; runKind: string; contentHash?: string },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO id_map (migration_id, object_type, source_key, state, run_kind, content_hash)
       VALUES ($1, $2, $3, 'pending', $4, $5)
       ON CONFLICT (migration_id, object_type, source_key) DO UPDATE
         SET state = 'pending', run_kind = EXCLUDED.run_kind,
             content_hash = EXCLUDED.content_hash, reason = NULL, updated_at = now()
         WHERE id_map.state IN ('pending', 'skipped', 'rejected', 'deleted')`,
      [migrationId, e.objectType, e.sourceKey, e.runKind, e.contentHash ?? null],
    );
  }

  async markCreated(
    migrationId: string,
    e: { objectType: string; sourceKey: string; pipedriveId: string | number; runKind: string; contentHash?: string; state?: 'created' | 'reused' },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO id_map (migration_id, object_type, source_key, pipedrive_id, state, run_kind, content_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (migration_id, object_type, source_key) DO UPDATE
         SET pipedrive_id = EXCLUDED.pipedrive_id, state = EXCLUDED.state, reason = NULL,
             content_hash = COALESCE(EXCLUDED.content_hash, id_map.content_hash), updated_at = now()`,
      [migrationId, e.objectType, e.sourceKey, String(e.pipedriveId), e.state ?? 'created', e.runKind, e.contentHash ?? null],
    );
  }

  async markOutcome(
    migrationId: string,
    e: { objectType: string; sourceKey: string; state: 'skipped' | 'rejected'; reason: string; runKind: string },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO id_map (migration_id, object_type, source_key, state, reason, run_kind)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (migration_id, object_type, source_key) DO UPDATE
         SET state = EXCLUDED.state, reason = EXCLUDED.reason, updated_at = now()
         WHERE id_map.state NOT IN ('created', 'reused')`,
      [migrationId, e.objectType, e.sourceKey, e.state, e.reason, e.runKind],
    );
  }

  async markDeleted(migrationId: string, objectType: string, sourceKey: string): Promise<void> {
    await this.db.query(
      `UPDATE id_map SET state = 'deleted', updated_at = now()
       WHERE migration_id = $1 AND object_type = $2 AND source_key = $3`,
      [migrationId, objectType, sourceKey],
    );
  }

  async setContentHash(migrationId: string, objectType: string, sourceKey: string, contentHash: string): Promise<void> {
    await this.db.query(
      'UPDATE id_map SET content_hash = $4, updated_at = now() WHERE migration_id = $1 AND object_type = $2 AND source_key = $3',
      [migrationId, objectType, sourceKey, contentHash],
    );
  }

  /** The object type a rollback undoes next (the registry's rollback order: the reverse of the load order), with its rows left. */
  async nextToUndo(migrationId: string, scope: 'all' | 'sample'): Promise<{ objectType: string; remaining: number } | undefined> {
    const { rows } = await this.db.query<{ object_type: string; remaining: string }>(
      `SELECT object_type, count(*) AS remaining FROM id_map
       WHERE migration_id = $1 AND state IN ('created', 'pending') AND ($2 = 'all' OR run_kind = 'sample')
       GROUP BY object_type ORDER BY array_position($3::text[], object_type), object_type LIMIT 1`,
      [migrationId, scope, ROLLBACK_ORDER],
    );
    const r = rows[0];
    return r ? { objectType: r.object_type, remaining: Number(r.remaining) } : undefined;
  }

  async toUndo(migrationId: string, objectType: string, scope: 'all' | 'sample', limit: number): Promise<LedgerEntry[]> {
    const { rows } = await this.db.query<LedgerRow>(
      `SELECT * FROM id_map
       WHERE migration_id = $1 AND object_type = $2 AND state IN ('created', 'pending') AND ($3 = 'all' OR run_kind = 'sample')
       ORDER BY source_key LIMIT $4`,
      [migrationId, objectType, scope, limit],
    );
    return rows.map(toEntry);
  }

  async countRemaining(migrationId: string, scope: 'all' | 'sample'): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM id_map WHERE migration_id = $1 AND state IN ('created', 'pending')
         AND ($2 = 'all' OR run_kind = 'sample')`,
      [migrationId, scope],
    );
    return Number(rows[0]!.n);
  }

  /** Per object type: how many ledger rows are in each state. */
  async countsByState(migrationId: string): Promise<Record<string, Partial<Record<LedgerState, number>>>> {
    const { rows } = await this.db.query<{ object_type: string; state: LedgerState; n: string }>(
      'SELECT object_type, state, count(*) AS n FROM id_map WHERE migration_id = $1 GROUP BY object_type, state',
      [migrationId],
    );
    const out: Record<string, Partial<Record<LedgerState, number>>> = {};
    for (const r of rows) (out[r.object_type] ??= {})[r.state] = Number(r.n);
    return out;
  }
}
