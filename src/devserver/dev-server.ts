import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { TypedSearchAttributes } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { temporalCliPath } from './paths';

export interface DevServerOptions {
  /** gRPC port; the Web UI listens on port + 1000 unless uiPort is given. */
  port: number;
  uiPort?: number;
  headless?: boolean;
  /** SQLite file, so workflows survive a restart of the server. Omit for an in-memory server. */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `--search-attribute Name=Type` for every custom attribute the product upserts. */
export function searchAttributeArgs(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`]);
}

export function assertTemporalCli(cliPath = temporalCliPath()): string {
  if (!fs.existsSync(cliPath)) {
    throw new Error(
      `Temporal CLI not found at ${cliPath}. Run "npm run setup" (it builds Temporal CLI v1.5.1 with Go, once per machine) ` +
        'or set TEMPORAL_CLI_PATH to an existing binary.',
    );
  }
  return cliPath;
}

export async function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `temporal server start-dev` from the cached binary (never downloads anything) and waits until it listens. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const cli = assertTemporalCli();
  // Waiting for the port to open proves nothing when something already listens there.
  if (await isPortOpen(options.port)) {
    throw new Error(`something already listens on 127.0.0.1:${options.port}: stop it, or start this server with another port (--port)`);
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...searchAttributeArgs(),
  ];
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.headless) args.push('--headless');
  else if (options.uiPort) args.push('--ui-port', String(options.uiPort));

  // The log's folder too: on a fresh clone (no .data/ yet) or with --db elsewhere, nothing else creates it.
  if (options.logFile) fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, {
    stdio: ['ignore', out, out],
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    detached: false,
  });
  if (typeof out === 'number') fs.closeSync(out); // the child holds its own copy
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + 60_000;
  while (!(await isPortOpen(options.port))) {
    if (exited) throw new Error(`Temporal dev server exited during start (see ${options.logFile ?? 'its output'})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not listen on 127.0.0.1:${options.port} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const uiPort = options.headless ? undefined : (options.uiPort ?? options.port + 1000);
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    process: child,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
