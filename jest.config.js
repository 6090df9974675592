/** Tiers (README, Tests): unit; replay of recorded workflow histories; workflow (real workflows on stubbed activities); integration and e2e on real PostgreSQL, the sandbox and a real Temporal dev server. */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  // kysely ships ES modules only (Node loads them with require(esm); jest's module system cannot): compiled to CommonJS.
  '/node_modules/kysely/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
/** Every project: node_modules stay as they are, except kysely's ES modules. */
const common = { testEnvironment: 'node', transform, transformIgnorePatterns: ['/node_modules/(?!kysely/)'] };

module.exports = {
  testTimeout: 60_000,
  // Four at a time: measured 620 s against 681 s with three (the cores ~78% busy with three) and 656 s with five. Four
  // once let tsx's signal relay (30 ms for its child to acknowledge a SIGTERM, then SIGKILL) kill spawned `tsx`
  // processes; the tests now spawn entry points as `node --import tsx` (test/support/entry-point.ts), one process that
  // gets its signals itself. JEST_MAX_WORKERS overrides.
  maxWorkers: Number(process.env.JEST_MAX_WORKERS ?? 4),
  // Without measured durations (a clean clone), the slowest tiers first: test/support/sequencer.js.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  // PostgreSQL for every tier: 127.0.0.1:5432 when it answers, else an embedded one (test/support/postgres-setup.ts).
  globalSetup: '<rootDir>/test/support/postgres-setup.ts',
  globalTeardown: '<rootDir>/test/support/postgres-teardown.ts',
  projects: [
    { displayName: 'unit', ...common, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Recorded workflow histories replayed against today's workflow bundle: no server needed.
    { displayName: 'replay', ...common, testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
    // The real workflow code on the real Temporal dev server (the global setup's), its activities stubbed
    // (test/support/workflow-world.ts): gates, budget pauses, the delta window, continue-as-new.
    {
      displayName: 'workflow',
      ...common,
      testMatch: ['<rootDir>/test/workflow/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      displayName: 'integration',
      ...common,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
