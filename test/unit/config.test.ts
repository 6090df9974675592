import { ConfigError, loadEnv, MigrationIdSchema, parseMigrationOptions } from '../../src/config';
import { workflowSource } from '../../src/runtime/worker';

describe('configuration', () => {
  it('has working defaults for a local machine', () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/dentrix_pipedrive');
    // Unset: Temporal's config profile decides, else 127.0.0.1:7233 (test/unit/temporal-config.test.ts).
    expect(env.TEMPORAL_ADDRESS).toBeUndefined();
    expect(env.PIPEDRIVE_PLAN).toBe('growth');
    expect(env.SANDBOX).toBe(false);
  });

  it('names every bad setting in one error', () => {
    expect(() => loadEnv({ PIPEDRIVE_PLAN: 'gold', PIPEDRIVE_SEATS: '-2', DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    try {
      loadEnv({ PIPEDRIVE_PLAN: 'gold', PIPEDRIVE_SEATS: '-2', DATABASE_URL: 'not a url' });
    } catch (err) {
      const message = (err as Error).message;
      for (const setting of ['PIPEDRIVE_PLAN', 'PIPEDRIVE_SEATS', 'DATABASE_URL']) expect(message).toContain(setting);
    }
  });

  it('reads the daily budget settings: a reserve in percent or tokens, a recheck interval, an optional explicit budget', () => {
    const defaults = loadEnv({});
    expect(defaults.PIPEDRIVE_SEATS).toBe(5);
    expect(defaults.PIPEDRIVE_BUDGET_RESERVE).toEqual({ percent: 5 });
    expect(defaults.PIPEDRIVE_BUDGET_RECHECK_SECONDS).toBe(3600);
    expect(defaults.PIPEDRIVE_DAILY_TOKEN_BUDGET).toBeUndefined();
    const set = loadEnv({ PIPEDRIVE_BUDGET_RESERVE: '2500', PIPEDRIVE_BUDGET_RECHECK_SECONDS: '600', PIPEDRIVE_DAILY_TOKEN_BUDGET: '350000' });
    expect(set.PIPEDRIVE_BUDGET_RESERVE).toEqual({ tokens: 2500 });
    expect(set.PIPEDRIVE_BUDGET_RECHECK_SECONDS).toBe(600);
    expect(set.PIPEDRIVE_DAILY_TOKEN_BUDGET).toBe(350_000);
    expect(loadEnv({ PIPEDRIVE_BUDGET_RESERVE: '12.5%' }).PIPEDRIVE_BUDGET_RESERVE).toEqual({ percent: 12.5 });
    expect(() => loadEnv({ PIPEDRIVE_BUDGET_RESERVE: '150%' })).toThrow(/PIPEDRIVE_BUDGET_RESERVE: expected a percentage/);
    expect(() => loadEnv({ PIPEDRIVE_BUDGET_RESERVE: 'lots' })).toThrow(/PIPEDRIVE_BUDGET_RESERVE/);
    expect(() => loadEnv({ PIPEDRIVE_BUDGET_RECHECK_SECONDS: '0' })).toThrow(/PIPEDRIVE_BUDGET_RECHECK_SECONDS/);
  });

  it('WORKFLOW_BUNDLE must name a file, and the worker loads that bundle', () => {
    expect(() => loadEnv({ WORKFLOW_BUNDLE: '/nowhere/workflow-bundle.js' })).toThrow(/WORKFLOW_BUNDLE: no such file/u);
    const env = loadEnv({ WORKFLOW_BUNDLE: __filename });
    expect(workflowSource(env.WORKFLOW_BUNDLE)).toEqual({ workflowBundle: { codePath: __filename } });
    expect(workflowSource()).toEqual({ workflowsPath: require.resolve('../../src/workflows') });
  });

  it('reads "false" as false', () => {
    expect(loadEnv({ SANDBOX: 'false' }).SANDBOX).toBe(false);
    expect(loadEnv({ SANDBOX: '1' }).SANDBOX).toBe(true);
    expect(() => loadEnv({ SANDBOX: 'maybe' })).toThrow(/SANDBOX/);
  });

  it('never leaks the API token into its error', () => {
    expect(() => loadEnv({ PIPEDRIVE_API_TOKEN: 'secret-token-123', PIPEDRIVE_PLAN: 'x' })).toThrow(ConfigError);
    try {
      loadEnv({ PIPEDRIVE_API_TOKEN: 'secret-token-123', PIPEDRIVE_PLAN: 'x' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-token-123');
    }
  });

  it('validates migration options and ids', () => {
    expect(parseMigrationOptions({}).sampleAccuracyThreshold).toBe(99);
    expect(() => parseMigrationOptions({ sampleSize: 0 })).toThrow(/sampleSize/);
    expect(() => parseMigrationOptions({ sampleSize: 501 })).toThrow(/sampleSize/);
    expect(MigrationIdSchema.safeParse('lakeside-2026').success).toBe(true);
    expect(MigrationIdSchema.safeParse('Jane Doe').success).toBe(false);
  });

  it('keeps the sample run at 200–500 records unless a smaller one is asked for explicitly', () => {
    expect(parseMigrationOptions({}).sampleSize).toBe(250);
    expect(parseMigrationOptions({ sampleSize: 200 }).sampleSize).toBe(200);
    expect(parseMigrationOptions({ sampleSize: 500 }).sampleSize).toBe(500);
    expect(() => parseMigrationOptions({ sampleSize: 150 })).toThrow(
      /sampleSize: the sample run takes 200–500 records, got 150;.*allowSmallSample \(--allow-small-sample\)/,
    );
    expect(parseMigrationOptions({ sampleSize: 150, allowSmallSample: true }).sampleSize).toBe(150);
    expect(() => parseMigrationOptions({ sampleSize: 600, allowSmallSample: true })).toThrow(/sampleSize/);
  });
});
