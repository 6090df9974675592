import fs from 'node:fs';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { PRACTICE_CACHE_ENV } from './run-folders';
import { removeRunBundle } from './workflow-bundle';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as { __TEMPORAL_ENV__?: TestWorkflowEnvironment }).__TEMPORAL_ENV__;
  if (env) await env.teardown();
  removeRunBundle();
  const practices = process.env[PRACTICE_CACHE_ENV];
  if (practices) fs.rmSync(practices, { recursive: true, force: true });
}
