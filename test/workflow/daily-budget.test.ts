import { type Client } from '@temporalio/client';
import { queryStatus, sendApproval } from '../../src/cli/commands';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { loadProgressQuery, type LoadProgress } from '../../src/workflows/messages';
import type { MigrationResult } from '../../src/workflows/migration';
import { waitFor } from '../support/wait';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'budget-reviewer';

interface Pause {
  where: string;
  until: string;
  seenAt: number;
  clearedAt?: number;
}

/** Timers the workflow started to wait for the daily budget's reset (their summary says so). */
async function budgetTimers(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter(
    (e) =>
      e.timerStartedEventAttributes && /daily token budget/u.test(e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : ''),
  ).length;
}

/**
 * Pipedrive's daily token budget, spent: an activity says so (DailyBudgetExhausted with the reset time) and the
 * workflow sleeps on a durable timer until then, shows the pause where ops look, and goes on by itself. The e2e tier
 * keeps the client's part (a real sandbox's budget, the reserve the client leaves, no 429 of the migration's own).
 */
describe('the daily budget pauses on the migration workflow', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('pauses SCHEMA and a full-run load until the reset (durable timers, shown in the status and the load progress), across a worker restart, then DONE with every batch loaded once', async () => {
    const fake = fakeMigration();
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('budget');
    const workflowId = migrationWorkflowId(migrationId);
    const handle = await startMigrationWorkflow(world, migrationId, { batchSize: 5, concurrency: 2 });

    const pauses: Pause[] = [];
    const open = new Map<string, Pause>();
    const seen = (where: string, paused: { until: string } | undefined) => {
      const current = open.get(where);
      if (current && paused) return;
      if (current) {
        current.clearedAt = Date.now();
        open.delete(where);
      }
      if (paused) {
        const p: Pause = { where, until: paused.until, seenAt: Date.now() };
        pauses.push(p);
        open.set(where, p);
      }
    };
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const s = await queryStatus(world.client, migrationId).catch(() => undefined);
        if (s) {
          seen('status SCHEMA', s.phase === 'SCHEMA' ? s.paused : undefined);
          seen('status', s.paused);
          const progress: LoadProgress | undefined = await world.client.workflow
            .getHandle(`${workflowId}-full-load-organization`)
            .query(loadProgressQuery)
            .catch(() => undefined);
          if (progress) seen('full organization load', progress.paused);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    try {
      // SCHEMA meets the spent budget once (the reset 6 s away: long enough for the status poller to see it on a
      // loaded machine, where one round of its queries has taken seconds; with 3 s it once saw none).
      await atGate(world, migrationId, 'MAPPING_REVIEW');
      fake.exhaustBudget('createSchema', 1, 6_000);
      await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
      await atGate(world, migrationId, 'SAMPLE_REVIEW');

      // The full run's first load (organizations, two batches in flight) meets it with both batches, the reset 8 s
      // away; the worker goes away during the pause and a new one takes over.
      fake.exhaustBudget('loadBatch', 2, 8_000);
      await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY });
      const midRun = await waitFor(
        'the full organization load paused',
        () => pauses.find((p) => p.where === 'full organization load' && p.clearedAt === undefined),
        {
          timeoutMs: 30_000,
          intervalMs: 50,
        },
      );
      await world.stopWorker();
      await world.startWorker(fake.activities);
      expect(Date.now()).toBeLessThan(Date.parse(midRun.until)); // the new worker came during the pause
      const result: MigrationResult = await handle.result();
      expect(result.status.phase).toBe('DONE');
      expect(result.status.paused).toBeUndefined();
    } finally {
      watching = false;
      await watch;
    }

    // Each pause was shown, held until its reset, and cleared by itself.
    expect(pauses.map((p) => p.where)).toEqual(expect.arrayContaining(['status SCHEMA', 'status', 'full organization load']));
    for (const p of pauses) {
      expect({ where: p.where, clearedAfterReset: p.clearedAt !== undefined && p.clearedAt >= Date.parse(p.until) }).toEqual({
        where: p.where,
        clearedAfterReset: true,
      });
    }
    // The sleeps were timers in the histories (the migration's for SCHEMA, the load child's for its batches).
    expect(await budgetTimers(world.client, workflowId)).toBe(1);
    expect(await budgetTimers(world.client, `${workflowId}-full-load-organization`)).toBe(2);
    // Every batch was loaded once: the two that met the budget ran again after the reset.
    expect((fake.loaded.get('full organization') ?? []).map((r) => `${r.fromSeq}-${r.toSeq}`).sort()).toEqual(['0-5', '5-6']);
    expect(fake.callsTo('loadBatch').filter((c) => c.runKind === 'full' && c.objectType === 'organization')).toHaveLength(4);
    expect(fake.callsTo('createSchema')).toHaveLength(2);
  });
});
