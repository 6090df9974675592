/**
 * A proposed map at a glance, for a terminal: what lands in each Pipedrive object, what stays in Dentrix, which PHI
 * fields wait for a decision, and the rows the proposer is unsure of. Built from workbook rows, so it shows exactly
 * what the reviewer will see in the workbook; sample values are never part of it.
 */
import { CONFIDENT } from './proposer';
import type { WorkbookRow } from './workbook-rows';

export interface EntitySummary {
  entity: string;
  standard: number;
  custom: number;
  phi: number;
}

export interface UnsureRow {
  ruleId: string;
  source: string;
  destination: string;
  confidence: number;
}

export interface ProposalSummary {
  entities: EntitySummary[];
  notMigrated: number;
  /** PHI rules and what the workbook says of them (exclude unless included by name). */
  phiRules: Array<{ ruleId: string; decision: string }>;
  neverMoves: string[];
  unsure: UnsureRow[];
}

export function summarizeProposal(rows: readonly WorkbookRow[]): ProposalSummary {
  const byEntity = new Map<string, EntitySummary>();
  const summary: ProposalSummary = { entities: [], notMigrated: 0, phiRules: [], neverMoves: [], unsure: [] };
  for (const row of rows) {
    if (!row.rule_id || row.destination_kind === 'info' || row.decision === 'reject') continue;
    if (row.phi_class === 'never') summary.neverMoves.push(row.rule_id);
    if (row.destination_kind === 'not_migrated') {
      summary.notMigrated += 1;
      continue;
    }
    const entity = row.destination_entity || '?';
    const counts = byEntity.get(entity) ?? { entity, standard: 0, custom: 0, phi: 0 };
    if (row.destination_kind === 'custom') counts.custom += 1;
    else counts.standard += 1;
    if (row.phi_class === 'phi') {
      counts.phi += 1;
      summary.phiRules.push({ ruleId: row.rule_id, decision: row.phi_decision || 'exclude' });
    }
    byEntity.set(entity, counts);
    const confidence = Number(row.confidence);
    if (row.confidence !== '' && Number.isFinite(confidence) && confidence < CONFIDENT) {
      summary.unsure.push({
        ruleId: row.rule_id,
        source: [row.table, row.column].filter(Boolean).join('.'),
        destination: `${entity}.${row.destination_field}`,
        confidence,
      });
    }
  }
  summary.entities = [...byEntity.values()].sort((a, b) => a.entity.localeCompare(b.entity));
  summary.unsure.sort((a, b) => a.confidence - b.confidence || a.ruleId.localeCompare(b.ruleId));
  return summary;
}

/** The summary as terminal lines; `maxUnsure` bounds the list of rows to review (the workbook has them all). */
export function formatProposalSummary(summary: ProposalSummary, maxUnsure = 10): string[] {
  const lines = summary.entities.map(
    (e) =>
      `${e.entity.padEnd(13)} ${String(e.standard + e.custom).padStart(3)} fields (${e.standard} standard, ${e.custom} custom${e.phi ? `, ${e.phi} PHI` : ''})`,
  );
  lines.push(`stays in Dentrix: ${summary.notMigrated} field(s)${summary.neverMoves.length ? `; never moves: ${summary.neverMoves.join(', ')}` : ''}`);
  const excluded = summary.phiRules.filter((r) => r.decision === 'exclude').length;
  if (summary.phiRules.length > 0) lines.push(`PHI: ${summary.phiRules.length} rule(s), ${excluded} excluded unless the approval includes them by rule id`);
  if (summary.unsure.length === 0) lines.push('every proposal is confident');
  else {
    lines.push(`${summary.unsure.length} proposal(s) below confidence ${CONFIDENT} to review:`);
    for (const u of summary.unsure.slice(0, maxUnsure)) lines.push(`  ${u.source || u.ruleId} → ${u.destination} (${u.confidence.toFixed(2)}, ${u.ruleId})`);
    if (summary.unsure.length > maxUnsure) lines.push(`  … and ${summary.unsure.length - maxUnsure} more in the workbook`);
  }
  return lines;
}
