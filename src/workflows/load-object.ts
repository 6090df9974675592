import {
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { BatchRange, PlannedWork } from '../activities/contracts';
import { batchActivity, shortActivity } from './activity-options';
import { withDailyBudget } from './budget';
import { loadPausedSignal, loadProgressQuery, loadProgressSignal, type BatchCounts, type LoadProgress, type RunKind } from './messages';

type Activities = ReturnType<typeof createActivities>;
const short = proxyActivities<Activities>(shortActivity);
const batch = proxyActivities<Activities>(batchActivity);

export interface LoadObjectInput {
  migrationId: string;
  objectType: string;
  runKind: RunKind;
  mode: 'load' | 'verify';
  batchSize: number;
  /** Batches of this object type in flight at once. */
  concurrency: number;
  /**
   * Tell the parent (the migration, whose status query and Web UI details ops watch) when the batches pause on the daily
   * budget, and how far they are (at most every PROGRESS_EVERY_MS, and at the end).
   */
  reportPauses?: boolean;
  /** The work items are planned already (by the parent, while the wave before loaded): how many, and the first window. */
  planned?: PlannedWork;
  /** Carried across continue-as-new. */
  resume?: {
    afterSeq: number;
    batchNumber: number;
    total: number;
    done: number;
    totals: BatchCounts;
    verification: VerificationTotals;
  };
}

export interface VerificationTotals {
  recordsCompared: number;
  fieldsCompared: number;
  fieldsMatched: number;
  discrepancies: number;
}

export interface LoadObjectResult {
  objectType: string;
  total: number;
  totals: BatchCounts;
  /** verify mode only */
  verification?: VerificationTotals;
}

/** Histories from before this change ran batches in rounds: a round's next batches waited for its slowest. */
const SLIDING_WINDOW = 'batches-in-a-sliding-window';

/** Histories from before this change asked for one more window after the last one to learn that nothing was left. */
const WINDOW_KNOWS_ITS_END = 'last-window-known';

/** Histories from before this change told the parent nothing of their progress until they ended. */
const PROGRESS_TO_PARENT = 'load-progress-to-parent';
/** Live enough for a person watching, few enough signals for the parent's history (one per 5 s of work at most). */
const PROGRESS_EVERY_MS = 5_000;

const ZERO: BatchCounts = { migrated: 0, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 };

/**
 * One object type's load (or verification) for one run: a batch iterator over the run's work items, a bounded
 * window of batch activities in flight, continue-as-new when the history grows, and a durable pause when
 * Pipedrive's daily token budget is spent.
 */
export async function loadObjectWorkflow(input: LoadObjectInput): Promise<LoadObjectResult> {
  const { migrationId, objectType, runKind, mode } = input;
  const progress: LoadProgress = {
    objectType,
    runKind,
    mode,
    total: input.resume?.total ?? 0,
    done: input.resume?.done ?? 0,
    totals: { ...(input.resume?.totals ?? ZERO) },
  };
  const verification: VerificationTotals = {
    ...(input.resume?.verification ?? { recordsCompared: 0, fieldsCompared: 0, fieldsMatched: 0, discrepancies: 0 }),
  };
  setHandler(loadProgressQuery, () => progress);

  if (!input.resume) {
    const planned = input.planned ?? (await short.planObjectWork({ migrationId, objectType, runKind }));
    progress.total = planned.total;
  }
  let afterSeq = input.resume?.afterSeq ?? 0;
  let batchNumber = input.resume?.batchNumber ?? 0;

  const showDetails = () =>
    setCurrentDetails(
      `**${objectType}** ${mode} (${runKind}): ${progress.done} / ${progress.total} work items\n\n` +
        `migrated ${progress.totals.migrated} · skipped ${progress.totals.skipped} · rejected ${progress.totals.rejected}` +
        ` · recovered after lost responses ${progress.totals.recovered}` +
        (progress.paused ? `\n\n⏸ ${progress.paused.reason}; resumes at ${progress.paused.until}` : ''),
    );
  showDetails();
  const setPaused = (pause: LoadProgress['paused']) => {
    const changed = progress.paused?.until !== pause?.until;
    progress.paused = pause;
    showDetails();
    const parent = workflowInfo().parent;
    if (changed && input.reportPauses && parent) {
      void getExternalWorkflowHandle(parent.workflowId)
        .signal(loadPausedSignal, { objectType, paused: pause })
        .catch(() => undefined);
    }
  };

  let progressSentAt = 0;
  const tellParent = (final: boolean) => {
    const parent = workflowInfo().parent;
    if (!input.reportPauses || !parent || !patched(PROGRESS_TO_PARENT)) return;
    if (!final && Date.now() - progressSentAt < PROGRESS_EVERY_MS) return;
    progressSentAt = Date.now();
    void getExternalWorkflowHandle(parent.workflowId)
      .signal(loadProgressSignal, { ...progress, totals: { ...progress.totals } })
      .catch(() => undefined);
  };

  tellParent(false); // planned: the parent shows the total before the first batch ends

  /** One batch, its counts added to the progress as it ends. */
  const runBatch = async (range: BatchRange) => {
    const number = ++batchNumber;
    const summary = `${objectType} ${mode} batch ${number} (${runKind})`;
    const batchInput = { migrationId, objectType, runKind, fromSeq: range.fromSeq, toSeq: range.toSeq, batchNumber: number };
    if (mode === 'load') {
      const counts = await withDailyBudget(() => batch.loadBatch.executeWithOptions({ ...batchActivity, summary }, [batchInput]), setPaused);
      addCounts(progress.totals, counts);
      progress.done += counts.migrated + counts.updated + counts.skipped + counts.rejected + counts.alreadyDone;
    } else {
      const result = await withDailyBudget(() => batch.verifyBatch.executeWithOptions({ ...batchActivity, summary }, [batchInput]), setPaused);
      verification.recordsCompared += result.recordsCompared;
      verification.fieldsCompared += result.fieldsCompared;
      verification.fieldsMatched += result.fieldsMatched;
      verification.discrepancies += result.discrepancies;
      progress.done += result.recordsCompared;
    }
    showDetails();
    tellParent(false);
  };
  const nextRanges = (after: number): Promise<BatchRange[]> =>
    short.nextBatches({
      migrationId,
      objectType,
      runKind,
      afterSeq: after,
      batchSize: input.batchSize,
      maxBatches: input.concurrency,
      ...(mode === 'load' ? { splitTail: true } : {}),
    });
  const continueFrom = async (after: number): Promise<never> => {
    await condition(allHandlersFinished);
    return continueAsNew<typeof loadObjectWorkflow>({
      ...input,
      resume: { afterSeq: after, batchNumber, total: progress.total, done: progress.done, totals: progress.totals, verification },
    });
  };

  if (patched(SLIDING_WINDOW)) {
    // A sliding window (samples-typescript's batch sliding window): a batch starts as soon as one ends, so a slow batch
    // never holds the others. Ranges are contiguous and start in order, so when the window is empty every range up to
    // the last one started is done: that is where a continue-as-new resumes.
    const inFlight = new Set<Promise<void>>();
    // The first window, when the parent planned it with the work: one round trip fewer before the first batch.
    const first = input.resume ? undefined : input.planned?.firstRanges;
    let queued: BatchRange[] = first ? [...first] : [];
    let fetchedThrough = queued.at(-1)?.toSeq ?? afterSeq;
    // A window whose last range ends the work (older workers' never say so) spares a round trip at the type's end,
    // where the types that load after it wait for it.
    const endsWork = (ranges: BatchRange[]) => ranges.length === 0 || (ranges.at(-1)!.last === true && patched(WINDOW_KNOWS_ITS_END));
    let exhausted = first !== undefined && endsWork(first);
    for (;;) {
      const draining = workflowInfo().continueAsNewSuggested;
      if (!draining && queued.length === 0 && !exhausted) {
        queued = await nextRanges(fetchedThrough);
        exhausted = endsWork(queued);
        if (queued.length > 0) fetchedThrough = queued[queued.length - 1]!.toSeq;
      }
      while (!draining && queued.length > 0 && inFlight.size < input.concurrency) {
        const range = queued.shift()!;
        afterSeq = range.toSeq;
        const running: Promise<void> = runBatch(range).finally(() => inFlight.delete(running));
        inFlight.add(running);
      }
      if (inFlight.size === 0) {
        if (draining) await continueFrom(afterSeq);
        if (exhausted && queued.length === 0) break;
        continue;
      }
      await Promise.race(inFlight);
    }
  } else {
    for (;;) {
      const ranges: BatchRange[] = await nextRanges(afterSeq);
      if (ranges.length === 0) break;
      await Promise.all(ranges.map(runBatch));
      afterSeq = ranges[ranges.length - 1]!.toSeq;
      if (workflowInfo().continueAsNewSuggested) await continueFrom(afterSeq);
    }
  }

  tellParent(true);
  return {
    objectType,
    total: progress.total,
    totals: progress.totals,
    ...(mode === 'verify' ? { verification } : {}),
  };
}

function addCounts(into: BatchCounts, add: BatchCounts): void {
  into.migrated += add.migrated;
  into.updated += add.updated;
  into.skipped += add.skipped;
  into.rejected += add.rejected;
  into.recovered += add.recovered;
  into.alreadyDone += add.alreadyDone;
}
