import { sendApproval } from '../../src/cli/commands';
import { migrationResult } from '../../src/cli/migration-result';
import { rollbackSignal } from '../../src/workflows/messages';
import { waitFor } from '../support/wait';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, statusWhen, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'progress-watcher';

/** The Web UI's Current Details, as the UI reads them (the SDK's built-in metadata query). */
async function currentDetails(world: WorkflowWorld, workflowId: string): Promise<string> {
  const meta = await world.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}

/**
 * What the migration shows while it loads and rolls back (issue 16): the phase's own per-type progress, live from its
 * children, never the sample's counts for a type the full run has not reached; a rollback's deletes as they happen; and
 * a rolled-back migration ends Failed (red in the Web UI's list), never Completed.
 */
describe('live progress in the status query and the Web UI details', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it("shows the full run's own progress per type, then a rollback's deletes, and ends Failed when rolled back", async () => {
    const fake = fakeMigration({ items: { sample: { organization: 3, person: 5 }, full: { organization: 6, person: 12 } } });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('live-progress');
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');

    const batches = fake.hold('loadBatch'); // the full run's first batch: hold it there
    await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY });
    await batches.reached;
    const full = await statusWhen(world, migrationId, "the full run's planned organizations", (s) => s.phaseProgress?.objects.organization?.total === 6);
    expect(full.phase).toBe('FULL');
    expect(full.phaseProgress).toMatchObject({
      runKind: 'full',
      mode: 'load',
      objects: {
        organization: { state: 'running', total: 6, done: 0, migrated: 0 },
        // Not reached yet: nothing done, whatever the sample loaded; its total is the plan's for the full run.
        person: { state: 'waiting', total: 12, done: 0, migrated: 0 },
      },
    });
    // The next wave's work is planned while the first one loads (its first batch is held here), not when it starts.
    const plannedFull = () =>
      fake
        .callsTo('planObjectWork')
        .filter((c) => c.runKind === 'full')
        .map((c) => c.objectType);
    await waitFor("the full run's persons planned ahead", () => plannedFull().includes('person'), { timeoutMs: 10_000 });
    expect(plannedFull().sort()).toEqual(['organization', 'person']);
    const details = await currentDetails(world, handle.workflowId);
    expect(details).toContain('**Loading (full run):** 0 of 18 records');
    expect(details).toContain('| person | waiting | 0 / 12 | 0 | 0 | 0 |');

    const manifest = fake.hold('writeImageManifest'); // the full run's end
    batches.release();
    const loaded = await statusWhen(world, migrationId, 'the full run loaded', (s) => s.phaseProgress?.objects.person?.state === 'done');
    expect(loaded.phaseProgress?.objects).toMatchObject({
      organization: { state: 'done', total: 6, done: 6, migrated: 6 },
      person: { state: 'done', total: 12, done: 12, migrated: 12 },
    });
    await manifest.reached;
    // Each type planned once: its child took the parent's plan, and its first window of batches with it.
    expect(plannedFull().sort()).toEqual(['organization', 'person']);
    expect(fake.callsTo('nextBatches').filter((c) => c.runKind === 'full' && c.afterSeq === 0)).toEqual([]);
    expect(
      fake
        .callsTo('loadBatch')
        .filter((c) => c.runKind === 'full' && c.fromSeq === 0)
        .map((c) => c.objectType)
        .sort(),
    ).toEqual(['organization', 'person']);
    const described = await handle.describe();
    expect(described.searchAttributes.RecordsLoaded).toEqual([3 + 5 + 6 + 12]);

    const deletes = fake.hold('rollbackBatch');
    await handle.signal(rollbackSignal, { by: BY, reason: 'live progress test' });
    manifest.release();
    await deletes.reached;
    const rolling = await statusWhen(world, migrationId, "the rollback's first target", (s) => s.rollbackProgress?.current !== undefined);
    expect(rolling.phase).toBe('ROLLING_BACK');
    expect(rolling.rollbackProgress).toMatchObject({ scope: 'all', deleted: 0, current: expect.stringMatching(/^person: \d+ left$/u) as unknown });
    expect(await currentDetails(world, handle.workflowId)).toMatch(/\*\*Rollback \(all\):\*\* 0 deleted, 0 already gone · now person: \d+ left/u);
    deletes.release();

    const result = await migrationResult(handle);
    expect(result.status.phase).toBe('ROLLED_BACK');
    expect(result.status.rollbackProgress).toMatchObject({ scope: 'all', deleted: result.rollback!.deleted });
    expect(result.rollback!.deleted).toBeGreaterThan(0);
    expect((await handle.describe()).status.name).toBe('FAILED');
  });
});
