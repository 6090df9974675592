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

/** The Dockerfile's run stage: what it copies from the repository and its `npm ci` command. */
function runStage(): { copies: { sources: string[]; dest: string }[]; npmCi: string[] } {
  const dockerfile = fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/gu, ' ');
  const stage = dockerfile.split(/^FROM /mu).at(-1)!;
  const copies = [...stage.matchAll(/^COPY (?!--from)(.+)$/gmu)].map((m) => {
    const words = m[1]!.trim().split(/\s+/u);
    return { sources: words.slice(0, -1), dest: words.at(-1)! };
  });
  const npmCi = /^RUN (npm ci[^&\n]*)/mu.exec(stage)?.[1]?.trim().split(/\s+/u);
  if (!npmCi) throw new Error('the Dockerfile run stage has no npm ci');
  return { copies, npmCi };
}

describe("the production image's dependencies", () => {
  it('leave out the sandbox and the generator workspaces and every dependency only they need', () => {
    // The run stage's install, as a dry run (it reads package-lock.json, downloads nothing) in a folder holding what
    // that stage copies: the packages npm would add.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-image-'));
    try {
      const { copies, npmCi } = runStage();
      for (const { sources, dest } of copies) {
        for (const source of sources) {
          const target = dest.endsWith('/') ? path.join(dir, dest, path.basename(source)) : path.join(dir, dest);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.cpSync(path.join(REPO, source), target, { recursive: true });
        }
      }
      const out = execFileSync(npmCi[0]!, [...npmCi.slice(1), '--dry-run', '--ignore-scripts'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const added = new Set([...out.matchAll(/^add (\S+) /gmu)].map((m) => m[1]!));
      expect(added.size).toBeGreaterThan(100);
      expect(added.has('@dentrix-pipedrive/pipedrive-spec')).toBe(true);
      expect(added.has('@temporalio/worker')).toBe(true);
      expect([...added].filter((name) => name.startsWith('@dentrix-pipedrive/') && name !== '@dentrix-pipedrive/pipedrive-spec')).toEqual([]);

      const manifest = (file: string) =>
        JSON.parse(fs.readFileSync(path.join(REPO, file), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const product = manifest('package.json').dependencies ?? {};
      // Needed by the worker itself, through @temporalio/worker's webpack (schema-utils), not only by the sandbox.
      const alsoTheWorkers = ['ajv', 'ajv-formats'];
      const onlyTheirs = ['packages/pipedrive-sandbox/package.json', 'packages/practice-generator/package.json']
        .flatMap((file) => Object.keys({ ...manifest(file).dependencies, ...manifest(file).devDependencies }))
        .filter((name) => !(name in product) && !alsoTheWorkers.includes(name));
      expect(onlyTheirs).toEqual(expect.arrayContaining(['express', 'multer', 'openapi-backend', '@faker-js/faker', 'pngjs', 'jpeg-js']));
      expect(onlyTheirs.filter((name) => added.has(name))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
