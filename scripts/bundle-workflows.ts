/**
 * Builds the workflow bundle once, at image build time (`npm run build`): a production worker loads
 * dist/workflow-bundle.js instead of bundling src/workflows with webpack at every start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const out = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '..', 'src', 'workflows', 'index.ts') });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, code);
  console.log(`wrote ${path.relative(process.cwd(), out)} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
