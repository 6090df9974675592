import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { isPortOpen } from '../../src/devserver/dev-server';
import { WaitAborted, waitFor } from '../support/wait';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(2 * 60 * 1000);

/** A port nothing listens on now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** `npm run temporal` as a user runs it (tsx on src/devserver/main.ts), with its own env and flags. */
function runTemporal(env: Record<string, string>, args: string[]): Run {
  const child = spawn(...entryPoint('src/devserver/main.ts', ...args), {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

describe('npm run temporal (the dev server entry)', () => {
  let tmp: string;
  const running: Run[] = [];
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devserver-main-'));
  });
  afterEach(() => {
    for (const r of running.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.each([
    ['DATA_DIR a folder that does not exist yet', (_dataDir: string): string[] => []],
    ['--db in another folder that does not exist yet', (_dataDir: string) => ['--db', path.join(tmp, 'elsewhere', 'temporal.db')]],
  ])("starts with %s, answers on the given port with the product's search attributes, and stops on SIGTERM", async (_what, extraArgs) => {
    const dataDir = path.join(tmp, 'fresh', 'data');
    const [port, uiPort] = [await freePort(), await freePort()];
    const run = runTemporal({ DATA_DIR: dataDir }, ['--port', String(port), '--ui-port', String(uiPort), ...extraArgs(dataDir)]);
    running.push(run);
    await waitFor(
      'the dev server to say it is up',
      () => {
        if (run.child.exitCode !== null) throw new WaitAborted(`it exited ${run.child.exitCode}: ${run.out()}`);
        return run.out().includes(`Temporal dev server on 127.0.0.1:${port}; Web UI http://127.0.0.1:${uiPort}`);
      },
      { timeoutMs: 90_000 },
    );

    // The port opens before the server answers; under a loaded suite the first answer took over the client's default
    // 10 s once (CI, stop 29).
    const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '60s' });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['MigrationPhase', 'PracticeName']));
    } finally {
      await connection.close();
    }
    expect(fs.existsSync(path.join(dataDir, 'temporal.log'))).toBe(true);
    const db = extraArgs(dataDir)[1] ?? path.join(dataDir, 'temporal.db');
    expect(fs.existsSync(db)).toBe(true);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    // The Temporal server it started went down with it.
    await waitFor('the port to close', async () => !(await isPortOpen(port)), { timeoutMs: 15_000 });
  });

  it('refuses a port something already listens on, in one line, instead of claiming it started', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const run = runTemporal({ DATA_DIR: path.join(tmp, 'data') }, ['--port', String(port), '--ui-port', String(await freePort())]);
      running.push(run);
      expect(await run.exited).toBe(1);
      expect(run.out().trim()).toBe(`something already listens on 127.0.0.1:${port}: stop it, or start this server with another port (--port)`);
    } finally {
      squatter.close();
    }
  });
});
