import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSandbox, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { preflightWorkflow } from '../../src/workflows/preflight';
import { createTestDatabase, type TestDatabase } from '../support/db';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');

/**
 * What the production image runs: `npm run build` (tsc + the workflow bundle built once), then `node dist/worker.js`
 * with no tsx and no webpack at start. The worker must load the prebuilt bundle and run a workflow with its activities.
 */
describe('the production build', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let connection: Connection;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-dist-'));
  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO, stdio: 'pipe' });
    db = await createTestDatabase();
    sandbox = await startSandbox({ port: 0 });
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    await connection?.close();
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the compiled worker from the prebuilt workflow bundle', async () => {
    expect(fs.statSync(path.join(REPO, 'dist', 'workflow-bundle.js')).size).toBeGreaterThan(100_000);
    const taskQueue = `dist-${randomBytes(4).toString('hex')}`;
    const worker = spawn(process.execPath, ['dist/worker.js'], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: db.url, TASK_QUEUE: taskQueue, DATA_DIR: dataDir, LOG_LEVEL: 'info', TEMPORAL_NAMESPACE: 'default' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      const client = new Client({ connection, namespace: 'default' });
      const identity = await client.workflow.execute(preflightWorkflow, {
        taskQueue,
        workflowId: `dist-preflight-${taskQueue}`,
        args: [{ pipedriveBaseUrl: sandbox.url }],
        workflowExecutionTimeout: '60 seconds',
      });
      expect(identity.account).toBe(`127.0.0.1:${sandbox.port}#7301`);
      // The compiled worker loaded the bundle built once by `npm run build`; it did not bundle the workflows itself.
      expect(output).toContain('worker started');
      expect(output).toContain('"workflows":"prebuilt bundle"');
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  });
});
