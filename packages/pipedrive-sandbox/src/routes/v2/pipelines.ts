import type { PipelineRecord, StageRecord } from '../../state/records';
import { rfc3339 } from '../../time';
import { has, nonEmptyString, requireLive } from '../common';
import type { RouteDefinition } from '../types';
import { entityRoutes } from './crud';

/**
 * Pipelines and stages. `order_nr` is read-only: a new pipeline goes to the end of the list, a new stage to the end
 * of its pipeline. Deleting a pipeline marks its stages deleted too; deals keep their ids (not documented).
 */
export function pipelineRoutes(): RouteDefinition[] {
  const pipelines = entityRoutes<PipelineRecord>({
    collection: '/pipelines',
    label: 'Pipeline',
    table: (s) => s.pipelines,
    createStatus: 200,
    listFilter: () => (p) => !p.is_deleted,
    sortValue: (p, field) => (field === 'update_time' ? p.update_time : field === 'add_time' ? p.add_time : null),
    create: (ctx, body) => {
      const name = nonEmptyString(body.name, 'name');
      const orderNr = Math.max(0, ...[...ctx.state.pipelines.live()].map((p) => p.order_nr)) + 1;
      const now = rfc3339(ctx.now);
      return (id) => ({
        id,
        name,
        order_nr: orderNr,
        is_deleted: false,
        is_deal_probability_enabled: body.is_deal_probability_enabled === true,
        add_time: now,
        update_time: now,
      });
    },
    update: (_ctx, _row, body) => {
      const name = has(body, 'name') ? nonEmptyString(body.name, 'name') : undefined;
      return (p) => {
        if (name !== undefined) p.name = name;
        if (body.is_deal_probability_enabled !== undefined) p.is_deal_probability_enabled = body.is_deal_probability_enabled === true;
      };
    },
    serialize: (_ctx, p) => ({ ...p }),
    afterDelete: (ctx, pipeline) => {
      for (const stage of [...ctx.state.stages.live()].filter((s) => s.pipeline_id === pipeline.id)) {
        ctx.state.change(ctx.state.stages, stage, (s) => {
          s.is_deleted = true;
          s.update_time = rfc3339(ctx.now);
        });
      }
    },
  });

  const stages = entityRoutes<StageRecord>({
    collection: '/stages',
    label: 'Stage',
    table: (s) => s.stages,
    createStatus: 200,
    listFilter: (ctx) => {
      const pipelineId = ctx.params.pipeline_id as number | undefined;
      return (s) => !s.is_deleted && (pipelineId === undefined || s.pipeline_id === pipelineId);
    },
    sortValue: (s, field) => (field === 'update_time' ? s.update_time : field === 'add_time' ? s.add_time : field === 'order_nr' ? s.order_nr : null),
    create: (ctx, body) => {
      const name = nonEmptyString(body.name, 'name');
      const pipelineId = requireLive(ctx.state.pipelines, body.pipeline_id, 'pipeline_id', 'Pipeline');
      const orderNr = nextStageOrder(ctx.state.stages.live(), pipelineId);
      const now = rfc3339(ctx.now);
      return (id) => ({
        id,
        order_nr: orderNr,
        name,
        is_deleted: false,
        deal_probability: (body.deal_probability as number | undefined) ?? 100,
        pipeline_id: pipelineId,
        is_deal_rot_enabled: body.is_deal_rot_enabled === true,
        days_to_rotten: (body.days_to_rotten as number | undefined) ?? null,
        add_time: now,
        update_time: now,
      });
    },
    update: (ctx, row, body) => {
      const name = has(body, 'name') ? nonEmptyString(body.name, 'name') : undefined;
      const pipelineId = body.pipeline_id === undefined ? undefined : requireLive(ctx.state.pipelines, body.pipeline_id, 'pipeline_id', 'Pipeline');
      const moved = pipelineId !== undefined && pipelineId !== row.pipeline_id;
      const orderNr = moved ? nextStageOrder(ctx.state.stages.live(), pipelineId) : undefined;
      return (s) => {
        if (name !== undefined) s.name = name;
        if (pipelineId !== undefined) s.pipeline_id = pipelineId;
        if (orderNr !== undefined) s.order_nr = orderNr;
        if (body.deal_probability !== undefined) s.deal_probability = body.deal_probability as number;
        if (body.is_deal_rot_enabled !== undefined) s.is_deal_rot_enabled = body.is_deal_rot_enabled === true;
        if (has(body, 'days_to_rotten')) s.days_to_rotten = (body.days_to_rotten as number | null) ?? null;
      };
    },
    serialize: (_ctx, s) => ({ ...s }),
  });
  return [...pipelines, ...stages];
}

function nextStageOrder(stages: Iterable<StageRecord>, pipelineId: number): number {
  let max = 0;
  for (const s of stages) if (s.pipeline_id === pipelineId) max = Math.max(max, s.order_nr);
  return max + 1;
}
