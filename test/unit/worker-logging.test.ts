import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Context as ActivityContext } from '@temporalio/activity';
import { createRunActivities } from '../../src/activities/run';
import { dailyBudgetExhausted } from '../../src/failures';
import { type ActivityDeps } from '../../src/activities/deps';
import { chooseLogFormat, createLogger } from '../../src/logging';
import { budgetPauseLogging } from '../../src/runtime/activity-logging';
import { registerRun } from '../../src/store/runs';
import { createTestDatabase, type TestDatabase } from '../support/db';

const REPO = path.resolve(__dirname, '../..');

/** A logger whose JSON lines land in `lines`. */
function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', 'test', sink) };
}

describe('log format', () => {
  it('is pretty for a terminal and JSON for anything else; LOG_FORMAT decides when set', () => {
    expect(chooseLogFormat({ isTTY: true }, {})).toBe('pretty');
    expect(chooseLogFormat({ isTTY: false }, {})).toBe('json');
    expect(chooseLogFormat({}, {})).toBe('json');
    expect(chooseLogFormat({ isTTY: true }, { LOG_FORMAT: 'json' })).toBe('json');
    expect(chooseLogFormat({ isTTY: false }, { LOG_FORMAT: 'pretty' })).toBe('pretty');
    expect(chooseLogFormat({ isTTY: true }, { LOG_FORMAT: 'nonsense' })).toBe('pretty');
  });

  it('writes readable lines through pino-pretty when pretty, one JSON object per line otherwise', () => {
    const script = "require('./src/logging').createLogger('info', 'worker').info({ migrationId: 'lakeside' }, 'worker started');";
    const run = (LOG_FORMAT: string) =>
      spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), ['-e', script], { cwd: REPO, env: { ...process.env, LOG_FORMAT, NO_COLOR: '1' }, encoding: 'utf8' });
    const pretty = run('pretty');
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toMatch(/INFO.*\(worker\): worker started/);
    expect(pretty.stdout).toContain('migrationId: "lakeside"');
    const json = run('json');
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ level: 30, name: 'worker', msg: 'worker started', migrationId: 'lakeside' });
  }, 30_000);
});

describe('the worker log of a migration', () => {
  // The store is real (a test database): the activities write the phase and the audit row through it.
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await registerRun(db.pool, { migrationId: 'lakeside', source: { kind: 'folder', path: '/nowhere' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
  });
  afterAll(async () => {
    await db?.drop();
  });
  const deps = (logger: ReturnType<typeof createLogger>) =>
    ({
      pool: db.pool,
      logger,
      settings: { dataDir: '/nowhere', imageArchiveBaseUrl: '', budgetResetTimeZone: 'UTC', mappingLlm: null },
    }) as unknown as ActivityDeps;

  it('says each phase change and when a gate opens, with the migration id and phase only', async () => {
    const { lines, logger } = capture();
    const acts = createRunActivities(deps(logger));
    await acts.markPhase({ migrationId: 'lakeside', phase: 'EXTRACT' });
    await acts.markPhase({ migrationId: 'lakeside', phase: 'SAMPLE_REVIEW' });
    expect(lines.map(({ level, msg, migrationId, phase, gate }) => ({ level, msg, migrationId, phase, gate }))).toEqual([
      { level: 30, msg: 'migration lakeside: phase EXTRACT', migrationId: 'lakeside', phase: 'EXTRACT', gate: undefined },
      {
        level: 30,
        msg: 'migration lakeside: gate SAMPLE_REVIEW open, waiting for a decision',
        migrationId: 'lakeside',
        phase: 'SAMPLE_REVIEW',
        gate: 'SAMPLE_REVIEW',
      },
    ]);
  });

  it('says a gate decision was recorded, without who typed what', async () => {
    const { lines, logger } = capture();
    const acts = createRunActivities(deps(logger));
    await new MockActivityEnvironment().run(acts.recordDecision, {
      migrationId: 'lakeside',
      gate: 'SAMPLE_REVIEW',
      decision: 'approve',
      by: 'Dr. Reviewer',
      overrideReason: 'the patient Jane Doe looked fine',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      migrationId: 'lakeside',
      gate: 'SAMPLE_REVIEW',
      decision: 'approve',
      msg: 'migration lakeside: gate SAMPLE_REVIEW decision approve recorded',
    });
    expect(JSON.stringify(lines)).not.toMatch(/Reviewer|Jane/);
  });

  it('says when the daily token budget pauses a migration, and passes the failure on unchanged', async () => {
    const { lines, logger } = capture();
    const ctx = { info: { activityType: 'loadBatch', workflowExecution: { workflowId: 'load-lakeside-persons' } } } as unknown as ActivityContext;
    const { inbound } = budgetPauseLogging(logger)(ctx);
    const failure = dailyBudgetExhausted(new Date('2030-01-02T00:00:00.000Z'));
    const input = { args: [{ migrationId: 'lakeside', objectType: 'persons' }], headers: {} };
    await expect(inbound!.execute!(input, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        migrationId: 'lakeside',
        activity: 'loadBatch',
        resumeAt: '2030-01-02T00:00:00.000Z',
        msg: "migration lakeside: Pipedrive's daily token budget is spent, paused until 2030-01-02T00:00:00.000Z",
      }),
    ]);
    // Any other outcome: nothing logged.
    await expect(inbound!.execute!(input, () => Promise.resolve(7))).resolves.toBe(7);
    await expect(inbound!.execute!(input, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lines).toHaveLength(1);
  });
});
