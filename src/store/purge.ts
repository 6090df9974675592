import { type Pool } from 'pg';
import { sql, type ExpressionBuilder } from 'kysely';
import { appendAudit } from './audit';
import { advisoryLock, storeDb, storeDbOn } from './db';
import type { DB } from './generated/db';
import { stagingLockKey } from './staging';
import { FINAL_PHASES } from '../workflows/messages';

/**
 * Purging a migration's staged PHI (DESIGN §5.11): what the practice's extract put in the store, once the workflow
 * no longer needs it (after cutover, after a full rollback, or by the operator's `purge`).
 *
 * - staged_rows: each row's `data` is reduced to its ids (the contract's `*_id` columns: its own key and its
 *   references, which a later rollback's recovery uses to find a record's person or deal); names, birth dates,
 *   contacts, notes, alerts, amounts and practice-specific columns go. Its content hash is replaced by `purged`.
 * - field_diffs: the compared values (expected, actual) are cleared, except the link and owner fields the
 *   reconciliation counts (Pipedrive ids); matched and category stay, so accuracy counts can still be made.
 * - phi_hash_keys: the key of the never-migrate values' hashes is deleted.
 * - report_files, when asked (`purge --reports`, at the end of the reports' retention; the automatic purges keep the
 *   deliverables ops still read): the stored contents of the reports that quote source values (the sample diff's and
 *   the verification's discrepancies, the mapping workbook's sample values) are deleted; their `reports` rows (kind,
 *   summary counts) stay, and the other reports (ids and counts only) are kept whole.
 * Ids, counts, the id map and ledger, before-images (the account's own records, which a rollback restores), the
 * audit log, source issues (they never carry values) and report metadata stay. One audit row records the purge.
 */

/** The content hash a purged staged row carries: any later staging of the row sees it as changed. */
export const PURGED = 'purged';

/** Reports whose files quote source values: their stored contents go with the staged PHI. */
export const REPORTS_WITH_VALUES: readonly string[] = ['sample-diff', 'verification', 'mapping-workbook'];

/** Phases in which no workflow needs the staged rows any more: the migration's final ones. */
export const PURGEABLE_PHASES: readonly string[] = FINAL_PHASES;

export interface PurgeCounts {
  /** Staged rows reduced to their ids by this purge. */
  stagedRows: number;
  /** Field-level diff rows whose values this purge cleared. */
  fieldDiffs: number;
  /** Hash keys deleted (0 or 1). */
  hashKeys: number;
  /** Stored report files deleted (those of REPORTS_WITH_VALUES). */
  reportFiles: number;
}

export interface PurgeRequest {
  /** Who asked (an operator's name, or the workflow that purges on its own). */
  by: string;
  /** Why, PHI-free: kept in the audit log. */
  reason: string;
  /** Also delete the stored contents of REPORTS_WITH_VALUES. */
  reportsWithValues?: boolean;
  /** field_diffs fields whose values are Pipedrive ids the reconciliation reads: kept. */
  keepDiffFields: readonly string[];
  /** Where the request came from, for the audit row. */
  workflowId?: string | null;
  runId?: string | null;
  activityId?: string | null;
  attempt?: number | null;
  /** Rows per staged_rows update (one short transaction each). */
  batchSize?: number;
  /** Called after each batch, e.g. to heartbeat an activity. */
  onProgress?: (progress: { stagedRows: number }) => void;
}

/**
 * Purges one migration's staged PHI; idempotent (a second purge changes nothing and is recorded again). Holds the
 * staging lock, so it never interleaves with a staging of the same migration (a delta poll).
 */
export async function purgeStagedPhiRows(pool: Pool, migrationId: string, req: PurgeRequest): Promise<PurgeCounts> {
  const batchSize = req.batchSize ?? 20_000;
  const client = await pool.connect();
  const db = storeDbOn(client);
  try {
    await advisoryLock(db, 'lock', stagingLockKey(migrationId));
    try {
      const counts: PurgeCounts = { stagedRows: 0, fieldDiffs: 0, hashKeys: 0, reportFiles: 0 };
      const tables = await db
        .selectFrom('staged_rows')
        .select(['source_table', (eb) => eb.fn.max('row_seq').as('last')])
        .where('migration_id', '=', migrationId)
        .where('content_hash', '<>', PURGED)
        .groupBy('source_table')
        .orderBy('source_table')
        .execute();
      // By row_seq ranges (an index), so each batch reads only its own rows however large the extract.
      for (const { source_table: table, last } of tables) {
        for (let from = 0; from < Number(last); from += batchSize) {
          // SQL: keeps the row's `*_id` keys only, a jsonb rewrite Kysely has no builder for.
          const updated = await db
            .updateTable('staged_rows')
            .set({
              content_hash: PURGED,
              data: sql`COALESCE(
               (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(staged_rows.data) e
                 WHERE e.key LIKE '%\\_id' AND jsonb_typeof(e.value) IN ('number', 'string')), '{}'::jsonb)`,
            })
            .where('migration_id', '=', migrationId)
            .where('source_table', '=', table)
            .where('row_seq', '>', String(from))
            .where('row_seq', '<=', String(from + batchSize))
            .where('content_hash', '<>', PURGED)
            .executeTakeFirst();
          counts.stagedRows += Number(updated.numUpdatedRows);
          req.onProgress?.({ stagedRows: counts.stagedRows });
        }
      }
      // One transaction on the held connection (the audit row is written on it too).
      await db.transaction().execute(async (trx) => {
        const diffs = await trx
          .updateTable('field_diffs')
          .set({ expected: null, actual: null })
          .where(holdingValues(migrationId, req.keepDiffFields))
          .executeTakeFirst();
        counts.fieldDiffs = Number(diffs.numUpdatedRows);
        const keys = await trx.deleteFrom('phi_hash_keys').where('migration_id', '=', migrationId).executeTakeFirst();
        counts.hashKeys = Number(keys.numDeletedRows);
        if (req.reportsWithValues) {
          const files = await trx
            .deleteFrom('report_files')
            .where('migration_id', '=', migrationId)
            .where('kind', '=', (eb) => eb.fn.any(eb.val([...REPORTS_WITH_VALUES])))
            .executeTakeFirst();
          counts.reportFiles = Number(files.numDeletedRows);
        }
        await appendAudit(client, {
          migrationId,
          action: 'purge',
          objectType: 'staged_phi',
          method: 'PURGE',
          endpoint: 'store:staged-phi',
          workflowId: req.workflowId ?? null,
          runId: req.runId ?? null,
          activityId: req.activityId ?? null,
          attempt: req.attempt ?? null,
          note:
            `staged PHI purged by ${req.by}: ${req.reason} ` +
            `(${counts.stagedRows} staged rows reduced to ids, ${counts.fieldDiffs} field diffs cleared, ${counts.hashKeys} hash key deleted` +
            `${req.reportsWithValues ? `, ${counts.reportFiles} stored report files with source values deleted` : ''})`,
        });
      });
      return counts;
    } finally {
      await advisoryLock(db, 'unlock', stagingLockKey(migrationId)).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** What is left of a migration's staged PHI: staged rows not yet purged, field diffs still holding values. */
export async function stagedPhiLeft(pool: Pool, migrationId: string, keepDiffFields: readonly string[]): Promise<{ stagedRows: number; fieldDiffs: number }> {
  const db = storeDb(pool);
  const staged = await db
    .selectFrom('staged_rows')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('migration_id', '=', migrationId)
    .where('content_hash', '<>', PURGED)
    .executeTakeFirstOrThrow();
  const diffs = await db
    .selectFrom('field_diffs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where(holdingValues(migrationId, keepDiffFields))
    .executeTakeFirstOrThrow();
  return { stagedRows: Number(staged.n), fieldDiffs: Number(diffs.n) };
}

/** The migration's field diffs that still hold values, but for the fields kept (`keep`). */
function holdingValues(migrationId: string, keep: readonly string[]) {
  return (eb: ExpressionBuilder<DB, 'field_diffs'>) =>
    eb.and([
      eb('migration_id', '=', migrationId),
      eb.not(eb('field', '=', eb.fn.any(eb.val([...keep])))),
      eb.or([eb('expected', 'is not', null), eb('actual', 'is not', null)]),
    ]);
}
