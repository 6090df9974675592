import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { removeRunBundle } from './workflow-bundle';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as { __TEMPORAL_ENV__?: TestWorkflowEnvironment }).__TEMPORAL_ENV__;
  if (env) await env.teardown();
  removeRunBundle();
}
