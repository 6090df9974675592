import { TABLE_COLUMNS } from '../dentrix/columns';
import { DENTRIX_TABLES, type DentrixTable } from '../dentrix/types';
import { defaultFieldMap, phiFields as mappingPhiFields, type PhiFieldEntry } from '../mapping';
import type { DataQualityReport, PhiFieldReview, PhiMappingRule } from './report';
import { phiFieldRows } from '../store/source-audit';
import { type AuditContext } from './sql';

/**
 * PHI columns of the extract format itself, used only when the mapping layer lists none: what HIPAA review must
 * see before anything clinical or identifying moves.
 */
export const EXTRACT_FORMAT_PHI_FIELDS: readonly string[] = [
  'patient.birth_date',
  'patient.ssn',
  'insured.subscriber_id_num',
  'medical_alert.description',
  'clinical_note.note_text',
  'appt.reason',
  'appt.note',
  'document.file_path',
  'document.description',
];

/** The columns behind the mapping's derived sources that carry PHI. */
const DERIVED_SOURCE_COLUMNS: Record<string, string[]> = {
  medical_alerts: ['medical_alert.description'],
  clinical_notes: ['clinical_note.note_text'],
};

/** The extract columns a mapping PHI entry reads (`patient.birth_date`, `appt.reason+note`, `derived: clinical_notes`). */
export function columnsOfMappingSource(source: string): string[] {
  const derived = /^derived:\s*(.+)$/.exec(source);
  if (derived) return DERIVED_SOURCE_COLUMNS[derived[1]!.trim()] ?? [];
  const columns = /^([a-z_]+)\.(.+)$/.exec(source);
  if (!columns) return [];
  return columns[2]!.split('+').map((column) => `${columns[1]}.${column.trim()}`);
}

export interface PhiFieldSelection {
  source: DataQualityReport['phiFields']['source'];
  fields: string[];
  rulesByField: Map<string, PhiMappingRule[]>;
}

/**
 * The PHI fields to review: the caller's list when given, else the mapping layer's list (every rule it classifies
 * as PHI or never-moves), else the extract format's. Mapping rules are attached to the fields they read.
 */
export function selectPhiFields(
  requested: readonly string[] | undefined,
  mappingEntries: readonly PhiFieldEntry[] = mappingPhiFields(defaultFieldMap()),
): PhiFieldSelection {
  const rulesByField = new Map<string, PhiMappingRule[]>();
  for (const entry of mappingEntries) {
    for (const field of columnsOfMappingSource(entry.source)) {
      const rules = rulesByField.get(field) ?? [];
      rules.push({
        ruleId: entry.ruleId,
        target: `${entry.entity}.${entry.field}`,
        classification: entry.classification,
        defaultDeidentification: entry.defaultDeidentification,
      });
      rulesByField.set(field, rules);
    }
  }
  if (requested !== undefined) {
    const unknown = requested.filter((field) => !isExtractColumn(field));
    if (unknown.length > 0) throw new Error(`phiFields: not columns of the extract format (table.column): ${unknown.join(', ')}`);
    return { source: 'option', fields: [...new Set(requested)], rulesByField };
  }
  const fromMapping = [...rulesByField.keys()].filter(isExtractColumn);
  if (fromMapping.length > 0) return { source: 'mapping', fields: fromMapping, rulesByField };
  return { source: 'extract_format', fields: [...EXTRACT_FORMAT_PHI_FIELDS], rulesByField };
}

function isExtractColumn(field: string): boolean {
  const [table, column, ...rest] = field.split('.');
  if (table === undefined || column === undefined || rest.length > 0) return false;
  return (DENTRIX_TABLES as readonly string[]).includes(table) && column in TABLE_COLUMNS[table as DentrixTable];
}

/** How many staged rows carry a value in each PHI field: the size of what the compliance review decides about. */
export async function phiFieldReview(ctx: AuditContext, selection: PhiFieldSelection): Promise<PhiFieldReview[]> {
  const byTable = new Map<string, string[]>();
  for (const field of selection.fields) {
    const [table, column] = field.split('.') as [string, string];
    byTable.set(table, [...(byTable.get(table) ?? []), column]);
  }
  const counts = new Map<string, { rows: number; withValue: number }>();
  for (const [table, columns] of byTable) {
    const rows = await phiFieldRows(ctx.db, ctx, table, columns);
    for (const row of rows) counts.set(`${table}.${row.column}`, { rows: row.rows, withValue: row.with_value });
  }
  return selection.fields.map((field) => ({
    field,
    rowsInTable: counts.get(field)?.rows ?? 0,
    rowsWithValue: counts.get(field)?.withValue ?? 0,
    mappingRules: selection.rulesByField.get(field) ?? [],
  }));
}
