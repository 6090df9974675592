import { sendApproval } from '../../src/cli/commands';
import { migrationResult } from '../../src/cli/migration-result';
import { LOAD_ORDER } from '../../src/object-types/registry';
import { waitFor } from '../support/wait';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, statusWhen, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'graph-watcher';

/**
 * Issue 14.3: the full run walks the dependency graph of object types, not waves of them: a type starts once the types
 * it links to have loaded and waits for no other (activities, notes and deal products link to deals and persons, not
 * to files, so they load while files still upload). And a type's child asks for no window of batches after its last
 * one: the store marks the window that holds every item left.
 */
describe('the full run as a graph of object types', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('starts a type once the types it links to have loaded, while an unrelated one still loads; no window asked for after the last', async () => {
    const sample = Object.fromEntries(LOAD_ORDER.map((t) => [t, 2]));
    // Activities need three windows of two batches of 50 (concurrency 2): the first two windows are full, the third is not.
    const full = { ...Object.fromEntries(LOAD_ORDER.map((t) => [t, 6])), activity: 250 };
    const fake = fakeMigration({ objectTypes: [...LOAD_ORDER], items: { sample, full } });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('load-graph');
    const handle = await startMigrationWorkflow(world, migrationId, { batchSize: 50, concurrency: 2 });
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');

    const files = fake.hold('loadBatch', (input) => input.runKind === 'full' && input.objectType === 'file');
    await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY });
    await files.reached;
    const fullLoads = (objectType: string) => fake.callsTo('loadBatch').filter((c) => c.runKind === 'full' && c.objectType === objectType);
    // In waves, activities, notes and deal products (the wave after deals and files) would wait for the held files.
    await waitFor(
      'activities, notes and deal products loaded while files are held',
      () => (['activity', 'note', 'deal_product'].every((t) => fullLoads(t).length > 0) ? true : undefined),
      { timeoutMs: 20_000 },
    );
    const status = await statusWhen(world, migrationId, 'every type but files loaded', (s) =>
      LOAD_ORDER.every((t) => t === 'file' || s.phaseProgress?.objects[t]?.state === 'done'),
    );
    expect(status.phaseProgress?.objects.file?.state).toBe('running');
    expect(status.running?.objectTypes).toEqual(['file']);
    const loadEnd = fake.hold('writeImageManifest'); // the full run's load has ended; its verification not begun
    files.release();
    await loadEnd.reached;

    expect(fullLoads('activity')).toHaveLength(5);
    // Two full windows of activities ask for the next; the third holds every item left and says so; the other types'
    // first window (planned by the parent) holds all of theirs.
    const asked = fake.callsTo('nextBatches').filter((c) => c.runKind === 'full');
    expect(asked.map((c) => `${String(c.objectType)} after ${String(c.afterSeq)}`)).toEqual(['activity after 100', 'activity after 200']);
    // Each type planned once, by the parent, with its first window.
    for (const t of LOAD_ORDER) {
      expect(fake.callsTo('planObjectWork').filter((c) => c.runKind === 'full' && c.objectType === t && c.firstBatches)).toHaveLength(1);
    }
    expect(fake.callsTo('planObjectWork').filter((c) => c.runKind === 'full' && !c.firstBatches)).toEqual([]);
    loadEnd.release();
    const result = await migrationResult(handle);
    expect(result.status.phase).toBe('DONE');
  });
});
