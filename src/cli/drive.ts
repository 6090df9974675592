import { type Client } from '@temporalio/client';
import { migrationResult } from './migration-result';
import { type Pool } from 'pg';
import { recordCutover } from '../store/audit';
import { migrationWorkflowId } from '../runtime/temporal';
import type { MigrationResult } from '../workflows/migration';
import { type DeltaProgress, type MigrationStatus } from '../workflows/messages';
import { queryStatus, sendApproval, sendCutover } from './commands';
import { TemporalUnavailableError, withTemporalRetry, type TemporalRetryOptions } from './temporal-retry';

export interface DrivePolicy {
  /** Who the approvals are recorded as. */
  by: string;
  /** Include every PHI rule at MAPPING_REVIEW (a compliance decision: the demo says so when it does it). */
  includeAllPhi?: boolean;
  /** Approve SAMPLE_REVIEW only at or above this accuracy; below it, stop and report instead of overriding. */
  minSampleAccuracy: number;
  /** Signal cutover once the delta window has polled this many times (undefined: let the window run out). */
  cutoverAfterPolls?: number;
  /** The store: a scripted cutover is audited there like one from the CLI (who, why, claims in flight). */
  audit?: Pool;
  /** Called for every decision the driver takes, so the caller can say it out loud. */
  onDecision?: (message: string) => void;
  /** Awaited before any decision on that status, so what it shows comes before the approval. */
  onStatus?: (status: MigrationStatus) => void | Promise<void>;
  pollMs?: number;
  /**
   * While Temporal does not answer (a restart, a network blip), every query, signal and the wait for the result is
   * retried with backoff, like the worker's own polling; an outage longer than `giveUpAfterMs` (default 2 minutes)
   * ends the drive with a TemporalUnavailableError saying so. `onRetry` hears each retry.
   */
  temporalRetry?: TemporalRetryOptions;
}

export class SampleBelowThresholdError extends Error {
  override readonly name = 'SampleBelowThresholdError';
}

/** Verification found problems: going on is a person's written decision, never a script's. */
export class VerificationNeedsReviewError extends Error {
  override readonly name = 'VerificationNeedsReviewError';
}

/**
 * Drives a running migration through its gates by signal, the way an operator would from the CLI, until the
 * workflow ends. Used by the demo and the end-to-end tests.
 */
export async function driveMigration(rawClient: Client, migrationId: string, policy: DrivePolicy): Promise<MigrationResult> {
  const client = withTemporalRetry(rawClient, policy.temporalRetry);
  const handle = client.workflow.getHandle(migrationWorkflowId(migrationId));
  const result = migrationResult(handle);
  let settled = false;
  void result.then(
    () => (settled = true),
    () => (settled = true),
  );
  const decided = new Set<string>();
  let cutoverSent = false;
  while (!settled) {
    // No answer yet (a workflow task in flight) is no status this round; Temporal gone for good ends the drive.
    const status = await queryStatus(client, migrationId).catch((err: unknown) => {
      if (err instanceof TemporalUnavailableError) throw err;
      return undefined;
    });
    if (status) {
      await policy.onStatus?.(status);
      const gateKey = `${status.waitingFor}#${status.phaseHistory.length}`;
      if (status.waitingFor === 'MAPPING_REVIEW' && !decided.has(gateKey)) {
        decided.add(gateKey);
        policy.onDecision?.(
          `approving MAPPING_REVIEW (map as proposed${policy.includeAllPhi ? ', every PHI field included unchanged, SSN excluded' : ', no PHI'}) as "${policy.by}"`,
        );
        await sendApproval(client, migrationId, { gate: 'MAPPING_REVIEW', by: policy.by, includeAllPhi: policy.includeAllPhi });
      }
      if (status.waitingFor === 'SAMPLE_REVIEW' && status.sample && !decided.has(gateKey)) {
        decided.add(gateKey);
        if (status.sample.accuracy < policy.minSampleAccuracy) {
          throw new SampleBelowThresholdError(
            `sample accuracy ${status.sample.accuracy.toFixed(2)}% is below ${policy.minSampleAccuracy}%: not approving; see ${status.reports.sampleDiff ?? 'the sample diff report'}`,
          );
        }
        policy.onDecision?.(`approving SAMPLE_REVIEW at ${status.sample.accuracy.toFixed(2)}% field accuracy as "${policy.by}"`);
        await sendApproval(client, migrationId, { gate: 'SAMPLE_REVIEW', by: policy.by, sampleRun: status.sample.run });
      }
      if (status.waitingFor === 'VERIFY_REVIEW') {
        throw new VerificationNeedsReviewError(
          `verification found problems (${(status.verification?.problems ?? []).join('; ')}): it waits at VERIFY_REVIEW for a person to ` +
            `approve with a written reason or roll back; see ${status.reports.verification ?? 'the verification report'}`,
        );
      }
      if (
        status.phase === 'DELTA' &&
        !cutoverSent &&
        policy.cutoverAfterPolls !== undefined &&
        (status.delta?.polls ?? (await deltaPolls(client, migrationId))) >= policy.cutoverAfterPolls
      ) {
        cutoverSent = true;
        // Ops must clear in-flight claims before cutover (`cutover` refuses without --force); a scripted driver
        // cuts over anyway and says so, with the count and where the list is.
        const claims = await deltaProgress(client, migrationId);
        const inFlight = claims?.inFlightClaims
          ? `, with ${claims.inFlightClaims} insurance claim(s) still in flight (forced; see ${claims.inFlightClaimsReportPath ?? 'the in-flight claims report'})`
          : '';
        policy.onDecision?.(`signalling cutover after ${policy.cutoverAfterPolls} delta poll(s)${inFlight}`);
        if (policy.audit) {
          const inFlightClaims = claims?.inFlightClaims ?? 0;
          const reason = `scripted cutover after ${policy.cutoverAfterPolls} delta poll(s)`;
          await recordCutover(policy.audit, migrationId, { by: policy.by, forced: inFlightClaims > 0, inFlightClaims, reason });
        }
        await sendCutover(client, migrationId, policy.by);
      }
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, policy.pollMs ?? 500))]);
  }
  return result;
}

/** The delta child's progress, from its current details (the parent learns the counts only when it ends). */
async function deltaPolls(client: Client, migrationId: string): Promise<number> {
  try {
    return (await deltaProgress(client, migrationId))?.polls ?? 0;
  } catch {
    return 0;
  }
}

async function deltaProgress(client: Client, migrationId: string): Promise<DeltaProgress | undefined> {
  try {
    return await client.workflow.getHandle(`${migrationWorkflowId(migrationId)}-delta`).query<DeltaProgress>('deltaProgress');
  } catch {
    return undefined;
  }
}
