import { TestWorkflowEnvironment } from '@temporalio/testing';
import { rollbackResult } from '../../src/cli/migration-result';
import type { Client } from '@temporalio/client';
import { assertTemporalCli } from '../../src/devserver/dev-server';
import type { deltaWorkflow, DeltaResult } from '../../src/workflows/delta';
import type { loadObjectWorkflow, LoadObjectResult } from '../../src/workflows/load-object';
import type { rollbackWorkflow, RollbackResult } from '../../src/workflows/rollback';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { waitFor } from '../support/wait';
import { createWorkflowWorld, fakeMigration, uniqueId, type FakeMigration, type WorkflowWorld } from '../support/workflow-world';

jest.setTimeout(3 * 60 * 1000);

/** Events after which the server suggests continue-as-new (its default is thousands; a real practice reaches that). */
const SUGGEST_AFTER_EVENTS = 40;

/** The statuses of every run of `workflowId`, oldest first, once its last run has ended `final`. */
async function runsOf(client: Client, workflowId: string, final = 'COMPLETED'): Promise<string[]> {
  return waitFor(`the runs of ${workflowId}`, async () => {
    const runs: { start: number; status: string }[] = [];
    for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push({ start: info.startTime.getTime(), status: info.status.name });
    const statuses = runs.sort((a, b) => a.start - b.start).map((r) => r.status);
    return statuses.at(-1) === final ? statuses : undefined;
  });
}

/** Each covered range once, in order: the carried-over cursor neither repeats nor skips a batch. */
function coverage(fake: FakeMigration, key: string): string {
  return (fake.loaded.get(key) ?? [])
    .map((r) => [r.fromSeq, r.toSeq] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([from, to]) => `${from}-${to}`)
    .join(',');
}
const expectedCoverage = (total: number, batchSize: number) =>
  Array.from({ length: Math.ceil(total / batchSize) }, (_, i) => `${i * batchSize}-${Math.min(total, (i + 1) * batchSize)}`).join(',');

/**
 * A practice's loads, delta window and rollback run for hours and thousands of batches; their histories must stay
 * bounded. On a dev server told to suggest continue-as-new after 40 events, each continues as new several times and
 * what it carries over (cursor, batch numbers, totals, the window's end) keeps the results exact.
 */
describe('continue-as-new in the loads, the delta window and the rollback', () => {
  let server: TestWorkflowEnvironment;
  let world: WorkflowWorld;
  beforeAll(async () => {
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: assertTemporalCli() },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ip: '127.0.0.1',
        log: { format: 'pretty', level: 'error' },
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_AFTER_EVENTS}`],
      },
    });
    world = await createWorkflowWorld(server.address);
  });
  afterAll(async () => {
    await world?.close();
    await server?.teardown();
  });

  it('a load continues as new and loads every batch exactly once, its batch numbers and totals carried over', async () => {
    const fake = fakeMigration({ items: { full: { person: 120 } } });
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('can-load');
    const result: LoadObjectResult = await world.client.workflow.execute<typeof loadObjectWorkflow>('loadObjectWorkflow', {
      taskQueue: world.taskQueue,
      workflowId,
      args: [{ migrationId: 'can', objectType: 'person', runKind: 'full', mode: 'load', batchSize: 5, concurrency: 2 }],
    });
    expect(result).toMatchObject({ objectType: 'person', total: 120, totals: { migrated: 120, rejected: 0, skipped: 0 } });
    expect(coverage(fake, 'full person')).toBe(expectedCoverage(120, 5));
    expect(
      fake
        .callsTo('loadBatch')
        .map((c) => c.batchNumber)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(fake.callsTo('planObjectWork')).toHaveLength(1); // planned once, not again by each new run
    const runs = await runsOf(world.client, workflowId);
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.slice(0, -1).every((s) => s === 'CONTINUED_AS_NEW')).toBe(true);
  });

  it('a verification continues as new with its comparison totals carried over', async () => {
    const fake = fakeMigration({ items: { full: { person: 120 } } });
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('can-verify');
    const result: LoadObjectResult = await world.client.workflow.execute<typeof loadObjectWorkflow>('loadObjectWorkflow', {
      taskQueue: world.taskQueue,
      workflowId,
      args: [{ migrationId: 'can', objectType: 'person', runKind: 'full', mode: 'verify', batchSize: 5, concurrency: 2 }],
    });
    expect(result.verification).toEqual({ recordsCompared: 120, fieldsCompared: 480, fieldsMatched: 480, discrepancies: 0 });
    expect(fake.callsTo('verifyBatch')).toHaveLength(24);
    expect((await runsOf(world.client, workflowId)).length).toBeGreaterThan(2);
  });

  it('the rollback continues as new, begins once, and counts every delete once across its runs', async () => {
    const fake = fakeMigration({ objectTypes: ['organization', 'person'] });
    fake.created.set('organization', 250);
    fake.created.set('person', 550);
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('can-rollback');
    const result: RollbackResult = await rollbackResult(
      await world.client.workflow.start<typeof rollbackWorkflow>('rollbackWorkflow', {
        taskQueue: world.taskQueue,
        workflowId,
        args: [{ migrationId: 'can', scope: 'all', by: 'can-test', reason: 'test' }],
      }),
    );
    expect(result).toMatchObject({ scope: 'all', deleted: 800, alreadyGone: 0, remaining: 0, proven: true });
    expect(fake.callsTo('beginRollback')).toHaveLength(1);
    expect(fake.callsTo('rollbackBatch')).toHaveLength(9); // 3 of organizations (100, 100, 50), 6 of persons
    expect(fake.callsTo('rollbackBatch').map((c) => c.objectType)).toEqual([...Array(6).fill('person'), ...Array(3).fill('organization')]);
    // A proven rollback of a whole migration ends Failed (MigrationRolledBack): never shown like a success.
    const runs = await runsOf(world.client, workflowId, 'FAILED');
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, -1).every((s) => s === 'CONTINUED_AS_NEW')).toBe(true);
  });

  it('the delta window continues as new, keeps its end, and counts every poll and change once', async () => {
    const polls = Array.from({ length: 40 }, (_, i): Record<string, number> => (i % 2 === 0 ? { person: 2 } : {}));
    const fake = fakeMigration({ deltaPolls: polls });
    await world.startWorker(fake.activities);
    const workflowId = uniqueId('can-delta');
    const started = Date.now();
    const result: DeltaResult = await world.client.workflow.execute<typeof deltaWorkflow>('deltaWorkflow', {
      taskQueue: world.taskQueue,
      workflowId,
      args: [{ migrationId: 'can', objectTypes: ['organization', 'person'], windowSeconds: 8, pollSeconds: 0.3, batchSize: 5, concurrency: 2 }],
    });
    const elapsed = Date.now() - started;
    const deltaPolls = fake.callsTo('deltaPoll');
    expect(result.endedBy).toBe('window_end');
    expect(result.polls).toBe(deltaPolls.length);
    expect(deltaPolls.map((c) => c.pollNumber)).toEqual(Array.from({ length: deltaPolls.length }, (_, i) => i + 1));
    const loads = fake.callsTo('loadBatch').filter((c) => c.runKind === 'delta');
    expect(result.created + result.updated).toBe(loads.reduce((n, c) => n + Number(c.toSeq) - Number(c.fromSeq), 0));
    expect(result.created + result.updated).toBe(2 * Math.ceil(deltaPolls.length / 2));
    // The window's end is carried over, not restarted by each new run.
    expect(elapsed).toBeLessThan(8_000 + 10_000);
    const runs = await runsOf(world.client, workflowId);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, -1).every((s) => s === 'CONTINUED_AS_NEW')).toBe(true);
  });
});
