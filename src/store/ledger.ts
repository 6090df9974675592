import { type Pool, type PoolClient } from 'pg';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { BeforeImage, ClaimEntry, CreatedEntry, LedgerEntry, LedgerState, RecordOutcome } from '../engine/ports';
import { storeDbFor, type StoreDb } from './db';
import type { AuditLog, IdMap } from './generated/db';
import { auditRowValues, type AuditEntry } from './audit';
import { REVIEW_FILE_KEY_PREFIX } from '../mapping/source-keys';

/**
 * What reconciliation counts a ledger row as: its object type, except a record's review file (a `file` row keyed
 * `review:<record's key>`, src/engine/review-files.ts), which is no source record: counted as `review_file`.
 */
export const REVIEW_FILE_COUNT = 'review_file';
// Literals, not parameters: the same expression in SELECT and GROUP BY.
export const countedType = sql<string>`CASE WHEN object_type = 'file' AND starts_with(source_key, ${sql.lit(REVIEW_FILE_KEY_PREFIX)}) THEN ${sql.lit(REVIEW_FILE_COUNT)} ELSE object_type END`;

export type { LedgerEntry, LedgerState };

/** A create's id with the audit row of the write that made it. */
export interface CreatedWithAudit {
  entry: CreatedEntry;
  audit: AuditEntry;
}

const toEntry = (r: Selectable<IdMap>): LedgerEntry => ({
  objectType: r.object_type,
  sourceKey: r.source_key,
  pipedriveId: r.pipedrive_id,
  state: r.state as LedgerState,
  reason: r.reason,
  runKind: r.run_kind,
  contentHash: r.content_hash,
  updatedAt: r.updated_at,
  replacedPipedriveId: r.replaced_pipedrive_id,
});

/** An id-map row's key and run, as every insert into it writes them. */
function idMapRow(migrationId: string, e: { objectType: string; sourceKey: string; runKind: string }) {
  return { migration_id: migrationId, object_type: e.objectType, source_key: e.sourceKey, run_kind: e.runKind };
}

/**
 * The statements a load runs per chunk of creates, written out rather than built: fixed text over one array per column
 * (unnest), named, so PostgreSQL parses and plans each once per connection, and the worker builds and compiles no
 * query per chunk (a chunk's built statement cost the worker ~0.5 ms of CPU, and PostgreSQL ~0.5 ms to parse and plan).
 * `$1` is the migration; each part's arrays follow, in its columns' order.
 */

/** A column a statement fills from one array: its name, the array's element type, and its value in a row. */
type ArrayColumn<T> = readonly [name: string, type: 'text' | 'int', value: (row: T) => unknown];

/** `unnest($from::type[], …) AS alias(name, …)` over the columns' arrays. */
const unnestOf = <T>(columns: readonly ArrayColumn<T>[], from: number, alias: string) =>
  `unnest(${columns.map(([, type], i) => `$${from + i}::${type}[]`).join(', ')}) AS ${alias}(${namesOf(columns)})`;
const namesOf = <T>(columns: readonly ArrayColumn<T>[]) => columns.map(([name]) => name).join(', ');

/** One array per column, as unnest takes them. */
const arraysOf = <T>(columns: readonly ArrayColumn<T>[], rows: readonly T[]): unknown[][] => columns.map(([, , value]) => rows.map(value));

const CREATED_COLUMNS: readonly ArrayColumn<CreatedEntry>[] = [
  ['object_type', 'text', (e) => e.objectType],
  ['source_key', 'text', (e) => e.sourceKey],
  ['run_kind', 'text', (e) => e.runKind],
  ['pipedrive_id', 'text', (e) => String(e.pipedriveId)],
  ['state', 'text', (e) => e.state ?? 'created'],
  ['content_hash', 'text', (e) => e.contentHash ?? null],
];

/** An audit row's columns but its migration (`$1`), from its row values (auditRowValues). */
const AUDIT_COLUMNS: readonly ArrayColumn<Insertable<AuditLog>>[] = [
  ['action', 'text', (r) => r.action],
  ['object_type', 'text', (r) => r.object_type],
  ['source_key', 'text', (r) => r.source_key],
  ['pipedrive_id', 'text', (r) => r.pipedrive_id],
  ['method', 'text', (r) => r.method],
  ['endpoint', 'text', (r) => r.endpoint],
  ['status', 'int', (r) => r.status],
  ['tokens', 'int', (r) => r.tokens],
  ['workflow_id', 'text', (r) => r.workflow_id],
  ['run_id', 'text', (r) => r.run_id],
  ['activity_id', 'text', (r) => r.activity_id],
  ['attempt', 'int', (r) => r.attempt],
  ['note', 'text', (r) => r.note],
];

const CLAIM_COLUMNS: readonly ArrayColumn<ClaimEntry>[] = [
  ['object_type', 'text', (e) => e.objectType],
  ['source_key', 'text', (e) => e.sourceKey],
  ['run_kind', 'text', (e) => e.runKind],
  ['content_hash', 'text', (e) => e.contentHash ?? null],
];

/**
 * The id-map rows of created records, from `$2`: inserted, or the pending (or gone, deleted…) rows they settle; a
 * create that records no hash keeps its claim's.
 */
const CREATED_UPSERT = `INSERT INTO id_map (migration_id, ${namesOf(CREATED_COLUMNS)})
  SELECT $1, * FROM ${unnestOf(CREATED_COLUMNS, 2, 'created_row')}
  ON CONFLICT (migration_id, object_type, source_key) DO UPDATE SET
    pipedrive_id = excluded.pipedrive_id, state = excluded.state, reason = NULL,
    content_hash = coalesce(excluded.content_hash, id_map.content_hash), updated_at = now()`;

/** Their audit rows, after the ids' arrays. */
const AUDIT_INSERT = `INSERT INTO audit_log (migration_id, ${namesOf(AUDIT_COLUMNS)})
  SELECT $1, * FROM ${unnestOf(AUDIT_COLUMNS, 2 + CREATED_COLUMNS.length, 'audit_row')}`;

/**
 * Pending marks for creates about to be sent, from `$from`: a new row, or one not created (pending, skipped, rejected,
 * deleted). A retried claim of a record being recreated keeps the id found gone; a fresh claim (after a rollback)
 * clears it.
 */
const claimsInsert = (from: number) => `INSERT INTO id_map (migration_id, state, ${namesOf(CLAIM_COLUMNS)})
  SELECT $1, 'pending', * FROM ${unnestOf(CLAIM_COLUMNS, from, 'claim')}
  ON CONFLICT (migration_id, object_type, source_key) DO UPDATE SET
    state = 'pending', run_kind = excluded.run_kind, content_hash = excluded.content_hash, reason = NULL,
    replaced_pipedrive_id = CASE WHEN id_map.state = 'pending' THEN id_map.replaced_pipedrive_id END, updated_at = now()
  WHERE id_map.state IN ('pending', 'skipped', 'rejected', 'deleted')`;

/**
 * `recordAndClaim`: the ids and audit rows of the chunk sent before, and the claims of the chunk about to be sent (other
 * rows), as data-modifying CTEs: one round trip, one commit, all or none.
 */
const LEDGER_STATEMENTS = {
  created: { name: 'ledger_created', text: CREATED_UPSERT },
  claim: { name: 'ledger_claim', text: claimsInsert(2) },
  record: { name: 'ledger_record', text: `WITH created AS (${CREATED_UPSERT}) ${AUDIT_INSERT}` },
  recordAndClaim: {
    name: 'ledger_record_and_claim',
    text: `WITH created AS (${CREATED_UPSERT}), audited AS (${AUDIT_INSERT}) ${claimsInsert(2 + CREATED_COLUMNS.length + AUDIT_COLUMNS.length)}`,
  },
} as const;

const createdArrays = (entries: readonly CreatedEntry[]) => arraysOf(CREATED_COLUMNS, entries);
const auditArrays = (records: readonly CreatedWithAudit[]) =>
  arraysOf(
    AUDIT_COLUMNS,
    records.map((r) => auditRowValues(r.audit)),
  );
const claimArrays = (entries: readonly ClaimEntry[]) => arraysOf(CLAIM_COLUMNS, entries);

/** Rows a rollback still has to undo: created, or pending (the create may have happened); sample scope: the sample's. */
const LEFT_TO_UNDO = ['created', 'pending'] as const;

/**
 * The id map and creation ledger, and the before-images of records the migration updated. The exactly-once protocol
 * (DESIGN §5.1, src/engine) is: look up → mark `pending` before the create → record the id (`created`) once it is
 * answered, in the same activity (in the next chunk's claiming statement, or alone when the batch ends or fails); a
 * `pending` row found later means the outcome is unknown and the id must be recovered from Pipedrive before creating
 * again.
 */
export class Ledger {
  private readonly db: StoreDb;
  /** The connection or pool itself, for the chunk statements (named, prepared). */
  private readonly pg: Pool | PoolClient;

  constructor(db: Pool | PoolClient) {
    this.db = storeDbFor(db);
    this.pg = db;
  }

  private rows(migrationId: string) {
    return this.db.selectFrom('id_map').where('migration_id', '=', migrationId);
  }

  async get(migrationId: string, objectType: string, sourceKey: string): Promise<LedgerEntry | undefined> {
    const row = await this.rows(migrationId).selectAll().where('object_type', '=', objectType).where('source_key', '=', sourceKey).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async getMany(migrationId: string, objectType: string, sourceKeys: string[]): Promise<Map<string, LedgerEntry>> {
    if (sourceKeys.length === 0) return new Map();
    const rows = await this.rows(migrationId)
      .selectAll()
      .where('object_type', '=', objectType)
      .where('source_key', '=', sql<string>`ANY(${sourceKeys}::text[])`)
      .execute();
    return new Map(rows.map((r) => [r.source_key, toEntry(r)]));
  }

  /**
   * Pipedrive ids of live records for a set of references, keyed `objectType|sourceKey`: one primary-key lookup per
   * reference, whatever the planner's statistics say. As an `IN (unnest …)` semi-join, a table without statistics (a
   * fresh store's first run) was planned as a scan of every record of the migration against every reference: 320 ms a
   * batch at 60,000 records, 2 ms this way. LIMIT 1 (the key is unique) keeps the subquery a lookup, not a join to plan.
   */
  async resolve(migrationId: string, refs: { objectType: string; sourceKey: string }[]): Promise<Map<string, number>> {
    if (refs.length === 0) return new Map();
    const { rows } = await sql<{ object_type: string; source_key: string; pipedrive_id: string }>`
      SELECT m.object_type, m.source_key, m.pipedrive_id
      FROM unnest(${refs.map((r) => r.objectType)}::text[], ${refs.map((r) => r.sourceKey)}::text[]) AS ref(object_type, source_key)
      CROSS JOIN LATERAL (
        SELECT object_type, source_key, pipedrive_id FROM id_map
        WHERE migration_id = ${migrationId} AND object_type = ref.object_type AND source_key = ref.source_key
          AND state IN ('created', 'reused') AND pipedrive_id IS NOT NULL
        LIMIT 1
      ) AS m`.execute(this.db);
    return new Map(rows.map((r) => [`${r.object_type}|${r.source_key}`, Number(r.pipedrive_id)]));
  }

  /**
   * Whether another migration into the same Pipedrive account holds this record as one it created. Dentrix keys are
   * per practice, so two practices in one account can both have a `patient:5`; recovery never adopts the other's.
   * Only `created` counts: a `reused` row is the account's own record (a product), and it may be ours.
   */
  async createdByAnotherMigration(migrationId: string, objectType: string, pipedriveId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('id_map as m')
      .innerJoin('migration_runs as other', 'other.migration_id', 'm.migration_id')
      .select(sql<number>`1`.as('one'))
      .where('m.object_type', '=', objectType)
      .where('m.pipedrive_id', '=', pipedriveId)
      .where('m.state', '=', 'created')
      .where('m.migration_id', '<>', migrationId)
      .where('other.pipedrive_account', '=', (eb) => eb.selectFrom('migration_runs').select('pipedrive_account').where('migration_id', '=', migrationId))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Pending marks, one statement for all (a chunk of creates about to be sent); with `recordFirst`, the ids and audit
   * rows of the chunk sent before it go in the same statement (data-modifying CTEs: one round trip, one commit, all or
   * none), so a batch's chunks cost one statement each instead of two.
   */
  async markPending(migrationId: string, entries: readonly ClaimEntry[], recordFirst: readonly CreatedWithAudit[] = []): Promise<void> {
    if (entries.length === 0) return this.markCreatedWithAudit(migrationId, recordFirst);
    if (recordFirst.length === 0) {
      await this.pg.query({ ...LEDGER_STATEMENTS.claim, values: [migrationId, ...claimArrays(entries)] });
      return;
    }
    await this.pg.query({
      ...LEDGER_STATEMENTS.recordAndClaim,
      values: [migrationId, ...createdArrays(recordFirst.map((r) => r.entry)), ...auditArrays(recordFirst), ...claimArrays(entries)],
    });
  }

  /**
   * Claims whose creates were never sent, back to what they were: removed when there was no row before, else the
   * earlier state restored; a prior `pending` (an earlier attempt's, outcome unknown) stays. Only rows still pending.
   */
  async releaseClaims(migrationId: string, claims: readonly { objectType: string; sourceKey: string; prior?: LedgerEntry }[]): Promise<void> {
    for (const { objectType, sourceKey, prior } of claims) {
      if (prior?.state === 'pending') continue;
      if (!prior) {
        await this.db
          .deleteFrom('id_map')
          .where('migration_id', '=', migrationId)
          .where('object_type', '=', objectType)
          .where('source_key', '=', sourceKey)
          .where('state', '=', 'pending')
          .execute();
        continue;
      }
      await this.db
        .updateTable('id_map')
        .set({
          state: prior.state,
          reason: prior.reason,
          run_kind: prior.runKind,
          content_hash: prior.contentHash,
          replaced_pipedrive_id: prior.replacedPipedriveId ?? null,
          updated_at: sql`now()`,
        })
        .where('migration_id', '=', migrationId)
        .where('object_type', '=', objectType)
        .where('source_key', '=', sourceKey)
        .where('state', '=', 'pending')
        .execute();
    }
  }

  /**
   * A created (or reused) record found gone from Pipedrive: the row goes back to `pending`, without an id, keeping the
   * id found gone, so the load creates it again exactly once (a crash after this recovers it by its Dentrix key, as
   * for any pending create). Only the row still holding that id changes; false when none did.
   */
  async markGone(migrationId: string, e: { objectType: string; sourceKey: string; goneId: string; runKind: string }): Promise<boolean> {
    const result = await this.db
      .updateTable('id_map')
      .set({ state: 'pending', replaced_pipedrive_id: e.goneId, pipedrive_id: null, run_kind: e.runKind, reason: null, updated_at: sql`now()` })
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', e.objectType)
      .where('source_key', '=', e.sourceKey)
      .where('state', 'in', ['created', 'reused'])
      .where('pipedrive_id', '=', e.goneId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markCreated(migrationId: string, e: CreatedEntry): Promise<void> {
    await this.pg.query({ ...LEDGER_STATEMENTS.created, values: [migrationId, ...createdArrays([e])] });
  }

  /**
   * Records creates' ids and their audit rows in one statement (a data-modifying CTE: one round trip, one commit, all
   * or none), where a transaction of two inserts per create took four round trips each.
   */
  async markCreatedWithAudit(migrationId: string, records: readonly CreatedWithAudit[]): Promise<void> {
    if (records.length === 0) return;
    await this.pg.query({ ...LEDGER_STATEMENTS.record, values: [migrationId, ...createdArrays(records.map((r) => r.entry)), ...auditArrays(records)] });
  }

  /** Skipped and rejected records, one statement for all; a created or reused record keeps its state. */
  async markOutcomes(migrationId: string, entries: readonly RecordOutcome[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('id_map')
      .values(entries.map((e) => ({ ...idMapRow(migrationId, e), state: e.state, reason: e.reason })))
      .onConflict((oc) =>
        oc
          .columns(['migration_id', 'object_type', 'source_key'])
          .doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), reason: eb.ref('excluded.reason'), updated_at: sql`now()` }))
          .where('id_map.state', 'not in', ['created', 'reused']),
      )
      .execute();
  }

  async markDeleted(migrationId: string, objectType: string, sourceKey: string): Promise<void> {
    await this.db
      .updateTable('id_map')
      .set({ state: 'deleted', updated_at: sql`now()` })
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', objectType)
      .where('source_key', '=', sourceKey)
      .execute();
  }

  async setContentHash(migrationId: string, objectType: string, sourceKey: string, contentHash: string): Promise<void> {
    await this.db
      .updateTable('id_map')
      .set({ content_hash: contentHash, updated_at: sql`now()` })
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', objectType)
      .where('source_key', '=', sourceKey)
      .execute();
  }

  /** Created or pending rows a rollback has left to undo, per object type (sample scope: the sample's only). */
  async remainingByType(migrationId: string, scope: 'all' | 'sample'): Promise<Map<string, number>> {
    const rows = await this.leftToUndo(migrationId, scope)
      .select(['object_type', (eb) => eb.fn.countAll<string>().as('remaining')])
      .groupBy('object_type')
      .execute();
    return new Map(rows.map((r) => [r.object_type, Number(r.remaining)]));
  }

  async toUndo(migrationId: string, objectType: string, scope: 'all' | 'sample', limit: number): Promise<LedgerEntry[]> {
    const rows = await this.leftToUndo(migrationId, scope).selectAll().where('object_type', '=', objectType).orderBy('source_key').limit(limit).execute();
    return rows.map(toEntry);
  }

  async countRemaining(migrationId: string, scope: 'all' | 'sample'): Promise<number> {
    const row = await this.leftToUndo(migrationId, scope)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private leftToUndo(migrationId: string, scope: 'all' | 'sample') {
    const rows = this.rows(migrationId).where('state', 'in', LEFT_TO_UNDO);
    return scope === 'all' ? rows : rows.where('run_kind', '=', 'sample');
  }

  /** Per object type: how many of the records the migration holds now were recreated after their first one was found gone. */
  async recreatedByType(migrationId: string): Promise<Record<string, number>> {
    const rows = await this.rows(migrationId)
      .select([countedType.as('object_type'), (eb) => eb.fn.countAll<string>().as('n')])
      .where('state', 'in', ['created', 'reused'])
      .where('replaced_pipedrive_id', 'is not', null)
      .groupBy(countedType)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.object_type, Number(r.n)]));
  }

  /** Per object type (review files apart, as `review_file`): how many ledger rows are in each state. */
  async countsByState(migrationId: string): Promise<Record<string, Partial<Record<LedgerState, number>>>> {
    const rows = await this.rows(migrationId)
      .select([countedType.as('object_type'), 'state', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy([countedType, 'state'])
      .execute();
    const out: Record<string, Partial<Record<LedgerState, number>>> = {};
    for (const r of rows) (out[r.object_type] ??= {})[r.state as LedgerState] = Number(r.n);
    return out;
  }

  // Before-images: the state of a record the migration updated but did not create, kept before its first update.

  /** The first before-image of a record wins: later updates keep it. */
  async saveBeforeImage(migrationId: string, image: BeforeImage): Promise<void> {
    await this.db
      .insertInto('before_images')
      .values({ migration_id: migrationId, object_type: image.objectType, pipedrive_id: image.pipedriveId, body: JSON.stringify(image.body) })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Before-images of records the rollback kept (the deleted ones need no restore). */
  private keptImages(migrationId: string) {
    return this.db
      .selectFrom('before_images as b')
      .where('b.migration_id', '=', migrationId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('id_map as m')
              .select(sql<number>`1`.as('one'))
              .whereRef('m.migration_id', '=', 'b.migration_id')
              .whereRef('m.object_type', '=', 'b.object_type')
              .whereRef('m.pipedrive_id', '=', 'b.pipedrive_id')
              .where('m.state', '=', 'deleted'),
          ),
        ),
      );
  }

  /** Before-images of records the rollback kept (not deleted) and not yet restored. */
  async beforeImagesToRestore(migrationId: string): Promise<BeforeImage[]> {
    const rows = await this.keptImages(migrationId).select(['b.object_type', 'b.pipedrive_id', 'b.body']).where('b.restored_at', 'is', null).execute();
    return rows.map((r) => ({ objectType: r.object_type, pipedriveId: r.pipedrive_id, body: r.body as Record<string, unknown> }));
  }

  /** Every before-image of a record the rollback kept, restored or not: what the proof reads back. */
  async beforeImagesKept(migrationId: string): Promise<(BeforeImage & { restored: boolean })[]> {
    const rows = await this.keptImages(migrationId)
      .select(['b.object_type', 'b.pipedrive_id', 'b.body', 'b.restored_at'])
      .orderBy('b.object_type')
      .orderBy('b.pipedrive_id')
      .execute();
    return rows.map((r) => ({
      objectType: r.object_type,
      pipedriveId: r.pipedrive_id,
      body: r.body as Record<string, unknown>,
      restored: r.restored_at !== null,
    }));
  }

  async markRestored(migrationId: string, objectType: string, pipedriveId: string): Promise<void> {
    await this.db
      .updateTable('before_images')
      .set({ restored_at: sql`now()` })
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', objectType)
      .where('pipedrive_id', '=', pipedriveId)
      .execute();
  }

  /** Custom fields the migration created (ledger ids `<entity>/<field_code>`): their codes. */
  async createdFieldCodes(migrationId: string): Promise<Set<string>> {
    const rows = await this.rows(migrationId)
      .select('pipedrive_id')
      .where('object_type', '=', 'custom_field')
      .where('state', 'in', ['created', 'pending', 'deleted'])
      .where('pipedrive_id', 'is not', null)
      .execute();
    return new Set(rows.map((r) => r.pipedrive_id!.split('/')[1]!).filter(Boolean));
  }

  /** Ids the rollback deleted, per object type (sample scope: the sample's only). */
  async deletedIds(migrationId: string, scope: 'all' | 'sample'): Promise<Map<string, string[]>> {
    let q = this.rows(migrationId).select(['object_type', 'pipedrive_id']).where('state', '=', 'deleted').where('pipedrive_id', 'is not', null);
    if (scope === 'sample') q = q.where('run_kind', '=', 'sample');
    const rows = await q.orderBy('object_type').orderBy('pipedrive_id').execute();
    const idsByType = new Map<string, string[]>();
    for (const r of rows) idsByType.set(r.object_type, [...(idsByType.get(r.object_type) ?? []), r.pipedrive_id!]);
    return idsByType;
  }

  /** The stored keys of custom fields the rollback deleted: a re-run resolves them afresh. */
  async forgetDeletedFieldKeys(migrationId: string): Promise<void> {
    await this.db
      .deleteFrom('field_keys as fk')
      .using('id_map as m')
      .where('fk.migration_id', '=', migrationId)
      .whereRef('m.migration_id', '=', 'fk.migration_id')
      .where('m.object_type', '=', 'custom_field')
      .where('m.state', '=', 'deleted')
      .where(sql<boolean>`m.pipedrive_id = fk.entity || '/' || fk.field_code`)
      .execute();
  }
}
