/**
 * A whole migration's FULL phase against Pipedrive's rate ceiling (issue 14): the bundled demo practice migrated by a
 * real in-process worker on a throw-away Temporal dev server, into a sandbox with a plan's real burst limit and a fixed
 * latency per request. Baselines from the same run and sandbox settings: the ceiling (the plan's requests per 2 s,
 * halved) and a naive sequential loop of creates with a client configured like the product's. The issue's three figures
 * below are all measured in one run (`--only` picks some) and printed last as one JSON line (`figures`, each beside its
 * target). Prints; asserts nothing; exits non-zero only when something failed (a migration not reaching DONE).
 *
 *   npx tsx bench/throughput.bench.ts [--only a,b,c] [--concurrency auto 2 8] [--latency-ms 150] [--plan premium]
 *     [--sandbox-process]
 *
 * (a) the share of the ceiling one worker reaches over the FULL phase at `--latency-ms`, once per `--concurrency`
 * (default `auto`, the product's derived default; the figure is that run's), with its 429s, beside the sequential loop.
 *
 * (b) the engine's own speed: no latency, and a burst window and a daily token budget that never bind (a world of its
 * own: the worker's client paces to the account it is told of), so the FULL phase goes as fast as the engine and
 * Temporal let one worker; beside it, a bare replay of the same JSON writes (their bodies as the sandbox received them)
 * with plain HTTP requests sent by the product's own HTTP client library (undici), as many at once as the worker has
 * activity slots, into the same sandbox; and, for comparison with earlier measurements, the same replay sent with
 * Node's fetch (about four times the client CPU per request; the bare replay's client through stop 30). The sandbox
 * runs in a process of its own (bench/sandbox-process.ts), as Pipedrive is to a worker, so its work shares neither's
 * event loop.
 *
 * (c) three workers (this one and two more on the same task queue and store, as three machines would run) and two
 * practices (the demo practice and a second one generated beside it) migrated at once into one account with the plan's
 * real burst limit: the share of the ceiling both FULL phases reach together, from the first one's start to the last
 * one's end, and the 429s in that time.
 *
 * `--sandbox-process`: (a) and (c) with the sandbox in a process of its own too (else in this one).
 *
 * Writes are counted by the sandbox: POST/PUT/PATCH/DELETE requests it answered 2xx between the FULL and VERIFY
 * timestamps of the migration's phase history (what the burst limit meters; a bulk request is one write). The ledger's
 * count of records created by the full run is printed beside it as a cross-check.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import pg from 'pg';
import { Agent, request, type Dispatcher } from 'undici';
import { DEFAULT_API_TOKEN, startSandbox, type RequestLogEntry, type SandboxOptions, type SandboxPlan } from '@dentrix-pipedrive/pipedrive-sandbox';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { PIPEDRIVE_PLANS } from '../src/config';
import { providerUsers } from '../src/cli/demo';
import { PipedriveClient } from '../src/pipedrive/client';
import { migrationWorkflowId } from '../src/runtime/temporal';
import type { MigrationStatus } from '../src/workflows/messages';
import { migrateDemoPractice, startBenchWorld, type BenchWorld } from './harness';
import type { SandboxProcessCommand, SandboxProcessMessage } from './sandbox-process';
import { CpuSampler } from './cpu-sampler';

const BURST_WINDOW_S = 2;
/** The product's default seats; the sandbox gets the same so both agree on the daily budget. */
const SEATS = 5;
const SEQUENTIAL_REQUESTS = 200;
/** Figure (b): a burst window no run reaches. */
const UNPACED_BURST = 100_000;
/** Figure (b): a day's token budget no run reaches either (a large practice's FULL phase and both replays of it). */
const UNPACED_DAILY_TOKENS = 1_000_000_000;
/** `auto`: the migration options leave concurrency open and the run plan derives it (the product's default). */
type Concurrency = number | 'auto';

/** The issue's figures (see the file comment). */
type Figure = 'a' | 'b' | 'c';
const FIGURES: readonly Figure[] = ['a', 'b', 'c'];

/** The issue's targets, printed beside each figure (never asserted). */
const TARGETS = { a: { ceilingShare: 0.9 }, b: { recordsPerSecond: 240, ofBareReplay: 0.7 }, c: { ceilingShare: 0.85 } };

interface Args {
  figures: Set<Figure>;
  concurrencies: Concurrency[];
  latencyMs: number;
  plan: SandboxPlan;
  /** (a) and (c) with the sandbox in a process of its own, as Pipedrive is to a worker (else in this one). */
  sandboxProcess: boolean;
  /** Records per batch (the migration's batchSize option); else the option's default. */
  batchSize?: number;
  /**
   * Figure (b) on a practice of this many patients (the demo profile and seed, generated for the run) instead of the
   * bundled demo practice: a longer FULL phase, in which the fixed costs of each wave of object types weigh less.
   */
  patients?: number;
}

/** How one part of the run sets its sandbox up: (a) and (c) paced at the plan's limit, (b) unpaced. */
interface SandboxSetting {
  plan: SandboxPlan;
  latencyMs: number;
  unpaced: boolean;
  ownProcess: boolean;
}

const USAGE =
  'npx tsx bench/throughput.bench.ts [--only a,b,c] [--concurrency auto|N ...] [--latency-ms 150] [--plan premium] [--sandbox-process] [--batch-size N] [--patients N]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { figures: new Set(FIGURES), concurrencies: [], latencyMs: 150, plan: 'premium', sandboxProcess: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') {
      const wanted = (argv[++i] ?? '').split(',').map((f) => f.trim());
      const unknown = wanted.filter((f) => !FIGURES.includes(f as Figure));
      if (wanted.length === 0 || unknown.length > 0) throw new Error(`--only: a comma-separated list of ${FIGURES.join(', ')}, not ${argv[i] ?? 'nothing'}`);
      args.figures = new Set(wanted as Figure[]);
    } else if (arg === '--concurrency') {
      while (i + 1 < argv.length && /^(\d+|auto)$/u.test(argv[i + 1]!)) {
        const value = argv[++i]!;
        args.concurrencies.push(value === 'auto' ? 'auto' : Number(value));
      }
    } else if (arg === '--latency-ms') args.latencyMs = Number(argv[++i]);
    else if (arg === '--sandbox-process') args.sandboxProcess = true;
    else if (arg === '--batch-size') args.batchSize = Number(argv[++i]);
    else if (arg === '--patients') args.patients = Number(argv[++i]);
    else if (arg === '--plan') {
      const plan = argv[++i] as SandboxPlan;
      if (!PIPEDRIVE_PLANS.includes(plan)) throw new Error(`--plan: one of ${PIPEDRIVE_PLANS.join(', ')}`);
      args.plan = plan;
    } else throw new Error(`unknown argument ${arg}: ${USAGE}`);
  }
  if (!Number.isInteger(args.latencyMs) || args.latencyMs < 0) throw new Error('--latency-ms: a whole number of milliseconds');
  if (args.batchSize !== undefined && !(Number.isInteger(args.batchSize) && args.batchSize >= 1)) throw new Error('--batch-size: a whole number of records');
  if (args.patients !== undefined && !(Number.isInteger(args.patients) && args.patients >= 1)) throw new Error('--patients: a whole number of patients');
  // The product's default (derived from the plan's rate and the observed latency).
  if (args.concurrencies.length === 0) args.concurrencies = ['auto'];
  return args;
}

/** Every API request the sandbox answered, stamped when it finished, so a phase's window can be cut out afterwards. */
interface LoggedRequest extends RequestLogEntry {
  at: number;
  /** Its parsed JSON body (figure b replays the writes with it). */
  body?: unknown;
}

/** What the bench needs of a sandbox, in this process or in its own. */
interface BenchSandbox {
  url: string;
  /** Its process when it has one of its own (`--sandbox-process`). */
  pid?: number;
  usage(): { burstLimit: number };
  /** Every API request it answered so far (from its own process after the run, when it has one). */
  requests(): Promise<LoggedRequest[]>;
  close(): Promise<void>;
}

async function benchSandbox(setting: SandboxSetting, users: { name: string; email: string }[]): Promise<BenchSandbox> {
  // The plan's own burst limit (no override): the point is the real ceiling.
  const options: SandboxOptions = {
    port: 0,
    plan: setting.plan,
    seats: SEATS,
    users,
    ...(setting.unpaced ? { burstLimit: UNPACED_BURST, dailyTokenBudget: UNPACED_DAILY_TOKENS } : {}),
    faults: { latencyMs: setting.latencyMs },
  };
  if (setting.ownProcess) return sandboxProcess(options, setting.unpaced);
  const log: LoggedRequest[] = [];
  const sandbox = await startSandbox({ ...options, onRequest: (entry, body) => log.push({ ...entry, at: Date.now(), ...(setting.unpaced ? { body } : {}) }) });
  return { url: sandbox.url, usage: () => sandbox.usage(), requests: () => Promise.resolve(log), close: () => sandbox.close() };
}

/**
 * `--sandbox-process`: the sandbox in a process of its own (bench/sandbox-process.ts), which keeps its request log
 * until asked for it over IPC (after the run, so the worker's process carries none of it while it is measured).
 */
function sandboxProcess(options: SandboxOptions, withBodies: boolean): Promise<BenchSandbox> {
  const child = fork(path.join(__dirname, 'sandbox-process.ts'), [JSON.stringify({ ...options, withBodies })], { execArgv: ['--import', 'tsx'] });
  const command = (message: SandboxProcessCommand) => child.send(message);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sandbox process exited (${code}) before it was ready`)));
    child.on('message', (message: SandboxProcessMessage) => {
      if (message.kind !== 'ready') return;
      child.removeAllListeners('exit');
      resolve({
        url: message.url,
        pid: child.pid,
        usage: () => ({ burstLimit: message.burstLimit }),
        requests: () =>
          new Promise((answered) => {
            const listener = (reply: SandboxProcessMessage) => {
              if (reply.kind !== 'requests') return;
              child.off('message', listener);
              answered(reply.requests.map((r) => ({ tokens: 0, durationMs: 0, ...r, status: r.status as LoggedRequest['status'] })));
            };
            child.on('message', listener);
            command({ kind: 'requests' });
          }),
        close: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            command({ kind: 'close' });
          }),
      });
    });
  });
}

const isWrite = (r: LoggedRequest): boolean => r.method !== 'GET' && typeof r.status === 'number' && r.status < 300;

interface Row {
  concurrency: Concurrency;
  /** Where the FULL phase's time went (timeline()). */
  timeline: string[];
  /** What the load children ran with (the derived value under auto). */
  effective?: number;
  writes: number;
  ledger: number;
  seconds: number;
  requests: number;
  rateLimited: number;
  /** Figure (b): the bare replay of the run's JSON writes, with the product's HTTP client. */
  replay?: { writes: number; seconds: number; atOnce: number; cpu?: Record<string, number>; loopBusy?: number };
  /** The same replay with Node's fetch (the bare replay's client through stop 30). */
  fetchReplay?: { writes: number; seconds: number };
  /** CPU seconds per process group over the FULL phase (Linux). */
  cpu?: Record<string, number>;
  /** The share of the FULL phase this process's event loop (the worker's activities) was busy. */
  loopBusy?: number;
  /** Statements this process sent PostgreSQL during the FULL phase (the worker's, and the bench's few). */
  statements: number;
}

/**
 * When each statement this process sends PostgreSQL was sent: every one is a round trip that wakes a server process,
 * which on a small machine costs about what a Pipedrive request does. A count, unlike a rate, does not vary with what
 * else the machine is doing. Wraps pg's query method for the bench's lifetime (the worker's pool uses the same module).
 */
function statementTimes(): number[] {
  const times: number[] = [];
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    times.push(Date.now());
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  return times;
}

/**
 * The processes a run's CPU goes to: this one (the worker, and the bench's own bookkeeping), the sandbox's when it has
 * its own (`--sandbox-process`; else it is in this one), the Temporal dev server, and the machine's PostgreSQL (every
 * backend: anything else using it at the time counts too).
 */
function cpuGroups(sandboxPid: () => number | undefined) {
  return [
    { name: 'worker', matches: (pid: number) => pid === process.pid },
    { name: 'sandbox', matches: (pid: number) => pid === sandboxPid() },
    { name: 'temporal', matches: (_pid: number, comm: string) => comm === 'temporal' },
    { name: 'postgres', matches: (_pid: number, comm: string) => comm === 'postgres' },
  ];
}

/** CPU milliseconds per record (or write) of each group, e.g. "worker 2.1, sandbox 0.9, temporal 0.4, postgres 0.6". */
function perRecord(cpu: Record<string, number>, records: number): string {
  return Object.entries(cpu)
    .filter(([, seconds]) => seconds > 0)
    .map(([group, seconds]) => `${group} ${((seconds * 1000) / records).toFixed(2)}`)
    .join(', ');
}

/** What the paced part of the run measured: figure (a) per concurrency and, when asked, figure (c). */
interface PacedResult {
  ceiling: number;
  sequential: { requests: number; seconds: number };
  rows: Row[];
  shared?: SharedRow;
}

/**
 * One migration of the demo practice in a fresh account (the same start for each run, and a fresh client, i.e. pacing,
 * for the worker) and its FULL phase measured; with `replay`, the bare replay of its writes beside it.
 */
async function measureRun(
  world: BenchWorld,
  setting: SandboxSetting,
  run: { concurrency: Concurrency; batchSize?: number; replay: boolean; ceiling: number; practice?: string },
  statements: readonly number[],
): Promise<Row> {
  const { concurrency } = run;
  const users = run.practice ? [...world.users, ...(await providerUsers(run.practice))] : world.users;
  const sandbox = await benchSandbox(setting, users);
  const migrationId = `throughput-${setting.unpaced ? 'unpaced' : 'paced'}-c${concurrency}`;
  const sampler = new CpuSampler(cpuGroups(() => sandbox.pid));
  try {
    // A tiny sample and no delta window, so the FULL phase is nearly all of the run.
    const status = await migrateDemoPractice(
      world,
      migrationId,
      sandbox.url,
      {
        ...(concurrency === 'auto' ? {} : { concurrency }),
        ...(run.batchSize !== undefined && { batchSize: run.batchSize }),
        sampleSize: 20,
        allowSmallSample: true,
        skipDelta: true,
      },
      run.practice,
    );
    const { from, to } = fullPhaseSpan(status);
    const inFull = (await sandbox.requests()).filter((r) => r.at >= from && r.at <= to);
    const cpu = sampler.between(from, to);
    const loopBusy = sampler.loopBusy(from, to);
    const replayFrom = Date.now();
    const atOnce = world.env.WORKER_MAX_CONCURRENT_ACTIVITIES;
    const replay = run.replay ? await bareReplay(sandbox.url, inFull, atOnce, 'undici') : undefined;
    const replayTo = replay && (await settled(), Date.now());
    const replayCpu = replayTo && sampler.between(replayFrom, replayTo);
    const replayLoopBusy = replayTo && sampler.loopBusy(replayFrom, replayTo);
    const fetchReplay = run.replay ? await bareReplay(sandbox.url, inFull, atOnce, 'fetch') : undefined;
    return {
      concurrency,
      effective: await childConcurrency(world.server.client, migrationId),
      writes: inFull.filter(isWrite).length,
      ledger: await fullRunRecords(world, migrationId),
      seconds: (to - from) / 1000,
      requests: inFull.length,
      rateLimited: inFull.filter((r) => r.status === 429).length,
      timeline: [...timeline(inFull, from, to, run.ceiling), coresBusyLine(sampler, from, to)],
      ...(cpu && { cpu }),
      ...(loopBusy !== undefined && { loopBusy }),
      statements: statements.filter((at) => at >= from && at <= to).length,
      ...(replay && { replay: { ...replay, ...(replayCpu && { cpu: replayCpu }), ...(replayLoopBusy !== undefined && { loopBusy: replayLoopBusy }) } }),
      ...(fetchReplay && { fetchReplay }),
    };
  } finally {
    sampler.stop();
    await sandbox.close();
  }
}

/** Figures (a) and (c): the plan's real burst limit, `--latency-ms` per request. */
async function pacedPart(args: Args, statements: readonly number[], failures: string[]): Promise<PacedResult> {
  const setting: SandboxSetting = { plan: args.plan, latencyMs: args.latencyMs, unpaced: false, ownProcess: args.sandboxProcess };
  const world = await startBenchWorld('throughput', { plan: args.plan, seats: SEATS });
  const result: PacedResult = { ceiling: 0, sequential: { requests: 0, seconds: 0 }, rows: [] };
  try {
    console.log(
      `Demo practice, FULL phase: ${args.plan} plan, ${args.latencyMs} ms per request, worker activity slots ` +
        `${world.env.WORKER_MAX_CONCURRENT_ACTIVITIES}, concurrency ${args.concurrencies.join(', ')} (auto: derived from the plan's rate and the observed latency); load ${os.loadavg()[0]!.toFixed(2)}\n`,
    );
    // Baseline: one create at a time with a client paced like the product's, on a fresh sandbox with the same settings.
    {
      const sandbox = await benchSandbox(setting, world.users);
      result.ceiling = sandbox.usage().burstLimit / BURST_WINDOW_S;
      const client = new PipedriveClient({ baseUrl: sandbox.url, apiToken: 'sandbox-token', plan: args.plan, seats: SEATS });
      const started = process.hrtime.bigint();
      for (let i = 0; i < SEQUENTIAL_REQUESTS; i++) await client.create('persons', { name: `Bench Person ${i + 1}` });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      result.sequential = { requests: (await sandbox.requests()).filter(isWrite).length, seconds };
      client.close();
      await sandbox.close();
    }
    if (args.figures.has('a')) {
      for (const concurrency of args.concurrencies) {
        try {
          result.rows.push(await measureRun(world, setting, { concurrency, batchSize: args.batchSize, replay: false, ceiling: result.ceiling }, statements));
        } catch (err) {
          failures.push(`(a) concurrency ${concurrency}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    if (args.figures.has('c')) {
      try {
        result.shared = await sharedAccountRun(world, setting);
      } catch (err) {
        failures.push(`(c) shared account: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    await world.close();
  }
  return result;
}

/**
 * Figure (b): no latency, a burst window and a daily budget nothing reaches, the sandbox in its own process; beside the
 * bare replay.
 */
async function unpacedPart(args: Args, statements: readonly number[], failures: string[]): Promise<Row | undefined> {
  const setting: SandboxSetting = { plan: args.plan, latencyMs: 0, unpaced: true, ownProcess: true };
  const world = await startBenchWorld('throughput_unpaced', {
    plan: args.plan,
    seats: SEATS,
    burstLimit: UNPACED_BURST,
    dailyTokenBudget: UNPACED_DAILY_TOKENS,
  });
  const folder = args.patients === undefined ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bench-patients-'));
  try {
    const practice = folder && path.join(folder, 'practice');
    if (practice) await generatePractice({ profile: 'demo', seed: DEMO_SEED, patients: args.patients, outDir: practice });
    return await measureRun(
      world,
      setting,
      { concurrency: 'auto', batchSize: args.batchSize, replay: true, ceiling: UNPACED_BURST / BURST_WINDOW_S, ...(practice && { practice }) },
      statements,
    );
  } catch (err) {
    failures.push(`(b) unpaced: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  } finally {
    await world.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  }
}

const concurrencyLabel = (r: Row) => (r.concurrency === 'auto' ? `auto=${r.effective ?? '?'}` : String(r.concurrency));
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const statements = statementTimes();
  const failures: string[] = [];
  const paced = args.figures.has('a') || args.figures.has('c') ? await pacedPart(args, statements, failures) : undefined;
  const unpaced = args.figures.has('b') ? await unpacedPart(args, statements, failures) : undefined;

  if (paced) {
    const { ceiling, sequential, rows, shared } = paced;
    const seqRate = sequential.requests / sequential.seconds;
    const pct = (rate: number) => `${((rate / ceiling) * 100).toFixed(0)}%`;
    console.log(`ceiling: ${ceiling} writes/s (${ceiling * BURST_WINDOW_S} requests per ${BURST_WINDOW_S} s)`);
    console.log(
      `sequential baseline: ${sequential.requests} person creates in ${sequential.seconds.toFixed(1)} s = ${seqRate.toFixed(1)} writes/s, ${pct(seqRate)} of the ceiling\n`,
    );
    if (rows.length > 0) console.log('concurrency   FULL writes   ledger records   FULL s   writes/s   % ceiling   × sequential   all req/s   429s');
    for (const r of rows) {
      const rate = r.writes / r.seconds;
      console.log(
        `${concurrencyLabel(r).padEnd(11)} ${String(r.writes).padStart(13)} ${String(r.ledger).padStart(16)}` +
          ` ${r.seconds.toFixed(1).padStart(8)} ${rate.toFixed(1).padStart(10)} ${pct(rate).padStart(11)} ${(rate / seqRate).toFixed(2).padStart(13)}×` +
          ` ${(r.requests / r.seconds).toFixed(1).padStart(11)} ${String(r.rateLimited).padStart(6)}`,
      );
    }
    if (shared) {
      const rate = shared.writes / shared.seconds;
      console.log(
        `\nshared account: ${shared.workers} workers, ${shared.migrations} migrations at once: both FULL phases ${shared.seconds.toFixed(1)} s, ` +
          `${shared.writes} writes = ${rate.toFixed(1)} writes/s, ${pct(rate)} of the ceiling, ${shared.rateLimited} × 429 ` +
          `(per migration: ${shared.perMigration.map((m) => `${m.migrationId} ${m.seconds.toFixed(1)} s, ${m.records} records`).join('; ')})`,
      );
    }
    for (const r of rows) {
      console.log(`\nconcurrency ${concurrencyLabel(r)}, where the FULL phase's time went:`);
      for (const line of r.timeline) console.log(`  ${line}`);
    }
    if (shared) {
      console.log(`\nshared account, where both FULL phases' time went:`);
      for (const line of shared.timeline) console.log(`  ${line}`);
    }
  }
  if (unpaced?.replay) {
    const replay = unpaced.replay;
    const bare = replay.writes / replay.seconds;
    console.log(
      `\nunpaced${args.patients === undefined ? '' : ` (${args.patients} patients)`}, concurrency ${concurrencyLabel(unpaced)}: the FULL phase ${(unpaced.ledger / unpaced.seconds).toFixed(0)} records/s ` +
        `(${(unpaced.writes / unpaced.seconds).toFixed(0)} writes/s); a bare replay of its ${replay.writes} JSON writes, ${replay.atOnce} at once, ` +
        `with the product's HTTP client (undici): ${bare.toFixed(0)} writes/s; ratio ${(unpaced.writes / unpaced.seconds / bare).toFixed(2)}`,
    );
    if (unpaced.fetchReplay) {
      const viaFetch = unpaced.fetchReplay.writes / unpaced.fetchReplay.seconds;
      console.log(
        `  the same replay with Node's fetch (the bare replay's client through stop 30): ${viaFetch.toFixed(0)} writes/s; ratio ${(unpaced.writes / unpaced.seconds / viaFetch).toFixed(2)}`,
      );
    }
    console.log(`  PostgreSQL statements per record over the FULL phase: ${(unpaced.statements / unpaced.ledger).toFixed(2)} (${unpaced.statements})`);
    if (unpaced.cpu)
      console.log(`  CPU ms per record over the FULL phase: ${perRecord(unpaced.cpu, unpaced.ledger)} (this machine: ${os.cpus().length} cores)`);
    if (replay.cpu) console.log(`  CPU ms per write of the bare replay: ${perRecord(replay.cpu, replay.writes)} (worker: the replaying client)`);
    const bound = cpuBound(unpaced);
    if (bound !== undefined)
      console.log(
        `  all processes' CPU per write: the bare replay's is ${bound.toFixed(2)} of the FULL phase's, the most the ratio can reach ` +
          `where both keep every core busy (the FULL phase adds Temporal's and PostgreSQL's to the worker's and the sandbox's)`,
      );
    if (unpaced.loopBusy !== undefined && replay.loopBusy !== undefined) {
      console.log(
        `  the worker's event loop (its activities' one thread) busy ${(unpaced.loopBusy * 100).toFixed(0)}% of the FULL phase; the bare replay's ${(replay.loopBusy * 100).toFixed(0)}%`,
      );
    }
    console.log(`\nunpaced, where the FULL phase's time went:`);
    for (const line of unpaced.timeline) console.log(`  ${line}`);
  }
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(JSON.stringify(summary(args, paced, unpaced)));
  for (const f of failures) console.error(`FAILED ${f}`);
  return failures.length > 0 ? 1 : 0;
}

/**
 * The JSON line: the issue's figures beside their targets (`figures`: (a) from the `auto` run, else the first one
 * measured), then every run's details. A figure that was not measured (not asked for, or its run failed) is left out.
 */
function summary(args: Args, paced: PacedResult | undefined, unpaced: Row | undefined) {
  const ceiling = paced?.ceiling ?? 0;
  const sequentialShare = paced ? round(paced.sequential.requests / paced.sequential.seconds / ceiling) : undefined;
  const ceilingShare = (r: { writes: number; seconds: number }) => round(r.writes / r.seconds / ceiling);
  const a = paced?.rows.find((r) => r.concurrency === 'auto') ?? paced?.rows[0];
  const replayRate = unpaced?.replay && unpaced.replay.writes / unpaced.replay.seconds;
  const b =
    unpaced && replayRate
      ? { recordsPerSecond: round(unpaced.ledger / unpaced.seconds, 1), ofBareReplay: round(unpaced.writes / unpaced.seconds / replayRate) }
      : undefined;
  const c = paced?.shared;
  return {
    bench: 'throughput',
    plan: args.plan,
    latencyMs: args.latencyMs,
    figures: {
      ...(a && {
        a: { ceilingShare: ceilingShare(a), rateLimited: a.rateLimited, sequentialShare, concurrency: concurrencyLabel(a), target: TARGETS.a },
      }),
      ...(b && { b: { ...b, target: TARGETS.b } }),
      ...(c && { c: { ceilingShare: ceilingShare(c), rateLimited: c.rateLimited, workers: c.workers, migrations: c.migrations, target: TARGETS.c } }),
    },
    ...(paced && { ceilingWritesPerSecond: ceiling, sequentialShare }),
    runs: (paced?.rows ?? []).map((r) => ({
      concurrency: concurrencyLabel(r),
      fullSeconds: round(r.seconds, 1),
      writes: r.writes,
      ceilingShare: ceilingShare(r),
      rateLimited: r.rateLimited,
    })),
    ...(unpaced?.replay &&
      replayRate && {
        unpaced: {
          practice: args.patients === undefined ? 'demo' : `demo profile, ${args.patients} patients`,
          concurrency: concurrencyLabel(unpaced),
          fullSeconds: round(unpaced.seconds, 1),
          writes: unpaced.writes,
          recordsPerSecond: round(unpaced.ledger / unpaced.seconds, 1),
          bareReplayWritesPerSecond: round(replayRate, 1),
          ofBareReplay: round(unpaced.writes / unpaced.seconds / replayRate),
          ...(unpaced.fetchReplay && {
            fetchReplayWritesPerSecond: round(unpaced.fetchReplay.writes / unpaced.fetchReplay.seconds, 1),
            ofFetchReplay: round((unpaced.writes / unpaced.seconds) * (unpaced.fetchReplay.seconds / unpaced.fetchReplay.writes)),
          }),
          statementsPerRecord: round(unpaced.statements / unpaced.ledger, 2),
          ...(cpuBound(unpaced) !== undefined && { cpuBoundRatio: round(cpuBound(unpaced)!) }),
          ...(unpaced.loopBusy !== undefined && { workerLoopBusy: round(unpaced.loopBusy) }),
          ...(unpaced.cpu && {
            cpuMsPerRecord: Object.fromEntries(Object.entries(unpaced.cpu).map(([group, seconds]) => [group, round((seconds * 1000) / unpaced.ledger, 2)])),
          }),
        },
      }),
    ...(c && {
      shared: {
        workers: c.workers,
        migrations: c.migrations,
        fullSeconds: round(c.seconds, 1),
        writes: c.writes,
        ceilingShare: ceilingShare(c),
        rateLimited: c.rateLimited,
      },
    }),
  };
}

// Exit explicitly: the Temporal runtime's native threads may outlive the worker's shutdown.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** Lets the CPU sampler take one more sample after a span ends. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 300));

/** When a migration's FULL phase began and ended (VERIFY began), from its phase history (wall clock, ms). */
function fullPhaseSpan(status: MigrationStatus): { from: number; to: number } {
  const at = (phase: string) => Date.parse(status.phaseHistory.find((p) => p.phase === phase)?.at ?? '');
  const [from, to] = [at('FULL'), at('VERIFY')];
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`no FULL → VERIFY in the phase history of ${status.migrationId}`);
  return { from, to };
}

/** The records the full run created, as the ledger counts them (the cross-check beside the sandbox's writes). */
async function fullRunRecords(world: BenchWorld, migrationId: string): Promise<number> {
  const { rows } = await world.runtime.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM id_map WHERE migration_id = $1 AND run_kind = 'full' AND state = 'created'",
    [migrationId],
  );
  return Number(rows[0]!.n);
}

/** The concurrency the full run's person load was started with (its workflow input), as the migration resolved it. */
async function childConcurrency(client: Client, migrationId: string): Promise<number | undefined> {
  const history = await client.workflow.getHandle(`${migrationWorkflowId(migrationId)}-full-load-person`).fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { concurrency?: number }).concurrency : undefined;
}

/** The object type a request writes or reads, from its path (`/api/v2/deals/{id}/products` is a deal product). */
function objectOf(path: string): string {
  const [collection, id, child] = path.replace(/^\/api\/v\d+\//u, '').split(/[/?]/u);
  if (collection === 'deals' && id && child === 'products') return 'deal products';
  return collection ?? path;
}

/**
 * Where a phase's time went, from the sandbox's request log: per object type, its writes and when the first and last
 * of them were answered (seconds into the phase), and how full the burst window was: the share of the phase's
 * seconds whose requests reached 90% of the ceiling, or stayed under half of it, and the share of requests that read.
 */
function timeline(requests: readonly LoggedRequest[], from: number, to: number, ceilingWritesPerSecond: number): string[] {
  const lines: string[] = [];
  const byObject = new Map<string, { writes: number; first: number; last: number }>();
  for (const r of requests.filter(isWrite)) {
    const t = (r.at - from) / 1000;
    const o = byObject.get(objectOf(r.path)) ?? { writes: 0, first: t, last: t };
    o.writes++;
    o.last = t;
    byObject.set(objectOf(r.path), o);
  }
  for (const [object, o] of [...byObject].sort((a, b) => a[1].first - b[1].first)) {
    const rate = o.last > o.first ? o.writes / (o.last - o.first) : o.writes;
    lines.push(
      `${object.padEnd(16)} ${String(o.writes).padStart(6)} writes, ${o.first.toFixed(1).padStart(6)} s → ${o.last.toFixed(1).padStart(6)} s (${rate.toFixed(1)}/s)`,
    );
  }
  const seconds = Math.max(1, Math.ceil((to - from) / 1000));
  const perSecond = new Array<number>(seconds).fill(0);
  for (const r of requests) perSecond[Math.min(seconds - 1, Math.max(0, Math.floor((r.at - from) / 1000)))]!++;
  const full = perSecond.filter((n) => n >= 0.9 * ceilingWritesPerSecond).length;
  const low = perSecond.filter((n) => n < 0.5 * ceilingWritesPerSecond).length;
  const reads = requests.filter((r) => r.method === 'GET').length;
  lines.push(`requests per second: ${perSecond.join(' ')}`);
  const limited = requests.filter((r) => r.status === 429);
  if (limited.length > 0) {
    // Where the 429s came: seconds into the phase, and how many in each of those seconds.
    const bySecond = new Map<number, number>();
    for (const r of limited) bySecond.set(Math.floor((r.at - from) / 1000), (bySecond.get(Math.floor((r.at - from) / 1000)) ?? 0) + 1);
    lines.push(`429s by second: ${[...bySecond].map(([second, n]) => `${second}s×${n}`).join(' ')}`);
  }
  lines.push(
    `seconds at ≥ 90% of the ceiling's requests: ${full} of ${seconds}; under half of it: ${low}; reads ${reads} of ${requests.length} requests (${((100 * reads) / Math.max(1, requests.length)).toFixed(0)}%)`,
  );
  return lines;
}

/** The cores the run's processes kept busy in each second of the FULL phase (Linux), beside its requests per second. */
function coresBusyLine(sampler: CpuSampler, from: number, to: number): string {
  const busy = sampler.coresBusyPerSecond(from, to);
  return `cores busy per second (${os.cpus().length} here): ${busy.length > 0 ? busy.map((c) => c.toFixed(1)).join(' ') : 'not measured'}`;
}

/**
 * The bare baseline of figure (b): the run's JSON writes (creates, updates, bulk attaches; file uploads left out)
 * replayed with plain HTTP requests, `atOnce` at a time, into the same sandbox (ids they name exist there; creates
 * make more copies, which is fine for a timing). No pacing, no ledger, no audit, no Temporal. `undici`: the product's
 * HTTP client library, on a keep-alive pool of its own; `fetch`: Node's.
 */
async function bareReplay(
  baseUrl: string,
  requests: readonly LoggedRequest[],
  atOnce: number,
  client: 'undici' | 'fetch',
): Promise<{ writes: number; seconds: number; atOnce: number }> {
  const writes = requests.filter((r) => isWrite(r) && r.body !== undefined && r.body !== null && typeof r.body === 'object' && !r.path.includes('/files'));
  const pool = new Agent({ keepAliveTimeout: 4_000 });
  const send = async (method: string, url: URL, body: string): Promise<number> => {
    const headers = { 'content-type': 'application/json', 'x-api-token': DEFAULT_API_TOKEN };
    if (client === 'fetch') {
      const res = await fetch(url, { method, headers, body });
      await res.arrayBuffer();
      return res.status;
    }
    const res = await request(url, { dispatcher: pool, method: method as Dispatcher.HttpMethod, headers, body });
    await res.body.arrayBuffer();
    return res.statusCode;
  };
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    for (let i = next++; i < writes.length; i = next++) {
      const w = writes[i]!;
      const status = await send(w.method, new URL(w.path, baseUrl), JSON.stringify(w.body));
      if (status >= 300) throw new Error(`bare replay (${client}): ${w.method} ${w.path} answered ${status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: atOnce }, lane));
    return { writes: writes.length, seconds: Number(process.hrtime.bigint() - started) / 1e9, atOnce };
  } finally {
    await pool.close();
  }
}

/**
 * Figure (b)'s ceiling on a machine whose cores the runs keep busy: the CPU every process spent per write in the bare
 * replay over the same per write of the FULL phase. Undefined without CPU figures (a machine without /proc).
 */
function cpuBound(row: Row): number | undefined {
  if (!row.cpu || !row.replay?.cpu) return undefined;
  const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
  return total(row.replay.cpu) / row.replay.writes / (total(row.cpu) / row.writes);
}

/** Figure (c): both migrations' FULL phases together. */
interface SharedRow {
  workers: number;
  migrations: number;
  writes: number;
  seconds: number;
  rateLimited: number;
  timeline: string[];
  perMigration: { migrationId: string; seconds: number; records: number }[];
}

const SHARED_WORKERS = 3;
/** The bundled demo practice's seed (bench/harness.ts): `--patients` generates the same practice, larger. */
const DEMO_SEED = 42;
/** The second practice of figure (c): the demo profile with another seed (other patients, other providers). */
const SECOND_PRACTICE_SEED = 43;

/**
 * The issue's figure (c): three workers on one task queue and store, two practices migrated at once into one account at
 * the plan's real burst limit. The workers keep to their shares of the token's window (counted in the store); the
 * span measured runs from the first FULL phase's start to the last one's end.
 */
async function sharedAccountRun(world: BenchWorld, setting: SandboxSetting): Promise<SharedRow> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-bench-second-'));
  try {
    const second = path.join(folder, 'practice');
    await generatePractice({ profile: 'demo', seed: SECOND_PRACTICE_SEED, outDir: second });
    for (let i = 1; i < SHARED_WORKERS; i++) await world.addWorker();
    const sandbox = await benchSandbox(setting, [...world.users, ...(await providerUsers(second))]);
    try {
      const practices = [
        { migrationId: 'throughput-shared-a', practice: undefined },
        { migrationId: 'throughput-shared-b', practice: second },
      ];
      const statuses = await Promise.all(
        practices.map(({ migrationId, practice }) =>
          migrateDemoPractice(world, migrationId, sandbox.url, { sampleSize: 20, allowSmallSample: true, skipDelta: true }, practice),
        ),
      );
      const spans = statuses.map(fullPhaseSpan);
      const from = Math.min(...spans.map((s) => s.from));
      const to = Math.max(...spans.map((s) => s.to));
      const inFull = (await sandbox.requests()).filter((r) => r.at >= from && r.at <= to);
      const perMigration = await Promise.all(
        practices.map(async ({ migrationId }, i) => ({
          migrationId,
          seconds: (spans[i]!.to - spans[i]!.from) / 1000,
          records: await fullRunRecords(world, migrationId),
        })),
      );
      return {
        workers: SHARED_WORKERS,
        migrations: practices.length,
        writes: inFull.filter(isWrite).length,
        seconds: (to - from) / 1000,
        rateLimited: inFull.filter((r) => r.status === 429).length,
        timeline: timeline(inFull, from, to, sandbox.usage().burstLimit / BURST_WINDOW_S),
        perMigration,
      };
    } finally {
      await sandbox.close();
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
