import { Context } from '@temporalio/activity';
import { appendAudit } from '../store/audit';
import type { Pool } from 'pg';
import { sourceKeys, storedMerges } from '../mapping';
import { latestFieldMap } from '../store/field-maps';
import { Ledger, REVIEW_FILE_COUNT } from '../store/ledger';
import { publishReport } from './publish-report';
import { setRunPhase } from '../store/runs';
import { plannedSourceCounts } from '../store/work';
import type { MigrationRef, ObjectCounts, ReconcileResult } from './contracts';
import { type ActivityDeps } from './deps';
import { GATES, type ApproveInput } from '../workflows/messages';
import { describeLinks, linkReconciliation } from './link-reconciliation';
import { linkSummary } from './reconciliation';
import { writeJsonReport } from './report-files';

/** The phases where the migration waits at a gate for a person's decision. */
const GATE_PHASES = new Set<string>(GATES);

/** A gate decision as the audit log keeps it. Rule ids and de-identifications only: no PHI values. */
export interface GateDecisionRecord {
  gate: string;
  decision: string;
  by: string;
  reason?: string;
  overrideReason?: string;
  /** MAPPING_REVIEW: the map version approved (undefined: the latest) and what PHI it lets through. */
  mapVersion?: number;
  phiInclude?: ApproveInput['phiInclude'];
  includeAllPhi?: boolean;
  /** SAMPLE_REVIEW: the sample run decided on. */
  sampleRun?: number;
}

/** The audit note of a decision: who, what it was about, and why, e.g. `approve by Ana (map v3; PHI: none): …`. */
export function describeDecision(d: GateDecisionRecord): string {
  const about: string[] = [];
  if (d.gate === 'MAPPING_REVIEW' && d.decision.startsWith('approve')) {
    about.push(`map ${d.mapVersion === undefined ? 'latest proposed' : `v${d.mapVersion}`}`);
    const phi = d.includeAllPhi
      ? 'every rule included unchanged (SSN never moves)'
      : d.phiInclude?.length
        ? d.phiInclude.map((p) => `${p.rule} (${p.deidentify})`).join(', ')
        : 'none included';
    about.push(`PHI: ${phi}`);
  }
  if (d.sampleRun !== undefined) about.push(`sample run ${d.sampleRun}`);
  const why = d.reason ?? d.overrideReason;
  return `${d.decision} by ${d.by}${about.length ? ` (${about.join('; ')})` : ''}${why ? `: ${why}` : ''}`;
}

/** Bookkeeping of a migration run: phase, operator decisions, reconciliation. */
export function createRunActivities({ pool, settings, logger, now = () => new Date() }: ActivityDeps) {
  return {
    /** Called by the workflow on each phase change; the worker's log says so (ids and phase names only). */
    async markPhase({ migrationId, phase }: MigrationRef & { phase: string }): Promise<void> {
      await setRunPhase(pool, migrationId, phase);
      if (GATE_PHASES.has(phase)) logger.info({ migrationId, phase, gate: phase }, `migration ${migrationId}: gate ${phase} open, waiting for a decision`);
      else logger.info({ migrationId, phase }, `migration ${migrationId}: phase ${phase}`);
    },

    /** Every gate decision goes to the audit log with who made it, why, and what it was about (map version, PHI, sample run). */
    async recordDecision(d: MigrationRef & GateDecisionRecord): Promise<void> {
      const info = Context.current().info;
      await appendAudit(pool, {
        migrationId: d.migrationId,
        action: 'update',
        objectType: 'gate',
        sourceKey: d.gate,
        method: 'SIGNAL',
        endpoint: `gate:${d.gate}`,
        workflowId: info.workflowExecution?.workflowId,
        runId: info.workflowExecution?.runId,
        activityId: info.activityId,
        attempt: info.attempt,
        note: describeDecision(d),
      });
      // Who and why stay in the audit log: free text an operator typed has no place in the worker's log.
      logger.info(
        { migrationId: d.migrationId, gate: d.gate, decision: d.decision },
        `migration ${d.migrationId}: gate ${d.gate} decision ${d.decision} recorded`,
      );
    },

    /** Per object type: source = migrated + skipped + rejected (+ pending, which must be 0 at the end). */
    async reconcile({ migrationId }: MigrationRef): Promise<ReconcileResult> {
      const planned = await plannedSourceCounts(pool, migrationId);
      const ledger = new Ledger(pool);
      const states = await ledger.countsByState(migrationId);
      const recreated = await ledger.recreatedByType(migrationId);
      const objects: Record<string, ObjectCounts & { pending: number; rolledBack: number; recreated: number }> = {};
      let balanced = true;
      for (const [objectType, source] of Object.entries(planned)) {
        const s = states[objectType] ?? {};
        const row = {
          source,
          migrated: (s.created ?? 0) + (s.reused ?? 0),
          skipped: s.skipped ?? 0,
          rejected: s.rejected ?? 0,
          pending: s.pending ?? 0,
          rolledBack: s.deleted ?? 0,
          // Of the migrated: created again after the record the id map held was found gone from Pipedrive.
          recreated: recreated[objectType] ?? 0,
        };
        objects[objectType] = row;
        if (row.source !== row.migrated + row.skipped + row.rejected + row.rolledBack) balanced = false;
      }
      // Review files (values no field of their record holds whole) are no source records: counted apart. One still
      // pending (its upload's outcome unknown) leaves the reconciliation unbalanced, as a pending record does.
      const reviewFileStates = states[REVIEW_FILE_COUNT] ?? {};
      const reviewFiles = {
        uploaded: reviewFileStates.created ?? 0,
        pending: reviewFileStates.pending ?? 0,
        refused: reviewFileStates.rejected ?? 0,
        rolledBack: reviewFileStates.deleted ?? 0,
      };
      if (reviewFiles.pending > 0) balanced = false;
      const mergedDuplicates = await mergedPersons(pool, migrationId);
      if (objects.person) Object.assign(objects.person, { merged: mergedDuplicates });
      const links = await linkReconciliation(pool, migrationId);
      const reportPath = await writeJsonReport(settings, migrationId, 'reconciliation.json', {
        migrationId,
        generatedAt: now().toISOString(),
        rule:
          'per object type: source = migrated + skipped + rejected (+ rolled back after a rollback); recreated: of the migrated, ' +
          'created again because the record the id map held was gone from Pipedrive',
        balanced,
        objects,
        reviewFilesRule:
          "files attached to a record with the values needing review that none of its fields holds whole (uploaded, pending, refused by Pipedrive, rolled back); not source records, so not in the file type's counts",
        reviewFiles,
        mergedRule: 'persons: merged, of the skipped, the duplicate patients merged into their survivor at MAPPING_REVIEW (no Person of their own)',
        linksRule:
          'per link: records whose source links somewhere (expected), of which Pipedrive holds a link (present) to the expected record ' +
          "(correct); per owner field: owned by the provider's user or the fallback owner (correct), fallback assignments counted",
        links,
      });
      const recreatedTotal = Object.values(recreated).reduce((n, c) => n + c, 0);
      await publishReport(pool, migrationId, 'reconciliation', [reportPath], {
        balanced,
        mergedDuplicates,
        ...(reviewFiles.uploaded + reviewFiles.pending + reviewFiles.refused > 0 ? { reviewFiles: reviewFiles.uploaded } : {}),
        ...(recreatedTotal > 0 ? { recreated } : {}),
        ...linkSummary(links),
        linkLines: describeLinks(links),
      });
      const plain: Record<string, ObjectCounts> = {};
      for (const [k, v] of Object.entries(objects)) plain[k] = { source: v.source, migrated: v.migrated, skipped: v.skipped, rejected: v.rejected };
      return { objects: plain, reportPath, balanced };
    },
  };
}

/** Duplicate patients the loads skipped as merged into their survivor (the approved version's merges). */
async function mergedPersons(pool: Pool, migrationId: string): Promise<number> {
  const merges = storedMerges((await latestFieldMap(pool, migrationId, 'approved'))?.document);
  if (merges.merge.length === 0) return 0;
  const entries = await new Ledger(pool).getMany(
    migrationId,
    'person',
    merges.merge.map((m) => sourceKeys.patient(m.duplicate)),
  );
  return [...entries.values()].filter((e) => e.state === 'skipped').length;
}
