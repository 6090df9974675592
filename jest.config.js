/** Tiers: pure unit tests; replay of recorded workflow histories; integration tests on real PostgreSQL, the sandbox and a real Temporal dev server; e2e. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] };

module.exports = {
  testTimeout: 60_000,
  // End-to-end files mostly wait (on Temporal's timers, the sandbox, PostgreSQL): three at a time keep this 2-core
  // machine busy without starving them. JEST_MAX_WORKERS overrides.
  maxWorkers: Number(process.env.JEST_MAX_WORKERS ?? 3),
  // PostgreSQL for every tier: 127.0.0.1:5432 when it answers, else an embedded one (test/support/postgres-setup.ts).
  globalSetup: '<rootDir>/test/support/postgres-setup.ts',
  globalTeardown: '<rootDir>/test/support/postgres-teardown.ts',
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Recorded workflow histories replayed against today's workflow bundle: no server needed.
    { displayName: 'replay', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
