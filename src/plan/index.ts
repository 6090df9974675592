/**
 * The `plan` estimator: requests, tokens and time per migration phase for a Pipedrive plan and seat count.
 *
 * For `plan --extract DIR --plan growth --seats 5 [--sample 300] [--json] [--detail]`, the CLI calls:
 *
 *   const reader = await openExtract({ kind: 'folder', path: dir });   // from src/dentrix
 *   let counts;
 *   try { counts = await countExtractObjects(reader); } finally { await reader.close(); }
 *   const estimate = estimatePlan(counts, { plan: 'growth', seats: 5, sampleSize: 300 });
 *   process.stdout.write(json ? formatPlanJson(estimate) : formatPlanText(estimate, { detail }));
 *
 * or, in one call, `await estimateFromExtract({ kind: 'folder', path: dir }, { plan, seats, sampleSize })`.
 * Bad options throw PlanInputError with a message naming the option.
 */
import { openExtract } from '../dentrix/open-extract';
import type { ExtractSourceSpec } from '../dentrix/extract-reader';
import { countExtractObjects } from './counts';
import { estimatePlan, type PlanEstimate, type PlanOptions } from './estimate';

export { countExtractObjects, EMPTY_COUNTS, type ObjectCounts } from './counts';
export {
  dealProductAttach,
  dealProductRemoval,
  estimatePlan,
  PIPEDRIVE_PLAN_NAMES,
  PlanInputError,
  type PhaseEstimate,
  type PipedrivePlan,
  type PlanEstimate,
  type PlanOptions,
  type SchemaSize,
} from './estimate';
export { formatPlanJson, formatPlanText } from './format';

/** Opens an extract, counts it in one read, closes it and estimates. */
export async function estimateFromExtract(source: ExtractSourceSpec, options: PlanOptions): Promise<PlanEstimate> {
  const reader = await openExtract(source);
  try {
    return estimatePlan(await countExtractObjects(reader), options);
  } finally {
    await reader.close();
  }
}
