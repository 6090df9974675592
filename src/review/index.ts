/**
 * MAPPING_REVIEW: the proposed map (proposer + profiling + optional LLM), the mapping workbook (export, edit,
 * import) and the PHI decisions that come back from it.
 */
import type { Pool } from 'pg';
import { DATA_QUALITY_JSON } from '../audit/audit';
import type { DataQualityReport, DuplicatePair } from '../audit/report';
import { readReportFile } from '../store/reports';
import { PhiDecisionsSchema, type FieldMap, type PhiDecisions } from '../mapping';
import { refineWithLlm, type MappingLlm, type ReviewLogger } from './llm';
import { DEFAULT_SAMPLE_ROWS, profileStagedColumns } from './profile';
import { proposalToFieldMap, proposeMap, type ProposalRow } from './proposer';

export { exportWorkbook, importWorkbook, importDuplicateSheet, readWorkbookRows, type DuplicatesSheetInput } from './workbook';
export { formatDuplicateRowError } from './duplicates-sheet';
export { sheetCsvName, sheetFiles } from './sheet-csv';
export { summarizeProposal, formatProposalSummary } from './summary';
export { formatRowError } from './workbook-rows';
export { CONFIDENT, type ProposalRow } from './proposer';
export { createMappingLlm, type MappingLlm, type ReviewLogger } from './llm';

export interface ProposeOptions {
  /** Rows sampled per table for value profiling (default 500). */
  sampleRows?: number;
  /** An LLM to ask about the columns the rules could not place confidently; none by default. */
  llm?: MappingLlm | null;
  /** Where LLM outcomes are logged (ids and counts, never values). */
  logger?: ReviewLogger;
}

/** Profiles the staged extract and proposes a new map version from the base map, with the proposal rows behind it. */
export async function proposeForMigration(
  pool: Pool,
  migrationId: string,
  baseMap: FieldMap,
  opts: ProposeOptions = {},
): Promise<{ map: FieldMap; proposal: ProposalRow[] }> {
  const staged = await profileStagedColumns(pool, migrationId, { sampleRows: opts.sampleRows ?? DEFAULT_SAMPLE_ROWS });
  let proposal = proposeMap({ ...staged, baseMap });
  if (opts.llm) {
    const logger = opts.logger ?? { info: () => undefined, warn: () => undefined };
    proposal = await refineWithLlm(proposal, { baseMap, columnsByTable: staged.columnsByTable, profiles: staged.profiles }, opts.llm, logger);
  }
  return { map: proposalToFieldMap(baseMap, proposal), proposal };
}

/**
 * The PHI decisions an approval applies: the approval's own list when it gives one, else those imported from the
 * workbook with the approved version (stored as `{ map, phi }`), else none. For approveMap, so the workbook's
 * decisions reach the approved-map statement.
 */
export function phiDecisionsForApproval(stored: { phi?: unknown } | undefined, approval: { phiInclude?: PhiDecisions['include'] }): PhiDecisions {
  if (approval.phiInclude) return { include: approval.phiInclude };
  const parsed = PhiDecisionsSchema.safeParse(stored?.phi ?? { include: [] });
  return parsed.success ? parsed.data : { include: [] };
}

/**
 * The probable duplicate pairs of the migration's Data Quality Report, from the store (Dentrix ids and evidence kinds
 * only); undefined before the AUDIT phase has written one.
 */
export async function reportedDuplicatePairs(pool: Pool, migrationId: string): Promise<DuplicatePair[] | undefined> {
  const file = await readReportFile(pool, migrationId, 'data-quality', DATA_QUALITY_JSON);
  if (!file) return undefined;
  const report = JSON.parse(file.content.toString('utf8')) as Pick<DataQualityReport, 'duplicatePatients'>;
  return report.duplicatePatients?.pairs ?? [];
}
