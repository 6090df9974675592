import { Context } from '@temporalio/activity';
import { stageExtract, ExtractError, DENTRIX_TABLES, type DentrixTable } from '../dentrix';
import { hasChangeCursor } from '../dentrix/sql-reader';
import { fetchPlan, LOAD_ORDER, sourceKeys } from '../mapping';
import { IN_FLIGHT_CLAIM_RULE, inFlightClaims, type InFlightClaims } from '../store/claims';
import { publishReport } from './publish-report';
import { getRun } from '../store/runs';
import { POLL_WATERMARK, readWatermarks, saveWatermarks } from '../store/watermarks';
import { keyPrefix } from './bundles';
import { clearDeltaWorkItems, countChangedSince, planDeltaPartners, planDeltaWorkItems, storeNow } from '../store/delta-work';
import type { DeltaPollResult, MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { sourceNotReady } from '../failures';
import { approvedMapLoader } from './mapping';
import { writeJsonReport } from './report-files';
import { heartbeat } from './heartbeat';

/**
 * How far before a table's watermark each change-cursor read starts. A row is stamped (PostgreSQL now(), a Dentrix
 * server's clock) when its transaction starts but becomes visible when it commits, so a row committed after a poll
 * can carry a stamp at or below the watermark that poll recorded (equal stamps included). Reading from watermark −
 * overlap, with >=, catches it as long as no writing transaction stays open longer than this. A row read again
 * unchanged is not a change (its content hash decides), so the overlap only costs re-reading the latest rows.
 */
export const CURSOR_OVERLAP_SECONDS = 300;

/**
 * The delta pick-up window's poll: read what changed in the source since the watermarks, stage it, plan it.
 *
 * - SQL mirror, tables with a change cursor (`automodifiedtimestamp`: provider, patient, appt, recall, txcase,
 *   procedure in the contract): only rows stamped at or after the table's watermark minus CURSOR_OVERLAP_SECONDS are
 *   read; the watermark then advances to the cursor's maximum in the same snapshot (capped at the mirror's clock). A
 *   table's first poll has no watermark yet and reads it in full, catching what changed since the extract.
 * - Tables without one (the mirror lacks the column, or holds it as text, which cannot be ordered as time) and every
 *   table of an extract folder: read in full, compared with what is staged by key and content hash.
 * Either way only a changed content hash makes a staged row a change, and a poll that fails moves no watermark.
 */
export function createDeltaActivities(deps: ActivityDeps) {
  const { pool, settings, now = () => new Date() } = deps;
  const loadApproved = approvedMapLoader(pool);

  return {
    async deltaPoll({ migrationId, pollNumber }: MigrationRef & { pollNumber: number }): Promise<DeltaPollResult> {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      const watermarks = await readWatermarks(pool, migrationId);
      const pollStartedAt = (await storeNow(pool)).toISOString();
      const since = watermarks.get(POLL_WATERMARK) ?? pollStartedAt;
      const changedSince: Partial<Record<DentrixTable, string>> = {};
      for (const table of DENTRIX_TABLES) {
        const watermark = watermarks.get(table);
        if (watermark !== undefined) changedSince[table] = watermark;
      }

      // Read-only on the source; content hashes tell what changed. A SQL mirror is live during the window: its rows
      // are counted in the read's snapshot, not held to the manifest written when it was loaded.
      const next = new Map<string, string>([[POLL_WATERMARK, pollStartedAt]]);
      let staged;
      let reader;
      try {
        reader = await deps.openSource(run.source.kind === 'sql' ? { ...run.source, rowCounts: 'snapshot' } : run.source);
        staged = await stageExtract(pool, migrationId, reader, {
          onProgress: (p) => heartbeat(p, ctx),
          progressEvery: 5000,
          changedSince,
          cursorOverlapSeconds: CURSOR_OVERLAP_SECONDS,
        });
        // Where each cursor stands in the snapshot just read: rows committed after it are read next time.
        if (hasChangeCursor(reader)) {
          for (const table of await reader.tables()) {
            if (!reader.changeCursor(table)) continue;
            const position = await reader.cursorPosition(table, watermarks.get(table) ?? null);
            if (position !== null) next.set(table, position);
          }
        }
      } catch (err) {
        // The full run is done and the source is live: a re-export caught half-written or a mirror that cannot be
        // reached now is a reason to look again (the retry policy spaces the attempts; the pending activity shows
        // the PHI-free reason), not to fail the migration. Nothing is planned and the watermarks stay put.
        if (err instanceof ExtractError) throw sourceNotReady(err.message, { type: err.type });
        throw err;
      } finally {
        await reader?.close();
      }

      const changedRows = await countChangedSince(pool, migrationId, since);
      await clearDeltaWorkItems(pool, migrationId);
      const approved = await loadApproved(migrationId);
      const workItems: Record<string, number> = {};
      for (const entity of LOAD_ORDER) {
        for (const plan of fetchPlan(entity, { newPatientBooking: approved.map.options.newPatientBooking })) {
          const added = await planDeltaWorkItems(pool, { migrationId, objectType: entity, keyPrefix: keyPrefix(plan), plan, since });
          if (added) workItems[entity] = (workItems[entity] ?? 0) + added;
        }
      }
      // A change to a merged duplicate (its chart or the rows its person reads) re-plans its survivor, which holds it.
      const partners = new Map([...approved.merges.survivorOf].map(([duplicate, survivor]) => [sourceKeys.patient(duplicate), sourceKeys.patient(survivor)]));
      const survivors = await planDeltaPartners(pool, migrationId, 'person', partners);
      if (survivors) workItems.person = (workItems.person ?? 0) + survivors;
      await saveWatermarks(pool, migrationId, next);
      // Reported at every poll, not only when the window closes: ops see them before they cut over.
      const claims = await inFlightClaims(pool, migrationId);
      const claimsReport = await writeClaimsReport(migrationId, claims, `delta poll ${pollNumber}`);
      const rowsRead = Object.fromEntries(staged.tables.map((t) => [t.table, t.rowsRead]));
      const readByCursor = staged.tables.filter((t) => t.read === 'changes').map((t) => t.table);
      deps.logger.info(
        { migrationId, pollNumber, changedRows, workItems, rowsRead: staged.rowsRead, readByCursor, inFlightClaims: claims.count },
        'delta poll',
      );
      return {
        changedRows,
        workItems,
        watermark: pollStartedAt,
        inFlightClaims: claims.count,
        inFlightClaimsReportPath: claimsReport,
        rowsRead,
        readByCursor,
      };
    },

    /** Claims still in flight (sent or pending) must clear before cutover: counted, totalled, listed by guarantor id. */
    async reportInFlightClaims({ migrationId }: MigrationRef): Promise<{ inFlightClaims: number; reportPath: string }> {
      const claims = await inFlightClaims(pool, migrationId);
      const reportPath = await writeClaimsReport(migrationId, claims, 'window closed');
      return { inFlightClaims: claims.count, reportPath };
    },
  };

  async function writeClaimsReport(migrationId: string, claims: InFlightClaims, asOf: string): Promise<string> {
    const reportPath = await writeJsonReport(settings, migrationId, 'in-flight-claims.json', {
      migrationId,
      generatedAt: now().toISOString(),
      asOf,
      rule: `${IN_FLIGHT_CLAIM_RULE}; they must clear in Dentrix before cutover`,
      ...claims,
    });
    await publishReport(pool, migrationId, 'in-flight-claims', [reportPath], {
      count: claims.count,
      ledgerEntries: claims.ledgerEntries,
      total: claims.total,
      asOf,
    });
    return reportPath;
  }
}
