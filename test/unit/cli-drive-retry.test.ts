import { type Client, ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { driveMigration } from '../../src/cli/drive';
import { isTransientConnectionError, retryTemporal, TemporalUnavailableError } from '../../src/cli/temporal-retry';
import type { MigrationStatus } from '../../src/workflows/messages';

/** What the client throws while the Temporal server restarts: a ServiceError over gRPC status 14. */
const unavailable = (what = 'Failed to query Workflow') =>
  new ServiceError(what, {
    cause: Object.assign(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233'), { code: 14 }),
  });

const status = (over: Partial<MigrationStatus>): MigrationStatus =>
  ({
    phase: 'MAPPING_REVIEW',
    phaseHistory: [{ phase: 'EXTRACT' }, { phase: 'MAPPING_REVIEW' }],
    reports: {},
    objects: {},
    fingerprints: {},
    ...over,
  }) as unknown as MigrationStatus;

/**
 * A client whose migration waits at MAPPING_REVIEW until approved, then ends; the server "restarts" under it: the
 * first `queryFailures` queries, the first signal (or update) and the first wait for the result fail UNAVAILABLE.
 */
function flakyClient(queryFailures: number) {
  const calls = { queries: 0, queryFailures: 0, approvals: [] as unknown[], sendFailures: 0, resultFailures: 0 };
  let approve!: () => void;
  const approved = new Promise<void>((resolve) => (approve = resolve));
  let isApproved = false;
  const send = async (_def: unknown, arg: unknown) => {
    if (calls.sendFailures === 0) {
      calls.sendFailures += 1;
      throw unavailable('Failed to signal Workflow');
    }
    // A signal's argument, or an update's options ({ args: [input] }).
    calls.approvals.push((arg as { args?: unknown[] } | undefined)?.args?.[0] ?? arg);
    isApproved = true;
    approve();
    return undefined;
  };
  const handle = {
    workflowId: 'migration-flaky',
    async query() {
      calls.queries += 1;
      if (calls.queryFailures < queryFailures) {
        calls.queryFailures += 1;
        throw unavailable();
      }
      return isApproved ? status({ phase: 'DONE', phaseHistory: [] }) : status({ waitingFor: 'MAPPING_REVIEW' });
    },
    signal: send,
    executeUpdate: send,
    async result() {
      if (calls.resultFailures === 0) {
        calls.resultFailures += 1;
        throw unavailable('Failed to get Workflow history');
      }
      await approved;
      return { status: status({ phase: 'DONE' }) };
    },
  };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  return { client, calls };
}

describe('the gate driver through a Temporal outage', () => {
  const fast = { initialDelayMs: 10, maxDelayMs: 40 };

  it('retries the status query, the approval and the wait for the result, then finishes the drive', async () => {
    const { client, calls } = flakyClient(2);
    const retries: string[] = [];
    const result = await driveMigration(client, 'flaky', {
      by: 'test',
      minSampleAccuracy: 99,
      pollMs: 5,
      temporalRetry: { ...fast, giveUpAfterMs: 5_000, onRetry: (m) => retries.push(m) },
    });
    expect(result.status.phase).toBe('DONE');
    expect(calls.queryFailures).toBe(2);
    expect(calls.approvals).toEqual([expect.objectContaining({ gate: 'MAPPING_REVIEW', by: 'test' })]);
    expect(calls.resultFailures).toBe(1);
    expect(retries.length).toBeGreaterThanOrEqual(4);
    expect(retries[0]).toMatch(/^Temporal did not answer .* \(connection refused\); retrying in \d+ ms$/);
  });

  it('gives up after the bounded time with a message saying what it waited for and how to check on the migration', async () => {
    const { client } = flakyClient(Number.POSITIVE_INFINITY);
    const drive = driveMigration(client, 'flaky', { by: 'test', minSampleAccuracy: 99, pollMs: 5, temporalRetry: { ...fast, giveUpAfterMs: 200 } });
    await expect(drive).rejects.toThrow(TemporalUnavailableError);
    await expect(drive).rejects.toThrow(/^Temporal has not answered .* for 0 s \(connection refused\); giving up\. .*npm run starter -- status/);
  });

  it('does not retry what is not an outage', async () => {
    let calls = 0;
    const failing = retryTemporal(
      'a call',
      async () => {
        calls += 1;
        throw new Error('Query handler not found');
      },
      fast,
    );
    await expect(failing).rejects.toThrow('Query handler not found');
    expect(calls).toBe(1);
  });

  it('tells an outage from a workflow failure', () => {
    expect(isTransientConnectionError(unavailable())).toBe(true);
    expect(isTransientConnectionError(Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4 }))).toBe(true);
    expect(isTransientConnectionError(new Error('connect ECONNREFUSED 127.0.0.1:7233'))).toBe(true);
    const failed = new WorkflowFailedError(
      'Workflow execution failed',
      ApplicationFailure.nonRetryable('deadline exceeded reading Pipedrive'),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(isTransientConnectionError(failed)).toBe(false);
    expect(isTransientConnectionError(new Error('boom'))).toBe(false);
  });
});
