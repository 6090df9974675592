import { badRequest } from '../../errors';
import type { AccountState } from '../../state/account';
import type { DealRecord, DealStatus } from '../../state/records';
import { isValidDate, rfc3339 } from '../../time';
import {
  asText,
  checkLabelIds,
  checkVisibleTo,
  defaultVisibleTo,
  has,
  inUpdatedWindow,
  nonEmptyString,
  optionalRef,
  requireUser,
  updatedWindow,
} from '../common';
import { applyCustomFields, customFieldOutput, serializeCustomFields } from '../custom-fields';
import type { RequestContext, RouteDefinition } from '../types';
import { entityRoutes } from './crud';
import { timestamp } from './persons';

const STATUSES: DealStatus[] = ['open', 'won', 'lost'];
/** Internal marker: the list was asked for through GET /deals/archived. */
const ARCHIVED = '__archived';

/**
 * v2 deals. `add_time` cannot be set (v2 dropped it from the body), so migrations keep original dates in custom
 * fields. Won/lost times are stamped when the status changes unless the request sets them.
 */
export function dealRoutes(): RouteDefinition[] {
  const crud = entityRoutes<DealRecord>({
    collection: '/deals',
    label: 'Deal',
    table: (s) => s.deals,
    index: (s) => s.searchIndexes.deal,
    createStatus: 200,
    listFilter: (ctx) => dealFilter(ctx),
    sortValue: (d, field) => (field === 'update_time' ? d.update_time : field === 'add_time' ? d.add_time : null),
    create: (ctx, body) => {
      const title = nonEmptyString(body.title, 'title');
      if (body.is_deleted === true) throw badRequest('Validation failed: is_deleted: A deal cannot be created as deleted');
      const ownerId = requireUser(ctx.state, body.owner_id ?? ctx.userId, 'owner_id');
      const personId = optionalRef(ctx.state.persons, body.person_id, 'person_id', 'Person') ?? null;
      const orgId = optionalRef(ctx.state.organizations, body.org_id, 'org_id', 'Organization') ?? null;
      const { pipelineId, stageId } = placement(ctx.state, body.pipeline_id, body.stage_id);
      const status = dealStatus(body.status) ?? 'open';
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings) ?? defaultVisibleTo(ctx.settings);
      const labelIds = checkLabelIds(ctx, 'deal', body.label_ids) ?? [];
      const customFields = applyCustomFields(ctx.state, 'deal', {}, body.custom_fields);
      const now = rfc3339(ctx.now);
      return (id) => {
        const deal: DealRecord = {
          id,
          title,
          creator_user_id: ctx.userId,
          owner_id: ownerId,
          person_id: personId,
          org_id: orgId,
          pipeline_id: pipelineId,
          stage_id: stageId,
          value: (body.value as number | undefined) ?? 0,
          currency: currency(body.currency) ?? ctx.state.company.default_currency,
          add_time: now,
          update_time: now,
          stage_change_time: null,
          is_deleted: false,
          is_archived: body.is_archived === true,
          archive_time: body.is_archived === true ? (body.archive_time === undefined ? now : timestamp(body.archive_time, 'archive_time')) : null,
          status: 'open',
          probability: (body.probability as number | null | undefined) ?? null,
          lost_reason: null,
          visible_to: visibleTo,
          close_time: null,
          won_time: null,
          lost_time: null,
          expected_close_date: expectedCloseDate(body.expected_close_date) ?? null,
          label_ids: labelIds,
          origin: 'API',
          origin_id: null,
          channel: null,
          channel_id: null,
          source_lead_id: null,
          arr: null,
          mrr: null,
          acv: null,
          custom_fields: customFields,
        };
        applyStatus(deal, status, body, now);
        return deal;
      };
    },
    update: (ctx, row, body) => {
      const title = has(body, 'title') ? nonEmptyString(body.title, 'title') : undefined;
      if (body.is_deleted === true) throw badRequest('Validation failed: is_deleted: Use DELETE /deals/{id} to delete a deal');
      const ownerId = body.owner_id === undefined ? undefined : requireUser(ctx.state, body.owner_id, 'owner_id');
      const personId = optionalRef(ctx.state.persons, body.person_id, 'person_id', 'Person');
      const orgId = optionalRef(ctx.state.organizations, body.org_id, 'org_id', 'Organization');
      const moves = body.pipeline_id !== undefined || body.stage_id !== undefined;
      const target = moves ? placement(ctx.state, body.pipeline_id, body.stage_id) : undefined;
      const status = dealStatus(body.status);
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings);
      const labelIds = checkLabelIds(ctx, 'deal', body.label_ids);
      const closeDate = expectedCloseDate(body.expected_close_date);
      const newCurrency = currency(body.currency);
      const customFields = applyCustomFields(ctx.state, 'deal', row.custom_fields, body.custom_fields);
      const now = rfc3339(ctx.now);
      return (d) => {
        if (title !== undefined) d.title = title;
        if (ownerId !== undefined) d.owner_id = ownerId;
        if (personId !== undefined) d.person_id = personId;
        if (orgId !== undefined) d.org_id = orgId;
        if (target && target.stageId !== d.stage_id) d.stage_change_time = now;
        if (target) Object.assign(d, { pipeline_id: target.pipelineId, stage_id: target.stageId });
        if (body.value !== undefined) d.value = body.value as number;
        if (newCurrency !== undefined) d.currency = newCurrency;
        if (has(body, 'probability')) d.probability = (body.probability as number | null) ?? null;
        if (visibleTo !== undefined) d.visible_to = visibleTo;
        if (labelIds !== undefined) d.label_ids = labelIds;
        if (closeDate !== undefined) d.expected_close_date = closeDate;
        if (body.is_archived !== undefined) {
          d.is_archived = body.is_archived === true;
          d.archive_time = d.is_archived ? (body.archive_time === undefined ? now : timestamp(body.archive_time, 'archive_time')) : null;
        }
        applyStatus(d, status ?? d.status, body, now);
        d.custom_fields = customFields;
      };
    },
    serialize: (ctx, d) => serializeDeal(ctx, d),
  });
  const list = crud[0]!;
  const archived: RouteDefinition = {
    ...list,
    path: '/deals/archived',
    handle: (ctx) => list.handle({ ...ctx, params: { ...ctx.params, [ARCHIVED]: true } }),
  };
  return [...crud, archived];
}

/**
 * GET /deals leaves out archived deals (they have GET /deals/archived) and deleted ones unless `status` asks for
 * `deleted` (deals deleted in the last 30 days). `status` may list several values, comma-separated.
 */
function dealFilter(ctx: RequestContext): (d: DealRecord) => boolean {
  const p = ctx.params as Record<string, number | string | undefined>;
  const archived = ctx.params[ARCHIVED] === true;
  const statuses = typeof p.status === 'string' ? new Set(p.status.split(',').map((s) => s.trim())) : undefined;
  const window = updatedWindow(ctx.params);
  return (d) => {
    if (d.is_archived !== archived) return false;
    if (d.is_deleted ? !statuses?.has('deleted') : statuses !== undefined && !statuses.has(d.status)) return false;
    return (
      (p.owner_id === undefined || d.owner_id === p.owner_id) &&
      (p.person_id === undefined || d.person_id === p.person_id) &&
      (p.org_id === undefined || d.org_id === p.org_id) &&
      (p.pipeline_id === undefined || d.pipeline_id === p.pipeline_id) &&
      (p.stage_id === undefined || d.stage_id === p.stage_id) &&
      inUpdatedWindow(d.update_time, window)
    );
  };
}

export function serializeDeal(ctx: RequestContext, d: DealRecord): Record<string, unknown> {
  const { custom_fields, ...plain } = d;
  return { ...plain, custom_fields: serializeCustomFields(ctx.state, 'deal', custom_fields, customFieldOutput(ctx.params)) };
}

/** Pipeline and stage of a deal: a stage implies its pipeline; a pipeline alone means its first stage. */
function placement(state: AccountState, pipelineId: unknown, stageId: unknown): { pipelineId: number; stageId: number } {
  if (stageId !== undefined) {
    const stage = typeof stageId === 'number' ? state.stages.getLive(stageId) : undefined;
    if (!stage) throw badRequest(`Validation failed: stage_id: Stage with id ${asText(stageId)} not found`);
    if (pipelineId !== undefined && pipelineId !== stage.pipeline_id) {
      throw badRequest(`Validation failed: stage_id: Stage ${stage.id} does not belong to pipeline ${asText(pipelineId)}`);
    }
    return { pipelineId: stage.pipeline_id, stageId: stage.id };
  }
  const pipeline =
    pipelineId === undefined
      ? [...state.pipelines.live()].sort((a, b) => a.order_nr - b.order_nr || a.id - b.id)[0]
      : typeof pipelineId === 'number'
        ? state.pipelines.getLive(pipelineId)
        : undefined;
  if (!pipeline) throw badRequest(`Validation failed: pipeline_id: Pipeline with id ${asText(pipelineId)} not found`);
  const firstStage = [...state.stages.live()].filter((s) => s.pipeline_id === pipeline.id).sort((a, b) => a.order_nr - b.order_nr || a.id - b.id)[0];
  if (!firstStage) throw badRequest(`Validation failed: pipeline_id: Pipeline ${pipeline.id} has no stages`);
  return { pipelineId: pipeline.id, stageId: firstStage.id };
}

function dealStatus(value: unknown): DealStatus | undefined {
  if (value === undefined) return undefined;
  if (!STATUSES.includes(value as DealStatus)) throw badRequest(`Validation failed: status: Expected one of ${STATUSES.join(', ')}`);
  return value as DealStatus;
}

/** Sets status and the times that go with it; `won_time`/`lost_time`/`close_time` only with the matching status. */
function applyStatus(d: DealRecord, status: DealStatus, body: Record<string, unknown>, now: string): void {
  const changed = status !== d.status;
  if (body.won_time !== undefined && status !== 'won') throw badRequest('Validation failed: won_time: Can only be set for won deals');
  if (body.lost_time !== undefined && status !== 'lost') throw badRequest('Validation failed: lost_time: Can only be set for lost deals');
  if (body.lost_reason !== undefined && body.lost_reason !== null && status !== 'lost') {
    throw badRequest('Validation failed: lost_reason: Can only be set for lost deals');
  }
  if (body.close_time !== undefined && body.close_time !== null && status === 'open') {
    throw badRequest('Validation failed: close_time: Can only be set for won or lost deals');
  }
  d.status = status;
  if (status === 'open') {
    Object.assign(d, { won_time: null, lost_time: null, close_time: null, lost_reason: null });
    return;
  }
  const time = (key: string): string | undefined => (body[key] === undefined || body[key] === null ? undefined : timestamp(body[key], key));
  if (status === 'won') {
    d.won_time = time('won_time') ?? (changed ? now : d.won_time);
    d.lost_time = null;
    d.lost_reason = null;
  } else {
    d.lost_time = time('lost_time') ?? (changed ? now : d.lost_time);
    d.won_time = null;
    if (has(body, 'lost_reason')) d.lost_reason = (body.lost_reason as string | null) ?? null;
  }
  d.close_time = time('close_time') ?? (changed ? (d.won_time ?? d.lost_time) : d.close_time);
}

function expectedCloseDate(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || !isValidDate(value)) throw badRequest('Validation failed: expected_close_date: Expected a date (YYYY-MM-DD)');
  return value;
}

function currency(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) throw badRequest('Validation failed: currency: Expected a 3-letter currency code');
  return value;
}

/** Keeps a deal's value equal to the sum of its enabled products, as Pipedrive does once products are attached. */
export function recalculateDealValue(state: AccountState, dealId: number, now: number): void {
  const deal = state.deals.get(dealId);
  if (!deal) return;
  const products = state.dealProductsOf(dealId).filter((p) => p.is_enabled);
  const value = Math.round(products.reduce((sum, p) => sum + p.sum, 0) * 100) / 100;
  state.change(state.deals, deal, (d) => {
    d.value = value;
    d.update_time = rfc3339(now);
  });
}
