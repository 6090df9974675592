import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, DefaultFailureConverter, defaultPayloadConverter, RetryState } from '@temporalio/common';
import { describeFailure, failureCause, migrationFailure } from '../../src/cli/failure-cause';
import { statusHeader } from '../../src/cli/status-view';
import type { StoreProgress } from '../../src/cli/commands';
import type { MigrationStatus } from '../../src/workflows/messages';

const refused = () =>
  ApplicationFailure.create({
    type: 'PermanentFailure',
    message: 'Pipedrive refused POST /api/v2/persons (401): the API token is invalid',
    nonRetryable: true,
  });

/** What a failed load looks like from the client: child workflow → activity → the activity's ApplicationFailure. */
const childChain = () =>
  new ChildWorkflowFailure(
    'default',
    { workflowId: 'migration-x-full-load-person', runId: 'r1' },
    'loadObjectWorkflow',
    RetryState.NON_RETRYABLE_FAILURE,
    new ActivityFailure('Activity task failed', 'loadBatch', '7', RetryState.NON_RETRYABLE_FAILURE, 'worker@host', refused()),
  );

const progress: StoreProgress = {
  phase: 'FAILED',
  practiceName: 'Lakeside Dental',
  objects: {},
  reports: [],
  tokens: { byPhase: {}, total: { requests: 0, tokens: 0 } },
};

describe('the root cause of a failed migration', () => {
  it('walks child workflow and activity failures to the innermost message, its type and where it happened', () => {
    expect(failureCause(childChain())).toEqual({
      message: 'Pipedrive refused POST /api/v2/persons (401): the API token is invalid',
      type: 'PermanentFailure',
      permanent: true,
      activity: 'loadBatch',
      workflow: 'migration-x-full-load-person',
    });
    const badSource = ApplicationFailure.create({
      type: 'BadSource',
      message: 'Dentrix table "appt" is truncated',
      nonRetryable: true,
      details: [{ type: 'DentrixTableRowCount' }],
    });
    expect(failureCause(new ActivityFailure('Activity task failed', 'extractSource', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', badSource))).toEqual({
      message: 'Dentrix table "appt" is truncated',
      type: 'BadSource',
      detail: 'DentrixTableRowCount',
      permanent: true,
      activity: 'extractSource',
    });
  });

  it('prints it in status instead of "Activity task failed"', () => {
    const status = {
      phase: 'FAILED',
      error: 'Child Workflow execution failed',
      phaseHistory: [],
      reports: {},
      objects: {},
      fingerprints: {},
    } as unknown as MigrationStatus;
    const lines = statusHeader('x', status, progress, undefined, { ...failureCause(childChain())!, state: 'failed' });
    expect(lines).toContain(
      '  error: Pipedrive refused POST /api/v2/persons (401): the API token is invalid ' +
        '(PermanentFailure, permanent; in activity loadBatch of migration-x-full-load-person)',
    );
    expect(lines.join('\n')).not.toContain('Child Workflow execution failed');
    // Without a cause from Temporal (not reachable), the workflow's own error is still shown.
    expect(statusHeader('x', status, progress)).toContain('  error: Child Workflow execution failed');
  });
});

describe('what keeps failing in a running migration', () => {
  const proto = new DefaultFailureConverter().errorToFailure(
    ApplicationFailure.create({ type: 'TransientFailure', message: 'Pipedrive answered 503 on POST /api/v2/persons', nonRetryable: false }),
    defaultPayloadConverter,
  );
  /** A fake client: the migration runs, its person load child has an activity on its 4th attempt after a failure. */
  const client = (migration: Record<string, unknown>) => {
    const handles: Record<string, unknown> = {
      'migration-x': { describe: async () => migration, result: async () => ({}) },
      'migration-x-full-load-person': {
        describe: async () => ({
          status: { name: 'RUNNING' },
          raw: { pendingActivities: [{ activityType: { name: 'loadBatch' }, attempt: 4, lastFailure: proto }], pendingChildren: [] },
        }),
      },
    };
    return { workflow: { getHandle: (id: string) => handles[id] } } as unknown as Client;
  };

  it("shows the pending activity's last failure, found in the child workflow", async () => {
    const running = { status: { name: 'RUNNING' }, raw: { pendingActivities: [], pendingChildren: [{ workflowId: 'migration-x-full-load-person' }] } };
    const failure = await migrationFailure(client(running), 'x');
    expect(failure).toEqual({
      state: 'retrying',
      message: 'Pipedrive answered 503 on POST /api/v2/persons',
      type: 'TransientFailure',
      permanent: false,
      activity: 'loadBatch',
      workflow: 'migration-x-full-load-person',
      attempt: 4,
    });
    expect(describeFailure(failure!)).toBe(
      'retrying: activity loadBatch of migration-x-full-load-person keeps failing (attempt 4): Pipedrive answered 503 on POST /api/v2/persons (TransientFailure, transient)',
    );
  });

  it('says nothing when nothing fails, the migration completed, or it is unknown', async () => {
    expect(
      await migrationFailure(
        client({ status: { name: 'RUNNING' }, raw: { pendingActivities: [{ activityType: { name: 'extractSource' }, attempt: 1 }] } }),
        'x',
      ),
    ).toBeUndefined();
    expect(await migrationFailure(client({ status: { name: 'COMPLETED' }, raw: {} }), 'x')).toBeUndefined();
    const unknown = {
      workflow: { getHandle: () => ({ describe: () => Promise.reject(new WorkflowNotFoundError('not found', 'migration-x', undefined)) }) },
    } as unknown as Client;
    expect(await migrationFailure(unknown, 'x')).toBeUndefined();
  });
});
