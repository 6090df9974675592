import { spawn, type ChildProcess } from 'node:child_process';
import { createHarness, processEnv, type Harness } from '../support/harness';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';
import { exactlyOnceReport, expectExactlyOnce, pendingCreatesMidPersons, preexistingRecords } from '../support/account-check';
import { parseMigrationOptions } from '../../src/config';
import { startMigration, workerPolls } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import type { MigrationResult } from '../../src/workflows/migration';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(6 * 60 * 1000);

const MIGRATION_ID = 'worker-crash';
const OPTIONS = { sampleSize: 20, allowSmallSample: true, batchSize: 25, concurrency: 2, skipDelta: true };

/** Worker processes this file started, each the leader of its own process group (tsx → node). */
const processes = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// Whatever happens to the test, no worker outlives this process.
const killAll = () => processes.forEach(killGroup);
process.on('exit', killAll);

/** `tsx src/worker.ts` with the harness's environment: the real worker process, on this file's task queue. */
function startWorkerProcess(h: Harness, name: string): { child: ChildProcess; output: () => string; exited: Promise<void> } {
  const env = h.env;
  const child = spawn(...entryPoint('src/worker.ts'), {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: processEnv(env, {
      DATA_DIR: h.dataDir,
      PIPEDRIVE_PLAN: env.PIPEDRIVE_PLAN,
      PIPEDRIVE_BURST_LIMIT: String(env.PIPEDRIVE_BURST_LIMIT),
      LOG_LEVEL: 'warn',
      WORKER_SHUTDOWN_GRACE_SECONDS: '1',
    }),
  });
  processes.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => processes.delete(child));
  return { child, output: () => `--- ${name} (pid ${child.pid}) ---\n${output}`, exited };
}

describe('a worker process SIGKILLed mid-batch during the full run', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;

  beforeAll(async () => {
    h = await createHarness();
    extract = await generatedPractice(h.dataDir, 42, 'demo', COMPACT_PATIENTS);
    // A little latency per request, so a batch is mid-create most of the time.
    sandbox = await sandboxFor(extract, { faults: { latencyMs: [15, 30] } });
  });
  afterAll(async () => {
    killAll();
    await h?.client.workflow
      .getHandle(migrationWorkflowId(MIGRATION_ID))
      .terminate('test cleanup')
      .catch(() => undefined);
    await h?.close();
    await sandbox?.close();
  });

  it('a new worker process finishes the migration: DONE, verified 100%, no duplicate and no missing record', async () => {
    const pool = h.db.pool;
    const preexisting = await preexistingRecords(sandbox.url, pool, MIGRATION_ID);
    const first = startWorkerProcess(h, 'first worker');
    // A process starting on a busy machine (tsx compiling the sources) may take longer than `start` waits for a poller.
    await waitFor('the first worker process to poll', async () => ((await workerPolls(h.client, h.env.TASK_QUEUE, 0)) ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    await startMigration(h.env, pool, h.client, {
      migrationId: MIGRATION_ID,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions(OPTIONS),
    });
    let driveError: Error | undefined;
    const driving = driveMigration(h.client, MIGRATION_ID, { by: 'crash-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
    driving.catch((err: unknown) => (driveError = err instanceof Error ? err : new Error(String(err))));
    const alive = () => {
      if (driveError) throw new Error(`the migration ended early: ${driveError.message}`);
      if (first.child.exitCode !== null) throw new Error(`the first worker exited by itself\n${first.output()}`);
    };

    // FULL is loading persons, and a create is in flight: its ledger row is `pending` (marked, no id yet).
    const inFlight = await waitFor(
      'the full run to be mid-create on persons',
      async () => {
        alive();
        return pendingCreatesMidPersons(pool, MIGRATION_ID);
      },
      { timeoutMs: 3 * 60_000, intervalMs: 10 },
    );
    killGroup(first.child);
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const createdAtKill = await createdCount(pool);

    // The killed batch's heartbeat times out; a new worker process takes it (and everything after it) over.
    const second = startWorkerProcess(h, 'second worker');
    let result: MigrationResult;
    try {
      result = await driving;
    } catch (err) {
      throw new Error(`${String(err)}\n${first.output()}\n${second.output()}`);
    }
    killGroup(second.child);

    const status = result.status;
    expect({ phase: status.phase, error: status.error }).toEqual({ phase: 'DONE', error: undefined });
    expect(status.verification?.accuracy).toBe(100);
    for (const [type, c] of Object.entries(status.objects)) {
      expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    }
    expect(await createdCount(pool)).toBeGreaterThan(createdAtKill);

    // Exactly once, read back from the account.
    expectExactlyOnce(await exactlyOnceReport(pool, MIGRATION_ID, sandbox.url, preexisting), status.objects);

    // The creates in flight at the kill were settled once each: recovered if the sandbox had stored them, else created.
    const { rows: settled } = await pool.query<{ key: string; state: string; recovered: number; created: number }>(
      `SELECT m.object_type || ' ' || m.source_key AS key, m.state,
              count(a.*) FILTER (WHERE a.action = 'recover')::int AS recovered, count(a.*) FILTER (WHERE a.action = 'create')::int AS created
       FROM id_map m LEFT JOIN audit_log a ON a.migration_id = m.migration_id AND a.object_type = m.object_type AND a.source_key = m.source_key
       WHERE m.migration_id = $1 AND m.object_type || ' ' || m.source_key = ANY($2::text[]) GROUP BY 1, 2`,
      [MIGRATION_ID, inFlight],
    );
    settled.sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(settled.map((r) => ({ key: r.key, state: r.state, settledOnce: r.recovered + r.created === 1 }))).toEqual(
      [...inFlight].sort().map((key) => ({ key, state: 'created', settledOnce: true })),
    );
    console.log(
      `worker-crash e2e: killed with ${createdAtKill} records created and ${inFlight.length} in flight (${settled
        .map((r) => `${r.key}: ${r.recovered ? 'recovered' : 'created after the kill'}`)
        .join('; ')}); ${status.objects.person?.migrated} persons, ${status.objects.activity?.migrated} activities in the end`,
    );
  });
});

async function createdCount(pool: Harness['db']['pool']): Promise<number> {
  const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM id_map WHERE migration_id = $1 AND state = 'created'", [MIGRATION_ID]);
  return rows[0]!.n;
}
