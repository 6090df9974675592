/**
 * The mapping workbook as rows: one per rule of the map (what moves where, and what deliberately does not), then
 * one per source column no rule reads by name (read through derived sources or by the engine, or with nowhere to
 * go). Exporting renders a map + proposal + PHI decisions as rows; importing turns edited rows back into a new map
 * version and PHI decisions, or into per-row errors, all or nothing. Pure: files are in workbook.ts.
 */
import { DENTRIX_TABLES, canonicalJson, type DentrixTable } from '../dentrix';
import {
  CUSTOM_FIELD_ENTITIES,
  CUSTOM_FIELD_TYPES,
  DERIVED_SOURCE_NAMES,
  FieldMapSchema,
  LOAD_ORDER,
  PHI_CLASSES,
  RECORD_KIND_NAMES,
  STANDARD_FIELDS,
  TRANSFORM_NAMES,
  allowedTreatments,
  customFieldOf,
  phiDecisionProblems,
  TRANSFORMS,
  type CustomFieldDef,
  type CustomFieldType,
  type FieldMap,
  type FieldRule,
  type PhiClass,
  type PhiDecisions,
  type PhiTreatment,
  type RecordKind,
  type TargetEntity,
  type TransformName,
} from '../mapping';
import { classifyColumn, stricterPhi } from './phi-class';
import { CONFIDENT, isCustomEntity, type Proposal, type ProposalRow } from './proposer';
import { customFieldMisfit, isCustomFieldType, standardFieldMisfit } from './transform-fit';
import { maskValue } from './value-profile';

export const WORKBOOK_COLUMNS = [
  {
    key: 'rule_id',
    width: 30,
    help: 'The rule (<record kind>.<name>). PHI decisions and approvals name rules by it. Empty on information rows.',
    editable: 'only on a new row',
  },
  { key: 'table', width: 14, help: 'The Dentrix table the values come from (empty for constants and derived sources).', editable: 'yes' },
  { key: 'column', width: 30, help: 'The source column(s), comma-separated; or derived:<source> (sums, lists, computed dates); or constant.', editable: 'yes' },
  {
    key: 'sample_values',
    width: 34,
    help: 'A few values from the staged extract. PHI fields show only the shape of values (X letters, 9 digits). Never imported.',
    editable: 'no (ignored)',
  },
  {
    key: 'destination_kind',
    width: 14,
    help: 'standard (a built-in Pipedrive field), custom (a custom field the SCHEMA phase creates), not_migrated (stays in Dentrix), info (no rule of its own: see rationale).',
    editable: 'yes',
  },
  {
    key: 'destination_entity',
    width: 13,
    help: 'The Pipedrive object: person, organization, deal, product, deal_product, activity, note, file.',
    editable: 'yes',
  },
  { key: 'destination_field', width: 28, help: 'The standard field API name (name, emails, due_date...) or the custom field name.', editable: 'yes' },
  {
    key: 'field_type',
    width: 12,
    help: 'Custom fields: the Pipedrive field type (varchar, text, date, enum, set, monetary, phone, address, org...). Standard fields: the kind of value, shown only.',
    editable: 'yes (custom fields)',
  },
  { key: 'field_options', width: 30, help: 'Enum and set fields: the options, separated by "; " (or a JSON array).', editable: 'yes' },
  { key: 'transform', width: 18, help: 'How the value is made (text, date, phone, value_map, labelled_lines, ...). See the Lists sheet.', editable: 'yes' },
  { key: 'transform_params', width: 34, help: 'The transform parameters as a JSON object, e.g. {"map":{"1":"Active"}} for value_map.', editable: 'yes' },
  { key: 'confidence', width: 11, help: 'How sure the proposer is (0-1). Below 0.7 (highlighted): review this row.', editable: 'no (ignored)' },
  {
    key: 'phi_class',
    width: 10,
    help: 'none: moves. phi: moves only if included below. never: never moves (SSN). Can be raised, not lowered.',
    editable: 'raise only',
  },
  {
    key: 'phi_decision',
    width: 18,
    help: 'PHI fields only: exclude (default), include, include:mask (last four kept), include:year_only (dates). SSN: never. Empty for non-PHI fields.',
    editable: 'yes (PHI rows)',
  },
  { key: 'decision', width: 10, help: 'accept (as shown), reject (the field stays in Dentrix), edit (apply your changes on this row).', editable: 'yes' },
  { key: 'rationale', width: 70, help: 'Why this destination, in one line.', editable: 'yes' },
] as const;
export type WorkbookColumn = (typeof WORKBOOK_COLUMNS)[number]['key'];
export type WorkbookRow = Record<WorkbookColumn, string>;
export const WORKBOOK_HEADERS: readonly WorkbookColumn[] = WORKBOOK_COLUMNS.map((c) => c.key);

export const DECISIONS = ['accept', 'reject', 'edit'] as const;
export const PHI_DECISIONS = ['exclude', 'include', 'include:mask', 'include:year_only', 'never'] as const;
export const DESTINATION_KINDS = ['standard', 'custom', 'not_migrated', 'info'] as const;

export interface RowError {
  /** The spreadsheet row (header = 1); null for a problem of the workbook as a whole. */
  row: number | null;
  /** The workbook column at fault, when one is. */
  column: WorkbookColumn | null;
  ruleId: string | null;
  /** What is wrong. Names rules, columns and fields, never a source value. */
  message: string;
}

export function formatRowError(e: RowError): string {
  const where = [e.row === null ? 'workbook' : `row ${e.row}`, e.column, e.ruleId ? `(${e.ruleId})` : null].filter(Boolean).join(' ');
  return `${where}: ${e.message}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Export

export interface WorkbookInput {
  map: FieldMap;
  proposal: Proposal;
  phi?: PhiDecisions | null;
}

export function workbookRows({ map, proposal, phi }: WorkbookInput): WorkbookRow[] {
  const decisions = new Map((phi?.include ?? []).map((d) => [d.rule, d.deidentify]));
  const byColumn = new Map(proposal.map((r) => [`${r.table}.${r.column}`, r]));
  const rows = map.rules.map((rule) => ruleRow(map, rule, byColumn, decisions.get(rule.id)));

  const read = new Set(map.rules.flatMap(({ source }) => (source.kind === 'columns' ? source.columns.map((c) => `${source.table}.${c}`) : [])));
  for (const p of proposal) {
    if (read.has(`${p.table}.${p.column}`)) continue;
    rows.push(infoRow(p));
  }
  return rows;
}

function ruleRow(map: FieldMap, rule: FieldRule, proposalByColumn: Map<string, ProposalRow>, treatment: PhiTreatment | undefined): WorkbookRow {
  const source = sourceCells(rule);
  const columnSource = rule.source.kind === 'columns' ? rule.source : null;
  const proposals = columnSource ? columnSource.columns.map((c) => proposalByColumn.get(`${columnSource.table}.${c}`)) : [];
  const confidence = proposals.length > 0 ? Math.min(...proposals.map((p) => p?.confidence ?? 1)) : 1;
  return {
    rule_id: rule.id,
    ...source,
    sample_values: rule.source.kind === 'columns' ? sampleCell(rule.source.table, rule.source.columns, proposals, rule.phi) : '',
    ...destinationCells(map, rule),
    transform: rule.transform.name,
    transform_params: JSON.stringify(rule.transform.params),
    confidence: confidence.toFixed(2),
    phi_class: rule.phi,
    phi_decision: rule.phi === 'never' ? 'never' : rule.phi === 'phi' ? phiDecisionCell(treatment) : '',
    decision: 'accept',
    rationale: rule.rationale,
  };
}

function infoRow(p: ProposalRow): WorkbookRow {
  return {
    rule_id: '',
    table: p.table,
    column: p.column,
    sample_values: sampleCell(p.table, [p.column], [p], p.phi),
    destination_kind: 'info',
    destination_entity: '',
    destination_field: '',
    field_type: '',
    field_options: '',
    transform: p.transform?.name ?? '',
    transform_params: '',
    confidence: p.confidence.toFixed(2),
    phi_class: p.phi,
    phi_decision: '',
    decision: 'accept',
    rationale: p.rationale,
  };
}

function sourceCells(rule: FieldRule): Pick<WorkbookRow, 'table' | 'column'> {
  switch (rule.source.kind) {
    case 'columns':
      return { table: rule.source.table, column: rule.source.columns.join(', ') };
    case 'derived':
      return { table: '', column: `derived:${rule.source.name}` };
    case 'constant':
      return { table: '', column: 'constant' };
  }
}

function destinationCells(
  map: FieldMap,
  rule: FieldRule,
): Pick<WorkbookRow, 'destination_kind' | 'destination_entity' | 'destination_field' | 'field_type' | 'field_options'> {
  const field = rule.target.field;
  const entity = rule.target.entity;
  if (field.kind === 'not_migrated')
    return { destination_kind: 'not_migrated', destination_entity: entity, destination_field: '', field_type: '', field_options: '' };
  if (field.kind === 'standard') {
    return {
      destination_kind: 'standard',
      destination_entity: entity,
      destination_field: field.name,
      field_type: STANDARD_FIELDS[entity][field.name] ?? '',
      field_options: '',
    };
  }
  const def = customFieldOf(map, entity, field.name);
  return {
    destination_kind: 'custom',
    destination_entity: entity,
    destination_field: field.name,
    field_type: def?.field_type ?? '',
    field_options: optionsCell(def?.options),
  };
}

function optionsCell(options: readonly string[] | undefined): string {
  if (!options || options.length === 0) return '';
  return options.some((o) => o.includes(';') || o !== o.trim()) ? JSON.stringify(options) : options.join('; ');
}

function phiDecisionCell(treatment: PhiTreatment | undefined): string {
  if (treatment === undefined) return 'exclude';
  return treatment === 'none' ? 'include' : `include:${treatment}`;
}

const SAMPLE_LIMIT = 3;

/** Samples per column; PHI columns (by the map or by their name) show shapes only. */
function sampleCell(table: string, columns: readonly string[], proposals: readonly (ProposalRow | undefined)[], ruleClass: PhiClass): string {
  const parts = columns.map((column, i) => {
    const p = proposals[i];
    const samples = (p?.samples ?? []).slice(0, SAMPLE_LIMIT);
    if (samples.length === 0) return null;
    const sensitive = ruleClass !== 'none' || (p?.phi ?? 'none') !== 'none' || isIdentifyingName(table, column);
    const shown = sensitive ? samples.map(maskValue) : samples;
    const text = `${sensitive ? '(masked) ' : ''}${shown.join(' | ')}`;
    return columns.length > 1 ? `${column}: ${text}` : text;
  });
  return parts.filter((p): p is string => p !== null).join('; ');
}

/** Names, birth dates, contact details and free text of patients: masked in the workbook even where the map moves them. */
function isIdentifyingName(table: string, column: string): boolean {
  return (DENTRIX_TABLES as readonly string[]).includes(table) && classifyColumn(table as DentrixTable, column, undefined).phi !== 'none';
}

// ---------------------------------------------------------------------------------------------------------------
// Import

export interface NumberedRow {
  /** The spreadsheet row number (header = 1). */
  row: number;
  cells: WorkbookRow;
}

export type ImportResult = { ok: true; map: FieldMap; phi: PhiDecisions; changes: string[] } | { ok: false; errors: RowError[] };

/** Cells that define a rule; the rest (samples, confidence, decisions) are not part of it. */
const RULE_CELLS: readonly WorkbookColumn[] = [
  'table',
  'column',
  'destination_kind',
  'destination_entity',
  'destination_field',
  'field_type',
  'field_options',
  'transform',
  'transform_params',
  'phi_class',
  'rationale',
];

export function checkHeaders(headers: readonly string[]): RowError[] {
  const missing = WORKBOOK_HEADERS.filter((h) => h !== 'sample_values' && h !== 'confidence' && !headers.includes(h));
  return missing.map((h) => ({ row: 1, column: h, ruleId: null, message: `the header has no "${h}" column` }));
}

/**
 * Edited rows → a new map version and PHI decisions. Every row is checked and every problem reported; when there
 * is any, nothing is applied. Rows left as exported give back the map unchanged (same version).
 */
export function importRows(rows: readonly NumberedRow[], current: FieldMap): ImportResult {
  const errors: RowError[] = [];
  const fail = (row: number | null, column: WorkbookColumn | null, ruleId: string | null, message: string) => errors.push({ row, column, ruleId, message });
  const currentById = new Map(current.rules.map((r) => [r.id, r]));
  const seen = new Map<string, number>();
  const resolved = new Map<string, { row: number; rule: FieldRule; changed: boolean; cells: WorkbookRow }>();
  const newRules: string[] = [];
  const fieldDefs = new Map<string, { row: number; entity: TargetEntity; def: CustomFieldDef }>();
  const changes: string[] = [];

  for (const { row, cells } of rows) {
    const ruleId = cells.rule_id.trim();
    const decision = cells.decision.trim().toLowerCase();
    if (!(DECISIONS as readonly string[]).includes(decision)) {
      fail(row, 'decision', ruleId || null, `decision must be accept, reject or edit, not "${cells.decision.trim()}"`);
      continue;
    }
    if (ruleId === '') {
      if (cells.destination_kind.trim() === 'info' || cells.destination_kind.trim() === '') {
        if (decision !== 'accept') fail(row, 'decision', null, 'this column has no rule of its own (see rationale): to map it, add a row with a new rule id');
        if (phiDecisionOf(cells) !== '') fail(row, 'phi_decision', null, 'a PHI decision needs a rule: this row has none');
      } else fail(row, 'rule_id', null, 'a new rule needs an id: <record kind>.<name>, e.g. patient.loyalty_tier');
      continue;
    }
    if (!/^[a-z_]+\.[a-z0-9_]+$/u.test(ruleId)) {
      fail(row, 'rule_id', ruleId, 'a rule id is <record kind>.<name> in lower case, digits and underscores');
      continue;
    }
    const earlier = seen.get(ruleId);
    if (earlier !== undefined) {
      fail(row, 'rule_id', ruleId, `duplicate rule: row ${earlier} has the same rule id`);
      continue;
    }
    seen.set(ruleId, row);

    const existing = currentById.get(ruleId);
    const unchanged = existing !== undefined && sameRuleCells(cells, ruleRowCells(current, existing));
    if (existing && unchanged) {
      resolved.set(ruleId, { row, rule: existing, changed: false, cells });
      // Registered so an edit of the same custom field on another row is seen as a conflict.
      collectFieldDef(row, ruleId, cells, existing, fieldDefs, current, fail);
      if (decision === 'reject' && existing.target.field.kind !== 'not_migrated') {
        resolved.set(ruleId, { row, rule: rejected(existing), changed: true, cells });
        changes.push(`${ruleId}: rejected (not migrated)`);
      }
      continue;
    }
    if (existing && decision === 'accept') {
      fail(row, null, ruleId, 'the row was changed but its decision is accept: set decision to edit to apply the change, or undo it');
      continue;
    }
    if (!existing && decision !== 'edit') {
      fail(row, 'decision', ruleId, `${ruleId} is not a rule of map version ${current.version}: a new rule needs decision edit`);
      continue;
    }
    if (existing && decision === 'reject') {
      fail(row, null, ruleId, 'a rejected row must be left as it was: reject keeps the field in Dentrix, edit applies changes');
      continue;
    }
    const built = buildRule(row, ruleId, cells, existing, fail);
    if (!built) continue;
    collectFieldDef(row, ruleId, cells, built, fieldDefs, current, fail);
    resolved.set(ruleId, { row, rule: built, changed: true, cells });
    if (!existing) newRules.push(ruleId);
    changes.push(existing ? `${ruleId}: edited` : `${ruleId}: added`);
  }

  for (const rule of current.rules) {
    if (!seen.has(rule.id))
      fail(null, 'rule_id', rule.id, `rule ${rule.id} of map version ${current.version} has no row: reject it instead of deleting the row`);
  }
  for (const entry of resolved.values()) checkPhiCell(entry, fail);
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };

  // The new map: current rules in their order (edited or not), new rules after them in row order.
  const customFields = structuredClone(current.objects.customFields);
  for (const { entity, def } of fieldDefs.values()) {
    if (!isCustomEntity(entity)) continue;
    const list = customFields[entity];
    const index = list.findIndex((f) => f.name === def.name);
    if (index >= 0) {
      if (!sameValue(list[index], def)) changes.push(`custom field ${entity}.${def.name}: type or options changed`);
      list[index] = def;
    } else {
      list.push(def);
      changes.push(`custom field ${entity}.${def.name}: added`);
    }
  }
  const rules = [...current.rules.map((r) => resolved.get(r.id)!.rule), ...newRules.map((id) => resolved.get(id)!.rule)];
  const changed = changes.length > 0;
  const candidate: FieldMap = { ...current, version: changed ? current.version + 1 : current.version, objects: { ...current.objects, customFields }, rules };

  const parsed = FieldMapSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const ruleIndex = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : null;
      const rule = ruleIndex !== null ? rules[ruleIndex] : undefined;
      const fieldRow = rule ? undefined : rowOfFieldIssue(issue.path, candidate, rows);
      fail(rule ? resolved.get(rule.id)!.row : (fieldRow ?? null), null, rule?.id ?? null, issue.message);
    }
    return { ok: false, errors: sortErrors(errors) };
  }
  const map = parsed.data;

  const phi = phiDecisions(map, resolved, fail);
  const problems = errors.length === 0 ? phiDecisionProblems(map, phi) : [];
  for (const problem of problems) {
    const ruleId = problem.split(' ')[0] ?? null;
    fail(ruleId ? (resolved.get(ruleId)?.row ?? null) : null, 'phi_decision', ruleId, problem);
  }
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };
  return { ok: true, map: changed ? map : current, phi, changes };
}

/** Equal as JSON (key order aside): maps and cells compare by content, whatever realm made the objects. */
function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sortErrors(errors: RowError[]): RowError[] {
  return [...errors].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
}

function rejected(rule: FieldRule): FieldRule {
  return {
    ...rule,
    target: { entity: rule.target.entity, field: { kind: 'not_migrated' } },
    transform: { name: 'not_migrated', params: {} },
    essential: false,
    rationale: rule.rationale.startsWith('rejected in review') ? rule.rationale : `rejected in review (was: ${rule.rationale})`.slice(0, 1000),
  };
}

function ruleRowCells(map: FieldMap, rule: FieldRule): WorkbookRow {
  return ruleRow(map, rule, new Map(), undefined);
}

function sameRuleCells(a: WorkbookRow, b: WorkbookRow): boolean {
  return RULE_CELLS.every((key) => {
    if (key === 'transform_params') return sameValue(parseJsonObject(a[key]), parseJsonObject(b[key]));
    if (key === 'field_options') return sameValue(parseOptions(a[key]), parseOptions(b[key]));
    if (key === 'column')
      return (
        a[key]
          .split(',')
          .map((c) => c.trim())
          .join(',') ===
        b[key]
          .split(',')
          .map((c) => c.trim())
          .join(',')
      );
    return a[key].trim() === b[key].trim();
  });
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseOptions(text: string): string[] | null {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
    } catch {
      return null;
    }
  }
  return trimmed
    .split(';')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}

type Fail = (row: number | null, column: WorkbookColumn | null, ruleId: string | null, message: string) => void;

/** A rule from an edited (or new) row, or null after reporting what is wrong with it. */
function buildRule(row: number, ruleId: string, cells: WorkbookRow, existing: FieldRule | undefined, fail: Fail): FieldRule | null {
  let ok = true;
  const bad = (column: WorkbookColumn, message: string) => {
    fail(row, column, ruleId, message);
    ok = false;
  };
  const kind = (existing?.kind ?? ruleId.split('.')[0]) as RecordKind;
  if (!RECORD_KIND_NAMES.includes(kind)) bad('rule_id', `${ruleId.split('.')[0]} is not a record kind (${RECORD_KIND_NAMES.join(', ')})`);

  // Source
  let source: FieldRule['source'] | null = null;
  const columnCell = cells.column.trim();
  const tableCell = cells.table.trim();
  if (columnCell === 'constant') source = { kind: 'constant' };
  else if (columnCell.startsWith('derived:')) {
    const name = columnCell.slice('derived:'.length).trim();
    if ((DERIVED_SOURCE_NAMES as readonly string[]).includes(name)) source = { kind: 'derived', name: name as (typeof DERIVED_SOURCE_NAMES)[number] };
    else bad('column', `${name} is not a derived source (${DERIVED_SOURCE_NAMES.join(', ')})`);
  } else {
    const columns = columnCell
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    if (!(DENTRIX_TABLES as readonly string[]).includes(tableCell)) bad('table', `${tableCell || '(empty)'} is not a Dentrix table`);
    else if (columns.length === 0) bad('column', 'name the source column(s), derived:<source> or constant');
    else source = { kind: 'columns', table: tableCell as DentrixTable, columns };
  }

  // Destination
  const destinationKind = cells.destination_kind.trim();
  const entity = cells.destination_entity.trim() as TargetEntity;
  const fieldName = cells.destination_field.trim();
  let field: FieldRule['target']['field'] | null = null;
  if (!(LOAD_ORDER as readonly string[]).includes(entity))
    bad('destination_entity', `${entity || '(empty)'} is not a Pipedrive object we write (${LOAD_ORDER.join(', ')})`);
  else if (destinationKind === 'not_migrated') field = { kind: 'not_migrated' };
  else if (destinationKind === 'standard') {
    if (STANDARD_FIELDS[entity][fieldName] === undefined)
      bad(
        'destination_field',
        `unknown destination field: ${entity} has no standard field "${fieldName}" (${Object.keys(STANDARD_FIELDS[entity]).join(', ')})`,
      );
    else field = { kind: 'standard', name: fieldName };
  } else if (destinationKind === 'custom') {
    if (!isCustomEntity(entity)) bad('destination_entity', `${entity} takes no custom fields (only ${CUSTOM_FIELD_ENTITIES.join(', ')})`);
    else if (fieldName === '' || fieldName.length > 255) bad('destination_field', 'a custom field needs a name of 1 to 255 characters');
    else if (!isCustomFieldType(cells.field_type.trim()))
      bad('field_type', `invalid field type "${cells.field_type.trim()}": one of ${CUSTOM_FIELD_TYPES.join(', ')}`);
    else field = { kind: 'custom', name: fieldName };
  } else bad('destination_kind', `destination_kind must be standard, custom or not_migrated, not "${destinationKind}"`);

  // Transform
  let transform: FieldRule['transform'] | null = null;
  if (field?.kind === 'not_migrated') transform = { name: 'not_migrated', params: {} };
  else {
    const name = cells.transform.trim();
    const params = parseJsonObject(cells.transform_params);
    if (!(TRANSFORM_NAMES as readonly string[]).includes(name)) bad('transform', `invalid transform "${name}"`);
    else if (name === 'not_migrated') bad('transform', 'not_migrated is the transform of not_migrated destinations only: choose how the value is made');
    else if (params === null) bad('transform_params', 'transform_params must be a JSON object, e.g. {} or {"multiline":true}');
    else {
      const check = TRANSFORMS[name as TransformName].params.safeParse(params);
      if (!check.success)
        bad(
          'transform_params',
          `invalid parameters for ${name}: ${check.error.issues.map((i) => `${i.path.join('.') || '(params)'} ${i.message}`).join('; ')}`,
        );
      else transform = { name: name as TransformName, params };
    }
  }
  if (field && transform && field.kind === 'custom' && isCustomFieldType(cells.field_type.trim())) {
    const options = parseOptions(cells.field_options);
    if (options === null) bad('field_options', 'field_options must be options separated by "; " or a JSON array of strings');
    else {
      const misfit = customFieldMisfit(transform, cells.field_type.trim() as CustomFieldType, options);
      if (misfit) bad('transform', misfit);
    }
  }
  if (field && transform && field.kind === 'standard') {
    const misfit = standardFieldMisfit(transform, entity, field.name);
    if (misfit) bad('transform', misfit);
  }

  // PHI class: may be raised, never lowered below the map's or what the column's name says.
  const phiClass = cells.phi_class.trim() as PhiClass;
  let phi: PhiClass | null = null;
  if (!(PHI_CLASSES as readonly string[]).includes(phiClass)) bad('phi_class', `phi_class must be none, phi or never, not "${phiClass}"`);
  else {
    const floor =
      existing?.phi ??
      (source?.kind === 'columns' ? source.columns.map((c) => classifyColumn(source.table, c, undefined).phi).reduce(stricterPhi, 'none') : 'none');
    if (stricterPhi(phiClass, floor) !== phiClass) bad('phi_class', `phi_class cannot be lowered from ${floor} to ${phiClass} in the workbook`);
    else phi = phiClass;
  }
  const rationale = cells.rationale.trim();
  if (rationale === '') bad('rationale', 'say in one line why the field goes there');

  if (!ok || !source || !field || !transform || !phi) return null;
  const deidentify = phi === 'phi' ? (existing?.phi === 'phi' && existing.deidentify ? existing.deidentify : defaultDeidentify(cells, field)) : undefined;
  const rule: FieldRule = {
    id: ruleId,
    kind,
    source,
    target: { entity, field },
    transform,
    phi,
    ...(deidentify ? { deidentify } : {}),
    essential: existing?.essential ?? false,
    rationale,
  };
  // A de-identification the new destination cannot take falls back to drop (the map's own rule).
  if (rule.deidentify === 'year_only' && !(field.kind === 'custom' && cells.field_type.trim() === 'date')) rule.deidentify = 'drop';
  if (rule.deidentify === 'mask' && !(field.kind === 'custom' && ['varchar', 'varchar_auto', 'text', 'phone', 'address'].includes(cells.field_type.trim())))
    rule.deidentify = 'drop';
  return rule;
}

function defaultDeidentify(cells: WorkbookRow, field: FieldRule['target']['field']): 'mask' | 'year_only' | 'drop' {
  return field.kind === 'custom' && cells.field_type.trim() === 'date' ? 'year_only' : 'drop';
}

function collectFieldDef(
  row: number,
  ruleId: string,
  cells: WorkbookRow,
  rule: FieldRule,
  defs: Map<string, { row: number; entity: TargetEntity; def: CustomFieldDef }>,
  current: FieldMap,
  fail: Fail,
): void {
  const field = rule.target.field;
  if (field.kind !== 'custom') return;
  const entity = rule.target.entity;
  const fieldType = cells.field_type.trim() as CustomFieldType;
  const options = parseOptions(cells.field_options) ?? [];
  const existing = customFieldOf(current, entity, field.name);
  const choice = fieldType === 'enum' || fieldType === 'set';
  const def: CustomFieldDef = existing
    ? {
        ...existing,
        field_type: fieldType,
        ...(choice ? { options } : {}),
      }
    : { name: field.name, field_type: fieldType, ...(choice ? { options } : {}), searchable: false };
  if (!choice) {
    delete def.options;
    delete def.optionsFrom;
  }
  // Unchanged options of a field extended from a lookup table keep their source.
  if (existing && choice && sameValue(existing.options ?? [], options)) def.options = existing.options;
  const key = `${entity}.${field.name}`;
  const earlier = defs.get(key);
  if (earlier && !sameValue(earlier.def, def)) {
    fail(row, 'field_type', ruleId, `custom field ${key} has another type or other options on row ${earlier.row}`);
    return;
  }
  defs.set(key, { row, entity, def });
}

function rowOfFieldIssue(path: readonly PropertyKey[], map: FieldMap, rows: readonly NumberedRow[]): number | undefined {
  if (path[0] !== 'objects' || path[1] !== 'customFields' || typeof path[2] !== 'string') return undefined;
  const entity = path[2] as TargetEntity;
  const index = path[3];
  const name = typeof index === 'number' && isCustomEntity(entity) ? map.objects.customFields[entity][index]?.name : undefined;
  return rows.find((r) => r.cells.destination_entity.trim() === entity && (name === undefined || r.cells.destination_field.trim() === name))?.row;
}

function phiDecisionOf(cells: WorkbookRow): string {
  return cells.phi_decision.trim().toLowerCase();
}

const PHI_EMPTY = ['', 'n/a'];

/** A row's PHI decision against its rule's class: a known value, none on non-PHI fields, never an SSN included. */
function checkPhiCell(entry: { row: number; rule: FieldRule; cells: WorkbookRow }, fail: Fail): void {
  const { rule, row } = entry;
  const decision = phiDecisionOf(entry.cells);
  const at = (message: string) => fail(row, 'phi_decision', rule.id, message);
  if (!PHI_EMPTY.includes(decision) && !(PHI_DECISIONS as readonly string[]).includes(decision)) {
    at(`phi_decision must be one of ${PHI_DECISIONS.join(', ')}, not "${entry.cells.phi_decision.trim()}"`);
    return;
  }
  const includes = decision.startsWith('include');
  if (rule.phi === 'none') {
    if (!PHI_EMPTY.includes(decision)) at(`a PHI decision on a non-PHI field: ${rule.id} is not PHI and moves without one (leave phi_decision empty)`);
  } else if (rule.phi === 'never') {
    if (includes) at(`${rule.id} never moves (e.g. SSN): it cannot be included`);
  } else if (decision === 'never') {
    at(`never is the decision of fields that never move: ${rule.id} is PHI, so exclude or include it`);
  } else if (includes && rule.target.field.kind === 'not_migrated') {
    at(`${rule.id} is not migrated: there is nothing to include`);
  }
}

/** The PHI decisions the rows make; the de-identification must suit the field in the new map. */
function phiDecisions(map: FieldMap, resolved: Map<string, { row: number; rule: FieldRule; cells: WorkbookRow }>, fail: Fail): PhiDecisions {
  const include: PhiDecisions['include'] = [];
  for (const rule of map.rules) {
    const entry = resolved.get(rule.id);
    const decision = entry ? phiDecisionOf(entry.cells) : '';
    if (!entry || rule.phi !== 'phi' || !decision.startsWith('include')) continue;
    const treatment: PhiTreatment = decision === 'include' ? 'none' : (decision.slice('include:'.length) as PhiTreatment);
    const allowed = allowedTreatments(map, rule);
    if (!allowed.includes(treatment)) {
      const options = allowed.map((t) => (t === 'none' ? 'include' : `include:${t}`)).join(', ');
      fail(entry.row, 'phi_decision', rule.id, `${rule.id} cannot be included as ${decision}: its destination allows ${options}`);
      continue;
    }
    include.push({ rule: rule.id, deidentify: treatment });
  }
  return { include };
}

/** Rows that need a look: below the confident threshold. */
export function isUnsure(row: WorkbookRow): boolean {
  const value = Number(row.confidence);
  return Number.isFinite(value) && value < CONFIDENT;
}
