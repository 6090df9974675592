import { badRequest } from '../errors';
import type { AccountState } from '../state/account';
import type { CustomFieldValues, FieldEntity, FieldRecord } from '../state/records';
import { isValidDate, normalizeTime } from '../time';

/**
 * The specs' field_type table: `varchar`, `varchar_auto` and `phone` hold "up to 255 characters", `text` is "Long text
 * (up to 65k characters)", taken as 65,535 (the size of the long-text column). The specs do not say what happens beyond
 * them; like the other length checks here (and Pipedrive's v2 validation), a longer value is refused with 400, never
 * stored cut, so a client that sends one hears of it.
 */
const VARCHAR_MAX = 255;
const LONG_TEXT_MAX = 65_535;
const ADDRESS_PARTS = [
  'value',
  'country',
  'admin_area_level_1',
  'admin_area_level_2',
  'locality',
  'sublocality',
  'route',
  'street_number',
  'subpremise',
  'postal_code',
  'formatted_address',
];

/**
 * Applies a v2 `custom_fields` object to a record's values. v2 is strict: every key must be a live custom field of
 * the entity, each value must have its type's exact shape (numbers are not coerced from strings), enum takes an
 * existing option id, set a non-empty array of option ids, and `null` clears a value (it is then not stored).
 */
export function applyCustomFields(state: AccountState, entity: FieldEntity, current: CustomFieldValues, input: unknown): CustomFieldValues {
  if (input === undefined) return current;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest("Validation failed: custom_fields: Expected 'object'");
  const next: CustomFieldValues = { ...current };
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const field = state.field(entity, key);
    if (!field || !field.is_custom_field) throw badRequest(`Validation failed: custom_fields: Unknown custom field key '${key}'`);
    if (value === null) delete next[key];
    else next[key] = validateValue(state, field, value);
  }
  return next;
}

function validateValue(state: AccountState, field: FieldRecord, value: unknown): unknown {
  const key = field.field_code;
  const fail = (expected: string): never => {
    throw badRequest(`Validation failed: custom_fields: Expected ${expected} as value for ${describeType(field.field_type)} field '${key}'`);
  };
  const text = (max?: number): string => {
    if (typeof value !== 'string') return fail("'string'");
    if (max !== undefined && value.length > max) {
      throw badRequest(`Validation failed: custom_fields: Value for field '${key}' must be at most ${max} characters`);
    }
    return value;
  };
  const object = (): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail("'object'");
    return value as Record<string, unknown>;
  };
  const onlyKeys = (obj: Record<string, unknown>, allowed: string[]): void => {
    const extra = Object.keys(obj).find((k) => !allowed.includes(k));
    if (extra !== undefined) throw badRequest(`Validation failed: custom_fields: Property '${extra}' is not allowed for field '${key}'`);
  };
  const date = (v: unknown, part: string): string => {
    if (typeof v !== 'string' || !isValidDate(v))
      throw badRequest(`Validation failed: custom_fields: Expected a date (YYYY-MM-DD) in '${part}' of field '${key}'`);
    return v;
  };
  const time = (v: unknown, part: string): string => {
    const normalized = typeof v === 'string' ? normalizeTime(v) : undefined;
    if (!normalized) throw badRequest(`Validation failed: custom_fields: Expected a time (HH:MM or HH:MM:SS) in '${part}' of field '${key}'`);
    return normalized;
  };
  const timezone = (v: unknown): string | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw badRequest(`Validation failed: custom_fields: Expected 'string' in 'timezone_name' of field '${key}'`);
    return v;
  };

  switch (field.field_type) {
    case 'varchar':
    case 'varchar_auto':
    case 'phone':
      return text(VARCHAR_MAX);
    case 'text':
      return text(LONG_TEXT_MAX);
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail("'number'");
      return value;
    case 'monetary': {
      const m = object();
      onlyKeys(m, ['value', 'currency']);
      if (typeof m.value !== 'number' || !Number.isFinite(m.value)) return fail('{ value: number, currency: string }');
      if (m.currency !== undefined && (typeof m.currency !== 'string' || !/^[A-Z]{3}$/.test(m.currency))) {
        throw badRequest(`Validation failed: custom_fields: Expected a 3-letter currency code in 'currency' of field '${key}'`);
      }
      return { value: m.value, currency: m.currency ?? state.company.default_currency };
    }
    case 'date':
      if (typeof value !== 'string' || !isValidDate(value)) return fail('a date string (YYYY-MM-DD)');
      return value;
    case 'daterange': {
      const r = object();
      onlyKeys(r, ['value', 'until']);
      return { value: date(r.value, 'value'), until: date(r.until, 'until') };
    }
    case 'time': {
      const t = object();
      onlyKeys(t, ['value', 'timezone_name', 'timezone_id']);
      return { value: time(t.value, 'value'), timezone_name: timezone(t.timezone_name) };
    }
    case 'timerange': {
      const t = object();
      onlyKeys(t, ['value', 'until', 'timezone_name', 'timezone_id']);
      return { value: time(t.value, 'value'), until: time(t.until, 'until'), timezone_name: timezone(t.timezone_name) };
    }
    case 'enum': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail("'number'");
      if (!(field.options ?? []).some((o) => o.id === value)) {
        throw badRequest(`Validation failed: custom_fields: Option with id ${value} does not exist for field '${key}'`);
      }
      return value;
    }
    case 'set': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isInteger(v))) return fail('an array of numbers');
      const ids = value as number[];
      if (ids.length === 0) {
        throw badRequest(`Validation failed: custom_fields: Empty array is not allowed for multiple option field '${key}'; send null to clear it`);
      }
      const unknown = ids.find((id) => !(field.options ?? []).some((o) => o.id === id));
      if (unknown !== undefined) throw badRequest(`Validation failed: custom_fields: Option with id ${unknown} does not exist for field '${key}'`);
      return [...new Set(ids)];
    }
    case 'user':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail("'number'");
      if (!state.users.getLive(value)) throw badRequest(`Validation failed: custom_fields: User with id ${value} not found (field '${key}')`);
      return value;
    case 'org':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail("'number'");
      if (!state.organizations.getLive(value)) throw badRequest(`Validation failed: custom_fields: Organization with id ${value} not found (field '${key}')`);
      return value;
    case 'people':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail("'number'");
      if (!state.persons.getLive(value)) throw badRequest(`Validation failed: custom_fields: Person with id ${value} not found (field '${key}')`);
      return value;
    case 'address': {
      const a = object();
      onlyKeys(a, ADDRESS_PARTS);
      if (typeof a.value !== 'string') return fail('{ value: string, ...address parts }');
      const normalized: Record<string, unknown> = {};
      for (const part of ADDRESS_PARTS) {
        const v = a[part];
        if (v !== undefined && v !== null && typeof v !== 'string') {
          throw badRequest(`Validation failed: custom_fields: Expected 'string' in '${part}' of field '${key}'`);
        }
        normalized[part] = v ?? null;
      }
      return normalized;
    }
    default:
      throw badRequest(`Validation failed: custom_fields: Field '${key}' of type ${field.field_type} cannot be set`);
  }
}

function describeType(type: string): string {
  if (type === 'enum') return 'single option';
  if (type === 'set') return 'multiple option';
  return type;
}

export interface CustomFieldOutput {
  /** Only these keys (the `custom_fields` query parameter); all when undefined. */
  keys?: Set<string>;
  /** `include_option_labels=true`: enum/set values as `{id, label}`. */
  optionLabels: boolean;
}

/** Every live custom field of the entity, set or not (unset ones as null), as v2 returns them. */
export function serializeCustomFields(state: AccountState, entity: FieldEntity, values: CustomFieldValues, output: CustomFieldOutput): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of state.customFields(entity)) {
    if (output.keys && !output.keys.has(field.field_code)) continue;
    const value = values[field.field_code];
    if (value === undefined || value === null) {
      result[field.field_code] = null;
      continue;
    }
    if (output.optionLabels && (field.field_type === 'enum' || field.field_type === 'set')) {
      const label = (id: unknown): { id: unknown; label: string | null } => ({ id, label: field.options?.find((o) => o.id === id)?.label ?? null });
      result[field.field_code] = Array.isArray(value) ? value.map(label) : label(value);
    } else result[field.field_code] = value;
  }
  return result;
}

/** Reads `custom_fields` and `include_option_labels` query parameters (at most 15 keys). */
export function customFieldOutput(params: Record<string, unknown>): CustomFieldOutput {
  const raw = params.custom_fields;
  let keys: Set<string> | undefined;
  if (typeof raw === 'string' && raw.trim() !== '') {
    keys = new Set(
      raw
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    );
    if (keys.size > 15) throw badRequest('Validation failed: custom_fields: A maximum of 15 keys is allowed');
  }
  return { keys, optionLabels: params.include_option_labels === true };
}
