import { Context } from '@temporalio/activity';
import { auditMigration } from '../audit';
import { publishReport } from './publish-report';
import type { AuditSummary, MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { migrationDir } from './report-files';
import { heartbeat } from './heartbeat';

/**
 * The AUDIT phase: the Data Quality Report (JSON and HTML), written to this worker's cache and kept in the store; only
 * its PHI-free headline counts and its cached path come back.
 */
export function createAuditActivities({ pool, settings, now = () => new Date() }: ActivityDeps) {
  return {
    async auditSource({ migrationId }: MigrationRef): Promise<AuditSummary> {
      const ctx = Context.current();
      const result = await auditMigration(pool, migrationId, {
        outDir: migrationDir(settings, migrationId),
        now: now(),
        onProgress: (section) => heartbeat({ section }, ctx),
      });
      await publishReport(pool, migrationId, 'data-quality', [result.reportPath, result.htmlPath], result.summary);
      return { reportPath: result.reportPath, htmlPath: result.htmlPath, counts: result.summary };
    },
  };
}
