import { spawn, type ChildProcess } from 'node:child_process';
import { createHarness, processEnv, type Harness } from '../support/harness';
import { WaitAborted, waitFor } from '../support/wait';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(2 * 60 * 1000);

interface LogLine {
  level: number;
  msg: string;
  signal?: string;
  graceSeconds?: number;
}

describe('a worker process told to stop', () => {
  let h: Harness;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await h?.close();
  });

  it('logs that it is shutting down on SIGTERM, with the grace time, then that it stopped, and exits 0', async () => {
    // tsx itself (not npx): it relays the signal to the worker once, as an orchestrator's SIGTERM to PID 1 would arrive.
    child = spawn(...entryPoint('src/worker.ts'), {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: processEnv(h.env, {
        DATA_DIR: h.dataDir,
        LOG_LEVEL: 'info',
        WORKER_SHUTDOWN_GRACE_SECONDS: '3',
      }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const lines = (): LogLine[] =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);

    await waitFor(
      'the worker to start',
      () => {
        if (child!.exitCode !== null) throw new WaitAborted(`the worker exited: ${stderr}`);
        return lines().some((l) => l.msg === 'worker started');
      },
      { timeoutMs: 90_000 },
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const messages = lines().map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['worker shutting down (SIGTERM): finishing in-flight activities, grace 3s', 'worker stopped']));
    expect(messages.indexOf('worker stopped')).toBeGreaterThan(messages.indexOf('worker shutting down (SIGTERM): finishing in-flight activities, grace 3s'));
    expect(lines().find((l) => l.msg.startsWith('worker shutting down'))).toMatchObject({ level: 30, signal: 'SIGTERM', graceSeconds: 3 });
  });
});
