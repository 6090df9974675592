import {
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { shortActivity, sourceActivity } from './activity-options';
import { loadObjectWorkflow } from './load-object';
import { cutoverSignal, deltaProgressQuery } from './messages';

type Activities = ReturnType<typeof createActivities>;
const short = proxyActivities<Activities>(shortActivity);
const source = proxyActivities<Activities>(sourceActivity);

export interface DeltaInput {
  migrationId: string;
  objectTypes: string[];
  windowSeconds: number;
  pollSeconds: number;
  batchSize: number;
  concurrency: number;
  /** Carried across continue-as-new. */
  resume?: { endsAt: string; polls: number; created: number; updated: number };
}

export interface DeltaResult {
  polls: number;
  created: number;
  updated: number;
  endedBy: 'cutover' | 'window_end';
  inFlightClaims: number;
  inFlightClaimsReportPath?: string;
}

/**
 * The cutover window: on durable timers, picks up source rows created or changed since the last look, creates the
 * new records and updates the changed ones (saving before-images), until ops signal cutover or the window ends.
 */
export async function deltaWorkflow(input: DeltaInput): Promise<DeltaResult> {
  const { migrationId } = input;
  let cutover = false;
  setHandler(cutoverSignal, () => {
    cutover = true;
  });
  const endsAt = input.resume?.endsAt ?? new Date(Date.now() + input.windowSeconds * 1000).toISOString();
  let polls = input.resume?.polls ?? 0;
  let created = input.resume?.created ?? 0;
  let updated = input.resume?.updated ?? 0;
  // The last poll's view of the in-flight claims (queries and details only: no command depends on them).
  let claims: { count: number; reportPath?: string } | undefined;
  setHandler(deltaProgressQuery, () => ({
    polls,
    created,
    updated,
    endsAt,
    ...(claims ? { inFlightClaims: claims.count, inFlightClaimsReportPath: claims.reportPath } : {}),
  }));
  const show = (note: string) =>
    setCurrentDetails(
      `**Delta window** until ${endsAt}: ${polls} polls, ${created} created, ${updated} updated\n\n${note}\n\n` +
        (claims?.count
          ? `**${claims.count} insurance claims in flight** (sent or pending in Dentrix): they must clear before cutover` +
            `${claims.reportPath ? ` (report \`${claims.reportPath}\`)` : ''}.\n\n`
          : '') +
        'Signal `cutover` to close the window.',
    );

  while (!cutover && Date.now() < Date.parse(endsAt)) {
    polls += 1;
    show('polling the source for changes');
    // A poll retries while the source cannot be read; cutover and the window's end do not wait for it.
    const pollScope = new CancellationScope();
    const polling = pollScope.run(() => source.deltaPoll({ migrationId, pollNumber: polls }));
    const waitScope = new CancellationScope();
    const stopped = waitScope.run(() => condition(() => cutover, Date.parse(endsAt) - Date.now())).catch(() => false);
    const poll = await Promise.race([polling, stopped.then(() => undefined)]);
    waitScope.cancel();
    if (!poll) {
      pollScope.cancel();
      await polling.catch(() => undefined);
      break;
    }
    claims = { count: poll.inFlightClaims, reportPath: poll.inFlightClaimsReportPath };
    for (const objectType of input.objectTypes) {
      if (!poll.workItems[objectType]) continue;
      const result = await executeChild(loadObjectWorkflow, {
        workflowId: `${workflowInfo().workflowId}-${polls}-${objectType}`,
        args: [{ migrationId, objectType, runKind: 'delta', mode: 'load', batchSize: input.batchSize, concurrency: input.concurrency }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `delta ${objectType} (poll ${polls})`,
      });
      created += result.totals.migrated;
      updated += result.totals.updated;
    }
    show(`last poll found ${poll.changedRows} changed rows`);
    const remainingMs = Date.parse(endsAt) - Date.now();
    if (remainingMs <= 0) break;
    await condition(() => cutover, Math.min(input.pollSeconds * 1000, remainingMs));
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof deltaWorkflow>({ ...input, resume: { endsAt, polls, created, updated } });
    }
  }

  const final = await short.reportInFlightClaims({ migrationId });
  claims = { count: final.inFlightClaims, reportPath: final.reportPath };
  show(cutover ? 'closed by cutover' : 'window ended');
  return {
    polls,
    created,
    updated,
    endedBy: cutover ? 'cutover' : 'window_end',
    inFlightClaims: final.inFlightClaims,
    inFlightClaimsReportPath: final.reportPath,
  };
}
