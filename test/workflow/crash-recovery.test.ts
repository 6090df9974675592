import { createWorkflowWorld, fakeMigration, startMigrationWorkflow, statusWhen, uniqueId, type WorkflowWorld } from '../support/workflow-world';

jest.setTimeout(3 * 60_000);

/**
 * A worker that dies while a bookkeeping activity runs on it (here `matchOwners`, a short activity, as are the next
 * wave's planning and the last wave's count that run beside the batches): the server gives the activity to another
 * worker when its heartbeats stop, within the short activities' heartbeat timeout (a minute), not at their 5-minute
 * start-to-close timeout.
 */
describe('a bookkeeping activity on a worker that died', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is retried on another worker within its heartbeat timeout', async () => {
    const fake = fakeMigration();
    let reached!: () => void;
    const running = new Promise<void>((resolve) => (reached = resolve));
    // The first worker's matchOwners never ends and never heartbeats, whatever it is told: a process that is gone.
    await world.startWorker(
      {
        ...fake.activities,
        matchOwners: () => {
          reached();
          return new Promise(() => undefined);
        },
      },
      { shutdownForceTime: '2s' },
    );
    const migrationId = uniqueId('crash-short');
    await startMigrationWorkflow(world, migrationId);
    await running;
    // The worker goes without answering for its activity (the forced shutdown gives up on it, as a kill would).
    await world.stopWorker();
    const stoppedAt = Date.now();

    await world.startWorker(fake.activities);
    await statusWhen(world, migrationId, 'the migration at MAPPING_REVIEW after the retried matchOwners', (s) => s.waitingFor === 'MAPPING_REVIEW', 100_000);
    const waited = (Date.now() - stoppedAt) / 1000;
    expect(fake.callsTo('matchOwners')).toHaveLength(1);
    // Within the minute of the heartbeat timeout (and the retry's 1-s backoff), with room for a loaded machine.
    expect(waited).toBeLessThan(90);
  });
});
