import { ApiError, badRequest } from '../../errors';
import type { OrganizationRelationshipRecord } from '../../state/records';
import { v1Timestamp } from '../../time';
import { requireLive } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';
import { v1ListPage } from './pagination';

/**
 * v1 organization relationships. For `parent`, the owner org is the parent and the linked org the child.
 * `calculated_type` describes the other org as seen from `org_id`: its parent, its daughter, or related.
 */
export function organizationRelationshipRoutes(): RouteDefinition[] {
  const find = (ctx: RequestContext): OrganizationRelationshipRecord => {
    const rel = ctx.state.organizationRelationships.getLive(ctx.params.id as number);
    if (!rel) throw new ApiError(404, 'Organization relationship not found');
    return rel;
  };
  return [
    {
      api: 'v1',
      method: 'GET',
      path: '/organizationRelationships',
      handle: (ctx) => {
        const orgId = requireLive(ctx.state.organizations, ctx.params.org_id, 'org_id', 'Organization');
        const all = [...ctx.state.organizationRelationships.live()].filter((r) => r.rel_owner_org_id === orgId || r.rel_linked_org_id === orgId);
        const page = v1ListPage(all, ctx.params);
        return {
          status: 200,
          body: {
            success: true,
            data: page.rows.map((r) => serialize(ctx, r, orgId)),
            additional_data: { pagination: page.pagination },
            related_objects: relatedObjects(ctx, page.rows),
          },
        };
      },
    },
    {
      api: 'v1',
      method: 'POST',
      path: '/organizationRelationships',
      creates: true,
      handle: (ctx) => {
        const body = ctx.body as { type: 'parent' | 'related'; rel_owner_org_id: number; rel_linked_org_id: number; org_id?: number };
        const owner = requireLive(ctx.state.organizations, body.rel_owner_org_id, 'rel_owner_org_id', 'Organization');
        const linked = requireLive(ctx.state.organizations, body.rel_linked_org_id, 'rel_linked_org_id', 'Organization');
        if (owner === linked) throw badRequest('An organization cannot be related to itself.');
        const time = v1Timestamp(ctx.now);
        const rel = ctx.state.insert(ctx.state.organizationRelationships, (id) => ({
          id,
          type: body.type,
          rel_owner_org_id: owner,
          rel_linked_org_id: linked,
          add_time: time,
          update_time: time,
          active_flag: true,
        }));
        return withRelated(ctx, rel, body.org_id ?? owner);
      },
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/organizationRelationships/{id}',
      handle: (ctx) => {
        const rel = find(ctx);
        return withRelated(ctx, rel, (ctx.params.org_id as number | undefined) ?? rel.rel_owner_org_id);
      },
    },
    {
      api: 'v1',
      method: 'PUT',
      path: '/organizationRelationships/{id}',
      handle: (ctx) => {
        const rel = find(ctx);
        const body = (ctx.body ?? {}) as Partial<{ type: 'parent' | 'related'; rel_owner_org_id: number; rel_linked_org_id: number; org_id: number }>;
        const owner =
          body.rel_owner_org_id === undefined
            ? rel.rel_owner_org_id
            : requireLive(ctx.state.organizations, body.rel_owner_org_id, 'rel_owner_org_id', 'Organization');
        const linked =
          body.rel_linked_org_id === undefined
            ? rel.rel_linked_org_id
            : requireLive(ctx.state.organizations, body.rel_linked_org_id, 'rel_linked_org_id', 'Organization');
        if (owner === linked) throw badRequest('An organization cannot be related to itself.');
        ctx.state.change(ctx.state.organizationRelationships, rel, (r) => {
          if (body.type !== undefined) r.type = body.type;
          r.rel_owner_org_id = owner;
          r.rel_linked_org_id = linked;
          r.update_time = v1Timestamp(ctx.now);
        });
        return withRelated(ctx, rel, body.org_id ?? owner);
      },
    },
    {
      api: 'v1',
      method: 'DELETE',
      path: '/organizationRelationships/{id}',
      handle: (ctx) => {
        const rel = find(ctx);
        ctx.state.change(ctx.state.organizationRelationships, rel, (r) => {
          r.active_flag = false;
          r.update_time = v1Timestamp(ctx.now);
        });
        return ok({ id: rel.id });
      },
    },
  ];
}

function withRelated(ctx: RequestContext, rel: OrganizationRelationshipRecord, perspectiveOrgId: number) {
  return { status: 200, body: { success: true, data: serialize(ctx, rel, perspectiveOrgId), related_objects: relatedObjects(ctx, [rel]) } };
}

function orgSummary(ctx: RequestContext, orgId: number) {
  const org = ctx.state.organizations.get(orgId);
  return {
    name: org?.name ?? null,
    people_count: ctx.state.peopleCount(orgId),
    owner_id: org?.owner_id ?? null,
    address: org?.address?.value ?? null,
    active_flag: org ? !org.is_deleted : false,
    cc_email: null,
    value: orgId,
  };
}

function serialize(ctx: RequestContext, r: OrganizationRelationshipRecord, perspectiveOrgId: number): Record<string, unknown> {
  const seenFromOwner = perspectiveOrgId !== r.rel_linked_org_id;
  const relatedId = seenFromOwner ? r.rel_linked_org_id : r.rel_owner_org_id;
  const calculatedType = r.type === 'related' ? 'related' : seenFromOwner ? 'daughter' : 'parent';
  return {
    id: r.id,
    type: r.type,
    rel_owner_org_id: orgSummary(ctx, r.rel_owner_org_id),
    rel_linked_org_id: orgSummary(ctx, r.rel_linked_org_id),
    add_time: r.add_time,
    update_time: r.update_time,
    active_flag: String(r.active_flag),
    calculated_type: calculatedType,
    calculated_related_org_id: relatedId,
    related_organization_name: ctx.state.organizations.get(relatedId)?.name ?? null,
  };
}

function relatedObjects(ctx: RequestContext, rels: OrganizationRelationshipRecord[]) {
  const organization: Record<string, unknown> = {};
  for (const r of rels) {
    for (const id of [r.rel_owner_org_id, r.rel_linked_org_id]) {
      const { value: _value, ...summary } = orgSummary(ctx, id);
      organization[String(id)] = { id, ...summary };
    }
  }
  return { organization };
}
