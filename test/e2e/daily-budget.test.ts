import path from 'node:path';
import { type WorkflowHandle } from '@temporalio/client';
import { createHarness, timersWithSummary, type Harness } from '../support/harness';
import { sandboxFor } from '../support/practice';
import { observeUntilStopped, waitFor } from '../support/wait';
import { exactlyOnceReport, preexistingRecords } from '../support/account-check';
import { parseMigrationOptions } from '../../src/config';
import { queryStatus, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { SANDBOX_DEFAULT_TOKEN } from '../../src/runtime/worker';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { loadProgressQuery, type LoadProgress, type MigrationStatus } from '../../src/workflows/messages';
import type { MigrationResult } from '../../src/workflows/migration';

jest.setTimeout(5 * 60 * 1000);

const MIGRATION_ID = 'daily-budget';
const PATIENTS = 15;
const OPTIONS = { sampleSize: 10, allowSmallSample: true, batchSize: 20, concurrency: 2, skipDelta: true };
/**
 * A "day" of 20 s with 900 tokens: this practice needs ~2,300 (schema ~350, sample ~150, full ~1,400, verify ~400),
 * so the full run spends several days' budgets.
 */
const DAY_MS = 20_000;
const DAILY_TOKENS = 900;
/**
 * The client leaves 20 % (180 tokens) of each day unspent and, since it cannot know when the sandbox's short day
 * ends, looks again every 4 s with one request (≤ 25 tokens) while paused: ≤ 5 looks a day fit in the reserve, so
 * the account's budget never reaches 0 through the migration's own spending.
 */
const BUDGET_ENV = { PIPEDRIVE_BUDGET_RESERVE: '20%', PIPEDRIVE_BUDGET_RECHECK_SECONDS: '4' };

interface Pause {
  /** Where it was seen: the migration's status query, or an object type's load progress. */
  where: string;
  until: string;
  seenAt: number;
  clearedAt?: number;
}

describe("Pipedrive's daily token budget: the migration pauses durably at the reset and resumes by itself", () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;

  beforeAll(async () => {
    h = await createHarness(BUDGET_ENV);
    extract = path.join(h.dataDir, 'practice');
    await generatePractice({ profile: 'demo', seed: 51, patients: PATIENTS, outDir: extract });
    sandbox = await sandboxFor(extract, { dailyTokenBudget: DAILY_TOKENS, dayLengthMs: DAY_MS });
  });
  afterAll(async () => {
    await h?.client.workflow
      .getHandle(migrationWorkflowId(MIGRATION_ID))
      .terminate('test cleanup')
      .catch(() => undefined);
    await h?.close();
    await sandbox?.close();
  });

  it('budget spent by others before the first write (one 429), then by the migration itself (stopped before the reserve, no 429): paused, across a worker restart, then DONE, 100%', async () => {
    const pool = h.db.pool;
    let worker = await h.startWorker();
    const preexisting = await preexistingRecords(sandbox.url, pool, MIGRATION_ID);
    const started = Date.now();
    await startMigration(h.env, pool, h.client, {
      migrationId: MIGRATION_ID,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions(OPTIONS),
    });

    // Other integrations on the company account spend the whole day's budget before the migration's first write.
    await waitFor('the mapping review gate', async () => (await queryStatus(h.client, MIGRATION_ID))?.waitingFor === 'MAPPING_REVIEW', {
      timeoutMs: 60_000,
    });
    const drained = await drainTodaysBudget(sandbox.url);

    // Watch the status query and every load child's progress query for pauses, as an operator would.
    const pauses: Pause[] = [];
    const watching = watchPauses(h, pauses);
    let restartedDuring: Pause | undefined;
    let result: MigrationResult;
    try {
      const driving = driveMigration(h.client, MIGRATION_ID, { by: 'budget-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
      let driveError: Error | undefined;
      driving.catch((err: unknown) => (driveError = err instanceof Error ? err : new Error(String(err))));
      // Durable: while the full run sleeps on the budget, the worker goes away and a new one takes over.
      const midRun = await waitFor(
        'a pause of the full run',
        () => {
          if (driveError) throw new Error(`the migration ended early: ${driveError.message}`);
          return pauses.find((p) => /^full \S+ load$/.test(p.where) && p.clearedAt === undefined && Date.parse(p.until) - Date.now() > 1_500);
        },
        { timeoutMs: 3 * 60_000, intervalMs: 100 },
      );
      await worker.stop();
      worker = await h.startWorker();
      restartedDuring = midRun;
      result = await driving;
    } finally {
      await watching.stop();
    }
    const totalMs = Date.now() - started;

    const status = result.status;
    expect({ phase: status.phase, error: status.error }).toEqual({ phase: 'DONE', error: undefined });
    expect(status.verification?.accuracy).toBe(100);
    expect(status.paused).toBeUndefined();
    for (const [type, c] of Object.entries(status.objects)) {
      expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    }
    const report = await exactlyOnceReport(pool, MIGRATION_ID, sandbox.url, preexisting);
    expect({ duplicates: report.duplicateKeys, unaccounted: report.unaccounted, missing: report.missing, pending: report.pending }).toEqual({
      duplicates: [],
      unaccounted: [],
      missing: [],
      pending: [],
    });

    // Paused before SCHEMA (the status query said so) and in the full run (load progress said so); each pause held
    // until its reset and cleared by itself after it.
    const schemaPause = pauses.find((p) => p.where === 'status SCHEMA');
    expect(schemaPause).toBeDefined();
    expect(pauses.some((p) => /^full \S+ load$/.test(p.where))).toBe(true);
    expect(restartedDuring?.clearedAt).toBeDefined();
    for (const p of pauses) {
      expect({ where: p.where, cleared: p.clearedAt !== undefined }).toEqual({ where: p.where, cleared: true });
      expect({ where: p.where, clearedAfterReset: p.clearedAt! >= Date.parse(p.until) }).toEqual({ where: p.where, clearedAfterReset: true });
    }

    // The sleeps were durable timers in the histories, not waits inside an activity.
    const timers = await budgetTimers(h, status);
    expect(timers.migration).toBeGreaterThanOrEqual(1);
    expect(timers.loads).toBeGreaterThanOrEqual(1);

    // The 429s the sandbox served the migration. Exactly one, and it is not the migration's doing: another integration
    // emptied the budget behind the client's back (nothing told it), so its first request after the gate met the empty
    // budget; SCHEMA sends one request at a time, and that 429's Retry-After kept every other request local until the
    // reset. Every exhaustion after that was the migration's own spending, and the client stopped each one above the
    // reserve before sending: not a single 429 (the pauses in the full run prove the budget did run out).
    const usage = sandbox.usage();
    const migration429s = usage.requests.rateLimited - drained.rateLimited;
    const days = Math.ceil(totalMs / DAY_MS);
    const fullRunPauses = pauses.filter((p) => /^full \S+ (load|verify)$/.test(p.where));
    console.log(
      `daily-budget e2e: ${Math.round(totalMs / 1000)} s (${days} budget days), ${migration429s} 429s for the migration ` +
        `(${usage.requests.total} requests, ${usage.dailyTokenBudget} tokens/day), ` +
        `pauses ${JSON.stringify(pauses.map((p) => ({ where: p.where, heldMs: p.clearedAt! - p.seenAt })))}`,
    );
    // The practice needs ~2,300 tokens and 720 a day are the migration's: it ran over at least 3 budget days.
    expect(days).toBeGreaterThanOrEqual(3);
    expect(fullRunPauses.length).toBeGreaterThanOrEqual(1);
    expect(migration429s).toBe(1);
  });
});

/** Spends what is left of today's budget the way another integration would: reads until Pipedrive says 429. */
async function drainTodaysBudget(baseUrl: string): Promise<{ requests: number; rateLimited: number }> {
  // The day starts now, so the whole of it is spent: the migration meets the empty budget, whatever its timing.
  await fetch(new URL('/_sandbox/clock/advance-day', baseUrl), { method: 'POST' });
  let requests = 0;
  for (;;) {
    const res = await fetch(new URL('/api/v2/persons?limit=1', baseUrl), { headers: { 'x-api-token': SANDBOX_DEFAULT_TOKEN } });
    await res.arrayBuffer();
    requests++;
    if (res.status === 429) return { requests, rateLimited: 1 };
    if (res.status !== 200) throw new Error(`draining the budget: GET /api/v2/persons answered ${res.status}`);
  }
}

/** Polls the status query and the current load child's progress, recording each pause from first sight to clearing. */
function watchPauses(h: Harness, pauses: Pause[]): { stop(): Promise<void> } {
  const open = new Map<string, Pause>();
  const seen = (where: string, paused: { until: string } | undefined) => {
    const current = open.get(where);
    if (current && paused) {
      // Concurrent batches may report resets a second apart: the pause lasts until the later one.
      if (Date.parse(paused.until) > Date.parse(current.until)) current.until = paused.until;
      return;
    }
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
  const observe = async () => {
    const status: MigrationStatus | undefined = await queryStatus(h.client, MIGRATION_ID).catch(() => undefined);
    if (status) {
      seen(`status ${status.phase}`, status.paused);
      for (const where of [...open.keys()]) if (where.startsWith('status ') && where !== `status ${status.phase}`) seen(where, undefined);
      // The children running now (a wave's object types load at the same time), each asked for its progress.
      const running = status.running?.runKind === 'full' ? status.running : undefined;
      const current = new Set((running?.objectTypes ?? []).map((t) => `full ${t} ${running!.mode}`));
      for (const objectType of running?.objectTypes ?? []) {
        const child: WorkflowHandle = h.client.workflow.getHandle(`${migrationWorkflowId(MIGRATION_ID)}-full-${running!.mode}-${objectType}`);
        const progress: LoadProgress | undefined = await child.query(loadProgressQuery).catch(() => undefined);
        if (progress) seen(`full ${objectType} ${running!.mode}`, progress.paused);
      }
      for (const where of [...open.keys()]) {
        if (where.startsWith('full ') && !current.has(where)) seen(where, undefined);
      }
    }
  };
  return observeUntilStopped(observe);
}

/** Timers started for the daily budget: in the migration workflow, and in its full-run load and verify children. */
async function budgetTimers(h: Harness, status: MigrationStatus): Promise<{ migration: number; loads: number }> {
  const count = (workflowId: string) => timersWithSummary(h.client, workflowId, /daily token budget/);
  const parent = migrationWorkflowId(MIGRATION_ID);
  let loads = 0;
  for (const type of Object.keys(status.objects)) {
    for (const mode of ['load', 'verify']) loads += await count(`${parent}-full-${mode}-${type}`).catch(() => 0);
  }
  return { migration: await count(parent), loads };
}
