import path from 'node:path';
import { type Pool } from 'pg';
import { mergePlan, mergeStatement, storedMerges, type DuplicateMerges, type MergePlan } from '../mapping';
import { NO_PHI, defaultFieldMap, parseFieldMap, phiDecisionProblems, withSourceOptions, FieldMapError, type FieldMap, type PhiDecisions } from '../mapping';
import { CONFIDENT, createMappingLlm, exportWorkbook, phiDecisionsForApproval, proposeForMigration, type ProposalRow } from '../review';
import { ownerAssignmentsOf, ownersDocument, type OwnerAssignment } from '../review/owners';
import { ownersSheetInput } from '../review/owners-sheet';
import { appendAudit } from '../store/audit';
import { approveFieldMap, getFieldMap, latestFieldMap, latestFieldMapVersion, saveProposedMap } from '../store/field-maps';
import { stagedData } from '../store/staged-rows';
import { auditMerges, duplicatesSheetInput, mergeApprovalProblems } from './duplicate-merges';
import { publishReport } from './publish-report';
import type { MapApproval, MigrationRef, ProposedMap } from './contracts';
import { type ActivityDeps } from './deps';
import { permanent } from '../failures';
import { writeJsonReport } from './report-files';

export interface ApprovedMap {
  version: number;
  map: FieldMap;
  phi: PhiDecisions;
  /** The duplicate patients merged by this version (none by default). */
  merges: MergePlan;
}

/** The approved map and PHI decisions a run uses; cached per version (an approved version never changes). */
export function approvedMapLoader(pool: Pool) {
  const cache = new Map<string, ApprovedMap>();
  /** `knownVersion`: the latest approved version, when the caller read it already (a batch's context). */
  return async (migrationId: string, knownVersion?: number): Promise<ApprovedMap> => {
    // Every batch asks: the version number alone, the document (tens of kB) only for a version not seen yet.
    const version = knownVersion ?? (await latestFieldMapVersion(pool, migrationId, 'approved'));
    const cacheKey = `${migrationId}#${version}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const stored = version === undefined ? undefined : await getFieldMap(pool, migrationId, version);
    if (!stored) throw permanent(`migration ${migrationId} has no approved field map: approve MAPPING_REVIEW first`);
    const approved: ApprovedMap = {
      version: stored.version,
      map: parseFieldMap(stored.document.map),
      phi: (stored.document.phi ?? { include: [] }) as PhiDecisions,
      merges: mergePlan(storedMerges(stored.document)),
    };
    cache.set(cacheKey, approved);
    return approved;
  };
}

function validates(document: unknown): boolean {
  try {
    parseFieldMap(document);
    return true;
  } catch (err) {
    if (err instanceof FieldMapError) return false;
    throw err;
  }
}

/** Lookup tables whose values become enum options (e.g. Recall Type ← recalltype.name). */
async function lookupRows(pool: Pool, migrationId: string, map: FieldMap): Promise<Record<string, Record<string, unknown>[]>> {
  const tables = new Set<string>();
  for (const fields of Object.values(map.objects.customFields)) for (const f of fields) if (f.optionsFrom) tables.add(f.optionsFrom.table);
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of tables) {
    out[table] = await stagedData(pool, migrationId, table, { limit: 10000 });
  }
  return out;
}

/**
 * The Owners sheet's assignments of an approved version, one audit row each (who approved them, which version): like
 * the PHI decisions, they are decisions ops made in the workbook. Ids only; the names are in the owners report.
 */
async function auditOwnerAssignments(pool: Pool, migrationId: string, version: number, by: string, owners: readonly OwnerAssignment[]): Promise<void> {
  for (const o of owners) {
    await appendAudit(pool, {
      migrationId,
      action: 'update',
      objectType: 'owner',
      sourceKey: `provider:${o.providerId}`,
      pipedriveId: o.userId,
      method: 'ASSIGN',
      endpoint: 'gate:MAPPING_REVIEW',
      note: `records of provider ${o.providerId} owned by user ${o.userId} (Owners sheet of map v${version}), approved by ${by}`,
    });
  }
}

/** MAPPING_REVIEW: propose a map (unless an edited one waits for review), and validate an approval. */
export function createMappingActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  return {
    async proposeMap({ migrationId }: MigrationRef): Promise<ProposedMap> {
      const latest = await latestFieldMap(pool, migrationId);
      let version: number;
      let map: FieldMap;
      let proposal: ProposalRow[];
      let phi: PhiDecisions = NO_PHI;
      // Owner assignments and duplicate merges are decisions about the account's users and the practice's patients,
      // not the map: a fresh proposal (after a rejected sample, or of a map that no longer validates) keeps them.
      const carriedOwners = ownerAssignmentsOf(latest?.document);
      const merges: DuplicateMerges = storedMerges(latest?.document);
      const carried = { ...ownersDocument(carriedOwners), ...(merges.merge.length > 0 ? { duplicates: merges } : {}) };
      if (latest && latest.status === 'proposed' && !validates(latest.document.map)) {
        // A version that no longer validates (the map's schema moved on, or it was stored by hand) is left for the
        // record, and a fresh proposal is made from the last good map instead of failing the gate.
        deps.logger.warn(
          { migrationId, version: latest.version },
          'the latest proposed map does not validate; proposing afresh from the last approved or default map',
        );
        const approved = await latestFieldMap(pool, migrationId, 'approved');
        const base = approved && validates(approved.document.map) ? parseFieldMap(approved.document.map) : defaultFieldMap();
        const proposed = await proposeForMigration(pool, migrationId, withSourceOptions(base, await lookupRows(pool, migrationId, base)), {
          llm: null,
          logger: deps.logger,
        });
        proposal = proposed.proposal;
        version = await saveProposedMap(pool, migrationId, { map: proposed.map, ...carried });
        map = { ...proposed.map, version: Math.max(proposed.map.version, version) };
      } else if (latest && latest.status === 'proposed') {
        // An edited (imported) or earlier proposal is still waiting for review: keep it (and its PHI decisions);
        // proposing against it again only supplies the workbook's samples and confidences.
        version = latest.version;
        map = parseFieldMap(latest.document.map);
        phi = phiDecisionsForApproval(latest.document, {});
        ({ proposal } = await proposeForMigration(pool, migrationId, map));
      } else {
        const base = latest ? parseFieldMap(latest.document.map) : defaultFieldMap();
        const proposed = await proposeForMigration(pool, migrationId, withSourceOptions(base, await lookupRows(pool, migrationId, base)), {
          llm: settings.mappingLlm ? createMappingLlm(settings.mappingLlm) : null,
          logger: deps.logger,
        });
        proposal = proposed.proposal;
        version = await saveProposedMap(pool, migrationId, { map: proposed.map, ...carried });
        map = { ...proposed.map, version: Math.max(proposed.map.version, version) };
      }
      const mapPath = await writeJsonReport(settings, migrationId, `proposed-map-v${version}.json`, { version, map });
      const duplicates = await duplicatesSheetInput(pool, migrationId, merges);
      const owners = await ownersSheetInput(pool, migrationId, carriedOwners);
      const { xlsxPath, csvPath, sheetCsvPaths } = await exportWorkbook(
        { map, proposal, phi, duplicates, owners },
        path.dirname(mapPath),
        `mapping-workbook-v${version}`,
      );
      await publishReport(pool, migrationId, 'proposed-map', [mapPath], { version, rules: map.rules.length });
      await publishReport(pool, migrationId, 'mapping-workbook', [xlsxPath, csvPath, ...sheetCsvPaths], {
        version,
        unsure: proposal.filter((r) => r.confidence < CONFIDENT).length,
      });
      const pairs = duplicates?.pairs.length ?? 0;
      return {
        version,
        mapPath,
        workbookPath: xlsxPath,
        fields: map.rules.length,
        ...(pairs > 0 ? { duplicates: { pairs, merged: merges.merge.length } } : {}),
      };
    },

    /**
     * The MAPPING_REVIEW approval: the map (as edited) must validate and the PHI decisions must be valid for it;
     * otherwise the approval is refused with row-level reasons and the gate keeps waiting.
     */
    async approveMap(a: MigrationRef & { version?: number; by: string; phiInclude?: PhiDecisions['include']; includeAllPhi?: boolean }): Promise<MapApproval> {
      const stored = a.version ? await getFieldMap(pool, a.migrationId, a.version) : await latestFieldMap(pool, a.migrationId);
      if (!stored) return { ok: false, errors: [`no field map version ${a.version ?? '(latest)'} for this migration`] };
      let map: FieldMap;
      try {
        map = parseFieldMap(stored.document.map);
      } catch (err) {
        if (err instanceof FieldMapError) return { ok: false, version: stored.version, errors: err.message.split('\n').slice(0, 20) };
        throw err;
      }
      const phi: PhiDecisions = a.includeAllPhi
        ? {
            include: map.rules
              .filter((r) => r.phi === 'phi' && r.target.field.kind !== 'not_migrated')
              .map((r) => ({ rule: r.id, deidentify: 'none' as const })),
          }
        : phiDecisionsForApproval(stored.document, a); // the signal's list, else the decisions imported with the workbook
      const problems = phiDecisionProblems(map, phi);
      if (problems.length > 0) return { ok: false, version: stored.version, errors: problems };
      const merges = storedMerges(stored.document);
      const mergeIssues = await mergeApprovalProblems(pool, a.migrationId, map, merges);
      if (mergeIssues.length > 0) return { ok: false, version: stored.version, errors: mergeIssues };
      const owners = ownerAssignmentsOf(stored.document);
      await approveFieldMap(pool, a.migrationId, stored.version, a.by, {
        map,
        phi,
        ...(owners.length > 0 ? { owners: { assign: owners } } : {}),
        ...(merges.merge.length > 0 ? { duplicates: merges } : {}),
      });
      await auditMerges(pool, a.migrationId, stored.version, a.by, merges);
      await auditOwnerAssignments(pool, a.migrationId, stored.version, a.by, owners);
      const included = phi.include.map((d) => `${d.rule} (${d.deidentify})`);
      const approvedMapPath = await writeJsonReport(settings, a.migrationId, `approved-map-v${stored.version}.json`, {
        version: stored.version,
        approvedBy: a.by,
        phi: {
          statement: included.length
            ? `PHI included by approval: ${included.join(', ')}. Every other PHI rule is excluded; SSN never moves.`
            : 'No PHI included: every PHI rule is excluded; SSN never moves.',
          include: phi.include,
        },
        duplicates: { statement: mergeStatement(merges), merge: merges.merge },
        map,
      });
      await publishReport(pool, a.migrationId, 'approved-map', [approvedMapPath], {
        version: stored.version,
        phiIncluded: phi.include.length,
        duplicatesMerged: merges.merge.length,
      });
      return { ok: true, version: stored.version, errors: [], approvedMapPath };
    },
  };
}
