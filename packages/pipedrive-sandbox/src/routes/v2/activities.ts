import { badRequest } from '../../errors';
import type { ActivityRecord, ActivityTypeRecord, Attendee, Participant } from '../../state/records';
import { isValidDate, normalizeDuration, normalizeTime, rfc3339 } from '../../time';
import { asText, has, inUpdatedWindow, optionalRef, requireUser, updatedWindow } from '../common';
import type { RequestContext, RouteDefinition } from '../types';
import { entityRoutes } from './crud';
import { addressValue } from './persons';

/** Since Sep 2025 an activity note is capped at 100 KB. */
const NOTE_MAX_BYTES = 100_000;

/**
 * v2 activities. `due_date`/`due_time` are UTC; times are returned as HH:MM:SS (the spec's examples). `type` must be
 * the key_string of an active activity type. The primary participant and `person_id` are kept in step.
 */
export function activityRoutes(): RouteDefinition[] {
  return entityRoutes<ActivityRecord>({
    collection: '/activities',
    label: 'Activity',
    table: (s) => s.activities,
    createStatus: 200,
    listFilter: (ctx) => {
      const p = ctx.params as Record<string, number | string | boolean | undefined>;
      const window = updatedWindow(ctx.params);
      return (a) =>
        !a.is_deleted &&
        (p.owner_id === undefined || a.owner_id === p.owner_id) &&
        (p.deal_id === undefined || a.deal_id === p.deal_id) &&
        (p.lead_id === undefined || a.lead_id === p.lead_id) &&
        (p.person_id === undefined || a.person_id === p.person_id || a.participants.some((x) => x.person_id === p.person_id)) &&
        (p.org_id === undefined || a.org_id === p.org_id) &&
        (p.done === undefined || a.done === p.done) &&
        inUpdatedWindow(a.update_time, window);
    },
    sortValue: (a, field) =>
      field === 'update_time' ? a.update_time : field === 'add_time' ? a.add_time : field === 'due_date' ? `${a.due_date ?? ''} ${a.due_time ?? ''}` : null,
    create: (ctx, body) => {
      const type = activityType(ctx, body.type ?? firstActiveType(ctx)?.key_string);
      const ownerId = requireUser(ctx.state, body.owner_id ?? ctx.userId, 'owner_id');
      const refs = references(ctx, body);
      const schedule = scheduleFields(body);
      checkNote(body.note);
      const participants = participantList(ctx, body.participants, refs.person_id ?? null) ?? [];
      const now = rfc3339(ctx.now);
      return (id) => ({
        id,
        subject: typeof body.subject === 'string' && body.subject.trim() !== '' ? body.subject : type.name,
        type: type.key_string,
        owner_id: ownerId,
        creator_user_id: ctx.userId,
        is_deleted: false,
        add_time: now,
        update_time: now,
        deal_id: refs.deal_id ?? null,
        lead_id: (body.lead_id as string | undefined) ?? null,
        person_id: participants.find((x) => x.primary)?.person_id ?? null,
        org_id: refs.org_id ?? null,
        project_id: (body.project_id as number | undefined) ?? null,
        due_date: schedule.due_date ?? null,
        due_time: schedule.due_time ?? null,
        duration: schedule.duration ?? null,
        busy: body.busy === true,
        done: body.done === true,
        marked_as_done_time: body.done === true ? now : null,
        location: addressValue(body.location),
        participants,
        attendees: attendeeList(body.attendees) ?? [],
        conference_meeting_client: null,
        conference_meeting_url: null,
        conference_meeting_id: null,
        public_description: (body.public_description as string | undefined) ?? null,
        priority: (body.priority as number | undefined) ?? null,
        note: (body.note as string | undefined) ?? null,
      });
    },
    update: (ctx, row, body) => {
      const type = body.type === undefined ? undefined : activityType(ctx, body.type);
      const ownerId = body.owner_id === undefined ? undefined : requireUser(ctx.state, body.owner_id, 'owner_id');
      const refs = references(ctx, body);
      const schedule = scheduleFields(body);
      checkNote(body.note);
      const participants = participantList(ctx, body.participants, refs.person_id === undefined ? row.person_id : refs.person_id);
      const attendees = attendeeList(body.attendees);
      const now = rfc3339(ctx.now);
      return (a) => {
        if (type) a.type = type.key_string;
        if (typeof body.subject === 'string') a.subject = body.subject;
        if (ownerId !== undefined) a.owner_id = ownerId;
        if (refs.deal_id !== undefined) a.deal_id = refs.deal_id;
        if (refs.org_id !== undefined) a.org_id = refs.org_id;
        if (participants !== undefined) {
          a.participants = participants;
          a.person_id = participants.find((x) => x.primary)?.person_id ?? null;
        }
        for (const key of ['due_date', 'due_time', 'duration'] as const) if (has(body, key)) a[key] = schedule[key] ?? null;
        if (body.busy !== undefined) a.busy = body.busy === true;
        if (body.done !== undefined && body.done !== a.done) {
          a.done = body.done === true;
          a.marked_as_done_time = a.done ? now : null;
        }
        if (has(body, 'location')) a.location = addressValue(body.location);
        if (attendees !== undefined) a.attendees = attendees;
        for (const key of ['lead_id', 'project_id', 'public_description', 'priority', 'note'] as const) {
          if (has(body, key)) (a as unknown as Record<string, unknown>)[key] = body[key] ?? null;
        }
      };
    },
    serialize: (_ctx, a) => ({ ...a }),
  });
}

function firstActiveType(ctx: RequestContext): ActivityTypeRecord | undefined {
  return [...ctx.state.activityTypes.live()].sort((a, b) => a.order_nr - b.order_nr || a.id - b.id)[0];
}

function activityType(ctx: RequestContext, key: unknown): ActivityTypeRecord {
  const type = [...ctx.state.activityTypes.live()].find((t) => t.key_string === key);
  if (!type) throw badRequest(`Validation failed: type: Activity type '${asText(key)}' not found`);
  return type;
}

function references(ctx: RequestContext, body: Record<string, unknown>): { deal_id?: number | null; person_id?: number | null; org_id?: number | null } {
  return {
    deal_id: optionalRef(ctx.state.deals, body.deal_id, 'deal_id', 'Deal'),
    person_id: optionalRef(ctx.state.persons, body.person_id, 'person_id', 'Person'),
    org_id: optionalRef(ctx.state.organizations, body.org_id, 'org_id', 'Organization'),
  };
}

function scheduleFields(body: Record<string, unknown>): { due_date?: string | null; due_time?: string | null; duration?: string | null } {
  const result: { due_date?: string | null; due_time?: string | null; duration?: string | null } = {};
  if (body.due_date !== undefined && body.due_date !== null) {
    if (typeof body.due_date !== 'string' || !isValidDate(body.due_date)) throw badRequest('Validation failed: due_date: Expected a date (YYYY-MM-DD)');
    result.due_date = body.due_date;
  }
  if (body.due_time !== undefined && body.due_time !== null) {
    const time = normalizeTime(asText(body.due_time));
    if (!time) throw badRequest('Validation failed: due_time: Expected a UTC time (HH:MM or HH:MM:SS)');
    result.due_time = time;
  }
  if (body.duration !== undefined && body.duration !== null) {
    const duration = normalizeDuration(asText(body.duration));
    if (!duration) throw badRequest('Validation failed: duration: Expected a duration (HH:MM or HH:MM:SS)');
    result.duration = duration;
  }
  return result;
}

function checkNote(note: unknown): void {
  if (typeof note === 'string' && Buffer.byteLength(note, 'utf8') > NOTE_MAX_BYTES) {
    throw badRequest(`Validation failed: note: must be at most ${NOTE_MAX_BYTES} bytes`);
  }
}

/**
 * Participants; `person_id` alone makes that person the primary participant (the migration guide's advice is to send
 * participants, but the spec still accepts person_id). Undefined when neither was sent (an update leaves them).
 */
function participantList(ctx: RequestContext, value: unknown, personId: number | null | undefined): Participant[] | undefined {
  if (value === undefined) {
    if (personId === undefined) return undefined;
    return personId === null ? [] : [{ person_id: personId, primary: true }];
  }
  const list = (value as { person_id?: number; primary?: boolean }[]).map((p, i) => {
    const id = optionalRef(ctx.state.persons, p.person_id, `participants.${i}.person_id`, 'Person');
    if (id === undefined || id === null) throw badRequest(`Validation failed: participants.${i}.person_id: Required`);
    return { person_id: id, primary: p.primary === true };
  });
  if (list.length > 0 && !list.some((p) => p.primary)) list[0]!.primary = true;
  return list;
}

function attendeeList(value: unknown): Attendee[] | undefined {
  if (value === undefined) return undefined;
  return (value as Partial<Attendee>[]).map((a) => ({
    email: a.email ?? null,
    name: a.name ?? null,
    status: a.status ?? null,
    is_organizer: a.is_organizer === true,
    person_id: a.person_id ?? null,
    user_id: a.user_id ?? null,
  }));
}
