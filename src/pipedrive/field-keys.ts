import { type FieldEntity, type PipedriveClient } from './client';
import { type Field, type FieldOption } from './types';

/**
 * Custom fields are keyed by a random 40-hex `field_code` that differs per account (sandbox vs production too), so
 * the migration names fields and options and resolves them against the account's field list. Pure functions over
 * that list, plus `fetchFieldKeys` to list and resolve in one call.
 */

export interface WantedField {
  /** Display name, e.g. "Dentrix Patient ID". */
  name: string;
  /** Expected `field_type` (e.g. `varchar`); a same-named field of another type is reported, never used. */
  type?: string;
  /** Option labels (enum/set fields) to resolve to option ids. */
  options?: string[];
}

export interface ResolvedField {
  /** The name as requested. */
  name: string;
  fieldCode: string;
  fieldType: string;
  /** Requested label → option id, for the labels that were found. */
  optionIds: Record<string, number>;
}

export interface FieldKeyResolution {
  entity: FieldEntity;
  /** Keyed by the requested name. */
  resolved: Record<string, ResolvedField>;
  missingFields: string[];
  /** Fields that exist but lack some of the requested option labels. */
  missingOptions: { field: string; labels: string[] }[];
  /** More than one custom field (or option) answers to the name: which one to write is an operator's decision. */
  ambiguousFields: { field: string; fieldCodes: string[] }[];
  ambiguousOptions: { field: string; label: string; optionIds: number[] }[];
  typeMismatches: { field: string; fieldCode: string; expected: string; actual: string }[];
  /** True when every requested field and option resolved to exactly one key of the expected type. */
  complete: boolean;
}

/** Case-, width- and whitespace-insensitive form of a name or label. */
export function normaliseLabel(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Exact (trimmed) matches win; only when there is none are case/whitespace-insensitive matches considered. Returns
 * every match of the winning tier, so callers can tell "missing" from "ambiguous".
 */
function matchByName<T>(items: readonly T[], wanted: string, nameOf: (item: T) => string): T[] {
  const exact = items.filter((item) => nameOf(item).trim() === wanted.trim());
  if (exact.length > 0) return exact;
  const normalised = normaliseLabel(wanted);
  return items.filter((item) => normaliseLabel(nameOf(item)) === normalised);
}

export type FieldLookup =
  { status: 'found'; field: Field } | { status: 'missing' } | { status: 'ambiguous'; fields: Field[] } | { status: 'type_mismatch'; field: Field };

/** Finds the one custom field with this name (system fields never match: a custom "Email" is not the built-in one). */
export function findCustomField(fields: readonly Field[], name: string, type?: string): FieldLookup {
  const candidates = matchByName(
    fields.filter((f) => f.is_custom_field),
    name,
    (f) => f.field_name,
  );
  if (candidates.length === 0) return { status: 'missing' };
  const typed = type === undefined ? candidates : candidates.filter((f) => f.field_type === type);
  if (typed.length === 1) return { status: 'found', field: typed[0]! };
  if (typed.length > 1) return { status: 'ambiguous', fields: typed };
  return { status: 'type_mismatch', field: candidates[0]! };
}

export interface OptionResolution {
  optionIds: Record<string, number>;
  missing: string[];
  ambiguous: { label: string; optionIds: number[] }[];
}

/** Option labels → ids on one field. */
export function resolveOptionIds(options: readonly FieldOption[] | null | undefined, labels: readonly string[]): OptionResolution {
  const result: OptionResolution = { optionIds: {}, missing: [], ambiguous: [] };
  for (const label of labels) {
    const matches = matchByName(options ?? [], label, (o) => o.label);
    if (matches.length === 1) result.optionIds[label] = matches[0]!.id;
    else if (matches.length === 0) result.missing.push(label);
    else result.ambiguous.push({ label, optionIds: matches.map((o) => o.id) });
  }
  return result;
}

/** Resolves the wanted fields against an entity's field list (`client.listFields(entity)`). */
export function resolveFieldKeys(entity: FieldEntity, fields: readonly Field[], wanted: readonly WantedField[]): FieldKeyResolution {
  const resolution: FieldKeyResolution = {
    entity,
    resolved: {},
    missingFields: [],
    missingOptions: [],
    ambiguousFields: [],
    ambiguousOptions: [],
    typeMismatches: [],
    complete: true,
  };
  for (const want of wanted) {
    const lookup = findCustomField(fields, want.name, want.type);
    switch (lookup.status) {
      case 'missing':
        resolution.missingFields.push(want.name);
        continue;
      case 'ambiguous':
        resolution.ambiguousFields.push({ field: want.name, fieldCodes: lookup.fields.map((f) => f.field_code) });
        continue;
      case 'type_mismatch':
        resolution.typeMismatches.push({
          field: want.name,
          fieldCode: lookup.field.field_code,
          expected: want.type ?? '',
          actual: lookup.field.field_type,
        });
        continue;
      case 'found': {
        const options = resolveOptionIds(lookup.field.options, want.options ?? []);
        if (options.missing.length > 0) resolution.missingOptions.push({ field: want.name, labels: options.missing });
        for (const a of options.ambiguous) resolution.ambiguousOptions.push({ field: want.name, ...a });
        resolution.resolved[want.name] = {
          name: want.name,
          fieldCode: lookup.field.field_code,
          fieldType: lookup.field.field_type,
          optionIds: options.optionIds,
        };
      }
    }
  }
  resolution.complete =
    resolution.missingFields.length === 0 &&
    resolution.missingOptions.length === 0 &&
    resolution.ambiguousFields.length === 0 &&
    resolution.ambiguousOptions.length === 0 &&
    resolution.typeMismatches.length === 0;
  return resolution;
}

/** Lists the entity's fields through the client (10 tokens per 500 fields) and resolves the wanted ones. */
export async function fetchFieldKeys(
  client: Pick<PipedriveClient, 'listFields'>,
  entity: FieldEntity,
  wanted: readonly WantedField[],
): Promise<FieldKeyResolution> {
  return resolveFieldKeys(entity, await client.listFields(entity), wanted);
}
