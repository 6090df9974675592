import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { loadEnv } from '../../src/config';
import { connectClient, TemporalUnreachableError } from '../../src/runtime/temporal';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { WaitAborted, waitFor } from '../support/wait';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(3 * 60 * 1000);

/** A second namespace on the test dev server (it starts with "default" only), registered once per server. */
const NAMESPACE = 'practice-ns';

/** Temporal's connection variables this test sets on the process, restored after each test. */
const TEMPORAL_VARS = ['TEMPORAL_NAMESPACE', 'TEMPORAL_TLS', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE'] as const;

describe('the CLI and the worker in a namespace other than "default" (TEMPORAL_NAMESPACE)', () => {
  let admin: Client;
  const saved: Partial<Record<string, string>> = {};

  beforeAll(async () => {
    admin = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS }) });
    await admin.workflowService
      .registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: msToTs('1 day') })
      .catch((err: { code?: number }) => {
        if (err.code !== 6 /* ALREADY_EXISTS */) throw err;
      });
    // The frontend learns of a new namespace on its next cache refresh: wait until it takes requests there.
    await waitFor('the new namespace to take requests', async () => {
      await admin.workflowService.listOpenWorkflowExecutions({ namespace: NAMESPACE, maximumPageSize: 1 });
      return true;
    });
  });
  beforeEach(() => {
    for (const k of TEMPORAL_VARS) saved[k] = process.env[k];
  });
  afterEach(() => {
    for (const k of TEMPORAL_VARS)
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });
  afterAll(async () => {
    await admin?.connection.close();
  });

  it("the CLI's client starts and finds workflows in TEMPORAL_NAMESPACE, not in default", async () => {
    // As `npm run starter` does: the environment, parsed, then the client; TEMPORAL_NAMESPACE comes from the process env.
    process.env.TEMPORAL_NAMESPACE = NAMESPACE;
    const client = await connectClient(loadEnv());
    try {
      expect(client.options.namespace).toBe(NAMESPACE);
      const workflowId = `ns-probe-${randomBytes(4).toString('hex')}`;
      // No worker needed: the workflow only has to exist, in the right namespace.
      const handle = await client.workflow.start('noSuchWorkflow', { taskQueue: `ns-test-${randomBytes(4).toString('hex')}`, workflowId });
      try {
        expect((await handle.describe()).status.name).toBe('RUNNING');
        const inDefault = await admin.workflow
          .getHandle(workflowId)
          .describe()
          .catch((e: unknown) => e);
        expect(inDefault).toBeInstanceOf(WorkflowNotFoundError);
        const inNamespace = await admin.workflowService.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId } });
        expect(inNamespace.workflowExecutionInfo?.execution?.workflowId).toBe(workflowId);
      } finally {
        await handle.terminate('test done');
      }
    } finally {
      await client.connection.close();
    }
  });

  it('a profile of the Temporal config file names the namespace too; TEMPORAL_TLS=true against this plain-text server is one readable line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-profile-'));
    try {
      const file = path.join(dir, 'temporal.toml');
      fs.writeFileSync(file, `[profile.practice]\naddress = "${process.env.TEMPORAL_ADDRESS}"\nnamespace = "${NAMESPACE}"\n`);
      delete process.env.TEMPORAL_NAMESPACE;
      process.env.TEMPORAL_CONFIG_FILE = file;
      process.env.TEMPORAL_PROFILE = 'practice';
      const client = await connectClient();
      expect(client.options.namespace).toBe(NAMESPACE);
      await client.connection.close();

      process.env.TEMPORAL_TLS = 'true';
      const err = await connectClient().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalUnreachableError);
      expect((err as Error).message).toBe(
        `Temporal at ${process.env.TEMPORAL_ADDRESS} (namespace ${NAMESPACE}) does not answer: no TLS answer in time (check TEMPORAL_TLS and the certificates) — start it with "npm run temporal" or set TEMPORAL_ADDRESS`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the worker process', () => {
    let db: TestDatabase;
    let child: ChildProcess | undefined;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await db?.drop();
    });

    it('polls its task queue in TEMPORAL_NAMESPACE and says so when it starts', async () => {
      const taskQueue = `ns-worker-${randomBytes(4).toString('hex')}`;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-ns-'));
      child = spawn(...entryPoint('src/worker.ts'), {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_NAMESPACE: NAMESPACE, TASK_QUEUE: taskQueue, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      const started = await waitFor(
        'the worker to start',
        () => {
          if (child!.exitCode !== null) throw new WaitAborted(`the worker exited: ${stderr}`);
          return stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { msg: string; temporal?: { address: string; namespace: string; tls: boolean } })
            .find((l) => l.msg === 'worker started');
        },
        { timeoutMs: 90_000 },
      );
      expect(started.temporal).toMatchObject({ address: process.env.TEMPORAL_ADDRESS, namespace: NAMESPACE, tls: false, apiKey: false });

      const pollers = async (namespace: string) =>
        (
          await admin.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          })
        ).pollers?.length ?? 0;
      await waitFor(`a poller on ${taskQueue} in ${NAMESPACE}`, async () => (await pollers(NAMESPACE)) > 0, { timeoutMs: 20_000 });
      expect(await pollers('default')).toBe(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  });
});
