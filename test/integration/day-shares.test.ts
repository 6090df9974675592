import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createActivities } from '../../src/activities';
import { storeProgress } from '../../src/cli/commands';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { budgetDayOf } from '../../src/pipedrive/daily-budget';
import { activityDeps } from '../../src/runtime/worker';
import { addRequestTokens } from '../../src/store/request-tokens';
import { getRun, registerRun, setRunAccount, setRunPhase } from '../../src/store/runs';
import { FAILURE_TYPES } from '../../src/workflows/messages';
import { activityRunner, prepareMigration } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { generatedPractice, sandboxFor } from '../support/practice';

jest.setTimeout(3 * 60 * 1000);

/**
 * Two migrations into one Pipedrive company share its daily token budget: a batch of the one that has had its part of
 * the day stops with the daily-budget failure (the workflow sleeps and looks again) while the other one still wants
 * its own, and goes on once the other no longer does. Real PostgreSQL and the sandbox; the day's spends are booked as
 * the worker's request accounting books them.
 */
describe('the daily budget split between migrations into one account', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-day-shares-'));
  const run = activityRunner();
  const config = () => loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir });
  const activities = () => createActivities(activityDeps(config(), db.pool, createLogger('silent')));
  const today = () => budgetDayOf(new Date(), config().PIPEDRIVE_BUDGET_RESET_TZ);
  const book = (migrationId: string, tokens: number) =>
    addRequestTokens(db.pool, migrationId, today(), [{ phase: 'FULL', objectType: 'person', endpoint: 'POST /api/v2/persons', requests: 1, tokens }]);
  const firstBatch = async (acts: ReturnType<typeof activities>, migrationId: string) => {
    await run(acts.planObjectWork, { migrationId, objectType: 'organization', runKind: 'full' });
    const [range] = await run(acts.nextBatches, { migrationId, objectType: 'organization', runKind: 'full', afterSeq: 0, batchSize: 5, maxBatches: 1 });
    return run(acts.loadBatch, { migrationId, objectType: 'organization', runKind: 'full', ...range!, batchNumber: 1 });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const extract = await generatedPractice(dataDir);
    sandbox = await sandboxFor(extract);
    await prepareMigration(db.pool, activities(), 'first', extract, sandbox.url);
    // A second practice of the same company, in its full run on the same account.
    await registerRun(db.pool, { migrationId: 'second', source: { kind: 'folder', path: extract }, pipedriveBaseUrl: sandbox.url });
    await setRunAccount(db.pool, 'second', (await getRun(db.pool, 'first')).pipedriveAccount!);
    await setRunPhase(db.pool, 'first', 'FULL');
    await setRunPhase(db.pool, 'second', 'FULL');
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('stops the one that had its part while the other wants its own, and lets it go once the other does not', async () => {
    // The first spent more today than the whole day's budget leaves the two of them; the second has just begun.
    await book('first', 50_000_000);
    await book('second', 10);
    // One worker's activities throughout: its view of the day's spends is a few seconds old at most.
    const acts = activities();
    const stopped = await firstBatch(acts, 'first').catch((err: unknown) => err);
    expect(stopped).toBeInstanceOf(ApplicationFailure);
    const failure = stopped as ApplicationFailure;
    expect(failure.type).toBe(FAILURE_TYPES.dailyBudgetExhausted);
    const detail = failure.details?.[0] as { resumeAt: string; reason: string };
    expect(detail.reason).toMatch(/had its part of today's Pipedrive token budget .* while another migration into the same account still wants its own/);
    // `status` shows the day's spend split: this one's tokens, and the other migration's.
    expect((await storeProgress(db.pool, 'first', config().PIPEDRIVE_BUDGET_RESET_TZ)).daySpend).toEqual({
      budgetDay: today(),
      timeZone: config().PIPEDRIVE_BUDGET_RESET_TZ,
      tokens: 50_000_000,
      others: { migrations: 1, tokens: 10 },
    });
    // It looks again within the recheck interval (10 min), or at the budget day's end if that comes first (CI once
    // ran this 6.5 min before midnight in the reset zone).
    const lookAgainBy = (recheckMs: number) =>
      Math.min(Date.now() + recheckMs, DateTime.now().setZone(config().PIPEDRIVE_BUDGET_RESET_TZ).plus({ days: 1 }).startOf('day').toMillis());
    const expectLookAgain = (held: ApplicationFailure, recheckMs: number) => {
      const resumeAt = Date.parse((held.details?.[0] as { resumeAt: string }).resumeAt);
      expect(resumeAt).toBeLessThanOrEqual(lookAgainBy(recheckMs));
      expect(resumeAt).toBeGreaterThan(lookAgainBy(recheckMs) - 10_000);
    };
    expectLookAgain(failure, 10 * 60_000);
    // No daily-budget pause outlasts the budget's recheck interval: a worker that looks again every 30 s does so here too.
    const quickLook = createActivities(activityDeps({ ...config(), PIPEDRIVE_BUDGET_RECHECK_SECONDS: 30 }, db.pool, createLogger('silent')));
    const again = (await firstBatch(quickLook, 'first').catch((err: unknown) => err)) as ApplicationFailure;
    expect(again.type).toBe(FAILURE_TYPES.dailyBudgetExhausted);
    expectLookAgain(again, 30_000);
    // The second one goes to its review gate: it no longer wants the budget, so the first one writes again, at once
    // (a hold is decided on the spends as they are now, not as this worker read them a moment ago).
    await setRunPhase(db.pool, 'second', 'SAMPLE_REVIEW');
    const counts = await firstBatch(acts, 'first');
    expect(counts.migrated).toBeGreaterThan(0);

    // Creating its schema, the second one wants its part again (a few requests, one at a time): the first one waits
    // (seen by a worker whose view of the spends is newer than this one's few seconds).
    await setRunPhase(db.pool, 'second', 'SCHEMA');
    const schemaWait = (await firstBatch(activities(), 'first').catch((err: unknown) => err)) as ApplicationFailure;
    expect(schemaWait.type).toBe(FAILURE_TYPES.dailyBudgetExhausted);
  });
});
