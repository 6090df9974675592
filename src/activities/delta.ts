import { Context } from '@temporalio/activity';
import { stageExtract, ExtractError } from '../dentrix';
import { fetchPlan, LOAD_ORDER, type DriverPlan, type RelatedFetch } from '../mapping';
import { saveReport } from '../store/reports';
import { getRun } from '../store/runs';
import { filterSql, keyPrefix } from './bundles';
import type { DeltaPollResult, MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { sourceNotReady } from './failures';
import { approvedMapLoader } from './mapping';
import { writeJsonReport } from './report-files';

const column = (name: string) => `'${name.replace(/[^a-z_]/g, '')}'`;

/** Values of `rel.column` on rows of `rel.table` that changed since the watermark ($1 migration, $5 since). */
function changedValues(rel: RelatedFetch): string {
  return `SELECT r.data->>${column(rel.column)} FROM staged_rows r
          WHERE r.migration_id = $1 AND r.source_table = ${column(rel.table)} AND r.changed_at >= $5`;
}

/**
 * True for a driving row `s` when a row its record is built from changed: the fetch plan's own relations (a new
 * alert or a changed insurance row changes the person, a new household member the household, a procedure the deal),
 * one hop further for lookups of related rows (a renamed recall type). Over-inclusive is harmless: the loader
 * updates only records whose rebuilt content differs.
 */
function relatedChangedSql(plan: DriverPlan): string {
  const conditions = plan.related.flatMap((rel) => {
    if (!rel.from) return [`(s.data->>${column(rel.equals)}) IN (${changedValues(rel)})`];
    const via = plan.related.find((r) => r.as === rel.from);
    if (!via || via.from) return [];
    return [
      `(s.data->>${column(via.equals)}) IN (SELECT f.data->>${column(via.column)} FROM staged_rows f
         WHERE f.migration_id = $1 AND f.source_table = ${column(via.table)} AND (f.data->>${column(rel.equals)}) IN (${changedValues(rel)}))`,
    ];
  });
  return conditions.map((c) => ` OR ${c}`).join('');
}

/** The delta pick-up window's poll: re-read the source, find what changed since the watermark, plan it. */
export function createDeltaActivities(deps: ActivityDeps) {
  const { pool, settings, now = () => new Date() } = deps;
  const loadApproved = approvedMapLoader(pool);

  return {
    async deltaPoll({ migrationId, pollNumber }: MigrationRef & { pollNumber: number }): Promise<DeltaPollResult> {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      const { rows: wm } = await pool.query<{ watermark: string | null }>(
        "SELECT watermark FROM delta_watermarks WHERE migration_id = $1 AND source_table = '*'",
        [migrationId],
      );
      const { rows: clock } = await pool.query<{ now: Date }>('SELECT now() AS now');
      const pollStartedAt = clock[0]!.now.toISOString();
      const since = wm[0]?.watermark ?? pollStartedAt;

      // Read-only on the source: it is staged again; content hashes tell what changed. A SQL mirror is live during
      // the window: its rows are counted in the read's snapshot, not held to the manifest written when it was loaded.
      let reader;
      try {
        reader = await deps.openSource(run.source.kind === 'sql' ? { ...run.source, rowCounts: 'snapshot' } : run.source);
        await stageExtract(pool, migrationId, reader, { onProgress: (p) => ctx.heartbeat(p), progressEvery: 5000 });
      } catch (err) {
        // The full run is done and the source is live: a re-export caught half-written or a mirror that cannot be
        // reached now is a reason to look again (the retry policy spaces the attempts; the pending activity shows
        // the PHI-free reason), not to fail the migration. Nothing is planned and the watermark stays put.
        if (err instanceof ExtractError) throw sourceNotReady(err.message, { type: err.type });
        throw err;
      } finally {
        await reader?.close();
      }

      const { rows: changed } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM staged_rows WHERE migration_id = $1 AND changed_at >= $2',
        [migrationId, since],
      );
      await pool.query("DELETE FROM work_items WHERE migration_id = $1 AND run_kind = 'delta'", [migrationId]);
      const approved = await loadApproved(migrationId);
      const workItems: Record<string, number> = {};
      for (const entity of LOAD_ORDER) {
        for (const plan of fetchPlan(entity, { newPatientBooking: approved.map.options.newPatientBooking })) {
          const result = await pool.query(
            `INSERT INTO work_items (migration_id, run_kind, object_type, source_key)
             SELECT $1, 'delta', $2, $3 || (s.data->>'${plan.keyColumn}')
             FROM staged_rows s
             WHERE s.migration_id = $1 AND s.source_table = $4 ${filterSql(plan)}
               AND (s.changed_at >= $5 ${relatedChangedSql(plan)})
             ORDER BY s.row_seq
             ON CONFLICT DO NOTHING`,
            [migrationId, entity, keyPrefix(plan), plan.table, since],
          );
          if (result.rowCount) workItems[entity] = (workItems[entity] ?? 0) + result.rowCount;
        }
      }
      await pool.query(
        `INSERT INTO delta_watermarks (migration_id, source_table, watermark) VALUES ($1, '*', $2)
         ON CONFLICT (migration_id, source_table) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()`,
        [migrationId, pollStartedAt],
      );
      const claims = await inFlightClaims(migrationId);
      deps.logger.info({ migrationId, pollNumber, changedRows: Number(changed[0]!.n), workItems }, 'delta poll');
      return { changedRows: Number(changed[0]!.n), workItems, watermark: pollStartedAt, inFlightClaims: claims.count };
    },

    /** Claims still in flight (sent or pending) must clear before cutover: counted, totalled, listed by guarantor id. */
    async reportInFlightClaims({ migrationId }: MigrationRef): Promise<{ inFlightClaims: number; reportPath: string }> {
      const claims = await inFlightClaims(migrationId);
      const reportPath = await writeJsonReport(settings, migrationId, 'in-flight-claims.json', {
        migrationId,
        generatedAt: now().toISOString(),
        rule: 'ledger entries with claim_status sent or pending must clear in Dentrix before cutover',
        ...claims,
      });
      await saveReport(pool, migrationId, 'in-flight-claims', reportPath, { count: claims.count, total: claims.total });
      return { inFlightClaims: claims.count, reportPath };
    },
  };

  async function inFlightClaims(migrationId: string) {
    const { rows } = await pool.query<{ guar_id: string | null; n: string; total: string | null }>(
      `SELECT data->>'guar_id' AS guar_id, count(*) AS n, sum((data->>'amount')::numeric) AS total FROM staged_rows
       WHERE migration_id = $1 AND source_table = 'ledger' AND data->>'claim_status' IN ('sent', 'pending')
       GROUP BY 1 ORDER BY 1`,
      [migrationId],
    );
    return {
      count: rows.reduce((n, r) => n + Number(r.n), 0),
      total: rows.reduce((n, r) => n + Number(r.total ?? 0), 0),
      byGuarantor: rows.map((r) => ({ guarantorId: r.guar_id, claims: Number(r.n), total: Number(r.total ?? 0) })),
    };
  }
}
