/**
 * The named transforms a field rule can use, each with a zod schema for its parameters (checked when a map is
 * parsed) and a pure `apply`. Reference transforms also list, before building, the Pipedrive ids they need.
 * Reasons and warnings name columns and source keys, never values.
 */
import type { z } from 'zod';
import type { TransformName } from './transform-names';
import { TEXT_TRANSFORMS } from './rules/text';
import { CONTACT_TRANSFORMS } from './rules/contacts';
import { REFERENCE_TRANSFORMS } from './rules/references';
import { PLAN_TRANSFORMS } from './rules/plans';
import { VALUE_TRANSFORMS } from './rules/values';
import { DATE_TRANSFORMS } from './rules/dates';
import { MONEY_TRANSFORMS } from './rules/money';
import { CLINICAL_TRANSFORMS } from './rules/clinical';
import { ACTIVITY_TRANSFORMS } from './rules/activities';
import { FILE_TRANSFORMS } from './rules/files';
import type { RefListInput, RuleInput, RuleResult, TransformDef } from './rules/rule';
import type { RefKey } from './types';

export { TRANSFORM_NAMES, type TransformName } from './transform-names';
export type { RuleInput, RuleResult, RefListInput } from './rules/rule';

/** Every transform, by name: the groups under rules/, one per concern. */
export const TRANSFORMS: Record<TransformName, TransformDef<z.ZodType>> = {
  ...TEXT_TRANSFORMS,
  ...CONTACT_TRANSFORMS,
  ...REFERENCE_TRANSFORMS,
  ...PLAN_TRANSFORMS,
  ...VALUE_TRANSFORMS,
  ...DATE_TRANSFORMS,
  ...MONEY_TRANSFORMS,
  ...CLINICAL_TRANSFORMS,
  ...ACTIVITY_TRANSFORMS,
  ...FILE_TRANSFORMS,
};

/** The transform's parameter schema, for map validation. */
export function transformParams(name: TransformName): z.ZodType {
  return TRANSFORMS[name].params;
}

const parsedParams = new WeakMap<object, Map<object, unknown>>();

/** Apply a named transform; parameters are parsed once per rule object. */
export function applyTransform(name: TransformName, rawParams: Record<string, unknown>, input: Omit<RuleInput<unknown>, 'params'>): RuleResult {
  const def = TRANSFORMS[name];
  return def.apply({ ...input, params: paramsOf(def, rawParams) });
}

/**
 * The references a rule's values name. The values are read only for a transform that can name one: a derived source
 * is computed from the whole bundle, and most rules name none.
 */
export function transformRefs(
  name: TransformName,
  rawParams: Record<string, unknown>,
  input: Omit<RefListInput<unknown>, 'params' | 'values'> & { readValues: () => unknown[] },
): RefKey[] {
  const def = TRANSFORMS[name];
  if (!def.refs) return [];
  const { readValues, ...rest } = input;
  return def.refs({ ...rest, values: readValues(), params: paramsOf(def, rawParams) });
}

function paramsOf(def: TransformDef<z.ZodType>, rawParams: Record<string, unknown>): unknown {
  let byTransform = parsedParams.get(rawParams);
  if (!byTransform) {
    byTransform = new Map();
    parsedParams.set(rawParams, byTransform);
  }
  if (byTransform.has(def)) return byTransform.get(def);
  const parsed = def.params.parse(rawParams);
  byTransform.set(def, parsed);
  return parsed;
}
