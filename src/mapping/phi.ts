/**
 * PHI decisions. Every rule is classified: `none` moves, `phi` moves only when the practice's compliance review
 * includes it by rule id (with a chosen de-identification), `never` never moves (SSN), and asking for it is an
 * error, not a silent no-op, so a wrong approval cannot pass unnoticed.
 */
import { z } from 'zod';
import { customFieldOf, STRING_FIELD_TYPES, type CustomFieldType, type FieldMap, type FieldRule } from './field-map';
import { deidentify as deidentifyText } from './transforms/deidentify';
import type { FieldValue } from './types';

/** What an approved PHI rule moves as: unchanged, masked (last four kept) or reduced to the year. */
export const PHI_TREATMENTS = ['none', 'mask', 'year_only'] as const;
export type PhiTreatment = (typeof PHI_TREATMENTS)[number];

export const PhiDecisionsSchema = z
  .object({
    include: z.array(z.object({ rule: z.string().min(1), deidentify: z.enum(PHI_TREATMENTS) }).strict()).default([]),
  })
  .strict();
export type PhiDecisions = z.infer<typeof PhiDecisionsSchema>;

/** Nothing clinical moves until the practice decides. */
export const NO_PHI: PhiDecisions = { include: [] };

export class PhiDecisionError extends Error {
  constructor(readonly problems: string[]) {
    super(`PHI decisions are not valid: ${problems.join('; ')}`);
    this.name = 'PhiDecisionError';
  }
}

/** Problems with a set of decisions against a map (rule ids only, never values). */
export function phiDecisionProblems(map: FieldMap, decisions: PhiDecisions): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { rule: ruleId, deidentify } of decisions.include) {
    const rule = map.rules.find((r) => r.id === ruleId);
    if (seen.has(ruleId)) problems.push(`${ruleId} is decided twice`);
    seen.add(ruleId);
    if (!rule) {
      problems.push(`${ruleId} is not a rule of map version ${map.version}`);
      continue;
    }
    if (rule.phi === 'never') problems.push(`${ruleId} never moves (e.g. SSN): it cannot be included`);
    else if (rule.phi === 'none') problems.push(`${ruleId} is not PHI: it moves without a decision`);
    else if (!allowedTreatments(map, rule).includes(deidentify)) problems.push(`${ruleId} cannot be de-identified as ${deidentify}`);
  }
  return problems;
}

/** The treatments a PHI rule's target allows: year_only for date fields, mask for text custom fields. */
export function allowedTreatments(map: FieldMap, rule: FieldRule): PhiTreatment[] {
  const type = targetCustomType(map, rule);
  const allowed: PhiTreatment[] = ['none'];
  if (type === 'date') allowed.push('year_only');
  if (type !== undefined && STRING_FIELD_TYPES.includes(type)) allowed.push('mask');
  return allowed;
}

function targetCustomType(map: FieldMap, rule: FieldRule): CustomFieldType | undefined {
  const field = rule.target.field;
  return field.kind === 'custom' ? customFieldOf(map, rule.target.entity, field.name)?.field_type : undefined;
}

export interface EffectiveRule {
  rule: FieldRule;
  treatment: PhiTreatment;
}

export interface PhiPlan {
  /** Rules that write a value, with the de-identification to apply. */
  active: EffectiveRule[];
  /** PHI rules not approved (and `never` rules): their fields are not written, their records may be skipped. */
  excluded: FieldRule[];
}

const plans = new WeakMap<FieldMap, WeakMap<PhiDecisions, PhiPlan>>();

/**
 * Split the map's mapped rules by the decisions: PHI rules are excluded unless included by id; `never` rules are
 * always excluded. Throws PhiDecisionError on invalid decisions (including any attempt to include SSN).
 */
export function applyPhiDecisions(map: FieldMap, decisions: PhiDecisions): PhiPlan {
  const cached = plans.get(map)?.get(decisions);
  if (cached) return cached;
  const problems = phiDecisionProblems(map, decisions);
  if (problems.length > 0) throw new PhiDecisionError(problems);
  const chosen = new Map(decisions.include.map((d) => [d.rule, d.deidentify]));
  const plan: PhiPlan = { active: [], excluded: [] };
  for (const rule of map.rules) {
    if (rule.target.field.kind === 'not_migrated') continue;
    const treatment = rule.phi === 'none' ? 'none' : rule.phi === 'phi' ? chosen.get(rule.id) : undefined;
    if (treatment === undefined) plan.excluded.push(rule);
    else plan.active.push({ rule, treatment });
  }
  let byDecisions = plans.get(map);
  if (!byDecisions) {
    byDecisions = new WeakMap();
    plans.set(map, byDecisions);
  }
  byDecisions.set(decisions, plan);
  return plan;
}

/** A value as an approved PHI rule moves it. Non-text values cannot be masked: they are dropped instead. */
export function applyTreatment(value: FieldValue, treatment: PhiTreatment): FieldValue {
  if (treatment === 'none' || value === null) return value;
  return typeof value === 'string' ? deidentifyText(value, treatment) : null;
}

/** The custom field type a rule's target has once its de-identification applies (a year in a date field is text). */
export function effectiveCustomType(declared: CustomFieldType, treatment: PhiTreatment): CustomFieldType {
  if (treatment === 'year_only' || (treatment === 'mask' && !STRING_FIELD_TYPES.includes(declared))) return 'varchar';
  return declared;
}

export interface PhiFieldEntry {
  ruleId: string;
  kind: FieldRule['kind'];
  entity: FieldRule['target']['entity'];
  /** The target field (custom field name or standard field), or `not migrated`. */
  field: string;
  source: string;
  classification: 'phi' | 'never';
  defaultDeidentification: 'mask' | 'year_only' | 'drop' | 'never moves';
  rationale: string;
}

/** The PHI fields for the Data Quality Report: what needs the practice's HIPAA decision, and what never moves. */
export function phiFields(map: FieldMap): PhiFieldEntry[] {
  return map.rules
    .filter((rule) => rule.phi !== 'none')
    .map((rule) => ({
      ruleId: rule.id,
      kind: rule.kind,
      entity: rule.target.entity,
      field: rule.target.field.kind === 'not_migrated' ? 'not migrated' : rule.target.field.name,
      source:
        rule.source.kind === 'columns'
          ? `${rule.source.table}.${rule.source.columns.join('+')}`
          : rule.source.kind === 'derived'
            ? `derived: ${rule.source.name}`
            : 'constant',
      classification: rule.phi === 'never' ? ('never' as const) : ('phi' as const),
      defaultDeidentification: rule.phi === 'never' ? ('never moves' as const) : (rule.deidentify ?? 'drop'),
      rationale: rule.rationale,
    }));
}
