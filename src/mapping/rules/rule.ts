/** What a rule transform is (its parameter schema, description, apply and refs) and the helpers every group uses. */
import { z } from 'zod';
import type { SourceBundle } from '../bundles';
import type { BuildContext } from '../context';
import type { FieldMap, MapOptions } from '../field-map';
import type { FieldValue, RefKey, WarningCode } from '../types';

export interface RuleEnv {
  ctx: BuildContext;
  options: MapOptions;
  sourceKey: string;
  bundle: SourceBundle;
}

export interface RuleWarning {
  column: string | null;
  code: WarningCode;
  reason: string;
}

export interface RuleResult {
  value: FieldValue;
  warnings?: RuleWarning[];
  /** Source values the transform refused, as typed: the builder keeps them for review on the record (PHI: never in warnings). */
  refused?: string[];
  /** The record cannot be built: quarantined with this column and reason. */
  reject?: { column: string | null; reason: string };
  /** The record is skipped by rule with this reason. */
  skip?: string;
  refs?: RefKey[];
}

export interface RuleInput<P> {
  /** The rule's column values in order, or the derived source's value as the only element, or [] for constants. */
  values: unknown[];
  columns: readonly string[];
  params: P;
  env: RuleEnv;
}

export interface RefListInput<P> {
  values: unknown[];
  params: P;
  options: MapOptions;
  map: FieldMap;
}

export interface TransformDef<S extends z.ZodType> {
  params: S;
  description: string;
  apply(input: RuleInput<z.output<S>>): RuleResult;
  refs?(input: RefListInput<z.output<S>>): RefKey[];
}

export function define<S extends z.ZodType>(def: TransformDef<S>): TransformDef<S> {
  return def;
}

export const NO_PARAMS = z.object({}).strict();
export const none = (value: FieldValue = null): RuleResult => ({ value });

export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

export function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function firstColumn(input: { columns: readonly string[] }): string | null {
  return input.columns[0] ?? null;
}
