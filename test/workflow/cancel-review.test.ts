import { WorkflowFailedError } from '@temporalio/client';
import { migrationResult } from '../../src/cli/migration-result';
import { sendApproval, sendRejection } from '../../src/cli/commands';
import { rollbackSignal } from '../../src/workflows/messages';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'cancel-reviewer';

/**
 * The Web UI's most prominent button, "Request Cancellation", on the real migration workflow (activities stubbed): the
 * migration stops writing and asks what to do with what it created; it never silently leaves records behind as FAILED,
 * and never looks Completed.
 */
describe('cancelling a migration pauses it and asks: keep what was written, or roll it back', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  async function cancelledAtSampleReview(name: string) {
    const fake = fakeMigration();
    await world.startWorker(fake.activities);
    const migrationId = uniqueId(name);
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');
    await handle.cancel();
    const status = await atGate(world, migrationId, 'CANCEL_REVIEW');
    return { fake, migrationId, handle, status };
  }

  it('after writes, waits at CANCEL_REVIEW; keeping the records needs a written reason, and the workflow ends Cancelled', async () => {
    const { fake, migrationId, handle, status } = await cancelledAtSampleReview('cancel-keep');
    expect(status.phase).toBe('CANCEL_REVIEW');
    expect(status.gateMessage).toMatch(/^cancelled: nothing more is written/u);
    await expect(sendApproval(world.client, migrationId, { gate: 'CANCEL_REVIEW', by: BY })).rejects.toThrow(/needs a written reason/u);

    expect(
      await sendApproval(world.client, migrationId, { gate: 'CANCEL_REVIEW', by: BY, overrideReason: 'the practice keeps the sample records' }),
    ).toMatchObject({
      gate: 'CANCEL_REVIEW',
      decision: 'approve',
    });
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(fake.callsTo('recordDecision')).toContainEqual(
      expect.objectContaining({ gate: 'CANCEL_REVIEW', decision: 'keep_records', by: BY, reason: 'the practice keeps the sample records' }),
    );
    expect(fake.callsTo('beginRollback')).toEqual([]);
    expect(fake.callsTo('markPhase').at(-1)).toMatchObject({ phase: 'CANCELLED' });
  });

  it('a rollback (signal or reject) at CANCEL_REVIEW rolls everything back', async () => {
    const { fake, handle } = await cancelledAtSampleReview('cancel-rollback');
    await handle.signal(rollbackSignal, { by: BY, reason: 'cancelled by mistake, start over' });
    const result = await migrationResult(handle);
    expect(result.status.phase).toBe('ROLLED_BACK');
    expect(result.status.waitingFor).toBeUndefined();
    expect(fake.callsTo('beginRollback')).toEqual([expect.objectContaining({ scope: 'all', by: BY, reason: 'cancelled by mistake, start over' })]);

    const second = await cancelledAtSampleReview('cancel-reject');
    await sendRejection(world.client, second.migrationId, { gate: 'CANCEL_REVIEW', by: BY, reason: 'roll it back' });
    expect((await migrationResult(second.handle)).status.phase).toBe('ROLLED_BACK');
    expect(second.fake.callsTo('beginRollback')).toEqual([expect.objectContaining({ scope: 'all', by: BY, reason: 'roll it back' })]);
  });

  it('before anything was written, ends Cancelled at once (nothing to keep or roll back)', async () => {
    const fake = fakeMigration();
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('cancel-early');
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(fake.callsTo('markPhase').at(-1)).toMatchObject({ phase: 'CANCELLED' });
    expect(fake.callsTo('createSchema')).toEqual([]);
  });
});
