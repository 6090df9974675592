/** Treatment plans as deals: the pipeline, and the stage, status and lost reason from the pipeline's status map. */
import { z } from 'zod';
import type { FieldMap } from '../field-map';
import { sourceKeys } from '../source-keys';
import { planStageOf } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, none, text, firstColumn, type TransformDef } from './rule';
import { resolveRef } from './references';

function pipelineDef(map: FieldMap, name: string) {
  const pipeline = map.objects.pipelines.find((p) => p.name === name);
  if (!pipeline) throw new Error(`pipeline ${name} is not defined in the field map`);
  return pipeline;
}

const PipelineParams = z.object({ pipeline: z.string().min(1) }).strict();
const UNMAPPED_PLAN_STATUS = 'treatment-plan status has no entry in the pipeline status map';

function planMapping(map: FieldMap, pipeline: string, status: unknown) {
  return planStageOf(text(status), pipelineDef(map, pipeline).statusMap);
}

export const PLAN_TRANSFORMS = {
  pipeline: define({
    params: PipelineParams,
    description: 'the id of the pipeline the SCHEMA phase created',
    apply: ({ params, env }) =>
      resolveRef(env, { objectType: 'pipeline', sourceKey: sourceKeys.pipeline(params.pipeline) }, { required: true, fallbackOwner: false, column: null }),
    refs: ({ params }) => [{ objectType: 'pipeline', sourceKey: sourceKeys.pipeline(params.pipeline) }],
  }),

  plan_stage: define({
    params: PipelineParams,
    description: 'treatment-plan status → the stage id, by the pipeline status map',
    apply: (input) => {
      const mapping = planMapping(input.env.ctx.map, input.params.pipeline, input.values[0]);
      if (!mapping) return { value: null, reject: { column: firstColumn(input), reason: UNMAPPED_PLAN_STATUS } };
      const ref = { objectType: 'stage' as const, sourceKey: sourceKeys.stage(input.params.pipeline, mapping.stage) };
      return resolveRef(input.env, ref, { required: true, fallbackOwner: false, column: null });
    },
    refs: ({ values, params, map }) => {
      const mapping = planMapping(map, params.pipeline, values[0]);
      return mapping ? [{ objectType: 'stage', sourceKey: sourceKeys.stage(params.pipeline, mapping.stage) }] : [];
    },
  }),

  plan_status: define({
    params: PipelineParams,
    description: 'treatment-plan status → deal status (open, won, lost), by the pipeline status map',
    apply: (input) => {
      const mapping = planMapping(input.env.ctx.map, input.params.pipeline, input.values[0]);
      return mapping ? none(mapping.status) : { value: null, reject: { column: firstColumn(input), reason: UNMAPPED_PLAN_STATUS } };
    },
  }),

  plan_lost_reason: define({
    params: PipelineParams,
    description: 'the lost reason of a status that maps to lost',
    apply: ({ values, params, env }) => {
      const mapping = planMapping(env.ctx.map, params.pipeline, values[0]);
      return none(mapping?.status === 'lost' ? (mapping.lostReason ?? null) : null);
    },
  }),
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;
