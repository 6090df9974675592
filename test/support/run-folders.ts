/**
 * Names of what the jest global setup prepares once per run for every test file (the workers inherit its
 * environment). Kept apart from the helpers that use them, so the setup loads nothing heavy.
 */

/** The run's folder of generated practices (test/support/practice.ts copies each from there). */
export const PRACTICE_CACHE_ENV = 'DTX_TEST_PRACTICE_CACHE';
