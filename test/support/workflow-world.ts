import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { createActivities } from '../../src/activities';
import type { BatchRange } from '../../src/activities/contracts';
import { dailyBudgetExhausted } from '../../src/failures';
import { parseMigrationOptions, type MigrationOptions } from '../../src/config';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { statusQuery, type BatchCounts, type Gate, type MigrationStatus, type OwnersSummary, type RunKind } from '../../src/workflows/messages';
import type { migrationWorkflow } from '../../src/workflows/migration';
import { workflowBundle } from './harness';
import { WaitAborted, waitFor } from './wait';
import { loadGraph, loadWaves, type DataObjectType } from '../../src/object-types/registry';

type Activities = ReturnType<typeof createActivities>;

/**
 * The activities the workflows call (src/workflows proxies these names), typed from `createActivities`: a stub whose
 * arguments or results drift from the real activities' fails to compile.
 */
export type WorkflowActivities = Pick<
  Activities,
  | 'extractSource'
  | 'auditSource'
  | 'matchOwners'
  | 'proposeMap'
  | 'approveMap'
  | 'recordDecision'
  | 'markPhase'
  | 'takeFingerprint'
  | 'resolveProviders'
  | 'createSchema'
  | 'selectSample'
  | 'planRun'
  | 'planObjectWork'
  | 'nextBatches'
  | 'loadBatch'
  | 'verifyBatch'
  | 'reconcile'
  | 'writeAccuracyReport'
  | 'writeImageManifest'
  | 'deltaPoll'
  | 'reportInFlightClaims'
  | 'purgeStagedPhi'
  | 'beginRollback'
  | 'nextRollbackTarget'
  | 'rollbackBatch'
  | 'restoreBeforeImages'
  | 'proveRollback'
  | 'identifyPipedriveAccount'
>;

type Args<K extends keyof WorkflowActivities> = Parameters<WorkflowActivities[K]>[0];

/** One activity call as the stub saw it. */
export interface ActivityCall {
  name: keyof WorkflowActivities;
  input: Record<string, unknown>;
}

/** What the stubbed activities answer: a small migration kept in memory, each part replaceable per test. */
export interface FakeMigrationOptions {
  /** Object types the plan returns, in load order. */
  objectTypes?: string[];
  /** Work items per object type, per run kind (sample, full, delta). */
  items?: Partial<Record<RunKind, Record<string, number>>>;
  /** The sample's accuracy for each sample run in turn (the last repeats); the full run's is 100. */
  sampleAccuracy?: number[];
  /** Validation errors `approveMap` returns for a map version (that version's approval is refused). */
  mapErrors?: Record<number, string[]>;
  /** Changed rows each delta poll finds, per object type (later polls find nothing). */
  deltaPolls?: Record<string, number>[];
  /** What matching providers to users finds before MAPPING_REVIEW (default: every provider matched). */
  owners?: OwnersSummary;
  /** The proposal's probable duplicate pairs and merges (default: none reported). */
  duplicates?: { pairs: number; merged: number };
}

export interface FakeMigration {
  activities: WorkflowActivities;
  calls: ActivityCall[];
  callsTo(name: keyof WorkflowActivities): Record<string, unknown>[];
  /** Every batch range the load activity ran, per run kind and object type: `${runKind} ${objectType}` → ranges. */
  loaded: Map<string, BatchRange[]>;
  /** Ledger rows the fake rollback still has to undo, per object type (filled by loads). */
  created: Map<string, number>;
  /** Makes every activity `name` wait until `release()`; resolves once the first call is waiting. */
  /** `only`: just the calls whose input it accepts (the others go on). */
  hold(name: keyof WorkflowActivities, only?: (input: Record<string, unknown>) => boolean): { reached: Promise<void>; release(): void };
  /** The next `times` calls of `name` fail with Pipedrive's daily budget spent, resetting `resetInMs` after each failure. */
  exhaustBudget(name: keyof WorkflowActivities, times: number, resetInMs: number): void;
}

const ZERO: BatchCounts = { migrated: 0, updated: 0, skipped: 0, rejected: 0, recovered: 0, alreadyDone: 0 };

/**
 * The window of batch ranges after `afterSeq` of a type with `total` work items (as the store's nextBatchRanges, without
 * the tail split): its last range marked `last` when the window holds every item left.
 */
function rangesOf(total: number, afterSeq: number, window: { batchSize: number; maxBatches: number }): BatchRange[] {
  const ranges: BatchRange[] = [];
  for (let from = afterSeq; from < total && ranges.length < window.maxBatches; from += window.batchSize) {
    ranges.push({ fromSeq: from, toSeq: Math.min(total, from + window.batchSize) });
  }
  if (ranges.length > 0 && total - afterSeq < window.batchSize * window.maxBatches) ranges[ranges.length - 1]!.last = true;
  return ranges;
}

export function fakeMigration(options: FakeMigrationOptions = {}): FakeMigration {
  const objectTypes = options.objectTypes ?? ['organization', 'person'];
  const items: Record<RunKind, Record<string, number>> = {
    sample: { organization: 3, person: 5, ...options.items?.sample },
    full: { organization: 6, person: 12, ...options.items?.full },
    delta: { ...options.items?.delta },
  };
  const calls: ActivityCall[] = [];
  const loaded = new Map<string, BatchRange[]>();
  const created = new Map<string, number>();
  const holds = new Map<string, { gate: Promise<void>; reached: () => void; only?: (input: Record<string, unknown>) => boolean }>();
  let sampleRuns = 0;
  let deltaPolls = 0;

  const budgetSpent = new Map<string, { times: number; resetInMs: number }>();
  const record = async <K extends keyof WorkflowActivities>(name: K, input: Args<K>) => {
    calls.push({ name, input: { ...(input as object) } });
    const held = holds.get(name);
    if (held && (held.only?.(input as Record<string, unknown>) ?? true)) {
      held.reached();
      // A held call also ends when the worker cancels it (at shutdown, or a test that failed before releasing it).
      await Promise.race([held.gate, Context.current().cancelled]);
    }
    const spent = budgetSpent.get(name);
    if (spent && spent.times > 0) {
      spent.times--;
      throw dailyBudgetExhausted(new Date(Date.now() + spent.resetInMs));
    }
  };
  const totalOf = (runKind: RunKind, objectType: string) => items[runKind][objectType] ?? 0;

  const activities: WorkflowActivities = {
    async extractSource(a) {
      await record('extractSource', a);
      return { tables: 4, rowsRead: 40, rowsStaged: 40, rowsRejected: 0, perTable: {} };
    },
    async auditSource(a) {
      await record('auditSource', a);
      return { reportPath: 'reports/data-quality.json', counts: { duplicates: 0 } };
    },
    async matchOwners(a) {
      await record('matchOwners', a);
      return options.owners ?? { providers: 2, matched: 2, assigned: 0, unmatchedCount: 0, unmatched: [], recordsOnFallback: 0, fallbackOwnerId: 1 };
    },
    async proposeMap(a) {
      await record('proposeMap', a);
      return { version: 1, mapPath: 'reports/proposed-map.json', fields: 12, ...(options.duplicates ? { duplicates: options.duplicates } : {}) };
    },
    async approveMap(a) {
      await record('approveMap', a);
      const version = a.version ?? 1;
      const errors = options.mapErrors?.[version];
      return errors ? { ok: false, errors } : { ok: true, version, errors: [] };
    },
    async recordDecision(a) {
      await record('recordDecision', a);
    },
    async markPhase(a) {
      await record('markPhase', a);
    },
    async takeFingerprint(a) {
      await record('takeFingerprint', a);
      return { fingerprint: `fp-${a.label}`, method: 'sandbox' };
    },
    async resolveProviders(a) {
      await record('resolveProviders', a);
      return { matched: 2, unmatched: 0, fallbackOwnerId: 1, unmatchedProviderIds: [] };
    },
    async createSchema(a) {
      await record('createSchema', a);
      return { created: 3, reused: 0, recreated: 0 };
    },
    async selectSample(a) {
      await record('selectSample', a);
      sampleRuns++;
      return { patients: a.size, members: {} };
    },
    async planRun(a) {
      await record('planRun', a);
      const inRun = a.objectTypes?.length ? objectTypes.filter((t) => a.objectTypes!.includes(t)) : objectTypes;
      return {
        objectTypes: inRun,
        waves: loadWaves(inRun as DataObjectType[]),
        loadsAfter: loadGraph(inRun as DataObjectType[]),
        fullTotals: Object.fromEntries(inRun.map((t) => [t, totalOf('full', t)])),
      };
    },
    async planObjectWork(a) {
      await record('planObjectWork', a);
      const total = totalOf(a.runKind, a.objectType);
      return a.firstBatches ? { total, firstRanges: rangesOf(total, 0, a.firstBatches) } : { total };
    },
    async nextBatches(a) {
      await record('nextBatches', a);
      return rangesOf(totalOf(a.runKind, a.objectType), a.afterSeq, a);
    },
    async loadBatch(a) {
      await record('loadBatch', a);
      const key = `${a.runKind} ${a.objectType}`;
      loaded.set(key, [...(loaded.get(key) ?? []), { fromSeq: a.fromSeq, toSeq: a.toSeq }]);
      const n = a.toSeq - a.fromSeq;
      if (a.runKind !== 'delta') created.set(a.objectType, (created.get(a.objectType) ?? 0) + n);
      return a.runKind === 'delta' ? { ...ZERO, migrated: Math.ceil(n / 2), updated: Math.floor(n / 2) } : { ...ZERO, migrated: n };
    },
    async verifyBatch(a) {
      await record('verifyBatch', a);
      const n = a.toSeq - a.fromSeq;
      return { recordsCompared: n, fieldsCompared: 4 * n, fieldsMatched: 4 * n, discrepancies: 0 };
    },
    async reconcile(a) {
      await record('reconcile', a);
      const objects = Object.fromEntries(objectTypes.map((t) => [t, { source: totalOf('full', t), migrated: totalOf('full', t), skipped: 0, rejected: 0 }]));
      return { objects, reportPath: 'reports/reconciliation.json', balanced: true };
    },
    async writeAccuracyReport(a) {
      await record('writeAccuracyReport', a);
      const accuracies = options.sampleAccuracy ?? [100];
      const accuracy = a.runKind === 'sample' ? accuracies[Math.min(sampleRuns, accuracies.length) - 1]! : 100;
      return { accuracy, fieldsCompared: 100, discrepancies: 100 - accuracy, recordsCompared: 25, reportPath: `reports/${a.runKind}-diff.json` };
    },
    async writeImageManifest(a) {
      await record('writeImageManifest', a);
      return { images: 0, bytes: 0, path: 'reports/images.json' };
    },
    async deltaPoll(a) {
      await record('deltaPoll', a);
      const found = options.deltaPolls?.[deltaPolls++] ?? {};
      for (const [t, n] of Object.entries(found)) items.delta[t] = n;
      return { changedRows: Object.values(found).reduce((s, n) => s + n, 0), workItems: { ...found }, inFlightClaims: 0 };
    },
    async reportInFlightClaims(a) {
      await record('reportInFlightClaims', a);
      return { inFlightClaims: 0, reportPath: 'reports/in-flight-claims.json' };
    },
    async purgeStagedPhi(a) {
      await record('purgeStagedPhi', a);
      return { stagedRows: 0, fieldDiffs: 0, hashKeys: 0, reportFiles: 0 };
    },
    async beginRollback(a) {
      await record('beginRollback', a);
    },
    async nextRollbackTarget(a) {
      await record('nextRollbackTarget', a);
      const next = [...objectTypes].reverse().find((t) => (created.get(t) ?? 0) > 0);
      return next ? { objectType: next, remaining: created.get(next)! } : undefined;
    },
    async rollbackBatch(a) {
      await record('rollbackBatch', a);
      const left = created.get(a.objectType) ?? 0;
      const deleted = Math.min(a.limit, left);
      created.set(a.objectType, left - deleted);
      return { deleted, alreadyGone: 0, remaining: left - deleted };
    },
    async restoreBeforeImages(a) {
      await record('restoreBeforeImages', a);
      return { restored: 0 };
    },
    async proveRollback(a) {
      await record('proveRollback', a);
      const remaining = [...created.values()].reduce((s, n) => s + n, 0);
      return {
        proven: remaining === 0,
        remaining,
        fingerprintBefore: 'fp-before_first_write',
        fingerprintAfter: remaining === 0 ? 'fp-before_first_write' : 'fp-changed',
        reportPath: 'reports/rollback.json',
      };
    },
    async identifyPipedriveAccount(a) {
      await record('identifyPipedriveAccount', a);
      return { account: 'sandbox#1', userId: 1 };
    },
  };

  return {
    activities,
    calls,
    callsTo: (name) => calls.filter((c) => c.name === name).map((c) => c.input),
    loaded,
    created,
    hold(name, only) {
      let release!: () => void;
      let reached!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      holds.set(name, { gate: new Promise<void>((r) => (release = r)), reached, ...(only && { only }) });
      return {
        reached: reachedP,
        release() {
          holds.delete(name);
          release();
        },
      };
    },
    exhaustBudget(name, times, resetInMs) {
      budgetSpent.set(name, { times, resetInMs });
    },
  };
}

/** The real Temporal dev server of the jest global setup and a worker running the real workflow bundle on stubs. */
export interface WorkflowWorld {
  client: Client;
  taskQueue: string;
  /** Starts (again) a worker on the world's task queue with these activities. */
  startWorker(activities: WorkflowActivities, options?: Pick<WorkerOptions, 'interceptors' | 'shutdownForceTime'>): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function createWorkflowWorld(address = process.env.TEMPORAL_ADDRESS): Promise<WorkflowWorld> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    // The worker's own state changes stay out of the test output; warnings and errors do not. (A file that started
    // its own dev server first already has the default runtime: it keeps it.)
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already instantiated
    }
  }
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: the workflow tier runs under the jest global setup (test/support/global-setup.ts)');
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const workerConnection = await NativeConnection.connect({ address });
  let running: { worker: Worker; done: Promise<void> } | undefined;
  const stopWorker = async () => {
    if (!running) return;
    const { worker, done } = running;
    running = undefined;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done.catch(() => undefined);
  };
  return {
    client,
    taskQueue,
    async startWorker(activities, options = {}) {
      await stopWorker();
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities,
        shutdownGraceTime: '1s',
        ...options,
      });
      running = { worker, done: worker.run() };
    },
    stopWorker,
    async close() {
      await stopWorker();
      await workerConnection.close();
      await connection.close();
    },
  };
}

/** Starts the migration workflow as `start` does (its workflow id from the migration id), on the world's task queue. */
export async function startMigrationWorkflow(world: WorkflowWorld, migrationId: string, options: Partial<MigrationOptions> = {}) {
  return world.client.workflow.start<typeof migrationWorkflow>('migrationWorkflow', {
    taskQueue: world.taskQueue,
    workflowId: migrationWorkflowId(migrationId),
    args: [{ migrationId, practiceName: 'Stub Practice', options: parseMigrationOptions({ sampleSize: 200, skipDelta: true, ...options }) }],
  });
}

/** The migration's status once `ready` holds for it (a failed migration ends the wait with its error). */
export function statusWhen(
  world: WorkflowWorld,
  migrationId: string,
  what: string,
  ready: (s: MigrationStatus) => boolean,
  timeoutMs = 30_000,
): Promise<MigrationStatus> {
  return waitFor(
    what,
    async () => {
      const s = await world.client.workflow.getHandle(migrationWorkflowId(migrationId)).query(statusQuery);
      if (s.phase === 'FAILED') throw new WaitAborted(`migration failed: ${s.error}`);
      return ready(s) ? s : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** The status once the migration waits at `gate` for the `round`-th time (phase entries count the rounds). */
export function atGate(world: WorkflowWorld, migrationId: string, gate: Gate, round = 1): Promise<MigrationStatus> {
  return statusWhen(
    world,
    migrationId,
    `${migrationId} waiting at ${gate} (round ${round})`,
    (s) => s.waitingFor === gate && s.phase === gate && s.phaseHistory.filter((p) => p.phase === gate).length === round,
  );
}

/** A migration id no other test on the shared dev server uses. */
export const uniqueId = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
