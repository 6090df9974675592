/**
 * Logical records ↔ Pipedrive request bodies and responses, given the account's resolved custom-field keys.
 *
 * - v2 (persons, organizations, deals, products, deal products, activities): custom fields inside
 *   `custom_fields` keyed by the 40-hex key; enum = option id, set = option ids, monetary = {value, currency},
 *   org/user/people = id, address = {value}.
 * - v1 (notes): flat JSON body. Files: multipart, described as { person_id, file: { path, name } }.
 * A custom field the account lacks, or an option it does not allow, is a typed problem naming the field (never
 * the value), so the diff can report "missing custom field" / "option not allowed".
 */
import { OBJECT_TYPES } from '../object-types/registry';
import type {
  ActivityInput,
  ActivityUpdate,
  DealInput,
  DealProductInput,
  DealProductUpdate,
  DealUpdate,
  NoteInput,
  NoteUpdate,
  OrganizationInput,
  OrganizationUpdate,
  PersonInput,
  PersonUpdate,
  ProductInput,
  ProductUpdate,
} from '../pipedrive/types';
import { STANDARD_FIELDS, type StandardFieldKind, type StandardFields } from './standard-fields';
import { hoursMinutes } from './transforms/datetime';
import type { ContactEntry, FieldKeys, FieldValue, LogicalRecord, MonetaryValue, PriceEntry, TargetEntity } from './types';

export type BodyProblemKind = 'missing_custom_field' | 'option_not_allowed' | 'type_mismatch';

export interface BodyProblem {
  entity: TargetEntity;
  /** The custom field's name. */
  field: string;
  kind: BodyProblemKind;
  message: string;
}

export class PipedriveBodyError extends Error {
  constructor(readonly problems: BodyProblem[]) {
    super(`cannot build the Pipedrive body: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'PipedriveBodyError';
  }
}

export type BodyMode = 'create' | 'update';

export interface BodyOptions<M extends BodyMode = BodyMode> {
  /** create: empty values are left out. update: empty values are sent as null so they clear. */
  mode?: M;
}

/**
 * A document upload as the load step sends it: multipart `POST /v1/files`, not JSON. The file's bytes are read and
 * checked from `file.path` by the load step, which puts them in `file.content` before the upload.
 */
export type FileBody = {
  person_id: FieldValue | undefined;
  file: { path: string | null; name: FieldValue | undefined; content?: Buffer };
};

/** Each entity's request body as the pinned spec declares it: create (POST) and update (v2 PATCH, v1 PUT). */
interface CreateBodies {
  organization: OrganizationInput;
  product: ProductInput;
  person: PersonInput;
  deal: DealInput;
  deal_product: DealProductInput;
  activity: ActivityInput;
  note: NoteInput;
  file: FileBody;
}
interface UpdateBodies {
  organization: OrganizationUpdate;
  product: ProductUpdate;
  person: PersonUpdate;
  deal: DealUpdate;
  deal_product: DealProductUpdate;
  activity: ActivityUpdate;
  note: NoteUpdate;
  /** Pipedrive files are not updated in place; the description is the same. */
  file: FileBody;
}

/** The request body of an entity's create or update (the generated spec types; see src/pipedrive/types.ts). */
export type PipedriveBody<E extends TargetEntity = TargetEntity, M extends BodyMode = BodyMode> = M extends 'update' ? UpdateBodies[E] : CreateBodies[E];

/** Fields a v2 create accepts but an update (PATCH) does not: the spec rejects them as unknown keys. */
const CREATE_ONLY = { person: ['add_time'], organization: ['add_time'] } as const;
const CREATE_ONLY_FIELDS: Partial<Record<TargetEntity, readonly string[]>> = CREATE_ONLY;

// Compile-time: every standard field the mapping writes (standard-fields.ts) is a key of the entity's body in the
// pinned spec, and the kind's value (below) is one the spec's property takes. A spec that drops or retypes one of
// them fails `npm run typecheck` here. A deal product's deal id goes in the path; a file is uploaded, not sent as JSON.
/** The JSON value each kind of standard field is sent as. */
interface SentAs {
  text: string;
  long_text: string;
  html: string;
  id: number;
  number: number;
  code: string;
  boolean: boolean;
  emails: ContactEntry[];
  phones: ContactEntry[];
  prices: PriceEntry[];
  address: { value: string };
  date: string;
  time: string;
  timestamp: string;
  local_path: never;
}
type JsonEntity = Exclude<TargetEntity, 'file'>;
type NotInBody<E extends JsonEntity> = E extends 'deal_product' ? 'deal_id' : never;
type CreateOnly<E extends JsonEntity> = E extends keyof typeof CREATE_ONLY ? (typeof CREATE_ONLY)[E][number] : never;
/** The standard fields of `E` the body type `B` has no key for, or types otherwise than `SentAs` says: never, when all is well. */
type Unsendable<E extends JsonEntity, B, Skip extends PropertyKey> = {
  [N in Exclude<keyof StandardFields[E], Skip>]: N extends keyof B ? (SentAs[StandardFields[E][N] & keyof SentAs] extends NonNullable<B[N]> ? never : N) : N;
}[Exclude<keyof StandardFields[E], Skip>];
/** Checked where written: a standard field a body type cannot send fails to compile (the aliases below are never used). */
type MustBeNever<T extends never> = T;
type _StandardFieldsInCreateBodies = MustBeNever<{ [E in JsonEntity]: Unsendable<E, CreateBodies[E], NotInBody<E>> }[JsonEntity]>;
type _StandardFieldsInUpdateBodies = MustBeNever<{ [E in JsonEntity]: Unsendable<E, UpdateBodies[E], NotInBody<E> | CreateOnly<E>> }[JsonEntity]>;

/** The few v2 PATCH fields the spec declares nullable (every other standard field refuses null). */
const V2_NULLABLE_ON_UPDATE: Partial<Record<TargetEntity, readonly string[]>> = { deal: ['lost_reason'] };
const TEXT_KINDS: ReadonlySet<StandardFieldKind> = new Set(['text', 'long_text', 'html']);

/**
 * What an update sends for an empty value so the field clears, or undefined to leave the field out. v2 PATCH bodies
 * refuse null for ids, numbers, booleans, dates and codes (`org_id: Expected 'integer'`): those cannot be cleared by
 * PATCH and are left as they are, like the address object; text clears with the empty string.
 */
function clearingValue(entity: TargetEntity, name: string, kind: StandardFieldKind): unknown {
  if (kind === 'emails' || kind === 'phones' || kind === 'prices') return [];
  // Entities written through API v1 (PUT) still take null for an empty value.
  if (OBJECT_TYPES[entity].api === 'v1' || V2_NULLABLE_ON_UPDATE[entity]?.includes(name)) return null;
  if (kind === 'address') return undefined;
  return TEXT_KINDS.has(kind) ? '' : undefined;
}

/** The exact request body; throws PipedriveBodyError listing every custom-field problem. */
export function toPipedriveBody<E extends TargetEntity, M extends BodyMode = 'create'>(
  entity: E,
  record: LogicalRecord,
  fieldKeys: FieldKeys,
  options: BodyOptions<M> = {},
): PipedriveBody<E, M> {
  const { body, problems } = convertToPipedriveBody(entity, record, fieldKeys, options);
  if (problems.length > 0) throw new PipedriveBodyError(problems);
  return body;
}

/**
 * The body with problem fields left out, plus the problems: lets a sample run create the record anyway and
 * report exactly which fields the account is not ready for.
 */
export function convertToPipedriveBody<E extends TargetEntity, M extends BodyMode = 'create'>(
  entity: E,
  record: LogicalRecord,
  fieldKeys: FieldKeys,
  options: BodyOptions<M> = {},
): { body: PipedriveBody<E, M>; problems: BodyProblem[] } {
  if (record.entity !== entity) throw new Error(`a ${record.entity} record is not a ${entity} body`);
  const mode: BodyMode = options.mode ?? 'create';
  const body: Record<string, unknown> = {};
  const kinds = STANDARD_FIELDS[entity];
  for (const [name, value] of Object.entries(record.fields)) {
    const kind = kinds[name];
    if (kind === undefined) throw new Error(`${name} is not a standard ${entity} field`);
    if (entity === 'deal_product' && name === 'deal_id') continue; // in the path, not the body
    if (kind === 'local_path') continue;
    if (mode === 'update' && CREATE_ONLY_FIELDS[entity]?.includes(name)) continue;
    if (value === null || value === undefined) {
      if (mode === 'update') {
        const clearing = clearingValue(entity, name, kind);
        if (clearing !== undefined) body[name] = clearing;
      }
      continue;
    }
    body[name] = kind === 'address' ? { value } : value;
  }
  if (entity === 'activity' && typeof record.fields.person_id === 'number') {
    body.participants = [{ person_id: record.fields.person_id, primary: true }];
  }
  if (entity === 'file') {
    const path = record.fields.file_path;
    const file: FileBody = { person_id: record.fields.person_id, file: { path: typeof path === 'string' ? path : null, name: record.fields.name } };
    return { body: file as PipedriveBody<E, M>, problems: [] };
  }

  const problems: BodyProblem[] = [];
  const custom: Record<string, unknown> = {};
  const keys: NonNullable<FieldKeys[TargetEntity]> = fieldKeys[entity] ?? {};
  for (const [name, value] of Object.entries(record.custom)) {
    const resolved = keys[name];
    if (!resolved) {
      problems.push({ entity, field: name, kind: 'missing_custom_field', message: `custom field ${entity}.${name} does not exist in the account` });
      continue;
    }
    if (value === null || value === undefined) {
      if (mode === 'update') custom[resolved.key] = null;
      continue;
    }
    const converted = customValueToApi(value, resolved);
    if ('problem' in converted) {
      problems.push({ entity, field: name, kind: converted.problem, message: `custom field ${entity}.${name}: ${converted.message}` });
      continue;
    }
    custom[resolved.key] = converted.value;
  }
  if (Object.keys(custom).length > 0) body.custom_fields = custom;
  // The one place a built body becomes the spec's body type: its keys are the entity's standard fields (held to the
  // spec's body by the compile-time checks above), `participants` (activities) and `custom_fields` (open in the spec).
  return { body: body as PipedriveBody<E, M>, problems };
}

type Resolved = NonNullable<NonNullable<FieldKeys[TargetEntity]>[string]>;
type Converted = { value: unknown } | { problem: BodyProblemKind; message: string };

function optionId(label: string, options: Resolved['options']): number | undefined {
  const list = options ?? [];
  const exact = list.find((o) => o.label === label);
  if (exact) return exact.id;
  const wanted = label.trim().toLowerCase();
  return list.find((o) => o.label.trim().toLowerCase() === wanted)?.id;
}

function customValueToApi(value: FieldValue, field: Resolved): Converted {
  const mismatch = (expected: string): Converted => ({ problem: 'type_mismatch', message: `expects ${expected} for a ${field.type} field` });
  switch (field.type) {
    case 'enum': {
      if (typeof value !== 'string') return mismatch('one option label');
      const id = optionId(value, field.options);
      return id === undefined ? { problem: 'option_not_allowed', message: 'value is not one of the field options' } : { value: id };
    }
    case 'set': {
      const labels = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
      if (labels === null) return mismatch('option labels');
      const ids = labels.map((label) => optionId(label, field.options));
      if (ids.some((id) => id === undefined)) return { problem: 'option_not_allowed', message: 'a value is not one of the field options' };
      return { value: ids };
    }
    case 'monetary': {
      if (isMonetary(value)) return { value: { value: value.value, currency: value.currency } };
      return mismatch('an amount with a currency');
    }
    case 'double': {
      if (typeof value === 'number') return { value };
      if (isMonetary(value)) return { value: value.value };
      return mismatch('a number');
    }
    case 'org':
    case 'user':
    case 'people':
      return typeof value === 'number' ? { value } : mismatch('a Pipedrive id');
    case 'address':
      return typeof value === 'string' ? { value: { value } } : mismatch('an address');
    case 'date':
      return typeof value === 'string' ? { value } : mismatch('a date');
    default: {
      // varchar, varchar_auto, text, phone and anything textual
      if (typeof value === 'string') return { value };
      if (typeof value === 'number') return { value: String(value) };
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { value: value.join(', ') };
      if (isMonetary(value)) return { value: `${value.value} ${value.currency}` };
      return mismatch('text');
    }
  }
}

function isMonetary(value: unknown): value is MonetaryValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value && 'currency' in value;
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoints

export interface PipedriveRequest {
  api: 'v1' | 'v2';
  method: 'POST' | 'PATCH' | 'PUT';
  path: string;
  contentType: 'json' | 'multipart';
  body: PipedriveBody;
}

/** The request that creates (or, given an id, updates) the record. */
export function requestFor(entity: TargetEntity, record: LogicalRecord, fieldKeys: FieldKeys, update?: { id: number }): PipedriveRequest {
  const body = toPipedriveBody(entity, record, fieldKeys, { mode: update ? 'update' : 'create' });
  if (entity === 'deal_product') {
    const dealId = record.fields.deal_id;
    if (typeof dealId !== 'number') throw new Error('a deal product needs its deal id');
    const path = update ? `/deals/${dealId}/products/${update.id}` : `/deals/${dealId}/products`;
    return { api: 'v2', method: update ? 'PATCH' : 'POST', path, contentType: 'json', body };
  }
  const { api, path } = OBJECT_TYPES[entity].endpoints.create;
  if (!update) return { api, method: 'POST', path, contentType: entity === 'file' ? 'multipart' : 'json', body };
  return { api, method: api === 'v2' ? 'PATCH' : 'PUT', path: `${path}/${update.id}`, contentType: 'json', body };
}

// ---------------------------------------------------------------------------------------------------------------
// Read-back

/**
 * A record as read back (v2 GET/list item, v1 note or file) as a logical record: the standard fields the mapping
 * writes, and every custom field the account has for the entity by name (null when empty). Enum/set ids become
 * labels (unknown ids become `#<id>`).
 */
export function fromPipedriveRecord(entity: TargetEntity, apiRecord: Record<string, unknown>, fieldKeys: FieldKeys): LogicalRecord {
  const record: LogicalRecord = { entity, fields: {}, custom: {}, truncated: [] };
  for (const [name, kind] of Object.entries(STANDARD_FIELDS[entity])) {
    if (kind === 'local_path') continue;
    record.fields[name] = standardFromApi(entity, name, kind, apiRecord);
  }
  const customFields = apiRecord.custom_fields;
  const container =
    customFields !== null && typeof customFields === 'object' && !Array.isArray(customFields) ? (customFields as Record<string, unknown>) : apiRecord;
  for (const [name, field] of Object.entries(fieldKeys[entity] ?? {})) {
    record.custom[name] = customFromApi(container[field.key], field, apiRecord);
  }
  return record;
}

function standardFromApi(entity: TargetEntity, name: string, kind: StandardFieldKind, api: Record<string, unknown>): FieldValue {
  const raw = api[name];
  switch (kind) {
    case 'emails':
    case 'phones':
      return contactsFromApi(raw);
    case 'prices':
      return pricesFromApi(raw);
    case 'address':
      return textFromApi(typeof raw === 'object' && raw !== null && 'value' in raw ? raw.value : raw);
    case 'id': {
      const id = idFromApi(raw);
      if (id === null && entity === 'activity' && name === 'person_id') return primaryParticipant(api.participants);
      return id;
    }
    case 'number':
      return typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : null;
    case 'boolean':
      return typeof raw === 'boolean' ? raw : null;
    case 'time':
      return typeof raw === 'string' && raw !== '' ? hoursMinutes(raw) : null;
    default:
      return textFromApi(raw);
  }
}

function textFromApi(raw: unknown): string | null {
  if (typeof raw === 'string') return raw === '' ? null : raw;
  if (typeof raw === 'number') return String(raw);
  return null;
}

function idFromApi(raw: unknown): number | null {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'object' && raw !== null) {
    const object = raw as { value?: unknown; id?: unknown };
    if (typeof object.value === 'number') return object.value;
    if (typeof object.id === 'number') return object.id;
  }
  return null;
}

function primaryParticipant(raw: unknown): number | null {
  if (!Array.isArray(raw)) return null;
  const participants = raw as { person_id?: unknown; primary?: unknown }[];
  const primary = participants.find((p) => p.primary === true) ?? participants[0];
  return typeof primary?.person_id === 'number' ? primary.person_id : null;
}

function contactsFromApi(raw: unknown): ContactEntry[] | null {
  if (!Array.isArray(raw)) return null;
  const entries = (raw as { value?: unknown; label?: unknown; primary?: unknown }[])
    .filter((e) => typeof e.value === 'string' && e.value.trim() !== '')
    .map((e) => ({ value: e.value as string, label: typeof e.label === 'string' ? e.label : 'work', primary: e.primary === true }));
  return entries.length === 0 ? null : entries;
}

function pricesFromApi(raw: unknown): PriceEntry[] | null {
  if (!Array.isArray(raw)) return null;
  const prices = (raw as { currency?: unknown; price?: unknown }[])
    .filter((p) => typeof p.currency === 'string')
    .map((p) => ({ currency: p.currency as string, price: Number(p.price ?? 0) }));
  return prices.length === 0 ? null : prices;
}

function customFromApi(raw: unknown, field: Resolved, apiRecord: Record<string, unknown>): FieldValue {
  if (raw === null || raw === undefined || raw === '') return null;
  const labelOf = (item: unknown): string | null => {
    if (typeof item === 'object' && item !== null && 'label' in item && typeof item.label === 'string') {
      return (item as { label: string }).label;
    }
    const id = typeof item === 'number' ? item : typeof item === 'string' && /^\d+$/u.test(item) ? Number(item) : idFromApi(item);
    if (id === null) return null;
    return field.options?.find((o) => o.id === id)?.label ?? `#${id}`;
  };
  switch (field.type) {
    case 'enum':
      return labelOf(raw);
    case 'set': {
      const items = Array.isArray(raw) ? (raw as unknown[]) : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : [raw];
      const labels = items.map(labelOf).filter((l): l is string => l !== null);
      return labels.length === 0 ? null : labels;
    }
    case 'monetary': {
      if (typeof raw === 'object' && raw !== null && 'value' in raw) {
        const money = raw as { value: unknown; currency?: unknown };
        const amount = Number(money.value);
        return Number.isFinite(amount) ? { value: amount, currency: typeof money.currency === 'string' ? money.currency : '' } : null;
      }
      const amount = Number(raw);
      if (!Number.isFinite(amount)) return null;
      const v1Currency = apiRecord[`${field.key}_currency`];
      return { value: amount, currency: typeof v1Currency === 'string' ? v1Currency : '' };
    }
    case 'double': {
      const amount = Number(raw);
      return Number.isFinite(amount) ? amount : null;
    }
    case 'org':
    case 'user':
    case 'people':
      return typeof raw === 'string' && /^\d+$/u.test(raw) ? Number(raw) : idFromApi(raw);
    case 'address':
      return textFromApi(typeof raw === 'object' && 'value' in raw ? raw.value : raw);
    default:
      return textFromApi(raw);
  }
}
