import { ApiError, badRequest } from '../../errors';
import type { ActivityTypeRecord, UserRecord } from '../../state/records';
import { v1Timestamp } from '../../time';
import { ok, type RequestContext, type RouteDefinition } from '../types';

const ADMIN_PERMISSION_SET = '233b7976-39bd-43a9-b305-ef3a2b0998e5';
const REGULAR_PERMISSION_SET = '62cc4d7f-4038-4352-abf3-a8c1c822b631';

/** v1 users (no v2 replacement). Lists are unpaginated, as in the spec. */
export function userRoutes(): RouteDefinition[] {
  return [
    {
      api: 'v1',
      method: 'GET',
      path: '/users',
      handle: (ctx) => ok([...ctx.state.users.scan()].map((u) => serializeUser(ctx, u))),
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/users/me',
      handle: (ctx) => {
        const me = ctx.state.users.get(ctx.userId)!;
        const company = ctx.state.company;
        return ok({
          ...serializeUser(ctx, me),
          company_id: company.id,
          company_name: company.name,
          company_domain: company.domain,
          company_country: company.country,
          company_industry: company.industry,
          language: { language_code: company.locale.slice(0, 2), country_code: company.locale.slice(3, 5) },
        });
      },
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/users/find',
      handle: (ctx) => {
        const term = String(ctx.params.term).toLowerCase();
        const byEmail = ctx.params.search_by_email === 1;
        const found = [...ctx.state.users.scan()].filter((u) => (byEmail ? u.email.toLowerCase() === term : u.name.toLowerCase().includes(term)));
        return ok(found.map((u) => serializeUser(ctx, u)));
      },
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/users/{id}',
      handle: (ctx) => {
        const user = ctx.state.users.get(ctx.params.id as number);
        // The spec's own 404 example text.
        if (!user) throw new ApiError(404, 'User not found or not accessible.');
        return ok(serializeUser(ctx, user));
      },
    },
  ];
}

export function serializeUser(ctx: RequestContext, u: UserRecord): Record<string, unknown> {
  const permissionSet = u.is_admin ? ADMIN_PERMISSION_SET : REGULAR_PERMISSION_SET;
  return {
    id: u.id,
    name: u.name,
    default_currency: u.default_currency,
    locale: u.locale,
    lang: 1,
    email: u.email,
    phone: null,
    activated: true,
    last_login: u.modified,
    created: u.created,
    modified: u.modified,
    has_created_company: u.id === 1,
    access: [
      { app: 'sales', admin: u.is_admin, permission_set_id: permissionSet },
      { app: 'global', admin: u.is_admin, permission_set_id: permissionSet },
    ],
    active_flag: u.active_flag,
    timezone_name: u.timezone_name,
    timezone_offset: timezoneOffset(u.timezone_name, ctx.now),
    role_id: u.role_id,
    icon_url: null,
    is_you: u.id === ctx.userId,
    is_deleted: !u.active_flag,
  };
}

/** "-05:00" for America/Chicago in summer: the zone's offset at the time of the request. */
function timezoneOffset(zone: string, now: number): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(now))
    .find((p) => p.type === 'timeZoneName')?.value;
  const offset = part?.replace('GMT', '') ?? '';
  return offset === '' ? '+00:00' : offset;
}

/**
 * v1 activity types. The server derives `key_string` from the name (it never changes afterwards); activities refer
 * to a type by it. DELETE marks the type inactive and answers with it.
 */
export function activityTypeRoutes(): RouteDefinition[] {
  const find = (ctx: RequestContext): ActivityTypeRecord => {
    const type = ctx.state.activityTypes.getLive(ctx.params.id as number);
    if (!type) throw new ApiError(404, 'Activity type not found');
    return type;
  };
  return [
    { api: 'v1', method: 'GET', path: '/activityTypes', handle: (ctx) => ok([...ctx.state.activityTypes.scan()]) },
    {
      api: 'v1',
      method: 'POST',
      path: '/activityTypes',
      creates: true,
      handle: (ctx) => {
        const body = ctx.body as { name: string; icon_key: string; color?: string };
        const name = body.name.trim();
        if (name === '') throw badRequest('Name must be given.');
        const color = checkColor(body.color);
        const time = v1Timestamp(ctx.now);
        const order = Math.max(0, ...[...ctx.state.activityTypes.scan()].map((t) => t.order_nr)) + 1;
        const type = ctx.state.insert(ctx.state.activityTypes, (id) => ({
          id,
          name,
          icon_key: body.icon_key,
          color: color ?? null,
          order_nr: order,
          key_string: uniqueKeyString(ctx, name),
          active_flag: true,
          is_custom_flag: true,
          add_time: time,
          update_time: time,
        }));
        return ok(type);
      },
    },
    {
      api: 'v1',
      method: 'PUT',
      path: '/activityTypes/{id}',
      handle: (ctx) => {
        const type = find(ctx);
        const body = (ctx.body ?? {}) as { name?: string; icon_key?: string; color?: string; order_nr?: number };
        if (body.name !== undefined && body.name.trim() === '') throw badRequest('Name must be given.');
        const color = checkColor(body.color);
        ctx.state.change(ctx.state.activityTypes, type, (t) => {
          if (body.name !== undefined) t.name = body.name.trim();
          if (body.icon_key !== undefined) t.icon_key = body.icon_key;
          if (color !== undefined) t.color = color;
          if (body.order_nr !== undefined) t.order_nr = body.order_nr;
          t.update_time = v1Timestamp(ctx.now);
        });
        return ok(type);
      },
    },
    {
      api: 'v1',
      method: 'DELETE',
      path: '/activityTypes/{id}',
      handle: (ctx) => {
        const type = find(ctx);
        ctx.state.change(ctx.state.activityTypes, type, (t) => {
          t.active_flag = false;
          t.update_time = v1Timestamp(ctx.now);
        });
        return ok(type);
      },
    },
  ];
}

function checkColor(color: string | undefined): string | undefined {
  if (color === undefined) return undefined;
  if (!/^[0-9A-Fa-f]{6}$/.test(color)) throw badRequest('Color must be a 6-character HEX color code (e.g. FFFFFF).');
  return color.toUpperCase();
}

/** "Follow-up call" → "follow_up_call"; a name already taken gets a numeric suffix. */
function uniqueKeyString(ctx: RequestContext, name: string): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'activity';
  const taken = new Set([...ctx.state.activityTypes.scan()].map((t) => t.key_string));
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
  return key;
}
