/**
 * Optional LLM help for the columns the rules could not place confidently: an OpenAI-compatible chat-completions
 * endpoint (MAPPING_LLM_URL, MAPPING_LLM_MODEL, MAPPING_LLM_API_KEY; off when the URL is unset) is asked where
 * they go. It is sent column names, the contract's column names and types, and value *shapes* ("email-like",
 * "10 digits", "enumeration of 4 values"), never a value: sample values may be PHI. Each suggestion is validated
 * (the column was asked about, the destination exists and is free, the field type is one Pipedrive has and a text
 * column can fill, the resulting map passes the map schema); invalid ones are dropped with a logged reason.
 * The LLM never lowers a PHI classification and its proposals stay below the confident threshold for review.
 */
import axios from 'axios';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PRIMARY_KEYS, columnSpec, contractColumns, type DentrixTable, DENTRIX_TABLES } from '../dentrix';
import { CUSTOM_FIELD_TYPES, FieldMapSchema, TRANSFORM_NAMES, RECORD_KINDS, type CustomFieldType, type FieldMap, type FieldRule } from '../mapping';
import { contractColumnUse, describeUse, phiOfUse } from './contract-usage';
import { fieldLabel } from './names';
import { classifyColumn } from './phi-class';
import { CONFIDENT, deidentifyFor, isCustomEntity, kindOfTable, ruleForRow, type ProposalRow, type Proposal } from './proposer';
import { customFieldMisfit } from './transform-fit';
import { describeShape, valueShape, type ColumnProfiles } from './value-profile';

export type ReviewLogger = Pick<Logger, 'info' | 'warn'>;

export interface MappingLlmConfig {
  /** The chat-completions endpoint (a base URL gets `/chat/completions` appended). */
  url: string;
  model: string;
  apiKey: string | null;
  timeoutMs: number;
}

const LlmEnvSchema = z.object({
  MAPPING_LLM_URL: z.url().optional(),
  MAPPING_LLM_MODEL: z.string().min(1).optional(),
  MAPPING_LLM_API_KEY: z.string().min(1).optional(),
  MAPPING_LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
});

export class MappingLlmConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingLlmConfigError';
  }
}

/** The raw settings, from the process environment or the worker's parsed Env. */
export type MappingLlmEnv = Partial<Record<'MAPPING_LLM_URL' | 'MAPPING_LLM_MODEL' | 'MAPPING_LLM_API_KEY' | 'MAPPING_LLM_TIMEOUT_MS', string>>;

/**
 * The LLM settings, or null when MAPPING_LLM_URL is unset (the proposer then works on rules alone). The worker calls
 * it once at start (src/runtime/worker.ts), so a bad value stops the worker with its name, not a retrying activity.
 */
export function loadMappingLlmConfig(env: MappingLlmEnv): MappingLlmConfig | null {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = LlmEnvSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MappingLlmConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const { MAPPING_LLM_URL: url, MAPPING_LLM_MODEL: model, MAPPING_LLM_API_KEY: apiKey, MAPPING_LLM_TIMEOUT_MS: timeoutMs } = parsed.data;
  if (!url) return null;
  if (!model) throw new MappingLlmConfigError('MAPPING_LLM_MODEL: required when MAPPING_LLM_URL is set');
  return { url, model, apiKey: apiKey ?? null, timeoutMs };
}

/** What the LLM is asked: names, types and shapes only. */
export interface LlmMappingRequest {
  columns: { table: DentrixTable; column: string; values: ReturnType<typeof valueShape> | null }[];
  /** Per table: the contract columns absent from this extract that a column could stand in for. */
  openContractColumns: Partial<Record<DentrixTable, { column: string; type: string; usedFor: string }[]>>;
  /** Per table: where a new field of it would live. */
  newFieldsGoTo: Partial<Record<DentrixTable, string>>;
  customFieldTypes: readonly string[];
}

export interface MappingLlm {
  /** Sends the request; resolves to the model's answer text (JSON expected). */
  complete(request: LlmMappingRequest): Promise<string>;
}

const SYSTEM_PROMPT = [
  'You map columns of a Dentrix dental practice-management export to a Pipedrive CRM field map.',
  'You get column names, the shape of their values (never the values) and, per table, the standard Dentrix columns this export lacks.',
  'For each column answer one suggestion:',
  '- destination "contract" with "contract_column" when the column is one of the listed open contract columns under another name;',
  '- destination "custom" with "field_name" and "field_type" (one of customFieldTypes) for a new custom field on the entity listed in newFieldsGoTo;',
  '- destination "note_line" with "field_name" when newFieldsGoTo says the table takes labelled note lines;',
  '- destination "not_migrated" when the column should stay in Dentrix.',
  'Optionally "transform" (text, email, phone, date, value_map). Give "confidence" (0-1) and a one-line "rationale".',
  'Answer with JSON only: {"suggestions":[{"table":"...","column":"...","destination":"...",...}]}.',
].join('\n');

export function createMappingLlm(config: MappingLlmConfig): MappingLlm {
  const url = /\/chat\/completions\/?$/u.test(config.url) ? config.url : `${config.url.replace(/\/+$/u, '')}/chat/completions`;
  return {
    async complete(request) {
      const response = await axios.post<{ choices?: { message?: { content?: string } }[] }>(
        url,
        {
          model: config.model,
          temperature: 0,
          response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: JSON.stringify(request) },
          ],
        },
        {
          timeout: config.timeoutMs,
          headers: { 'content-type': 'application/json', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
        },
      );
      const content = response.data.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new Error('the chat-completions answer has no message content');
      return content;
    },
  };
}

const SuggestionSchema = z.object({
  table: z.string(),
  column: z.string(),
  destination: z.enum(['contract', 'custom', 'note_line', 'not_migrated']),
  contract_column: z.string().optional(),
  field_name: z.string().min(1).max(255).optional(),
  field_type: z.string().optional(),
  transform: z.string().optional(),
  confidence: z.number().min(0).max(1).default(0.5),
  rationale: z.string().default(''),
});
type Suggestion = z.infer<typeof SuggestionSchema>;

const AnswerSchema = z.object({ suggestions: z.array(z.unknown()) });

/** Transforms that can read a practice-specific (text) column into a field of each type, the first by default. */
const TEXT_TRANSFORMS: Partial<Record<CustomFieldType, readonly FieldRule['transform']['name'][]>> = {
  varchar: ['text', 'email', 'phone', 'date', 'name'],
  varchar_auto: ['text', 'email', 'phone', 'name'],
  text: ['text'],
  phone: ['phone', 'text'],
  address: ['text'],
  date: ['date'],
  enum: ['value_map'],
};

export interface LlmContext {
  baseMap: FieldMap;
  columnsByTable: Partial<Record<DentrixTable, readonly string[]>>;
  profiles: ColumnProfiles;
}

/**
 * The proposal with the LLM's valid suggestions in place of the unsure rows it was asked about. Any failure of the
 * endpoint leaves the proposal as the rules made it (logged, without values or the answer's text).
 */
export async function refineWithLlm(proposal: Proposal, ctx: LlmContext, llm: MappingLlm, logger: ReviewLogger): Promise<Proposal> {
  const unsure = proposal.filter((r) => r.origin === 'extra' && r.confidence < CONFIDENT && r.phi !== 'never');
  if (unsure.length === 0) return proposal;
  const request = buildRequest(unsure, proposal, ctx);
  let answer: unknown;
  try {
    answer = JSON.parse(await llm.complete(request));
  } catch (err) {
    logger.warn({ err: describeFailure(err), asked: unsure.length }, 'mapping LLM unavailable or answered no JSON: proposal kept as the rules made it');
    return proposal;
  }
  const envelope = AnswerSchema.safeParse(answer);
  if (!envelope.success) {
    logger.warn({ asked: unsure.length }, 'mapping LLM answer has no suggestions list: proposal kept as the rules made it');
    return proposal;
  }

  const result = [...proposal];
  const open = openSlots(proposal, ctx.columnsByTable);
  let accepted = 0;
  let dropped = 0;
  for (const raw of envelope.data.suggestions) {
    const parsed = SuggestionSchema.safeParse(raw);
    const where = parsed.success ? { table: parsed.data.table, column: parsed.data.column } : {};
    const outcome = parsed.success
      ? validate(parsed.data, result, open, ctx)
      : { error: `not a suggestion: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}` };
    if ('error' in outcome) {
      dropped += 1;
      logger.warn({ ...where, reason: outcome.error }, 'mapping LLM suggestion dropped');
      continue;
    }
    const index = result.findIndex((r) => r.table === outcome.row.table && r.column === outcome.row.column);
    result[index] = outcome.row;
    if (outcome.row.destination.kind === 'contract') open.get(outcome.row.table)?.delete(outcome.row.destination.column);
    accepted += 1;
  }
  logger.info({ asked: unsure.length, accepted, dropped }, 'mapping LLM suggestions applied');
  return result;
}

function describeFailure(err: unknown): string {
  if (axios.isAxiosError(err)) return `HTTP ${err.response?.status ?? err.code ?? 'error'}`;
  return err instanceof SyntaxError ? 'answer is not JSON' : err instanceof Error ? err.name : 'error';
}

/** Absent contract columns no row stands in for yet (primary keys excluded: readers need them by name). */
function openSlots(proposal: Proposal, columnsByTable: LlmContext['columnsByTable']): Map<DentrixTable, Set<string>> {
  const open = new Map<DentrixTable, Set<string>>();
  for (const table of DENTRIX_TABLES) {
    const present = new Set(columnsByTable[table] ?? []);
    const taken = new Set(
      proposal
        .filter((r) => r.table === table && r.origin === 'extra' && r.destination.kind === 'contract')
        .map((r) => (r.destination as { column: string }).column),
    );
    open.set(table, new Set(contractColumns(table).filter((c) => !present.has(c) && !taken.has(c) && c !== PRIMARY_KEYS[table])));
  }
  return open;
}

export function buildRequest(unsure: readonly ProposalRow[], proposal: Proposal, ctx: LlmContext): LlmMappingRequest {
  const open = openSlots(proposal, ctx.columnsByTable);
  const tables = [...new Set(unsure.map((r) => r.table))];
  const openContractColumns: LlmMappingRequest['openContractColumns'] = {};
  const newFieldsGoTo: LlmMappingRequest['newFieldsGoTo'] = {};
  for (const table of tables) {
    openContractColumns[table] = [...(open.get(table) ?? [])].map((column) => ({
      column,
      type: columnSpec(table, column)?.kind ?? 'text',
      usedFor: describeUse(contractColumnUse(ctx.baseMap, table, column)),
    }));
    const kind = kindOfTable(table);
    const entity = kind ? RECORD_KINDS[kind].entity : null;
    newFieldsGoTo[table] =
      entity === null
        ? 'nowhere (not_migrated only)'
        : isCustomEntity(entity)
          ? `custom field on ${entity}`
          : `labelled line in the ${entity} text (note_line)`;
  }
  return {
    columns: unsure.map((r) => {
      const profile = ctx.profiles[r.table]?.[r.column];
      return { table: r.table, column: r.column, values: profile ? valueShape(profile) : null };
    }),
    openContractColumns,
    newFieldsGoTo,
    customFieldTypes: Object.keys(TEXT_TRANSFORMS),
  };
}

function validate(s: Suggestion, proposal: Proposal, open: Map<DentrixTable, Set<string>>, ctx: LlmContext): { row: ProposalRow } | { error: string } {
  const current = proposal.find((r) => r.table === s.table && r.column === s.column);
  if (!current || current.origin !== 'extra' || current.basis === 'llm' || current.confidence >= CONFIDENT || current.phi === 'never') {
    return { error: 'not one of the columns asked about' };
  }
  const table = current.table;
  const profile = ctx.profiles[table]?.[current.column];
  const assessment = classifyColumn(table, current.column, profile);
  const confidence = Math.min(s.confidence, CONFIDENT - 0.01);
  const rationale = `LLM suggestion: ${s.rationale.replace(/\s+/gu, ' ').trim().slice(0, 200) || 'no reason given'}`;
  const base = {
    ...current,
    basis: 'llm' as const,
    confidence: Math.round(confidence * 1000) / 1000,
    rationale,
    shape: profile ? describeShape(profile) : current.shape,
  };

  let row: ProposalRow;
  switch (s.destination) {
    case 'contract': {
      const slot = s.contract_column ?? '';
      if (!contractColumns(table).includes(slot)) return { error: `${slot || '(none)'} is not a contract column of ${table}` };
      if (!open.get(table)?.has(slot)) return { error: `${table}.${slot} is in the extract or already has a stand-in` };
      const use = contractColumnUse(ctx.baseMap, table, slot);
      const rule = use.directRules[0] ?? use.derivedRules[0];
      const deidentify = [...use.directRules, ...use.derivedRules].find((r) => r.phi === 'phi')?.deidentify;
      row = {
        ...base,
        destination: { kind: 'contract', column: slot },
        transform: rule ? { name: rule.transform.name, params: { ...rule.transform.params } } : null,
        phi: phiOfUse(use),
        ...(deidentify ? { deidentify } : { deidentify: undefined }),
      };
      if (row.deidentify === undefined) delete row.deidentify;
      return { row };
    }
    case 'not_migrated':
      row = { ...base, destination: { kind: 'not_migrated' }, transform: { name: 'not_migrated', params: {} }, phi: assessment.phi };
      if (assessment.phi === 'phi') row.deidentify = 'drop';
      else delete row.deidentify;
      break;
    case 'note_line': {
      const kind = kindOfTable(table);
      const entity = kind ? RECORD_KINDS[kind].entity : null;
      const field = entity === 'activity' ? 'note' : entity === 'note' ? 'content' : entity === 'deal_product' ? 'comments' : null;
      if (entity === null || field === null) return { error: `${table} columns cannot become note lines` };
      const label = s.field_name ?? fieldLabel(current.column);
      row = {
        ...base,
        destination: { kind: 'note_line', entity: entity as 'activity' | 'note' | 'deal_product', field, label },
        transform: { name: 'labelled_lines', params: { labels: [label] } },
        phi: assessment.phi,
      };
      if (assessment.phi === 'phi') row.deidentify = 'drop';
      else delete row.deidentify;
      break;
    }
    case 'custom': {
      const kind = kindOfTable(table);
      const entity = kind ? RECORD_KINDS[kind].entity : null;
      if (entity === null || !isCustomEntity(entity)) return { error: `${table} columns cannot become custom fields (${entity ?? 'no record'} takes none)` };
      const fieldType = s.field_type ?? '';
      if (!(CUSTOM_FIELD_TYPES as readonly string[]).includes(fieldType))
        return { error: `field type ${fieldType || '(none)'} is not a Pipedrive custom field type` };
      const allowed = TEXT_TRANSFORMS[fieldType as CustomFieldType];
      if (!allowed) return { error: `a ${fieldType} field cannot be filled from a text column` };
      const transformName = s.transform ?? allowed[0]!;
      if (!(TRANSFORM_NAMES as readonly string[]).includes(transformName)) return { error: `transform ${transformName} does not exist` };
      if (!allowed.includes(transformName as FieldRule['transform']['name']))
        return { error: `transform ${transformName} cannot fill a ${fieldType} field from a text column` };
      const options = fieldType === 'enum' ? (profile?.options ?? null) : undefined;
      if (options === null) return { error: 'an enum field needs the observed options, and the values are not an enumeration' };
      const transform: FieldRule['transform'] =
        transformName === 'value_map'
          ? { name: 'value_map', params: { map: Object.fromEntries((options ?? []).map((o) => [o, o])) } }
          : { name: transformName as FieldRule['transform']['name'], params: {} };
      const misfit = customFieldMisfit(transform, fieldType as CustomFieldType, options);
      if (misfit) return { error: misfit };
      row = {
        ...base,
        destination: {
          kind: 'custom',
          entity,
          field: (s.field_name ?? fieldLabel(current.column)).trim(),
          fieldType: fieldType as CustomFieldType,
          ...(options ? { options } : {}),
        },
        transform,
        phi: assessment.phi,
      };
      if (assessment.phi === 'phi') row.deidentify = deidentifyFor(assessment, fieldType as CustomFieldType);
      else delete row.deidentify;
      break;
    }
  }
  // The rule the row becomes must pass the map's own schema.
  const trial = structuredClone(ctx.baseMap);
  const rule = ruleForRow(trial, row, new Set(trial.rules.map((r) => r.id)));
  if (rule) trial.rules.push(rule);
  const check = FieldMapSchema.safeParse(trial);
  if (!check.success)
    return {
      error: `the map would not validate: ${check.error.issues
        .map((i) => i.message)
        .slice(0, 3)
        .join('; ')}`,
    };
  return { row };
}
