import { ApiError, badRequest } from '../../errors';
import type { NoteRecord } from '../../state/records';
import { isValidDate, parseTimestamp, v1Timestamp } from '../../time';
import { has, requireLive, requireUser, type LiveLookup } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';
import { parseV1Sort, v1ListPage, v1TablePage } from './pagination';

/** The spec caps a note at about 100,000 characters. */
const NOTE_MAX_CHARS = 100_000;
const ATTACHMENT_KEYS = ['deal_id', 'person_id', 'org_id', 'lead_id', 'project_id', 'task_id'] as const;
const PIN_FLAGS = [
  'pinned_to_lead_flag',
  'pinned_to_deal_flag',
  'pinned_to_organization_flag',
  'pinned_to_person_flag',
  'pinned_to_project_flag',
  'pinned_to_task_flag',
] as const;
const SORTABLE = ['id', 'user_id', 'deal_id', 'person_id', 'org_id', 'content', 'add_time', 'update_time'];

/**
 * v1 notes. A note must be attached to at least one record; `add_time` ("YYYY-MM-DD HH:MM:SS", UTC) may be in the
 * past, which is how a migration keeps the original date. DELETE hides the note (active_flag false).
 */
export function noteRoutes(): RouteDefinition[] {
  const find = (ctx: RequestContext): NoteRecord => {
    const note = ctx.state.notes.getLive(ctx.params.id as number);
    if (!note) throw new ApiError(404, 'Note not found');
    return note;
  };
  return [
    {
      api: 'v1',
      method: 'GET',
      path: '/notes',
      handle: (ctx) => {
        const include = noteFilter(ctx);
        const sort = parseV1Sort(ctx.params.sort, SORTABLE);
        let page;
        if (!sort || (sort.field === 'id' && sort.direction === 'asc')) {
          const signature = JSON.stringify(Object.entries(ctx.params).filter(([k]) => k !== 'start' && k !== 'limit'));
          page = v1TablePage(ctx.state.notes, ctx.params, include, signature);
        } else {
          const all = [...ctx.state.notes.scan()].filter(include);
          const sign = sort.direction === 'asc' ? 1 : -1;
          const key = (n: NoteRecord): string | number => (n as unknown as Record<string, string | number | null>)[sort.field] ?? '';
          all.sort((a, b) => sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
          page = v1ListPage(all, ctx.params);
        }
        return ok(
          page.rows.map((n) => serializeNote(ctx, n)),
          { pagination: page.pagination },
        );
      },
    },
    {
      api: 'v1',
      method: 'POST',
      path: '/notes',
      creates: true,
      handle: (ctx) => {
        const body = ctx.body as Record<string, unknown>;
        const content = noteContent(body.content);
        const links = attachments(ctx, body);
        if (!ATTACHMENT_KEYS.some((k) => links[k] !== null && links[k] !== undefined)) {
          throw badRequest('Note must be attached to a deal, person, organization, lead, project or task.');
        }
        const userId = requireUser(ctx.state, body.user_id ?? ctx.userId, 'user_id');
        const now = v1Timestamp(ctx.now);
        const note = ctx.state.insert(ctx.state.notes, (id) => ({
          id,
          content,
          user_id: userId,
          last_update_user_id: ctx.userId,
          deal_id: null,
          person_id: null,
          org_id: null,
          lead_id: null,
          project_id: null,
          task_id: null,
          ...links,
          add_time: body.add_time === undefined ? now : noteTime(body.add_time),
          update_time: now,
          active_flag: true,
          ...pins(body, undefined),
        }));
        return ok(serializeNote(ctx, note));
      },
    },
    { api: 'v1', method: 'GET', path: '/notes/{id}', handle: (ctx) => ok(serializeNote(ctx, find(ctx))) },
    {
      api: 'v1',
      method: 'PUT',
      path: '/notes/{id}',
      handle: (ctx) => {
        const note = find(ctx);
        const body = (ctx.body ?? {}) as Record<string, unknown>;
        const content = body.content === undefined ? undefined : noteContent(body.content);
        const links = attachments(ctx, body);
        const userId = body.user_id === undefined ? undefined : requireUser(ctx.state, body.user_id, 'user_id');
        const addTime = body.add_time === undefined ? undefined : noteTime(body.add_time);
        ctx.state.change(ctx.state.notes, note, (n) => {
          if (content !== undefined) n.content = content;
          Object.assign(n, links, pins(body, n));
          if (userId !== undefined) n.user_id = userId;
          if (addTime !== undefined) n.add_time = addTime;
          n.last_update_user_id = ctx.userId;
          n.update_time = v1Timestamp(ctx.now);
        });
        return ok(serializeNote(ctx, note));
      },
    },
    {
      api: 'v1',
      method: 'DELETE',
      path: '/notes/{id}',
      handle: (ctx) => {
        const note = find(ctx);
        ctx.state.change(ctx.state.notes, note, (n) => {
          n.active_flag = false;
          n.update_time = v1Timestamp(ctx.now);
        });
        return ok(true);
      },
    },
  ];
}

function noteFilter(ctx: RequestContext): (n: NoteRecord) => boolean {
  const p = ctx.params as Record<string, number | string | undefined>;
  const since = p.updated_since === undefined ? undefined : parseTimestamp(String(p.updated_since));
  if (p.updated_since !== undefined && since === undefined) throw badRequest('Validation failed: updated_since: Expected an RFC3339 date-time');
  for (const key of ['start_date', 'end_date'] as const) {
    if (p[key] !== undefined && !isValidDate(String(p[key]))) throw badRequest(`Validation failed: ${key}: Expected a date (YYYY-MM-DD)`);
  }
  const sinceText = since === undefined ? undefined : v1Timestamp(since);
  return (n) =>
    n.active_flag &&
    (p.user_id === undefined || n.user_id === p.user_id) &&
    (p.deal_id === undefined || n.deal_id === p.deal_id) &&
    (p.person_id === undefined || n.person_id === p.person_id) &&
    (p.org_id === undefined || n.org_id === p.org_id) &&
    (p.lead_id === undefined || n.lead_id === p.lead_id) &&
    (p.project_id === undefined || n.project_id === p.project_id) &&
    (p.task_id === undefined || n.task_id === p.task_id) &&
    (p.start_date === undefined || n.add_time.slice(0, 10) >= String(p.start_date)) &&
    (p.end_date === undefined || n.add_time.slice(0, 10) <= String(p.end_date)) &&
    (sinceText === undefined || n.update_time >= sinceText) &&
    PIN_FLAGS.every((flag) => p[flag] === undefined || n[flag] === (p[flag] === 1));
}

export function serializeNote(ctx: RequestContext, n: NoteRecord): Record<string, unknown> {
  const { state } = ctx;
  const deal = n.deal_id === null ? undefined : state.deals.get(n.deal_id);
  const org = n.org_id === null ? undefined : state.organizations.get(n.org_id);
  const person = n.person_id === null ? undefined : state.persons.get(n.person_id);
  const user = state.users.get(n.user_id);
  return {
    id: n.id,
    active_flag: n.active_flag,
    add_time: n.add_time,
    content: n.content,
    deal: deal ? { title: deal.title } : null,
    lead_id: n.lead_id,
    deal_id: n.deal_id,
    last_update_user_id: n.last_update_user_id,
    org_id: n.org_id,
    organization: org ? { name: org.name } : null,
    person: person ? { name: person.name } : null,
    person_id: n.person_id,
    project_id: n.project_id,
    project: null,
    task_id: n.task_id,
    task: null,
    pinned_to_lead_flag: n.pinned_to_lead_flag,
    pinned_to_deal_flag: n.pinned_to_deal_flag,
    pinned_to_organization_flag: n.pinned_to_organization_flag,
    pinned_to_person_flag: n.pinned_to_person_flag,
    pinned_to_project_flag: n.pinned_to_project_flag,
    pinned_to_task_flag: n.pinned_to_task_flag,
    update_time: n.update_time,
    user: user ? { email: user.email, icon_url: null, is_you: user.id === ctx.userId, name: user.name } : null,
    user_id: n.user_id,
  };
}

function noteContent(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest('Note content must be given.');
  if (value.length > NOTE_MAX_CHARS) throw badRequest(`Note content is too long (at most ${NOTE_MAX_CHARS} characters).`);
  return value;
}

function noteTime(value: unknown): string {
  const ms = typeof value === 'string' ? parseTimestamp(value) : undefined;
  if (ms === undefined) throw badRequest('Validation failed: add_time: Expected "YYYY-MM-DD HH:MM:SS" (UTC)');
  return v1Timestamp(ms);
}

function attachments(ctx: RequestContext, body: Record<string, unknown>): Partial<Pick<NoteRecord, (typeof ATTACHMENT_KEYS)[number]>> {
  const links: Partial<Record<(typeof ATTACHMENT_KEYS)[number], number | string | null>> = {};
  const ref = (key: 'deal_id' | 'person_id' | 'org_id', table: LiveLookup, label: string): void => {
    if (!has(body, key)) return;
    links[key] = body[key] === null ? null : requireLive(table, body[key], key, label);
  };
  ref('deal_id', ctx.state.deals, 'Deal');
  ref('person_id', ctx.state.persons, 'Person');
  ref('org_id', ctx.state.organizations, 'Organization');
  // Leads, projects and tasks are not emulated: their ids are kept as given.
  for (const key of ['lead_id', 'project_id', 'task_id'] as const) if (has(body, key)) links[key] = (body[key] as number | string | null) ?? null;
  return links as Partial<Pick<NoteRecord, (typeof ATTACHMENT_KEYS)[number]>>;
}

function pins(body: Record<string, unknown>, current: NoteRecord | undefined): Pick<NoteRecord, (typeof PIN_FLAGS)[number]> {
  return Object.fromEntries(PIN_FLAGS.map((flag) => [flag, body[flag] === undefined ? (current?.[flag] ?? false) : body[flag] === 1])) as Pick<
    NoteRecord,
    (typeof PIN_FLAGS)[number]
  >;
}
