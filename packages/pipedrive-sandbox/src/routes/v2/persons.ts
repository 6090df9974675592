import { badRequest } from '../../errors';
import type { AccountState } from '../../state/account';
import type { Address, ContactItem, PersonRecord } from '../../state/records';
import { parseTimestamp, rfc3339 } from '../../time';
import { checkLabelIds, checkVisibleTo, defaultVisibleTo, has, inUpdatedWindow, nonEmptyString, optionalRef, requireUser, updatedWindow } from '../common';
import { applyCustomFields, customFieldOutput, serializeCustomFields } from '../custom-fields';
import type { RequestContext, RouteDefinition } from '../types';
import { entityRoutes } from './crud';

/** Fields that exist only when the company has contact sync (the spec's addPerson description). */
const CONTACT_SYNC_KEYS = ['postal_address', 'notes', 'im', 'birthday', 'job_title'] as const;
const CONTACT_SYNC_NOTES_MAX = 10_000;

export function personRoutes(): RouteDefinition[] {
  return entityRoutes<PersonRecord>({
    collection: '/persons',
    label: 'Person',
    table: (s) => s.persons,
    index: (s) => s.searchIndexes.person,
    createStatus: 200,
    listFilter: (ctx) => {
      const { owner_id, org_id, deal_id } = ctx.params as { owner_id?: number; org_id?: number; deal_id?: number };
      const window = updatedWindow(ctx.params);
      const dealPersonId = deal_id === undefined ? undefined : (ctx.state.deals.getLive(deal_id)?.person_id ?? -1);
      return (p) =>
        !p.is_deleted &&
        (owner_id === undefined || p.owner_id === owner_id) &&
        (org_id === undefined || p.org_id === org_id) &&
        (dealPersonId === undefined || p.id === dealPersonId) &&
        inUpdatedWindow(p.update_time, window);
    },
    sortValue: (p, field) => (field === 'update_time' ? p.update_time : field === 'add_time' ? p.add_time : null),
    create: (ctx, body) => {
      checkContactSync(ctx, body);
      const name = nonEmptyString(body.name, 'name');
      const ownerId = requireUser(ctx.state, body.owner_id ?? ctx.userId, 'owner_id');
      const orgId = optionalRef(ctx.state.organizations, body.org_id, 'org_id', 'Organization') ?? null;
      const addTime = body.add_time === undefined ? rfc3339(ctx.now) : timestamp(body.add_time, 'add_time');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings) ?? defaultVisibleTo(ctx.settings);
      const labelIds = checkLabelIds(ctx, 'person', body.label_ids) ?? [];
      const customFields = applyCustomFields(ctx.state, 'person', {}, body.custom_fields);
      const contactSync = contactSyncValues(body);
      return (id) => ({
        id,
        ...splitName(name),
        owner_id: ownerId,
        org_id: orgId,
        add_time: addTime,
        update_time: rfc3339(ctx.now),
        emails: contactItems(body.emails, 'emails'),
        phones: contactItems(body.phones, 'phones'),
        is_deleted: false,
        visible_to: visibleTo,
        label_ids: labelIds,
        picture_id: null,
        ...(body.marketing_status === undefined ? {} : { marketing_status: body.marketing_status as string }),
        ...(contactSync ? { contact_sync: contactSync } : {}),
        custom_fields: customFields,
      });
    },
    update: (ctx, row, body) => {
      checkContactSync(ctx, body);
      const name = has(body, 'name') ? nonEmptyString(body.name, 'name') : undefined;
      const ownerId = body.owner_id === undefined ? undefined : requireUser(ctx.state, body.owner_id, 'owner_id');
      const orgId = optionalRef(ctx.state.organizations, body.org_id, 'org_id', 'Organization');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings);
      const labelIds = checkLabelIds(ctx, 'person', body.label_ids);
      const emails = body.emails === undefined ? undefined : contactItems(body.emails, 'emails');
      const phones = body.phones === undefined ? undefined : contactItems(body.phones, 'phones');
      const customFields = applyCustomFields(ctx.state, 'person', row.custom_fields, body.custom_fields);
      const contactSync = contactSyncValues(body);
      return (p) => {
        if (name !== undefined) Object.assign(p, { name }, splitName(name));
        if (ownerId !== undefined) p.owner_id = ownerId;
        if (orgId !== undefined) p.org_id = orgId;
        if (visibleTo !== undefined) p.visible_to = visibleTo;
        if (labelIds !== undefined) p.label_ids = labelIds;
        if (emails !== undefined) p.emails = emails;
        if (phones !== undefined) p.phones = phones;
        if (body.marketing_status !== undefined) p.marketing_status = body.marketing_status as string;
        if (contactSync) p.contact_sync = { ...p.contact_sync, ...contactSync };
        p.custom_fields = customFields;
      };
    },
    serialize: (ctx, p) => serializePerson(ctx, p),
  });
}

export function serializePerson(ctx: RequestContext, p: PersonRecord): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    first_name: p.first_name,
    last_name: p.last_name,
    owner_id: p.owner_id,
    org_id: p.org_id,
    add_time: p.add_time,
    update_time: p.update_time,
    emails: p.emails,
    phones: p.phones,
    is_deleted: p.is_deleted,
    visible_to: p.visible_to,
    label_ids: p.label_ids,
    picture_id: p.picture_id,
    ...(ctx.settings.contactSync
      ? {
          postal_address: p.contact_sync?.postal_address ?? null,
          notes: p.contact_sync?.notes ?? null,
          im: p.contact_sync?.im ?? [],
          birthday: p.contact_sync?.birthday ?? null,
          job_title: p.contact_sync?.job_title ?? null,
        }
      : {}),
    custom_fields: serializeCustomFields(ctx.state, 'person', p.custom_fields, customFieldOutput(ctx.params)),
  };
}

/** Pipedrive splits a person's name at the first space. */
function splitName(name: string): { name: string; first_name: string; last_name: string | null } {
  const trimmed = name.trim();
  const space = trimmed.indexOf(' ');
  return space < 0
    ? { name, first_name: trimmed, last_name: null }
    : { name, first_name: trimmed.slice(0, space), last_name: trimmed.slice(space + 1).trim() || null };
}

/** Emails/phones: `label` defaults to "work"; when none is primary the first one becomes primary; empty values are dropped. */
export function contactItems(value: unknown, param: string): ContactItem[] {
  if (value === undefined || value === null) return [];
  const items = (value as { value?: string; primary?: boolean; label?: string }[])
    .filter((item) => item.value !== undefined && item.value.trim() !== '')
    .map((item) => ({ value: item.value!, primary: item.primary === true, label: item.label ?? 'work' }));
  if (items.some((item) => item.value.length > 255)) throw badRequest(`Validation failed: ${param}: value must be at most 255 characters`);
  const primary = items.findIndex((item) => item.primary);
  items.forEach((item, i) => (item.primary = i === (primary < 0 ? 0 : primary)));
  return items;
}

function checkContactSync(ctx: RequestContext, body: Record<string, unknown>): void {
  if (ctx.settings.contactSync) return;
  const key = CONTACT_SYNC_KEYS.find((k) => has(body, k));
  if (key) throw badRequest(`Parameter '${key}' is not allowed for this request`);
}

function contactSyncValues(body: Record<string, unknown>): PersonRecord['contact_sync'] | undefined {
  if (!CONTACT_SYNC_KEYS.some((k) => has(body, k))) return undefined;
  if (typeof body.notes === 'string' && body.notes.length > CONTACT_SYNC_NOTES_MAX) {
    throw badRequest(`Validation failed: notes: must be at most ${CONTACT_SYNC_NOTES_MAX} characters`);
  }
  return {
    ...(body.postal_address === undefined ? {} : { postal_address: addressValue(body.postal_address) ?? undefined }),
    ...(body.notes === undefined ? {} : { notes: body.notes as string }),
    ...(body.im === undefined ? {} : { im: contactItems(body.im, 'im') }),
    ...(body.birthday === undefined ? {} : { birthday: body.birthday as string }),
    ...(body.job_title === undefined ? {} : { job_title: body.job_title as string }),
  };
}

/** Address objects: only `value` is needed; the other parts are null when omitted. */
export function addressValue(value: unknown): Address | null {
  if (value === null || value === undefined) return null;
  const a = value as Partial<Record<keyof Address, string>>;
  return {
    value: a.value ?? null,
    country: a.country ?? null,
    admin_area_level_1: a.admin_area_level_1 ?? null,
    admin_area_level_2: a.admin_area_level_2 ?? null,
    locality: a.locality ?? null,
    sublocality: a.sublocality ?? null,
    route: a.route ?? null,
    street_number: a.street_number ?? null,
    subpremise: a.subpremise ?? null,
    postal_code: a.postal_code ?? null,
  };
}

export function timestamp(value: unknown, param: string): string {
  const ms = typeof value === 'string' ? parseTimestamp(value) : undefined;
  if (ms === undefined) throw badRequest(`Validation failed: ${param}: Expected an RFC3339 date-time, e.g. 2021-01-01T00:00:00Z`);
  return rfc3339(ms);
}

export function personName(state: AccountState, id: number | null): string | null {
  return id === null ? null : (state.persons.get(id)?.name ?? null);
}
