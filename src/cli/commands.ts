import path from 'node:path';
import { WorkflowNotFoundError, type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type Pool } from 'pg';
import { type Env, type MigrationOptions, MigrationIdSchema, ConfigError } from '../config';
import { openExtract } from '../dentrix';
import { migrationWorkflowId, rollbackWorkflowId } from '../runtime/temporal';
import { registerRun, getRun, setRunPractice, type SourceSpec } from '../store/runs';
import { inFlightClaims } from '../store/claims';
import { listReports } from '../store/reports';
import { POLL_WATERMARK } from '../store/watermarks';
import { Ledger } from '../store/ledger';
import { plannedSourceCounts } from '../store/work';
import { migrationWorkflow } from '../workflows/migration';
import { rollbackWorkflow } from '../workflows/rollback';
import {
  approveSignal,
  cutoverSignal,
  deltaProgressQuery,
  rejectSignal,
  rollbackSignal,
  statusQuery,
  type ApproveInput,
  type DeltaProgress,
  type Gate,
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
}

/** Registers the migration in the store (source and target stay out of Temporal) and starts its workflow. */
export async function startMigration(env: Env, pool: Pool, client: Client, req: StartRequest): Promise<StartedMigration> {
  const id = MigrationIdSchema.safeParse(req.migrationId);
  if (!id.success) throw new ConfigError(`--migration-id "${req.migrationId}": ${id.error.issues[0]!.message}`);
  const source = req.source.kind === 'folder' ? { ...req.source, path: path.resolve(req.source.path) } : req.source;
  const reader = await openExtract(source);
  let practiceName: string;
  let timezone: string;
  try {
    const manifest = await reader.manifest();
    practiceName = manifest.practice.name;
    timezone = manifest.practice.timezone;
  } finally {
    await reader.close();
  }
  await registerRun(pool, { migrationId: req.migrationId, source, pipedriveBaseUrl: req.pipedriveBaseUrl, options: req.options });
  await setRunPractice(pool, req.migrationId, practiceName, timezone);

  const workflowId = migrationWorkflowId(req.migrationId);
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
        `- gates: MAPPING_REVIEW and SAMPLE_REVIEW wait for an \`approve\` or \`reject\` signal (CLI: \`npm run starter -- approve\`)\n` +
        `- rollback at any time after the first write: signal \`rollback\` or \`npm run starter -- rollback\``,
    });
    return { migrationId: req.migrationId, workflowId, runId: handle.firstExecutionRunId, practiceName, alreadyRunning: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const desc = await client.workflow.getHandle(workflowId).describe();
      return { migrationId: req.migrationId, workflowId, runId: desc.runId, practiceName, alreadyRunning: true };
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
  objects: Record<string, { planned: number; migrated: number; skipped: number; rejected: number; pending: number; rolledBack: number }>;
  reports: { kind: string; path: string }[];
}

/** Progress straight from the store: live per-object counts even while a child workflow is mid-run. */
export async function storeProgress(pool: Pool, migrationId: string): Promise<StoreProgress> {
  const run = await getRun(pool, migrationId);
  const planned = await plannedSourceCounts(pool, migrationId);
  const states = await new Ledger(pool).countsByState(migrationId);
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
    };
  }
  const reports = (await listReports(pool, migrationId)).map((r) => ({ kind: r.kind, path: r.path }));
  return { phase: run.phase, practiceName: run.practiceName, objects, reports };
}

export async function sendApproval(
  client: Client,
  migrationId: string,
  a: ApproveInput,
): Promise<void> {
  await client.workflow.getHandle(migrationWorkflowId(migrationId)).signal(approveSignal, a);
}

export async function sendRejection(client: Client, migrationId: string, r: { gate: Gate; by: string; reason: string }): Promise<void> {
  await client.workflow.getHandle(migrationWorkflowId(migrationId)).signal(rejectSignal, r);
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
  r: { by: string; force?: boolean },
): Promise<CutoverClaims & { sent: boolean }> {
  await getRun(pool, migrationId); // an unknown migration fails here, naming it
  const claims = await cutoverClaims(client, pool, migrationId);
  if (claims.inFlightClaims > 0 && !r.force) return { ...claims, sent: false };
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
  await pool.query('UPDATE migration_runs SET source = $2, updated_at = now() WHERE migration_id = $1', [migrationId, resolved]);
  // Change-cursor watermarks are positions in the old source: the next poll reads the new one in full.
  await pool.query('DELETE FROM delta_watermarks WHERE migration_id = $1 AND source_table <> $2', [migrationId, POLL_WATERMARK]);
}
