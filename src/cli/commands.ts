import { accountDaySpends, tokenSpend, type TokenSpend } from '../store/request-tokens';
import { budgetDayOf } from '../pipedrive/daily-budget';
import { accountBudget, type AccountBudget } from '../store/account-budgets';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { type Pool } from 'pg';
import { type Env, type MigrationOptions, MigrationIdSchema, ConfigError } from '../config';
import { openExtract } from '../dentrix';
import { migrationWorkflowId, rollbackWorkflowId } from '../runtime/temporal';
import { temporalConnectConfig } from '../runtime/temporal-config';
import { findRun, getRun, registerRun, repointUnwrittenRun, setRunOptions, setRunPractice, setRunSource, type SourceSpec } from '../store/runs';
import { failureCause } from './failure-cause';
import { startConflicts } from './start-guard';
import { preflightWorkflow } from '../workflows/preflight';
import { inFlightClaims } from '../store/claims';
import { recordCutover, recordRefusedDecision } from '../store/audit';
import { latestFieldMap } from '../store/field-maps';
import { listReports, type StoredReport } from '../store/reports';
import { resetTableWatermarks } from '../store/watermarks';
import { Ledger } from '../store/ledger';
import { plannedSourceCounts } from '../store/work';
import { plannableCount, recentlySettled, rollbackCounts, runObjectCounts, runObjectTypes, type RollbackCounts, type RunObjectCounts } from '../store/progress';
import { fetchPlan, type FetchPlanOptions } from '../mapping';
import { isDataObjectType, LOAD_ORDER } from '../object-types/registry';
import { migrationWorkflow } from '../workflows/migration';
import { rollbackWorkflow } from '../workflows/rollback';
import {
  approveUpdate,
  cutoverSignal,
  deltaProgressQuery,
  PHASES,
  rejectUpdate,
  rollbackSignal,
  statusQuery,
  type ApproveInput,
  type GateDecisionResult,
  type RejectInput,
  type DeltaProgress,
  type MigrationStatus,
} from '../workflows/messages';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export interface StartRequest {
  migrationId: string;
  source: SourceSpec;
  pipedriveBaseUrl: string;
  options: MigrationOptions;
}

export interface StartedMigration {
  migrationId: string;
  workflowId: string;
  runId: string;
  practiceName: string;
  alreadyRunning: boolean;
  /** The Pipedrive account the worker's token answers for (`host#company_id`), checked before anything else. */
  pipedriveAccount: string;
}

/** The extract's practice, read from its manifest: `start` checks the extract is readable before anything else. */
async function readPractice(source: SourceSpec): Promise<{ practiceName: string; timezone: string }> {
  const reader = await openExtract(source);
  try {
    const manifest = await reader.manifest();
    return { practiceName: manifest.practice.name, timezone: manifest.practice.timezone };
  } finally {
    await reader.close();
  }
}

/** The folder's real path, so a second `start` through a link or another spelling is the same source. */
async function realFolder(folder: string): Promise<string> {
  const resolved = path.resolve(folder);
  return fs.realpath(resolved).catch(() => resolved);
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** How long `start` waits for a worker to check the token before saying none answers. */
const PREFLIGHT_TIMEOUT = '45 seconds';

/**
 * Asks a worker which Pipedrive account its token answers for at `pipedriveBaseUrl` (the token lives on workers only).
 * A refused token, an unreachable account or no worker at all is one clear error naming the setting.
 */
export async function preflightPipedrive(
  env: Env,
  client: Client,
  pipedriveBaseUrl: string,
): Promise<{ account: string; userId: number; companyName?: string }> {
  const host = new URL(pipedriveBaseUrl).host;
  const noWorker = new ConfigError(
    `no worker polls task queue "${env.TASK_QUEUE}" on ${temporalConnectConfig(env).address}: start one with "npm run worker" ` +
      '(it holds PIPEDRIVE_API_TOKEN), or check TASK_QUEUE',
  );
  if (!(await workerPolls(client, env.TASK_QUEUE))) throw noWorker;
  try {
    return await client.workflow.execute(preflightWorkflow, {
      taskQueue: env.TASK_QUEUE,
      workflowId: `preflight-${randomUUID()}`,
      args: [{ pipedriveBaseUrl }],
      workflowExecutionTimeout: PREFLIGHT_TIMEOUT,
      staticSummary: `preflight: which account the token answers for at ${host}`,
    });
  } catch (err) {
    const cause = failureCause(err) ?? { message: String(err), type: 'Error' };
    // The workflow timed out: no worker took it (Temporal reports it as a timeout failure or a "timed out" end).
    if (cause.type.startsWith('Timeout') || /timed out/iu.test(cause.message)) throw noWorker;
    if (/\b401\b|auth/iu.test(cause.message)) {
      throw new ConfigError(`PIPEDRIVE_API_TOKEN on the worker is refused by ${host} (${cause.message}); give the worker this account's API token`);
    }
    throw new ConfigError(`the worker could not check its PIPEDRIVE_API_TOKEN against ${host}: ${cause.message}`);
  }
}

/** Whether a worker polls the task queue, waiting a little for one that is starting at the same time. */
export async function workerPolls(client: Client, taskQueue: string, waitMs = 10_000): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((pollers?.length ?? 0) > 0) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Registers the migration in the store (source and target stay out of Temporal) and starts its workflow, after the
 * preflight: the extract is readable, a worker answers and its token is valid for the account. A migration's source
 * and account are fixed once it has written and while it runs: a second `start` that would change them is refused and
 * changes nothing.
 */
export async function startMigration(env: Env, pool: Pool, client: Client, req: StartRequest): Promise<StartedMigration> {
  const id = MigrationIdSchema.safeParse(req.migrationId);
  if (!id.success) throw new ConfigError(`--migration-id "${req.migrationId}": ${id.error.issues[0]!.message}`);
  const source = req.source.kind === 'folder' ? { ...req.source, path: await realFolder(req.source.path) } : req.source;
  const { practiceName, timezone } = await readPractice(source);
  const workflowId = migrationWorkflowId(req.migrationId);

  const registered = await findRun(pool, req.migrationId);
  const running = await isRunning(client, workflowId);
  const conflicts = registered ? startConflicts(registered, { source, pipedriveBaseUrl: req.pipedriveBaseUrl }) : [];
  if (registered && conflicts.length > 0 && (running || registered.pipedriveAccount || registered.fingerprintBefore)) {
    throw new ConfigError(
      `migration ${req.migrationId} ${running ? 'is running' : 'has written to its Pipedrive account'} and ${conflicts.join('; ')}. ` +
        "A migration's source and account are fixed for its whole life: give this one another --migration-id " +
        '(a newer extract of the same practice during the delta window: "starter source")',
    );
  }
  const identity = await preflightPipedrive(env, client, req.pipedriveBaseUrl);
  if (registered?.pipedriveAccount && registered.pipedriveAccount !== identity.account) {
    throw new ConfigError(
      `migration ${req.migrationId} writes to Pipedrive account ${registered.pipedriveAccount}, but the worker's PIPEDRIVE_API_TOKEN ` +
        `answers for ${identity.account}: give the worker that account's token`,
    );
  }

  if (!registered) {
    await registerRun(pool, { migrationId: req.migrationId, source, pipedriveBaseUrl: req.pipedriveBaseUrl, options: req.options });
  } else if (conflicts.length > 0) {
    const repointed = await repointUnwrittenRun(pool, req.migrationId, { source, pipedriveBaseUrl: req.pipedriveBaseUrl, options: req.options });
    if (!repointed) throw new ConfigError(`migration ${req.migrationId} has written to its Pipedrive account since this start began: ${conflicts.join('; ')}`);
  } else if (!running) {
    await setRunOptions(pool, req.migrationId, req.options);
  }
  if (!running) await setRunPractice(pool, req.migrationId, practiceName, timezone);

  try {
    const handle = await client.workflow.start(migrationWorkflow, {
      taskQueue: env.TASK_QUEUE,
      workflowId,
      args: [{ migrationId: req.migrationId, practiceName, options: req.options }],
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.phase, value: 'EXTRACT' },
        { key: SEARCH_ATTRIBUTES.practice, value: practiceName },
        { key: SEARCH_ATTRIBUTES.recordsLoaded, value: 0 },
        { key: SEARCH_ATTRIBUTES.recordsFailed, value: 0 },
      ],
      staticSummary: `Dentrix → Pipedrive: ${practiceName}`.slice(0, 200),
      staticDetails:
        `**Migration** \`${req.migrationId}\` of **${practiceName}** (${timezone})\n\n` +
        `- source: ${source.kind === 'folder' ? `extract folder \`${source.path}\`` : `SQL mirror, schema \`${source.schema ?? 'admin'}\``}\n` +
        `- target: ${new URL(req.pipedriveBaseUrl).host}\n` +
        `- sample: ${req.options.sampleSize} records, approval at ≥ ${req.options.sampleAccuracyThreshold}% field accuracy\n` +
        `- gates: MAPPING_REVIEW and SAMPLE_REVIEW wait for \`npm run starter -- approve\` or \`reject\` (answered at once; a decision counts only for the gate open now), or the Web UI's Send a Signal \`approve\` / \`reject\`\n` +
        `- rollback at any time after the first write: signal \`rollback\` or \`npm run starter -- rollback\``,
    });
    return {
      migrationId: req.migrationId,
      workflowId,
      runId: handle.firstExecutionRunId,
      practiceName,
      alreadyRunning: false,
      pipedriveAccount: identity.account,
    };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const desc = await client.workflow.getHandle(workflowId).describe();
      return { migrationId: req.migrationId, workflowId, runId: desc.runId, practiceName, alreadyRunning: true, pipedriveAccount: identity.account };
    }
    throw err;
  }
}

export async function queryStatus(client: Client, migrationId: string): Promise<MigrationStatus | undefined> {
  const handle = client.workflow.getHandle(migrationWorkflowId(migrationId));
  try {
    return await handle.query(statusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export interface StoreProgress {
  phase: string;
  practiceName: string | null;
  /**
   * What `objects` counts: the records the sample or the full run planned (`sample`: SAMPLE, SAMPLE_REVIEW; `full`: FULL
   * to VERIFY_REVIEW), or every record the migration holds (`all`: before the sample and from DELTA on; `rollback`:
   * ROLLING_BACK and ROLLED_BACK, with the rollback's own progress in `rollback`).
   */
  scope?: ProgressScope;
  /**
   * `recreated`: of the migrated, created again because the record the id map held was gone from Pipedrive. In a
   * run's scope, `state` says whether its load has planned the type yet (`waiting`: `planned` is what it will plan,
   * counted from staging), runs or is done.
   */
  objects: Record<string, RunObjectCounts & { state?: 'waiting' | 'running' | 'done' }>;
  /** During ROLLING_BACK (and after): per object type, deleted since the rollback began and left to delete. */
  rollback?: RollbackCounts;
  /** Records per second over the last minute of the store's counts, and the time the rest would take at that rate. */
  rate?: ProgressRate;
  /** Where each report is: `location` (`store:<kind>`, readable on any machine), and the worker copy it came from. */
  reports: Pick<StoredReport, 'kind' | 'location' | 'path' | 'writtenBy' | 'files'>[];
  /** Every request sent to Pipedrive and its spec tokens, by the phase it served. */
  tokens: TokenSpend;
  /** The account's daily token budget as Pipedrive last reported it to a worker (every migration on it spends it). */
  dailyBudget?: AccountBudget;
  /** Today's spend of the budget by this migration and the others into the same company (their split: day-shares.ts). */
  daySpend?: DaySpendSummary;
}

/** What one budget day's tokens went to: this migration, and the other migrations into the same company. */
export interface DaySpendSummary {
  /** The budget day (YYYY-MM-DD in the reset zone). */
  budgetDay: string;
  timeZone: string;
  tokens: number;
  others: { migrations: number; tokens: number };
}

export type ProgressScope = 'sample' | 'full' | 'rollback' | 'all';

export interface ProgressRate {
  /** Records settled (migrated, skipped, rejected; deleted in a rollback) per second, measured over `seconds`. */
  perSecond: number;
  seconds: number;
  /** What is left of the phase's planned records (or of what the rollback has to delete). */
  remaining: number;
  /** remaining / perSecond, when something moved in the window. */
  etaSeconds?: number;
}

/** Over how long the rate is measured: long enough to smooth batches out, short enough to follow a change of pace. */
const RATE_WINDOW_SECONDS = 60;

/** Which records a phase's progress counts (the store's phase: ROLLING_BACK_SAMPLE is a sample's rollback). */
export function progressScope(phase: string): ProgressScope {
  if (phase === 'SAMPLE' || phase === 'SAMPLE_REVIEW') return 'sample';
  if (phase === 'FULL' || phase === 'VERIFY' || phase === 'VERIFY_REVIEW') return 'full';
  if (phase === 'ROLLING_BACK' || phase === 'ROLLING_BACK_SAMPLE' || phase === 'ROLLED_BACK') return 'rollback';
  return 'all';
}

/**
 * Progress straight from the store, for the phase the migration is in: live per-object counts as batches end.
 * `budgetResetTimeZone` (PIPEDRIVE_BUDGET_RESET_TZ) says which day today's spend of the daily budget is counted for.
 */
export async function storeProgress(pool: Pool, migrationId: string, budgetResetTimeZone: string): Promise<StoreProgress> {
  const run = await getRun(pool, migrationId);
  const scope = progressScope(run.phase);
  const objects = scope === 'sample' || scope === 'full' ? await runProgress(pool, migrationId, scope) : await ledgerProgress(pool, migrationId);
  const rollback = scope === 'rollback' ? await rollbackCounts(pool, migrationId, run.phase === 'ROLLING_BACK_SAMPLE' ? 'sample' : 'all') : undefined;
  const rate = await measuredRate(pool, migrationId, scope, objects, rollback);
  const reports = (await listReports(pool, migrationId)).map(({ kind, location, path, writtenBy, files }) => ({ kind, location, path, writtenBy, files }));
  const dailyBudget = await accountBudget(pool, run.pipedriveBaseUrl);
  const daySpend = run.pipedriveAccount ? await daySpendOf(pool, migrationId, run.pipedriveAccount, budgetResetTimeZone) : undefined;
  return {
    phase: run.phase,
    practiceName: run.practiceName,
    scope,
    objects,
    ...(rollback ? { rollback } : {}),
    ...(rate ? { rate } : {}),
    reports,
    tokens: inPhaseOrder(await tokenSpend(pool, migrationId)),
    ...(dailyBudget ? { dailyBudget } : {}),
    ...(daySpend ? { daySpend } : {}),
  };
}

/** Today's spends on the company's budget, this migration's apart; undefined when nobody spent today. */
async function daySpendOf(pool: Pool, migrationId: string, account: string, timeZone: string): Promise<DaySpendSummary | undefined> {
  const budgetDay = budgetDayOf(new Date(), timeZone);
  const spends = await accountDaySpends(pool, account, budgetDay);
  if (spends.length === 0) return undefined;
  const others = spends.filter((s) => s.migrationId !== migrationId);
  return {
    budgetDay,
    timeZone,
    tokens: spends.find((s) => s.migrationId === migrationId)?.tokens ?? 0,
    others: { migrations: others.length, tokens: others.reduce((sum, s) => sum + s.tokens, 0) },
  };
}

/** Every record the migration holds, by ledger state, against every run's plan. */
async function ledgerProgress(pool: Pool, migrationId: string): Promise<StoreProgress['objects']> {
  const planned = await plannedSourceCounts(pool, migrationId);
  const ledger = new Ledger(pool);
  const states = await ledger.countsByState(migrationId);
  const recreated = await ledger.recreatedByType(migrationId);
  const objects: StoreProgress['objects'] = {};
  for (const type of new Set([...Object.keys(planned), ...Object.keys(states)])) {
    const s = states[type] ?? {};
    objects[type] = {
      planned: planned[type] ?? 0,
      migrated: (s.created ?? 0) + (s.reused ?? 0),
      skipped: s.skipped ?? 0,
      rejected: s.rejected ?? 0,
      pending: s.pending ?? 0,
      rolledBack: s.deleted ?? 0,
      recreated: recreated[type] ?? 0,
    };
  }
  return objects;
}

/**
 * The sample's or the full run's records only: a type whose load has not planned its work yet is `waiting` with what
 * it will plan (its staged rows the approved map's driver plans keep), never the sample's counts.
 */
async function runProgress(pool: Pool, migrationId: string, runKind: 'sample' | 'full'): Promise<StoreProgress['objects']> {
  const counts = await runObjectCounts(pool, migrationId, runKind);
  // The full run loads the types the sample loaded (the same plan); a type the sample had no record of may still come.
  const types = runKind === 'full' ? await runObjectTypes(pool, migrationId, ['sample', 'full']) : Object.keys(counts);
  const approved = runKind === 'full' ? await latestFieldMap(pool, migrationId, 'approved') : undefined;
  const newPatientBooking = approved ? (approved.document.map as { options?: FetchPlanOptions }).options?.newPatientBooking : undefined;
  const objects: StoreProgress['objects'] = {};
  for (const type of sortByLoadOrder(types)) {
    const c = counts[type];
    if (c) {
      const done = c.migrated + c.skipped + c.rejected;
      objects[type] = { ...c, state: done >= c.planned ? 'done' : 'running' };
    } else if (isDataObjectType(type)) {
      const planned = await plannableCount(pool, migrationId, fetchPlan(type, { newPatientBooking }));
      objects[type] = { planned, migrated: 0, skipped: 0, rejected: 0, pending: 0, rolledBack: 0, recreated: 0, state: 'waiting' };
    }
  }
  return objects;
}

function sortByLoadOrder(types: string[]): string[] {
  const rank = (t: string) => {
    const i = (LOAD_ORDER as readonly string[]).indexOf(t);
    return i < 0 ? LOAD_ORDER.length : i;
  };
  return [...types].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The rate over the last minute of the store's counts, and an ETA for what is left at that rate. */
async function measuredRate(
  pool: Pool,
  migrationId: string,
  scope: ProgressScope,
  objects: StoreProgress['objects'],
  rollback: RollbackCounts | undefined,
): Promise<ProgressRate | undefined> {
  let remaining: number;
  let recent;
  if (scope === 'rollback' && rollback) {
    remaining = Object.values(rollback.objects).reduce((n, o) => n + o.left, 0);
    recent = await recentlySettled(pool, migrationId, { states: ['deleted'], windowSeconds: RATE_WINDOW_SECONDS, since: rollback.startedAt });
  } else if (scope === 'sample' || scope === 'full') {
    remaining = Object.values(objects).reduce((n, o) => n + Math.max(0, o.planned - o.migrated - o.skipped - o.rejected), 0);
    recent = await recentlySettled(pool, migrationId, { runKind: scope, states: SETTLED, windowSeconds: RATE_WINDOW_SECONDS });
  } else {
    return undefined;
  }
  const perSecond = recent.count / recent.seconds;
  return {
    perSecond: Math.round(perSecond * 100) / 100,
    seconds: Math.round(recent.seconds),
    remaining,
    ...(perSecond > 0 ? { etaSeconds: Math.ceil(remaining / perSecond) } : {}),
  };
}

const SETTLED = ['created', 'reused', 'skipped', 'rejected'] as const;

/** The spend with its phases in the migration's order (EXTRACT first). */
function inPhaseOrder(spend: TokenSpend): TokenSpend {
  const rank = (phase: string) => (PHASES as readonly string[]).indexOf(phase);
  return { ...spend, byPhase: Object.fromEntries(Object.entries(spend.byPhase).sort(([a], [b]) => rank(a) - rank(b))) };
}

/** A gate decision the migration refused, with its reason (the CLI exits non-zero). */
export class GateDecisionRefusedError extends Error {
  override readonly name = 'GateDecisionRefusedError';
}

async function decide<I extends ApproveInput | RejectInput>(
  client: Client,
  migrationId: string,
  kind: 'approve' | 'reject',
  input: I,
  audit?: Pool,
): Promise<GateDecisionResult> {
  const handle = client.workflow.getHandle(migrationWorkflowId(migrationId));
  try {
    return kind === 'approve'
      ? await handle.executeUpdate(approveUpdate, { args: [input as ApproveInput] })
      : await handle.executeUpdate(rejectUpdate, { args: [input as RejectInput] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ConfigError(`no running migration ${migrationId}`);
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const reason = failureCause(err)?.message ?? err.message;
    // A refused decision is not in the workflow's history (the validator refused it): the audit log keeps it.
    if (audit) await recordRefusedDecision(audit, migrationId, { gate: input.gate, decision: `refused_${kind}`, by: input.by, reason });
    throw new GateDecisionRefusedError(`${kind} ${input.gate} refused: ${reason}`);
  }
}

/**
 * Approves the gate that is open now, for what the approver saw: the map version (default: the latest, as `map export`
 * shows it) and the sample run. The migration answers at once: the outcome, or a refusal with its reason.
 */
export async function sendApproval(client: Client, migrationId: string, a: ApproveInput, audit?: Pool): Promise<GateDecisionResult> {
  return decide(client, migrationId, 'approve', a, audit);
}

export async function sendRejection(client: Client, migrationId: string, r: RejectInput, audit?: Pool): Promise<GateDecisionResult> {
  return decide(client, migrationId, 'reject', r, audit);
}

/** What an approver reviewed, filled in where the command line left it out, so the decision is for exactly that. */
export async function reviewedBy(client: Client, pool: Pool, migrationId: string, a: ApproveInput): Promise<ApproveInput> {
  if (a.gate === 'MAPPING_REVIEW' && a.mapVersion === undefined) {
    const latest = await latestFieldMap(pool, migrationId);
    return latest ? { ...a, mapVersion: latest.version } : a;
  }
  if (a.gate === 'SAMPLE_REVIEW' && a.sampleRun === undefined) {
    const run = (await queryStatus(client, migrationId))?.sample?.run;
    return run === undefined ? a : { ...a, sampleRun: run };
  }
  return a;
}

export async function sendCutover(client: Client, migrationId: string, by: string): Promise<void> {
  await client.workflow.getHandle(migrationWorkflowId(migrationId)).signal(cutoverSignal, { by });
}

/** The running delta window's progress (its last poll's in-flight claims included), or undefined when none runs. */
export async function queryDeltaProgress(client: Client, migrationId: string): Promise<DeltaProgress | undefined> {
  try {
    return await client.workflow.getHandle(`${migrationWorkflowId(migrationId)}-delta`).query(deltaProgressQuery);
  } catch {
    return undefined;
  }
}

export interface CutoverClaims {
  /** Ledger claims sent or pending in the source (a count only). */
  inFlightClaims: number;
  reportPath?: string;
  /** `delta-window`: as of the window's last poll; `store`: the rows staged last (no poll has reported yet). */
  asOf: 'delta-window' | 'store';
}

/** The in-flight claims an operator must see before cutting over. */
export async function cutoverClaims(client: Client, pool: Pool, migrationId: string): Promise<CutoverClaims> {
  const delta = await queryDeltaProgress(client, migrationId);
  if (delta?.inFlightClaims !== undefined) {
    return { inFlightClaims: delta.inFlightClaims, reportPath: delta.inFlightClaimsReportPath, asOf: 'delta-window' };
  }
  const claims = await inFlightClaims(pool, migrationId);
  const report = (await listReports(pool, migrationId)).find((r) => r.kind === 'in-flight-claims');
  return { inFlightClaims: claims.count, reportPath: report?.path, asOf: 'store' };
}

/**
 * Cutover with the in-flight claims check: claims still sent or pending in Dentrix must clear first, so with any in
 * flight the signal is sent only when `force` says the operator cuts over anyway.
 */
export async function requestCutover(
  client: Client,
  pool: Pool,
  migrationId: string,
  r: { by: string; force?: boolean; reason?: string },
): Promise<CutoverClaims & { sent: boolean }> {
  await getRun(pool, migrationId); // an unknown migration fails here, naming it
  const claims = await cutoverClaims(client, pool, migrationId);
  if (claims.inFlightClaims > 0 && !r.force) return { ...claims, sent: false };
  const forced = claims.inFlightClaims > 0;
  if (forced && !r.reason?.trim()) {
    throw new ConfigError(`a forced cutover must give its reason (--reason): ${claims.inFlightClaims} insurance claim(s) are still in flight`);
  }
  // The decision is audited before it is sent: a cutover never happens without its row.
  await recordCutover(pool, migrationId, { by: r.by, forced, inFlightClaims: claims.inFlightClaims, reason: r.reason?.trim() || undefined });
  await sendCutover(client, migrationId, r.by);
  return { ...claims, sent: true };
}

/**
 * Rolls a migration back: a running migration gets the rollback signal (it stops its loads, then compensates);
 * a finished one gets a standalone rollback workflow.
 */
export async function requestRollback(
  env: Env,
  client: Client,
  migrationId: string,
  r: { by: string; reason: string },
): Promise<{ mode: 'signalled' | 'started'; workflowId: string }> {
  const handle = client.workflow.getHandle(migrationWorkflowId(migrationId));
  let running = false;
  try {
    running = (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (running) {
    await handle.signal(rollbackSignal, r);
    return { mode: 'signalled', workflowId: handle.workflowId };
  }
  const workflowId = rollbackWorkflowId(migrationId);
  await client.workflow.start(rollbackWorkflow, {
    taskQueue: env.TASK_QUEUE,
    workflowId,
    args: [{ migrationId, scope: 'all', by: r.by, reason: r.reason }],
    typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.phase, value: 'ROLLING_BACK' }],
    staticSummary: `Rollback of migration ${migrationId}`,
  });
  return { mode: 'started', workflowId };
}

/**
 * Points a migration at a newer extract of the same practice (the delta window's next poll reads it). The new source
 * must open and name the same practice: a wrong folder must not be read as "everything changed".
 */
export async function repointSource(pool: Pool, migrationId: string, source: SourceSpec): Promise<void> {
  const run = await getRun(pool, migrationId);
  const resolved = source.kind === 'folder' ? { ...source, path: path.resolve(source.path) } : source;
  const reader = await openExtract(resolved);
  try {
    const manifest = await reader.manifest();
    if (run.practiceName && manifest.practice.name !== run.practiceName) {
      throw new ConfigError(`the new source is "${manifest.practice.name}", but migration ${migrationId} migrates "${run.practiceName}"`);
    }
  } finally {
    await reader.close();
  }
  await setRunSource(pool, migrationId, resolved);
  // Change-cursor watermarks are positions in the old source: the next poll reads the new one in full.
  await resetTableWatermarks(pool, migrationId);
}
