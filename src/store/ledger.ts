import { type Pool, type PoolClient } from 'pg';
import type { BeforeImage, LedgerEntry, LedgerState, RunKind } from '../engine/ports';

export type { LedgerEntry, LedgerState, RunKind };

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

  /** Created or pending rows a rollback has left to undo, per object type (sample scope: the sample's only). */
  async remainingByType(migrationId: string, scope: 'all' | 'sample'): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ object_type: string; remaining: string }>(
      `SELECT object_type, count(*) AS remaining FROM id_map
       WHERE migration_id = $1 AND state IN ('created', 'pending') AND ($2 = 'all' OR run_kind = 'sample')
       GROUP BY object_type`,
      [migrationId, scope],
    );
    return new Map(rows.map((r) => [r.object_type, Number(r.remaining)]));
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

  // Before-images: the state of a record the migration updated but did not create, kept before its first update.

  /** The first before-image of a record wins: later updates keep it. */
  async saveBeforeImage(migrationId: string, image: BeforeImage): Promise<void> {
    await this.db.query(
      `INSERT INTO before_images (migration_id, object_type, pipedrive_id, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [migrationId, image.objectType, image.pipedriveId, JSON.stringify(image.body)],
    );
  }

  /** Before-images of records the rollback kept (not deleted) and not yet restored. */
  async beforeImagesToRestore(migrationId: string): Promise<BeforeImage[]> {
    const { rows } = await this.db.query<{ object_type: string; pipedrive_id: string; body: Record<string, unknown> }>(
      `SELECT b.object_type, b.pipedrive_id, b.body FROM before_images b
       WHERE b.migration_id = $1 AND b.restored_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM id_map m WHERE m.migration_id = b.migration_id AND m.object_type = b.object_type
                         AND m.pipedrive_id = b.pipedrive_id AND m.state = 'deleted')`,
      [migrationId],
    );
    return rows.map((r) => ({ objectType: r.object_type, pipedriveId: r.pipedrive_id, body: r.body }));
  }

  /** Every before-image of a record the rollback kept, restored or not: what the proof reads back. */
  async beforeImagesKept(migrationId: string): Promise<(BeforeImage & { restored: boolean })[]> {
    const { rows } = await this.db.query<{ object_type: string; pipedrive_id: string; body: Record<string, unknown>; restored: boolean }>(
      `SELECT b.object_type, b.pipedrive_id, b.body, b.restored_at IS NOT NULL AS restored FROM before_images b
       WHERE b.migration_id = $1
         AND NOT EXISTS (SELECT 1 FROM id_map m WHERE m.migration_id = b.migration_id AND m.object_type = b.object_type
                         AND m.pipedrive_id = b.pipedrive_id AND m.state = 'deleted')
       ORDER BY b.object_type, b.pipedrive_id`,
      [migrationId],
    );
    return rows.map((r) => ({ objectType: r.object_type, pipedriveId: r.pipedrive_id, body: r.body, restored: r.restored }));
  }

  async markRestored(migrationId: string, objectType: string, pipedriveId: string): Promise<void> {
    await this.db.query('UPDATE before_images SET restored_at = now() WHERE migration_id = $1 AND object_type = $2 AND pipedrive_id = $3', [
      migrationId,
      objectType,
      pipedriveId,
    ]);
  }

  /** Custom fields the migration created (ledger ids `<entity>/<field_code>`): their codes. */
  async createdFieldCodes(migrationId: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ pipedrive_id: string }>(
      `SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'custom_field'
         AND state IN ('created', 'pending', 'deleted') AND pipedrive_id IS NOT NULL`,
      [migrationId],
    );
    return new Set(rows.map((r) => r.pipedrive_id.split('/')[1]!).filter(Boolean));
  }

  /** Ids the rollback deleted, per object type (sample scope: the sample's only). */
  async deletedIds(migrationId: string, scope: 'all' | 'sample'): Promise<Map<string, string[]>> {
    const { rows } = await this.db.query<{ object_type: string; pipedrive_id: string }>(
      `SELECT object_type, pipedrive_id FROM id_map
       WHERE migration_id = $1 AND state = 'deleted' AND pipedrive_id IS NOT NULL AND ($2 = 'all' OR run_kind = 'sample')
       ORDER BY object_type, pipedrive_id`,
      [migrationId, scope],
    );
    const idsByType = new Map<string, string[]>();
    for (const r of rows) idsByType.set(r.object_type, [...(idsByType.get(r.object_type) ?? []), r.pipedrive_id]);
    return idsByType;
  }

  /** The stored keys of custom fields the rollback deleted: a re-run resolves them afresh. */
  async forgetDeletedFieldKeys(migrationId: string): Promise<void> {
    await this.db.query(
      `DELETE FROM field_keys fk USING id_map m
       WHERE fk.migration_id = $1 AND m.migration_id = fk.migration_id AND m.object_type = 'custom_field'
         AND m.state = 'deleted' AND m.pipedrive_id = fk.entity || '/' || fk.field_code`,
      [migrationId],
    );
  }
}
