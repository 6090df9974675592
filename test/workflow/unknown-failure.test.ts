import { WorkflowFailedError } from '@temporalio/client';
import { queryStatus } from '../../src/cli/commands';
import { createLogger } from '../../src/logging';
import { boundedUnknownFailures, UNKNOWN_FAILURE_ATTEMPTS } from '../../src/runtime/unknown-failures';
import { createWorkflowWorld, fakeMigration, startMigrationWorkflow, uniqueId, type WorkflowWorld } from '../support/workflow-world';

/**
 * An error no failure type names (here: a bug in the proposer) on the real migration workflow, with the worker's
 * interceptor: a handful of attempts, then a visible FAILED naming the activity, instead of MAPPING_REVIEW retrying
 * forever behind a phase that looks busy.
 */
describe('an unexpected activity error ends as a visible failure', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it(`fails the migration after ${UNKNOWN_FAILURE_ATTEMPTS} attempts with UnknownFailure, the activity and the error's class named`, async () => {
    const fake = fakeMigration();
    let attempts = 0;
    fake.activities.proposeMap = async () => {
      attempts++;
      throw new TypeError("Cannot read properties of undefined (reading 'columns') for patient Ann Lee");
    };
    await world.startWorker(fake.activities, { interceptors: { activity: [boundedUnknownFailures(createLogger('silent'))] } });
    const migrationId = uniqueId('unknown-failure');
    const handle = await startMigrationWorkflow(world, migrationId);

    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(attempts).toBe(UNKNOWN_FAILURE_ATTEMPTS);
    const status = await queryStatus(world.client, migrationId);
    expect(status?.phase).toBe('FAILED');
    expect(status?.error).toContain(`proposeMap failed ${UNKNOWN_FAILURE_ATTEMPTS} times with an unexpected TypeError`);
    // The error's own message (which could quote a value) stays out of the history.
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).toContain('UnknownFailure');
    expect(history).not.toContain('Ann Lee');
  }, 120_000);
});
