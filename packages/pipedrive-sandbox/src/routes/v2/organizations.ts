import { badRequest } from '../../errors';
import type { OrganizationRecord } from '../../state/records';
import { rfc3339 } from '../../time';
import { asText, checkLabelIds, checkVisibleTo, defaultVisibleTo, has, inUpdatedWindow, nonEmptyString, requireUser, updatedWindow } from '../common';
import { applyCustomFields, customFieldOutput, serializeCustomFields } from '../custom-fields';
import type { RequestContext, RouteDefinition } from '../types';
import { entityRoutes } from './crud';
import { addressValue, timestamp } from './persons';

export function organizationRoutes(): RouteDefinition[] {
  return entityRoutes<OrganizationRecord>({
    collection: '/organizations',
    label: 'Organization',
    table: (s) => s.organizations,
    index: (s) => s.searchIndexes.organization,
    createStatus: 200,
    listFilter: (ctx) => {
      const ownerId = ctx.params.owner_id as number | undefined;
      const window = updatedWindow(ctx.params);
      return (o) => !o.is_deleted && (ownerId === undefined || o.owner_id === ownerId) && inUpdatedWindow(o.update_time, window);
    },
    sortValue: (o, field) => (field === 'update_time' ? o.update_time : field === 'add_time' ? o.add_time : null),
    create: (ctx, body) => {
      const name = nonEmptyString(body.name, 'name');
      const ownerId = requireUser(ctx.state, body.owner_id ?? ctx.userId, 'owner_id');
      const addTime = body.add_time === undefined ? rfc3339(ctx.now) : timestamp(body.add_time, 'add_time');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings) ?? defaultVisibleTo(ctx.settings);
      const labelIds = checkLabelIds(ctx, 'organization', body.label_ids) ?? [];
      const industry = checkIndustry(ctx, body.industry) ?? null;
      const customFields = applyCustomFields(ctx.state, 'organization', {}, body.custom_fields);
      return (id) => ({
        id,
        name,
        owner_id: ownerId,
        add_time: addTime,
        update_time: rfc3339(ctx.now),
        is_deleted: false,
        visible_to: visibleTo,
        address: addressValue(body.address),
        label_ids: labelIds,
        website: (body.website as string | null | undefined) ?? null,
        linkedin: (body.linkedin as string | null | undefined) ?? null,
        industry,
        annual_revenue: (body.annual_revenue as number | null | undefined) ?? null,
        employee_count: (body.employee_count as number | null | undefined) ?? null,
        custom_fields: customFields,
      });
    },
    update: (ctx, row, body) => {
      const name = has(body, 'name') ? nonEmptyString(body.name, 'name') : undefined;
      const ownerId = body.owner_id === undefined ? undefined : requireUser(ctx.state, body.owner_id, 'owner_id');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings);
      const labelIds = checkLabelIds(ctx, 'organization', body.label_ids);
      const industry = checkIndustry(ctx, body.industry);
      const customFields = applyCustomFields(ctx.state, 'organization', row.custom_fields, body.custom_fields);
      return (o) => {
        if (name !== undefined) o.name = name;
        if (ownerId !== undefined) o.owner_id = ownerId;
        if (visibleTo !== undefined) o.visible_to = visibleTo;
        if (labelIds !== undefined) o.label_ids = labelIds;
        if (has(body, 'address')) o.address = addressValue(body.address);
        for (const key of ['website', 'linkedin', 'annual_revenue', 'employee_count'] as const) {
          if (has(body, key)) (o as unknown as Record<string, unknown>)[key] = body[key] ?? null;
        }
        if (industry !== undefined) o.industry = industry;
        o.custom_fields = customFields;
      };
    },
    serialize: (ctx, o) => serializeOrganization(ctx, o),
  });
}

export function serializeOrganization(ctx: RequestContext, o: OrganizationRecord): Record<string, unknown> {
  return {
    id: o.id,
    name: o.name,
    owner_id: o.owner_id,
    add_time: o.add_time,
    update_time: o.update_time,
    is_deleted: o.is_deleted,
    visible_to: o.visible_to,
    address: o.address,
    label_ids: o.label_ids,
    website: o.website,
    linkedin: o.linkedin,
    industry: o.industry,
    annual_revenue: o.annual_revenue,
    employee_count: o.employee_count,
    custom_fields: serializeCustomFields(ctx.state, 'organization', o.custom_fields, customFieldOutput(ctx.params)),
  };
}

/** `industry` is an option id of the organization's Industry field. */
function checkIndustry(ctx: RequestContext, value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  const options = ctx.state.field('organization', 'industry')?.options ?? [];
  if (!options.some((o) => o.id === value)) throw badRequest(`Validation failed: industry: Option with id ${asText(value)} not found`);
  return value as number;
}
