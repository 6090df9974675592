import { Context } from '@temporalio/activity';
import { ExtractError, stageExtract } from '../dentrix';
import { getRun, recordPractice } from '../store/runs';
import { refreshStatistics } from '../store/statistics';
import type { ExtractSummary, MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { badSource } from '../failures';
import { heartbeat } from './heartbeat';

/** The EXTRACT phase: read-only on the source, everything into staging, counts only out. */
export function createSourceActivities(deps: ActivityDeps) {
  const { pool } = deps;
  return {
    async extractSource({ migrationId }: MigrationRef): Promise<ExtractSummary> {
      const ctx = Context.current();
      const run = await getRun(pool, migrationId);
      let reader;
      try {
        reader = await deps.openSource(run.source);
      } catch (err) {
        if (err instanceof ExtractError) throw badSource(err.message, { type: err.type });
        throw err;
      }
      try {
        const manifest = await reader.manifest();
        await recordPractice(pool, migrationId, manifest.practice);
        const counts = await stageExtract(pool, migrationId, reader, {
          onProgress: (p) => heartbeat(p, ctx),
          progressEvery: 5000,
        });
        // Every later phase reads the staged rows by key, batch after batch.
        await refreshStatistics(pool, ['staged_rows']);
        deps.logger.info({ migrationId, rowsStaged: counts.rowsStaged, rowsRejected: counts.rowsRejected }, 'extract staged');
        return {
          tables: counts.tables.length,
          rowsRead: counts.rowsRead,
          rowsStaged: counts.rowsStaged,
          rowsRejected: counts.rowsRejected,
          perTable: Object.fromEntries(counts.tables.map((t) => [t.table, { read: t.rowsRead, staged: t.rowsStaged, rejected: t.rowsRejected }])),
        };
      } catch (err) {
        if (err instanceof ExtractError) throw badSource(err.message, { type: err.type });
        throw err;
      } finally {
        await reader.close();
      }
    },
  };
}
