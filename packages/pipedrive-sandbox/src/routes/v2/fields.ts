import { badRequest, notFound } from '../../errors';
import type { AccountState } from '../../state/account';
import type { CustomFieldValues, FieldEntity, FieldOption, FieldRecord } from '../../state/records';
import { customFieldSubfields } from '../../state/system-fields';
import type { EntityTable } from '../../state/table';
import { rfc3339 } from '../../time';
import { asText, listPage } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';

const COLLECTIONS: [FieldEntity, string][] = [
  ['person', '/personFields'],
  ['organization', '/organizationFields'],
  ['deal', '/dealFields'],
  ['product', '/productFields'],
];

/**
 * Field metadata. Creating a custom field gives it a random 40-hex `field_code` (per account) and options numeric
 * ids unique in the account. Deleting marks it deleted and, as Pipedrive warns, its values go with it. Option
 * changes are atomic: one unknown option id fails the whole request. Activity fields are read-only.
 */
export function fieldRoutes(): RouteDefinition[] {
  const routes: RouteDefinition[] = [];
  for (const [entity, collection] of COLLECTIONS) {
    routes.push(
      { api: 'v2', method: 'GET', path: collection, handle: (ctx) => listFields(ctx, entity) },
      { api: 'v2', method: 'POST', path: collection, creates: true, handle: (ctx) => createField(ctx, entity) },
      { api: 'v2', method: 'GET', path: `${collection}/{field_code}`, handle: (ctx) => ok(serializeField(ctx, liveField(ctx, entity))) },
      { api: 'v2', method: 'PATCH', path: `${collection}/{field_code}`, handle: (ctx) => updateField(ctx, entity) },
      { api: 'v2', method: 'DELETE', path: `${collection}/{field_code}`, handle: (ctx) => deleteField(ctx, entity) },
      { api: 'v2', method: 'POST', path: `${collection}/{field_code}/options`, creates: true, handle: (ctx) => addOptions(ctx, entity) },
      { api: 'v2', method: 'PATCH', path: `${collection}/{field_code}/options`, handle: (ctx) => updateOptions(ctx, entity) },
      { api: 'v2', method: 'DELETE', path: `${collection}/{field_code}/options`, handle: (ctx) => deleteOptions(ctx, entity) },
    );
  }
  routes.push(
    { api: 'v2', method: 'GET', path: '/activityFields', handle: (ctx) => listFields(ctx, 'activity') },
    { api: 'v2', method: 'GET', path: '/activityFields/{field_code}', handle: (ctx) => ok(serializeField(ctx, liveField(ctx, 'activity'))) },
  );
  return routes;
}

function listFields(ctx: RequestContext, entity: FieldEntity) {
  const table = ctx.state.fields[entity];
  const page = listPage({ table, params: ctx.params, include: (f) => !f.is_deleted });
  return ok(
    page.rows.map((f) => serializeField(ctx, f)),
    { next_cursor: page.nextCursor },
  );
}

/** Base shape always; `ui_visibility`, `important_fields`, `required_fields` only when `include_fields` asks. */
export function serializeField(ctx: RequestContext, f: FieldRecord): Record<string, unknown> {
  const include = new Set(
    asText(ctx.params.include_fields ?? '')
      .split(',')
      .map((s) => s.trim()),
  );
  return {
    field_name: f.field_name,
    field_code: f.field_code,
    ...(f.description === null ? {} : { description: f.description }),
    field_type: f.field_type,
    options: f.options,
    subfields: f.subfields,
    is_custom_field: f.is_custom_field,
    is_optional_response_field: f.is_optional_response_field,
    ...(include.has('ui_visibility') ? { ui_visibility: f.ui_visibility } : {}),
    ...(include.has('important_fields') && entityHasImportance(ctx) ? { important_fields: f.important_fields } : {}),
    ...(include.has('required_fields') && entityHasImportance(ctx) ? { required_fields: f.required_fields } : {}),
  };
}

function entityHasImportance(ctx: RequestContext): boolean {
  return !ctx.operation.path.startsWith('/activityFields');
}

function liveField(ctx: RequestContext, entity: FieldEntity): FieldRecord {
  const field = ctx.state.field(entity, String(ctx.params.field_code));
  if (!field) throw notFound('Field');
  return field;
}

function customField(ctx: RequestContext, entity: FieldEntity): FieldRecord {
  const field = liveField(ctx, entity);
  if (!field.is_custom_field) throw badRequest(`Field '${field.field_code}' is a system field and cannot be changed`);
  return field;
}

function createField(ctx: RequestContext, entity: FieldEntity) {
  const body = ctx.body as {
    field_name: string;
    field_type: string;
    options?: { label: string }[];
    ui_visibility?: Record<string, unknown>;
    important_fields?: { enabled?: boolean; stage_ids?: number[] };
    required_fields?: Record<string, unknown>;
  };
  const name = body.field_name.trim();
  if (name === '') throw badRequest('Validation failed: field_name: Cannot be an empty string');
  const hasOptions = body.field_type === 'enum' || body.field_type === 'set';
  if (hasOptions && (!body.options || body.options.length === 0)) {
    throw badRequest(`Validation failed: options: Required for ${body.field_type} fields (at least one option)`);
  }
  if (!hasOptions && body.options !== undefined) throw badRequest('Validation failed: options: Only enum and set fields have options');
  for (const option of body.options ?? []) checkOptionLabel(option.label);
  const now = rfc3339(ctx.now);
  const key = ctx.state.newFieldKey();
  const options = hasOptions ? body.options!.map((o) => ({ id: ctx.state.allocateOptionId(), label: o.label })) : null;
  const field = ctx.state.insert(ctx.state.fields[entity], (id) => ({
    id,
    field_code: key,
    field_name: name,
    field_type: body.field_type,
    description: null,
    options,
    subfields: customFieldSubfields(body.field_type, name),
    is_custom_field: true,
    is_optional_response_field: false,
    ui_visibility: {
      add_visible_flag: false,
      details_visible_flag: true,
      ...(entity === 'person' || entity === 'organization' ? { show_in_add_deal_dialog: { show: false, order: null } } : {}),
      ...body.ui_visibility,
    },
    important_fields: { enabled: body.important_fields?.enabled ?? false, stage_ids: body.important_fields?.stage_ids ?? [] },
    required_fields: { enabled: false, ...body.required_fields },
    is_deleted: false,
    add_time: now,
    update_time: now,
  }));
  return ok(serializeField(ctx, field));
}

function updateField(ctx: RequestContext, entity: FieldEntity) {
  const field = customField(ctx, entity);
  const body = (ctx.body ?? {}) as {
    field_name?: string;
    ui_visibility?: Record<string, unknown>;
    important_fields?: { enabled?: boolean; stage_ids?: number[] };
    required_fields?: Record<string, unknown>;
  };
  if (body.field_name !== undefined && body.field_name.trim() === '') throw badRequest('Validation failed: field_name: Cannot be an empty string');
  ctx.state.change(ctx.state.fields[entity], field, (f) => {
    if (body.field_name !== undefined) f.field_name = body.field_name.trim();
    if (body.ui_visibility) f.ui_visibility = { ...f.ui_visibility, ...body.ui_visibility };
    if (body.important_fields) f.important_fields = { ...f.important_fields, ...body.important_fields };
    if (body.required_fields) f.required_fields = { ...f.required_fields, ...body.required_fields };
    f.update_time = rfc3339(ctx.now);
  });
  return ok(serializeField(ctx, field));
}

function deleteField(ctx: RequestContext, entity: FieldEntity) {
  const field = customField(ctx, entity);
  ctx.state.change(ctx.state.fields[entity], field, (f) => {
    f.is_deleted = true;
    f.update_time = rfc3339(ctx.now);
  });
  if (entity !== 'activity') ctx.state.searchIndexes[entity].forget(field.field_code);
  purgeValues(ctx.state, entity, (values) => {
    if (!(field.field_code in values)) return false;
    delete values[field.field_code];
    return true;
  });
  const { field_name, field_code, field_type, options, subfields, is_custom_field, is_optional_response_field } = field;
  return ok({ field_name, field_code, field_type, options, subfields, is_custom_field, is_optional_response_field });
}

function optionField(ctx: RequestContext, entity: FieldEntity): FieldRecord {
  const field = customField(ctx, entity);
  if (field.field_type !== 'enum' && field.field_type !== 'set') throw badRequest(`Field '${field.field_code}' of type ${field.field_type} has no options`);
  return field;
}

function addOptions(ctx: RequestContext, entity: FieldEntity) {
  const field = optionField(ctx, entity);
  const body = ctx.body as { label: string }[];
  if (body.length === 0) throw badRequest('Validation failed: body: At least one option is required');
  body.forEach((o) => checkOptionLabel(o.label));
  const added: FieldOption[] = body.map((o) => ({ id: ctx.state.allocateOptionId(), label: o.label }));
  ctx.state.change(ctx.state.fields[entity], field, (f) => {
    f.options = [...(f.options ?? []), ...added];
    f.update_time = rfc3339(ctx.now);
  });
  return ok(added.map(({ id, label }) => ({ id, label })));
}

function updateOptions(ctx: RequestContext, entity: FieldEntity) {
  const field = optionField(ctx, entity);
  const body = ctx.body as { id: number; label: string }[];
  if (body.length === 0) throw badRequest('Validation failed: body: At least one option is required');
  checkOptionIds(
    field,
    body.map((o) => o.id),
  );
  body.forEach((o) => checkOptionLabel(o.label));
  const labels = new Map(body.map((o) => [o.id, o.label]));
  ctx.state.change(ctx.state.fields[entity], field, (f) => {
    f.options = (f.options ?? []).map((o) => (labels.has(o.id as number) ? { ...o, label: labels.get(o.id as number)! } : o));
    f.update_time = rfc3339(ctx.now);
  });
  return ok((field.options ?? []).filter((o) => labels.has(o.id as number)).map(({ id, label }) => ({ id, label })));
}

function deleteOptions(ctx: RequestContext, entity: FieldEntity) {
  const field = optionField(ctx, entity);
  const body = ctx.body as { id: number }[];
  if (body.length === 0) throw badRequest('Validation failed: body: At least one option is required');
  const ids = new Set(body.map((o) => o.id));
  checkOptionIds(field, [...ids]);
  const removed = (field.options ?? []).filter((o) => ids.has(o.id as number));
  ctx.state.change(ctx.state.fields[entity], field, (f) => {
    f.options = (f.options ?? []).filter((o) => !ids.has(o.id as number));
    f.update_time = rfc3339(ctx.now);
  });
  // A record cannot keep an option that no longer exists: enum values are cleared, set values lose it.
  purgeValues(ctx.state, entity, (values) => {
    const value = values[field.field_code];
    if (typeof value === 'number' && ids.has(value)) {
      delete values[field.field_code];
      return true;
    }
    if (Array.isArray(value) && value.some((v) => ids.has(v as number))) {
      const kept = (value as number[]).filter((v) => !ids.has(v));
      if (kept.length === 0) delete values[field.field_code];
      else values[field.field_code] = kept;
      return true;
    }
    return false;
  });
  return ok(removed.map(({ id, label }) => ({ id, label })));
}

function checkOptionLabel(label: string): void {
  if (label.length < 1 || label.length > 255) throw badRequest('Validation failed: label: Must be 1 to 255 characters');
}

function checkOptionIds(field: FieldRecord, ids: number[]): void {
  const known = new Set((field.options ?? []).map((o) => o.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) throw badRequest(`Validation failed: Option with id ${unknown} does not exist for field '${field.field_code}'`);
}

/** Runs `edit` over every record's custom-field values of the entity (deleted records too). */
function purgeValues(state: AccountState, entity: FieldEntity, edit: (values: CustomFieldValues) => boolean): void {
  if (entity === 'activity') return;
  const table = { person: state.persons, organization: state.organizations, deal: state.deals, product: state.products }[entity] as unknown as EntityTable<{
    id: number;
    custom_fields: CustomFieldValues;
  }>;
  let changed = false;
  for (const row of table.scan()) if (edit(row.custom_fields)) changed = true;
  if (changed) state.markChanged();
}
