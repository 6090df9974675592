/**
 * Duplicate merges at MAPPING_REVIEW, the store's side: the Duplicates sheet's input, the checks an approval makes
 * (every merge a pair of the Data Quality Report, no patient in two merges, no chain, and a map that keeps the
 * duplicate's id on the survivor), and the audit rows of approved merges. Dentrix ids only.
 */
import type { Pool } from 'pg';
import { MERGED_IDS_FIELD, mergeProblems, type DuplicateMerges, type FieldMap } from '../mapping';
import { reportedDuplicatePairs, type DuplicatesSheetInput } from '../review';
import { appendAudit } from '../store/audit';

/** The Duplicates sheet of a workbook: the report's pairs and the version's decisions; none before AUDIT. */
export async function duplicatesSheetInput(pool: Pool, migrationId: string, merges: DuplicateMerges): Promise<DuplicatesSheetInput | undefined> {
  const pairs = await reportedDuplicatePairs(pool, migrationId);
  return pairs && { pairs, merges };
}

/** Why a version's merges cannot be approved (empty: they can). */
export async function mergeApprovalProblems(pool: Pool, migrationId: string, map: FieldMap, merges: DuplicateMerges): Promise<string[]> {
  if (merges.merge.length === 0) return [];
  const problems = mergeProblems(merges);
  const pairs = (await reportedDuplicatePairs(pool, migrationId)) ?? [];
  const known = new Set(pairs.map((p) => `${p.patientId}/${p.duplicateOfPatientId}`));
  for (const m of merges.merge) {
    if (!known.has(`${m.survivor}/${m.duplicate}`) && !known.has(`${m.duplicate}/${m.survivor}`))
      problems.push(`patients ${m.duplicate} and ${m.survivor} are not a pair of the Data Quality Report`);
  }
  const keepsIds = map.rules.some((r) => r.target.field.kind === 'custom' && r.target.field.name === MERGED_IDS_FIELD && r.target.entity === 'person');
  if (!keepsIds)
    problems.push(
      `merging duplicates needs a rule writing the person field "${MERGED_IDS_FIELD}" (patient.merged_dentrix_ids): the survivor keeps the duplicate's Dentrix id`,
    );
  return problems;
}

/** One audit row per approved merge (who approved it, which version), like the other workbook decisions. */
export async function auditMerges(pool: Pool, migrationId: string, version: number, by: string, merges: DuplicateMerges): Promise<void> {
  for (const m of merges.merge) {
    await appendAudit(pool, {
      migrationId,
      action: 'update',
      objectType: 'person',
      sourceKey: `patient:${m.duplicate}`,
      method: 'MERGE',
      endpoint: 'gate:MAPPING_REVIEW',
      note: `patient ${m.duplicate} merged into patient ${m.survivor} (Duplicates sheet of map v${version}), approved by ${by}`,
    });
  }
}
