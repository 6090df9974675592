import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

/** Where the jest global setup leaves the run's workflow bundle (a file path) for every test file. */
export const WORKFLOW_BUNDLE_ENV = 'DTX_TEST_WORKFLOW_BUNDLE';

/** Bundles today's workflow code (src/workflows/index.ts, the worker's entry point). */
export async function buildWorkflowBundle(): Promise<WorkflowBundle> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'),
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined },
  });
  return { code };
}

/**
 * Builds the bundle once for a whole jest run and names its file in the environment the test workers inherit. A bundle
 * the environment already names is used as it is (e.g. one built from a deliberately broken copy of the workflows, to
 * see a test fail), and left in place at the end.
 */
export async function bundleForRun(): Promise<string> {
  const given = process.env[WORKFLOW_BUNDLE_ENV];
  if (given) return given;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bundle-'));
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, (await buildWorkflowBundle()).code);
  process.env[WORKFLOW_BUNDLE_ENV] = file;
  (globalThis as { __WORKFLOW_BUNDLE_DIR__?: string }).__WORKFLOW_BUNDLE_DIR__ = dir;
  return file;
}

/** Removes the bundle this run built (a given one stays). */
export function removeRunBundle(): void {
  const dir = (globalThis as { __WORKFLOW_BUNDLE_DIR__?: string }).__WORKFLOW_BUNDLE_DIR__;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
