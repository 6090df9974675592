import { queryDeltaProgress, sendApproval, sendCutover } from '../../src/cli/commands';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import type { deltaWorkflow, DeltaResult } from '../../src/workflows/delta';
import { cutoverSignal } from '../../src/workflows/messages';
import type { MigrationResult } from '../../src/workflows/migration';
import { waitFor } from '../support/wait';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, statusWhen, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'delta-reviewer';

/**
 * The cutover window on the real delta and migration workflows, activities stubbed: polls on durable timers, a load
 * child per object type that changed, cutover from ops (to the migration, passed on to the window) or the window's end,
 * and a poll that cannot finish never holds the cutover. The e2e tier keeps the source side (re-exports, a SQL
 * mirror's watermarks, records applied once in the account and rolled back).
 */
describe('the delta window', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  const startDelta = (workflowId: string, windowSeconds: number) =>
    world.client.workflow.start<typeof deltaWorkflow>('deltaWorkflow', {
      taskQueue: world.taskQueue,
      workflowId,
      args: [{ migrationId: 'delta', objectTypes: ['organization', 'person'], windowSeconds, pollSeconds: 0.5, batchSize: 5, concurrency: 2 }],
    });

  it('polls until the window ends, loading only the object types that changed, and reports the in-flight claims at the end', async () => {
    const fake = fakeMigration({ deltaPolls: [{ person: 7 }, { organization: 2, person: 1 }] });
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('delta-window');
    const started = Date.now();
    const result: DeltaResult = await (await startDelta(workflowId, 10)).result();
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(result.endedBy).toBe('window_end');
    expect(result.polls).toBe(fake.callsTo('deltaPoll').length);
    expect(result.polls).toBeGreaterThanOrEqual(3);
    // Poll 1: persons only (7: two batches); poll 2: both; later polls: nothing.
    expect(fake.callsTo('planObjectWork').map((c) => `${String(c.runKind)} ${String(c.objectType)}`)).toEqual([
      'delta person',
      'delta organization',
      'delta person',
    ]);
    expect({ created: result.created, updated: result.updated }).toEqual({ created: 3 + 1 + 1 + 1, updated: 2 + 1 + 1 + 0 });
    expect(fake.callsTo('reportInFlightClaims')).toHaveLength(1);
    expect(result.inFlightClaimsReportPath).toBe('reports/in-flight-claims.json');
  });

  it('closes at once on cutover, even while a poll cannot finish', async () => {
    const fake = fakeMigration({ deltaPolls: [{ person: 2 }] });
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('delta-cutover');
    const handle = await startDelta(workflowId, 600);
    await waitFor('the first poll applied', () => fake.callsTo('loadBatch').length > 0);
    const stuck = fake.hold('deltaPoll'); // the source cannot be read now: the next poll waits
    await stuck.reached;
    const sent = Date.now();
    await handle.signal(cutoverSignal, { by: BY });
    const result: DeltaResult = await handle.result();
    stuck.release();
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(result).toMatchObject({ endedBy: 'cutover', polls: fake.callsTo('deltaPoll').length, created: 1, updated: 1 });
  });

  it('in a migration: DELTA after VERIFY, cutover sent to the migration is passed on to the window, then DONE with the staged PHI purged', async () => {
    const fake = fakeMigration({ deltaPolls: [{ person: 4 }] });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('delta-migration');
    const handle = await startMigrationWorkflow(world, migrationId, { skipDelta: false, deltaWindowSeconds: 600, deltaPollSeconds: 1 });
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY });
    await statusWhen(world, migrationId, 'the migration at DELTA', (s) => s.phase === 'DELTA');
    const progress = await waitFor('the first poll applied', async () => {
      const p = await queryDeltaProgress(world.client, migrationId);
      return p && p.polls >= 1 && p.created + p.updated === 4 ? p : undefined;
    });
    expect(Date.parse(progress.endsAt) - Date.now()).toBeGreaterThan(500_000);
    await sendCutover(world.client, migrationId, BY);
    const result: MigrationResult = await handle.result();
    expect(result.status.phase).toBe('DONE');
    expect(result.status.delta).toMatchObject({ created: 2, updated: 2 });
    expect(result.status.phaseHistory.map((p) => p.phase).slice(-3)).toEqual(['VERIFY', 'DELTA', 'DONE']);
    expect(fake.callsTo('purgeStagedPhi')).toEqual([expect.objectContaining({ reason: 'cutover' })]);
    expect(handle.workflowId).toBe(migrationWorkflowId(migrationId));
  });
});
