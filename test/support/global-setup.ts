import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { assertTemporalCli } from '../../src/devserver/dev-server';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRACTICE_CACHE_ENV } from './run-folders';
import { bundleForRun } from './workflow-bundle';

/**
 * One real Temporal dev server (the setup script's CLI v1.5.1 build) for the whole run of the workflow, integration
 * and e2e tiers, and the workflow bundle built once (test/support/workflow-bundle.ts; every worker a test starts
 * loads it), and the run's folder of generated practices (test/support/practice.ts). Test files reach the server through TEMPORAL_ADDRESS and use unique task queues and workflow ids.
 */
export default async function globalSetup(): Promise<void> {
  process.env[PRACTICE_CACHE_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-practices-'));
  const bundling = bundleForRun();
  bundling.catch(() => undefined); // awaited below; a failed server start must not leave it unhandled
  if (process.env.TEMPORAL_TEST_EXTERNAL === '1' && process.env.TEMPORAL_ADDRESS) {
    await bundling;
    return;
  }
  // The local test server only: never a profile of the developer's own Temporal config file (an API key would turn TLS on).
  process.env.TEMPORAL_CONFIG_FILE = '/dev/null';
  for (const k of Object.keys(process.env)) if (/^TEMPORAL_(PROFILE|API_KEY|TLS.*|GRPC_META_.*)$/.test(k)) delete process.env[k];
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: assertTemporalCli() },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      log: { format: 'pretty', level: 'error' },
    },
  });
  (globalThis as { __TEMPORAL_ENV__?: TestWorkflowEnvironment }).__TEMPORAL_ENV__ = env;
  process.env.TEMPORAL_ADDRESS = env.address;
  process.env.TEMPORAL_NAMESPACE = 'default';
  await bundling;
}
