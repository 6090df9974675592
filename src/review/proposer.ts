/**
 * The map proposer: for every source column (the contract's columns of all 17 tables and the practice-specific
 * columns found in staging) a destination, a transform, a confidence and a one-line rationale, from
 *  (a) the base map: a contract column goes where the map sends it (confidence 1);
 *  (b) name similarity: an unfamiliar column (`fname`, `DOB`, `cell_no`) stands in for the contract column it
 *      resembles when that column is absent from the extract;
 *  (c) value profiling: the values' shape confirms or contradicts a name match, places opaque names (`usr_fld_3`)
 *      when only one absent contract column takes such values, and types new custom fields (dates, phones,
 *      enumerations with their observed options, long text).
 * Columns nothing places confidently become practice-specific custom fields on the record's entity, or are not
 * migrated with a low confidence, for the operator to decide. Pure: profiling and the LLM live elsewhere.
 */
import { PRIMARY_KEYS, DENTRIX_TABLES, columnSpec, contractColumns, type DentrixTable } from '../dentrix';
import {
  CUSTOM_FIELD_ENTITIES,
  STRING_FIELD_TYPES,
  parseFieldMap,
  type CustomFieldEntity,
  type CustomFieldType,
  type FieldMap,
  type FieldRule,
  type PhiClass,
  type RecordKind,
  RECORD_KINDS,
} from '../mapping';
import { contractColumnUse, describeUse, phiOfUse, type ContractColumnUse } from './contract-usage';
import { fieldLabel, nameSimilarity, ruleSlug, type NameMatch } from './names';
import { classifyColumn, type PhiAssessment } from './phi-class';
import { describeShape, type ColumnProfile, type ColumnProfiles, type ValueKind } from './value-profile';

/** An unfamiliar column takes an absent contract column's place from this confidence on. */
export const STAND_IN_THRESHOLD = 0.5;
/** Below this, a proposal counts as unsure: the LLM (when configured) may suggest one, the workbook flags it. */
export const CONFIDENT = 0.7;

export type Destination =
  /** The column is (or stands in for) this contract column: it goes wherever the base map sends that column. */
  | { kind: 'contract'; column: string }
  /** A new custom field on the record's entity. */
  | { kind: 'custom'; entity: CustomFieldEntity; field: string; fieldType: CustomFieldType; options?: string[] }
  /** A labelled line in a text field several rules write (activity note, note content, deal-product comments). */
  | { kind: 'note_line'; entity: 'activity' | 'note' | 'deal_product'; field: string; label: string }
  | { kind: 'not_migrated' };

export type ProposalBasis = 'default_map' | 'name' | 'profile' | 'name_and_profile' | 'llm' | 'none';

export interface ProposalRow {
  table: DentrixTable;
  column: string;
  /** A column of the extract contract, or a practice-specific one (kept by the readers in `row.extra`). */
  origin: 'contract' | 'extra';
  destination: Destination;
  /** The transform that writes it; null when only derived sources or the engine read the column. */
  transform: FieldRule['transform'] | null;
  confidence: number;
  rationale: string;
  phi: PhiClass;
  /** For `phi`: the de-identification proposed when the practice approves it. */
  deidentify?: 'mask' | 'year_only' | 'drop';
  basis: ProposalBasis;
  /** What the values look like ("email-like, all distinct"); no values. */
  shape: string;
  /** A few sampled values for the local workbook only (may be PHI: masked there, never logged or sent). */
  samples: string[];
}

export type Proposal = ProposalRow[];

export interface ProposerInput {
  /** The columns the extract has per table (contract columns with values, and practice-specific ones). */
  columnsByTable: Partial<Record<DentrixTable, readonly string[]>>;
  /** Value profiles per table and column; empty when profiling is off. */
  profiles: ColumnProfiles;
  baseMap: FieldMap;
}

/** The record kind whose records a practice-specific column of this table belongs to (null: none has one row of it). */
const KIND_OF_TABLE: Record<DentrixTable, RecordKind | null> = {
  provider: null,
  patient: 'patient',
  insured: 'patient',
  employer: 'employer',
  referral: 'referral',
  inscarrier: 'carrier',
  proccode: 'proccode',
  txcase: 'txcase',
  procedure: 'procedure',
  appt: 'appt',
  appt_status: 'appt',
  recall: 'recall',
  recalltype: 'recall',
  clinical_note: 'clinical_note',
  document: 'document',
  ledger: 'txcase',
  medical_alert: 'patient',
};

/** Tables whose extra columns can be written on a record (one row of the table per record). */
const WRITABLE_EXTRA_TABLES: readonly DentrixTable[] = [
  'patient',
  'insured',
  'employer',
  'referral',
  'inscarrier',
  'proccode',
  'txcase',
  'procedure',
  'appt',
  'recall',
  'clinical_note',
];

const NOTE_LINE_FIELDS: Partial<Record<RecordKind, { entity: 'activity' | 'note' | 'deal_product'; field: string }>> = {
  appt: { entity: 'activity', field: 'note' },
  recall: { entity: 'activity', field: 'note' },
  clinical_note: { entity: 'note', field: 'content' },
  procedure: { entity: 'deal_product', field: 'comments' },
};

export function kindOfTable(table: DentrixTable): RecordKind | null {
  return KIND_OF_TABLE[table];
}

export function proposeMap(input: ProposerInput): Proposal {
  const rows: ProposalRow[] = [];
  for (const table of DENTRIX_TABLES) {
    const present = [...new Set(input.columnsByTable[table] ?? [])];
    const contract = contractColumns(table);
    const extras = present.filter((c) => !contract.includes(c));
    const presentContract = new Set(present.filter((c) => contract.includes(c)));
    const freeSlots = contract.filter((c) => !presentContract.has(c) && c !== PRIMARY_KEYS[table]);
    const profiles = input.profiles[table] ?? {};
    const standIns = assignStandIns(table, extras, freeSlots, profiles);
    const standInFor = new Map([...standIns.values()].map((s) => [s.slot, s]));

    for (const column of contract) {
      rows.push(contractRow(input.baseMap, table, column, presentContract.has(column), standInFor.get(column)?.column, profiles[column]));
    }
    for (const column of extras) {
      const standIn = standIns.get(column);
      rows.push(standIn ? standInRow(input.baseMap, table, column, standIn, profiles[column]) : newColumnRow(table, column, profiles[column]));
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Contract columns

function contractRow(
  map: FieldMap,
  table: DentrixTable,
  column: string,
  present: boolean,
  standIn: string | undefined,
  profile: ColumnProfile | undefined,
): ProposalRow {
  const use = contractColumnUse(map, table, column);
  const where = describeUse(use);
  const presence = present ? '' : standIn ? `; not in this extract: ${standIn} takes its place` : '; not in this extract (no values sampled)';
  return {
    table,
    column,
    origin: 'contract',
    destination: { kind: 'contract', column },
    transform: transformOfUse(use),
    confidence: 1,
    rationale: `contract column: ${where}${presence}`,
    phi: phiOfUse(use),
    ...deidentifyOfUse(use),
    basis: 'default_map',
    shape: profile ? describeShape(profile) : 'not profiled',
    samples: profile?.samples ?? [],
  };
}

function transformOfUse(use: ContractColumnUse): FieldRule['transform'] | null {
  const rule = use.directRules.find((r) => r.target.field.kind !== 'not_migrated') ?? use.directRules[0] ?? use.derivedRules[0];
  return rule ? { name: rule.transform.name, params: { ...rule.transform.params } } : null;
}

function deidentifyOfUse(use: ContractColumnUse): Pick<ProposalRow, 'deidentify'> {
  const rule = [...use.directRules, ...use.derivedRules].find((r) => r.phi === 'phi');
  return rule?.deidentify ? { deidentify: rule.deidentify } : {};
}

// ---------------------------------------------------------------------------------------------------------------
// Stand-ins: unfamiliar names for absent contract columns

interface StandIn {
  column: string;
  slot: string;
  score: number;
  basis: ProposalBasis;
  name: NameMatch;
  fit: number | null;
  /** The runner-up slot when it scored almost as well. */
  ambiguousWith: string | null;
}

/** The value kinds a contract column holds. */
export function expectedKinds(table: DentrixTable, column: string): readonly ValueKind[] {
  const spec = columnSpec(table, column);
  switch (spec?.kind) {
    case 'int':
      return ['integer'];
    case 'money':
      return ['money', 'integer', 'decimal'];
    case 'bool':
      return ['boolean', 'integer'];
    case 'date':
      return ['date', 'us_date'];
    case 'datetime':
      return ['datetime', 'date'];
    default:
      break;
  }
  if (column.includes('email')) return ['email'];
  if (column.includes('phone')) return ['phone'];
  if (column === 'ssn') return ['ssn'];
  if (column === 'zipcode') return ['integer', 'code'];
  if (column === 'npi') return ['integer'];
  if (['note_text', 'note', 'reason', 'description'].includes(column)) return ['text', 'long_text', 'code'];
  // Text columns often hold digits: payer ids, group numbers, tooth numbers, chart numbers.
  return ['text', 'code', 'integer'];
}

/** Kinds specific enough that the values alone point at a column (an SSN, a date, an email...). */
const DISTINCTIVE_KINDS: readonly ValueKind[] = ['email', 'phone', 'ssn', 'date', 'us_date', 'datetime', 'money', 'long_text'];

/** How well a profile fits a contract column: 1 fits, 0 contradicts, null when there is nothing to judge by. */
function valueFit(profile: ColumnProfile | undefined, table: DentrixTable, slot: string): number | null {
  if (!profile || profile.nonNull === 0) return null;
  const expected = expectedKinds(table, slot);
  // Ten digits typed without separators are phones as often as ids: a phone column may hold them.
  const bareNumberPhone = expected.includes('phone') && profile.kind === 'integer' && (profile.digits === 10 || profile.digits === 11);
  if (bareNumberPhone) return 0.8;
  if (!expected.includes(profile.kind)) return 0;
  return profile.kindShare >= 0.8 ? 1 : profile.kindShare;
}

/**
 * Pairs unfamiliar columns with absent contract columns, one to one, best pairs first. Then, for the columns still
 * unplaced, values alone may place them among the slots still free (fewer rivals once the names have spoken).
 */
function assignStandIns(
  table: DentrixTable,
  extras: readonly string[],
  freeSlots: readonly string[],
  profiles: Record<string, ColumnProfile>,
): Map<string, StandIn> {
  const byColumn = new Map<string, StandIn>();
  const taken = new Set<string>();
  for (const pass of ['names', 'values'] as const) {
    const open = freeSlots.filter((s) => !taken.has(s));
    const candidates: StandIn[] = [];
    for (const column of extras) {
      if (byColumn.has(column)) continue;
      const scored = open.map((slot) => scoreSlot(table, column, slot, profiles[column], open, pass));
      scored.sort((a, b) => b.score - a.score);
      const [best, second] = scored;
      if (!best) continue;
      // Two slots nearly tied (`phone` → mobile, home or work?): the best is a guess, say so and trust it less.
      if (second && best.score - second.score < 0.05 && best.score >= STAND_IN_THRESHOLD) {
        best.ambiguousWith = second.slot;
        best.score *= 0.75;
      }
      candidates.push(...scored.filter((c) => c.score >= STAND_IN_THRESHOLD));
    }
    candidates.sort((a, b) => b.score - a.score || a.column.localeCompare(b.column));
    for (const candidate of candidates) {
      if (byColumn.has(candidate.column) || taken.has(candidate.slot)) continue;
      byColumn.set(candidate.column, candidate);
      taken.add(candidate.slot);
    }
  }
  return byColumn;
}

/** Canonical tokens that name each table (see names.ts): within the table they carry no meaning. */
const TABLE_CONTEXT: Record<DentrixTable, readonly string[]> = {
  provider: ['provider'],
  patient: ['patient'],
  employer: ['employer'],
  referral: ['referral', 'source'],
  inscarrier: ['insurance', 'company'],
  insured: ['insured'],
  appt_status: ['appointment'],
  appt: ['appointment'],
  recalltype: ['recall'],
  recall: ['recall'],
  proccode: ['procedure'],
  txcase: ['plan', 'treatment', 'txcase'],
  procedure: ['procedure'],
  ledger: ['ledger'],
  medical_alert: ['medical', 'alert'],
  clinical_note: ['clinical'],
  document: ['document'],
};

function scoreSlot(
  table: DentrixTable,
  column: string,
  slot: string,
  profile: ColumnProfile | undefined,
  openSlots: readonly string[],
  pass: 'names' | 'values',
): StandIn {
  const name = nameSimilarity(column, slot, { context: TABLE_CONTEXT[table] });
  const fit = valueFit(profile, table, slot);
  const byName = fit === null ? name.score : name.score * (0.55 + 0.45 * fit);
  // Values alone: a distinctive kind that only one open contract column takes (an SSN, the one email column).
  let byValues = 0;
  if (pass === 'values' && profile && fit === 1 && DISTINCTIVE_KINDS.includes(profile.kind)) {
    const rivals = openSlots.filter((s) => expectedKinds(table, s).includes(profile.kind)).length;
    byValues = 0.6 / Math.max(rivals, 1) + 0.3 * name.score;
  }
  const score = Math.min(0.95, Math.max(byName, byValues));
  const basis: ProposalBasis = byValues > byName ? 'profile' : fit === null ? 'name' : 'name_and_profile';
  return { column, slot, score: Math.round(score * 1000) / 1000, basis, name, fit, ambiguousWith: null };
}

function standInRow(map: FieldMap, table: DentrixTable, column: string, standIn: StandIn, profile: ColumnProfile | undefined): ProposalRow {
  const use = contractColumnUse(map, table, standIn.slot);
  const evidence: string[] = [];
  if (standIn.basis !== 'profile') evidence.push(`${standIn.name.how} ${standIn.name.score.toFixed(2)}`);
  if (standIn.fit !== null) evidence.push(standIn.fit >= 0.8 ? `values fit (${describeShape(profile!)})` : `values partly fit (${describeShape(profile!)})`);
  if (standIn.ambiguousWith) evidence.push(`nearly as close to ${standIn.ambiguousWith}`);
  const derivedOnly = use.directRules.length === 0;
  const caveat = derivedOnly ? '; read by derived sources or the engine under its contract name: re-extract with that name' : '';
  return {
    table,
    column,
    origin: 'extra',
    destination: { kind: 'contract', column: standIn.slot },
    transform: transformOfUse(use),
    confidence: standIn.score,
    rationale: `stands in for ${standIn.slot} (${evidence.join('; ')}): ${describeUse(use)}${caveat}`,
    phi: phiOfUse(use),
    ...deidentifyOfUse(use),
    basis: standIn.basis,
    shape: profile ? describeShape(profile) : 'not profiled',
    samples: profile?.samples ?? [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Practice-specific columns nothing else claims

function newColumnRow(table: DentrixTable, column: string, profile: ColumnProfile | undefined): ProposalRow {
  const assessment = classifyColumn(table, column, profile);
  const base = {
    table,
    column,
    origin: 'extra' as const,
    phi: assessment.phi,
    shape: profile ? describeShape(profile) : 'not profiled',
    samples: profile?.samples ?? [],
  };
  const notMigrated = (confidence: number, rationale: string, basis: ProposalBasis): ProposalRow => ({
    ...base,
    destination: { kind: 'not_migrated' },
    transform: { name: 'not_migrated', params: {} },
    confidence,
    rationale,
    ...(assessment.phi === 'phi' ? { deidentify: 'drop' as const } : {}),
    basis,
  });

  if (assessment.phi === 'never') return notMigrated(0.9, `practice-specific column: ${assessment.reason}`, profile ? 'profile' : 'name');
  const kind = KIND_OF_TABLE[table];
  if (kind === null || !WRITABLE_EXTRA_TABLES.includes(table)) {
    const why =
      table === 'provider' ? 'providers are matched to existing Pipedrive users, which take no custom fields' : `${table} rows are not one record's own data`;
    return notMigrated(0.6, `practice-specific column: ${why}`, 'none');
  }
  if (!profile || profile.sampled === 0) {
    return notMigrated(0.2, 'practice-specific column with no known name and no profiled values: not migrated until reviewed', 'none');
  }
  if (profile.nonNull === 0) return notMigrated(0.6, 'practice-specific column, empty in the sample: nothing to move', 'profile');

  const typed = destinationForValues(profile, column);
  const sure = profile.kindShare >= 0.9 ? 0.55 : 0.4;
  const noteLine = NOTE_LINE_FIELDS[kind];
  const entity = RECORD_KINDS[kind].entity;
  if (noteLine) {
    return {
      ...base,
      destination: { kind: 'note_line', entity: noteLine.entity, field: noteLine.field, label: fieldLabel(column) },
      transform: { name: 'labelled_lines', params: { labels: [fieldLabel(column)] } },
      confidence: sure,
      rationale: `practice-specific column (${describeShape(profile)}): a labelled line in the ${noteLine.entity} ${noteLine.field}, which takes no custom fields${phiNote(assessment)}`,
      ...(assessment.phi === 'phi' ? { deidentify: 'drop' as const } : {}),
      basis: 'profile',
    };
  }
  const customEntity = entity as CustomFieldEntity;
  return {
    ...base,
    destination: {
      kind: 'custom',
      entity: customEntity,
      field: fieldLabel(column),
      fieldType: typed.fieldType,
      ...(typed.options ? { options: typed.options } : {}),
    },
    transform: typed.transform,
    confidence: sure,
    rationale: `practice-specific column (${describeShape(profile)}): new ${typed.fieldType} custom field on ${customEntity}${typed.note}${phiNote(assessment)}`,
    ...(assessment.phi === 'phi' ? { deidentify: deidentifyFor(assessment, typed.fieldType) } : {}),
    basis: 'profile',
  };
}

function phiNote(assessment: PhiAssessment): string {
  return assessment.phi === 'phi' ? `; PHI (${assessment.reason}): moves only if approved` : '';
}

/** A default de-identification the field type allows: year only for dates, mask for text, else drop. */
export function deidentifyFor(assessment: PhiAssessment, fieldType: CustomFieldType): 'mask' | 'year_only' | 'drop' {
  if (assessment.deidentify === 'year_only' && fieldType === 'date') return 'year_only';
  if ((assessment.deidentify === 'mask' || assessment.deidentify === 'year_only') && STRING_FIELD_TYPES.includes(fieldType)) return 'mask';
  return 'drop';
}

const TRUE_WORDS = ['y', 'yes', 'true', 't', '1'];
const FALSE_WORDS = ['n', 'no', 'false', 'f', '0'];

interface TypedDestination {
  fieldType: CustomFieldType;
  options?: string[];
  transform: FieldRule['transform'];
  /** Why this type, when it needs saying. */
  note: string;
}

/** The custom field type and transform for text values of this shape (practice-specific columns are staged as text). */
export function destinationForValues(profile: ColumnProfile, column: string): TypedDestination {
  const text = (note = ''): TypedDestination => ({ fieldType: 'varchar', transform: { name: 'text', params: {} }, note });
  switch (profile.kind) {
    case 'email':
      return { fieldType: 'varchar', transform: { name: 'email', params: {} }, note: '' };
    case 'phone':
      return { fieldType: 'phone', transform: { name: 'phone', params: {} }, note: '' };
    case 'date':
      return { fieldType: 'date', transform: { name: 'date', params: {} }, note: '' };
    case 'us_date':
    case 'datetime':
      return text('; kept as text: no transform parses these dates from a practice-specific text column');
    case 'money':
    case 'decimal':
    case 'integer':
      if (profile.options) return enumDestination(profile.options, column);
      return text(profile.kind === 'integer' ? '' : '; kept as text: no transform reads amounts from a practice-specific text column');
    case 'boolean': {
      const map = Object.fromEntries([...TRUE_WORDS.map((w) => [w, 'Yes']), ...FALSE_WORDS.map((w) => [w, 'No'])]);
      return { fieldType: 'enum', options: ['Yes', 'No'], transform: { name: 'value_map', params: { map } }, note: '' };
    }
    case 'long_text':
      return { fieldType: 'text', transform: { name: 'text', params: { multiline: true } }, note: '' };
    case 'text':
    case 'code':
      return profile.options ? enumDestination(profile.options, column) : text();
    default:
      return text();
  }
}

function enumDestination(options: readonly string[], _column: string): TypedDestination {
  const labels = [...new Set(options.map((o) => o.slice(0, 255)))];
  return {
    fieldType: 'enum',
    options: labels,
    transform: { name: 'value_map', params: { map: Object.fromEntries(labels.map((l) => [l, l])) } },
    note: ` with the ${labels.length} observed options`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Proposal → field map

/**
 * The proposal as a new map version: stand-ins replace their contract column in the base map's rules, new columns
 * get a rule of their own (custom field, labelled note line, or a not_migrated rule that records the decision).
 * The result passes `parseFieldMap`; it throws FieldMapError when it would not (a proposal edited into nonsense).
 */
export function proposalToFieldMap(baseMap: FieldMap, proposal: Proposal): FieldMap {
  const map = structuredClone(baseMap);
  map.version = baseMap.version + 1;
  const ids = new Set(map.rules.map((r) => r.id));
  for (const row of proposal) {
    if (row.origin !== 'extra') continue;
    if (row.destination.kind === 'contract') {
      replaceColumn(map, row.table, row.destination.column, row.column);
      continue;
    }
    // A column a rule already reads (a map that already had this proposal) needs no new rule.
    if (map.rules.some((r) => r.source.kind === 'columns' && r.source.table === row.table && r.source.columns.includes(row.column))) continue;
    const rule = ruleForRow(map, row, ids);
    if (!rule) continue;
    ids.add(rule.id);
    map.rules.push(rule);
  }
  return parseFieldMap(map);
}

function replaceColumn(map: FieldMap, table: DentrixTable, contractColumn: string, column: string): void {
  for (const rule of map.rules) {
    if (rule.source.kind === 'columns' && rule.source.table === table) {
      rule.source.columns = rule.source.columns.map((c) => (c === contractColumn ? column : c));
    }
  }
}

/** The rule a practice-specific column's proposal becomes (adding its custom field to the map), or null when none can. */
export function ruleForRow(map: FieldMap, row: ProposalRow, takenIds: ReadonlySet<string>): FieldRule | null {
  const kind = KIND_OF_TABLE[row.table];
  if (kind === null) return null;
  const entity = RECORD_KINDS[kind].entity;
  const id = uniqueRuleId(`${kind}.${ruleSlug(row.column)}`, takenIds);
  const source = { kind: 'columns' as const, table: row.table, columns: [row.column] };
  const phiPart = (fieldType: CustomFieldType | null): Pick<FieldRule, 'phi' | 'deidentify'> => {
    if (row.phi !== 'phi') return { phi: row.phi };
    const wanted = row.deidentify ?? 'drop';
    const allowed = wanted === 'year_only' ? fieldType === 'date' : wanted === 'mask' ? fieldType !== null && STRING_FIELD_TYPES.includes(fieldType) : true;
    return { phi: 'phi', deidentify: allowed ? wanted : 'drop' };
  };
  const destination = row.destination;
  if (destination.kind === 'custom' && row.phi !== 'never') {
    const name = ensureCustomField(map, destination.entity, { name: destination.field, field_type: destination.fieldType, options: destination.options });
    return {
      id,
      kind,
      source,
      target: { entity, field: { kind: 'custom', name } },
      transform: row.transform ?? { name: 'text', params: {} },
      ...phiPart(destination.fieldType),
      essential: false,
      rationale: row.rationale,
    };
  }
  if (destination.kind === 'note_line' && row.phi !== 'never') {
    return {
      id,
      kind,
      source,
      target: { entity, field: { kind: 'standard', name: destination.field } },
      transform: row.transform ?? { name: 'labelled_lines', params: { labels: [destination.label] } },
      ...phiPart(null),
      essential: false,
      rationale: row.rationale,
    };
  }
  return {
    id,
    kind,
    source,
    target: { entity, field: { kind: 'not_migrated' } },
    transform: { name: 'not_migrated', params: {} },
    ...phiPart(null),
    essential: false,
    rationale: row.rationale,
  };
}

function uniqueRuleId(wanted: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n += 1) {
    const id = `${wanted}_${n}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * Adds a custom field for a new column and returns its name: the column's label, or "<label> (Dentrix)" (numbered
 * if need be) when the entity already has a field of that name, which belongs to another rule.
 */
export function ensureCustomField(
  map: FieldMap,
  entity: CustomFieldEntity,
  def: { name: string; field_type: CustomFieldType; options?: string[] | undefined },
): string {
  const fields = map.objects.customFields[entity];
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? def.name : n === 2 ? `${def.name} (Dentrix)` : `${def.name} (Dentrix ${n - 1})`;
    if (fields.some((f) => f.name === name)) continue;
    fields.push({ name, field_type: def.field_type, ...(def.options && def.options.length > 0 ? { options: [...def.options] } : {}), searchable: false });
    return name;
  }
}

export function isCustomEntity(entity: string): entity is CustomFieldEntity {
  return (CUSTOM_FIELD_ENTITIES as readonly string[]).includes(entity);
}
