import { type Pool } from 'pg';
import { migrationResult, rollbackResult } from './migration-result';
import fs from 'node:fs';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadEnv, parseMigrationOptions, type Env } from '../config';
import { isPortOpen, startDevServer, type RunningDevServer } from '../devserver/dev-server';
import { dataDir } from '../devserver/paths';
import { createLogger } from '../logging';
import { connectClient, migrationWorkflowId, rollbackWorkflowId } from '../runtime/temporal';
import { createWorkerRuntime, type WorkerRuntime } from '../runtime/worker';
import { startSandbox, type RunningSandbox, type SandboxUsage } from '@dentrix-pipedrive/pipedrive-sandbox';
import { tokenSpend, type Spend, type TokenSpend } from '../store/request-tokens';
import { describeSpend } from './status-view';
import { resolveDatabase, type ResolvedDatabase } from '../store/embedded';
import { listReports } from '../store/reports';
import { openExtract, type ExtractSourceSpec } from '../dentrix';
import { requestRollback, startMigration, storeProgress } from './commands';
import { driveMigration } from './drive';
import { formatProposalSummary, readWorkbookRows, summarizeProposal } from '../review';

export interface DemoOptions {
  json: boolean;
  rollback: boolean;
  extract: string;
  migrationId: string;
  sandboxPort: number;
  keepRunning: boolean;
}

/** The bundled sample extract: the generator's `demo` profile, seed 42 (see samples/README.md). */
export const BUNDLED_EXTRACT = path.resolve(__dirname, '..', '..', 'samples', 'demo-practice');

interface World {
  env: Env;
  client: Client;
  devServer?: RunningDevServer;
  sandbox: RunningSandbox;
  worker: WorkerRuntime;
  workerRun: Promise<void>;
  webUi?: string;
  database: ResolvedDatabase;
}

/**
 * `npm run demo`: a whole migration of the bundled practice on embedded defaults — the Temporal dev server (started
 * unless one answers), the local PostgreSQL or an embedded one, the Pipedrive sandbox (persisted, so a second run
 * duplicates nothing), and an in-process worker — with the gates approved by signal, saying so.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const say = (line: string) => (options.json ? process.stderr : process.stdout).write(line + '\n');
  const world = await bringUpWorld(options, say);
  try {
    if (options.rollback) return await rollbackDemo(world, options, say);
    return await migrateDemo(world, options, say);
  } finally {
    if (options.keepRunning) {
      say('Keeping Temporal, the worker and the sandbox running (Ctrl-C to stop).');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await tearDown(world);
  }
}

async function bringUpWorld(options: DemoOptions, say: (line: string) => void): Promise<World> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    return await bringUp(options, say, started);
  } catch (err) {
    // Whatever came up before the failure goes down with it: no orphan dev server or sandbox.
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}

async function bringUp(options: DemoOptions, say: (line: string) => void, started: { stop(): Promise<void> }[]): Promise<World> {
  const data = dataDir();
  fs.mkdirSync(data, { recursive: true, mode: 0o700 }); // reports and the sandbox's state: owner-only
  Runtime.install({ logger: new DefaultLogger('WARN') });

  let devServer: RunningDevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  let webUi: string | undefined;
  if (!address) {
    if (await isPortOpen(7233)) {
      address = '127.0.0.1:7233';
      webUi = 'http://127.0.0.1:8233';
      say(`Using the Temporal server already listening on ${address}.`);
    } else {
      const uiPort = (await isPortOpen(8233)) ? 18233 : 8233;
      devServer = await startDevServer({ port: 7233, uiPort, dbFile: path.join(data, 'temporal.db'), logFile: path.join(data, 'temporal.log') });
      started.push(devServer);
      address = devServer.address;
      webUi = devServer.uiUrl;
      say(`Started the Temporal dev server (CLI v1.5.1) on ${address}; state in ${path.join(data, 'temporal.db')}.`);
    }
  }

  const sandboxPort = (await isPortOpen(options.sandboxPort)) ? 0 : options.sandboxPort;
  const sandbox = await startSandbox({
    port: sandboxPort,
    plan: 'ultimate',
    seats: 10,
    // A rehearsal sandbox: Pipedrive's real burst limit would make the demo take minutes, not change what it shows.
    burstLimit: 400,
    persistFile: path.join(data, 'sandbox-demo.json'),
    users: await providerUsers(options.extract),
  });
  started.push({ stop: () => sandbox.close() });
  say(`Pipedrive sandbox on ${sandbox.url} (state in ${path.join(data, 'sandbox-demo.json')}).`);

  // The store: DATABASE_URL, else the PostgreSQL on 127.0.0.1:5432, else an embedded one under DATA_DIR, which the demo
  // stops at the end if it started it.
  const database = await resolveDatabase({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR ?? data }, { log: say });
  started.push(database);
  say(database.description);

  const env = loadEnv({
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: address,
    DATA_DIR: process.env.DATA_DIR ?? data,
    PIPEDRIVE_PLAN: 'ultimate',
    PIPEDRIVE_BURST_LIMIT: process.env.PIPEDRIVE_BURST_LIMIT ?? '300',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  say('Starting a worker (bundling the workflows takes a few seconds)...');
  const worker = await createWorkerRuntime(env, { logger: createLogger(env.LOG_LEVEL, 'demo-worker') });
  const workerRun = worker.worker.run();
  const client = await connectClient(env);
  if (webUi) say(`Watch it in the Temporal Web UI: ${webUi}/namespaces/${worker.temporal.namespace}/workflows`);
  return { env, client, devServer, sandbox, worker, workerRun, webUi, database };
}

async function tearDown(world: World): Promise<void> {
  world.worker.worker.shutdown();
  await world.workerRun.catch(() => undefined);
  await world.worker.close();
  await world.client.connection.close();
  await world.sandbox.close();
  await world.devServer?.stop();
  await world.database.stop();
}

/** Provider e-mails become sandbox users, all but the last: one provider stays unmatched, as happens in practices. */
export async function providerUsers(extract: string | ExtractSourceSpec): Promise<{ name: string; email: string }[]> {
  const reader = await openExtract(typeof extract === 'string' ? { kind: 'folder', path: extract } : extract);
  const users: { name: string; email: string }[] = [];
  try {
    for await (const r of reader.readTable('provider')) {
      if (r.kind === 'row' && r.row.email) {
        users.push({ name: [r.row.first_name, r.row.last_name].filter(Boolean).join(' '), email: r.row.email.trim() });
      }
    }
  } finally {
    await reader.close();
  }
  return users.slice(0, -1);
}

async function migrateDemo(world: World, options: DemoOptions, say: (line: string) => void): Promise<number> {
  const { env, client, sandbox } = world;
  const pool = world.worker.pool;
  const spent = await spendFromHere(pool, options.migrationId, sandbox);
  const started = await startMigration(env, pool, client, {
    migrationId: options.migrationId,
    source: { kind: 'folder', path: options.extract },
    pipedriveBaseUrl: sandbox.url,
    options: parseMigrationOptions({ sampleSize: 250, batchSize: 50, deltaWindowSeconds: 60, deltaPollSeconds: 5 }),
  });
  say(
    `${started.alreadyRunning ? 'Resuming' : 'Started'} migration "${started.migrationId}" of ${started.practiceName} ` +
      `(workflow ${migrationWorkflowId(started.migrationId)}).`,
  );
  let lastPhase = '';
  const result = await driveMigration(client, options.migrationId, {
    by: 'demo (automatic)',
    includeAllPhi: true,
    minSampleAccuracy: 99,
    cutoverAfterPolls: 1,
    audit: pool,
    onDecision: (m) => say(`  demo decision: ${m}`),
    // A Temporal restart mid-demo is waited out (up to 2 minutes), saying so, like the worker does.
    temporalRetry: { onRetry: (m) => say(`  ${m}`) },
    onStatus: async (s) => {
      if (s.phase === lastPhase) return;
      lastPhase = s.phase;
      say(`  phase ${s.phase}${s.waitingFor ? ` — waiting for ${s.waitingFor}: ${s.gateMessage ?? ''}` : ''}`);
      if (s.phase === 'MAPPING_REVIEW' && s.reports.proposedMap) {
        say(`    proposed map: ${s.reports.proposedMap}${s.reports.mappingWorkbook ? `; workbook: ${s.reports.mappingWorkbook}` : ''}`);
        if (s.reports.mappingWorkbook) await printProposalSummary(s.reports.mappingWorkbook, say);
      }
      if (s.audit && s.reports.dataQuality && s.phase === 'MAPPING_REVIEW') {
        say(`    Data Quality Report: ${s.reports.dataQualityHtml ?? s.reports.dataQuality}`);
        say(
          `    data quality: ${Object.entries(s.audit)
            .slice(0, 10)
            .map(([k, v]) => `${k} ${v}`)
            .join(' · ')}`,
        );
      }
    },
  });
  const status = result.status;
  const progress = await storeProgress(pool, options.migrationId, env.PIPEDRIVE_BUDGET_RESET_TZ);
  say(`Migration ${status.phase}. Verification accuracy ${status.verification?.accuracy.toFixed(2) ?? '?'}%.`);
  for (const [type, c] of Object.entries(status.objects)) {
    say(`  ${type.padEnd(13)} source ${c.source} · migrated ${c.migrated} · skipped ${c.skipped} · rejected ${c.rejected}`);
  }
  for (const r of progress.reports) say(`  report ${r.kind}: ${r.path}`);
  const reports = await listReports(pool, options.migrationId);
  const keptForReview = valuesKeptForReview(reports);
  say(`  values kept for review on their record (refused, cut to Pipedrive's limit, or a merged duplicate's): ${keptForReview}`);
  const merged = mergedDuplicates(reports);
  say(`  duplicate patients merged into their survivor: ${merged}`);
  const tokens = await spent();

  say(`  ${describeSpend(tokens.product)}; the sandbox counted ${tokens.sandbox.tokens} tokens (${tokens.sandbox.requests} requests)`);
  say(`Roll it back with: npm run demo -- --rollback`);
  if (options.json) {
    process.stdout.write(
      JSON.stringify({
        migrationId: options.migrationId,
        phase: status.phase,
        objects: status.objects,
        sampleAccuracy: status.sample?.accuracy,
        verificationAccuracy: status.verification?.accuracy,
        audit: status.audit,
        mergedDuplicates: merged,
        reports: {
          ...Object.fromEntries(progress.reports.map((r) => [r.kind, r.path])),
          ...(status.reports.dataQualityHtml ? { 'data-quality-html': status.reports.dataQualityHtml } : {}),
          ...(status.reports.mappingWorkbook ? { 'mapping-workbook': status.reports.mappingWorkbook } : {}),
        },
        fingerprints: { beforeFirstWrite: status.fingerprints.beforeFirstWrite, atEnd: status.fingerprints.atEnd },
        webUi: world.webUi,
        valuesKeptForReview: keptForReview,
        tokens,
      }) + '\n',
    );
  }
  return status.phase === 'DONE' ? 0 : 1;
}

/**
 * Source values the map refused or shortened and kept on their record for review, as the full run's verification
 * counted them (the sample's when there is no verification): its stored summary, a count.
 */
export function valuesKeptForReview(reports: readonly { kind: string; summary: object }[]): number {
  const report = reports.find((r) => r.kind === 'verification') ?? reports.find((r) => r.kind === 'sample-diff');
  const count = (report?.summary as { keptForReview?: unknown } | undefined)?.keptForReview;
  return typeof count === 'number' ? count : 0;
}

/** Duplicate patients merged into their survivor, as the reconciliation counted them (the demo keeps both: 0). */
export function mergedDuplicates(reports: readonly { kind: string; summary: object }[]): number {
  const count = (reports.find((r) => r.kind === 'reconciliation')?.summary as { mergedDuplicates?: unknown } | undefined)?.mergedDuplicates;
  return typeof count === 'number' ? count : 0;
}

async function rollbackDemo(world: World, options: DemoOptions, say: (line: string) => void): Promise<number> {
  const { env, client } = world;
  const spent = await spendFromHere(world.worker.pool, options.migrationId, world.sandbox);
  const r = await requestRollback(env, client, options.migrationId, { by: 'demo (automatic)', reason: 'npm run demo -- --rollback' });
  say(r.mode === 'signalled' ? `Rollback signalled to the running migration.` : `Started rollback workflow ${rollbackWorkflowId(options.migrationId)}.`);
  const result =
    r.mode === 'started'
      ? await rollbackResult(client.workflow.getHandle(r.workflowId))
      : (await migrationResult(client.workflow.getHandle(r.workflowId))).rollback;
  say(
    result?.proven
      ? `Rolled back: deleted ${result.deleted}; the account fingerprint equals the one taken before the first write.`
      : `Rollback finished but is NOT proven: see the rollback report.`,
  );
  const tokens = await spent();
  say(`  ${describeSpend(tokens.product)}; the sandbox counted ${tokens.sandbox.tokens} tokens (${tokens.sandbox.requests} requests)`);
  if (options.json) {
    process.stdout.write(
      JSON.stringify({
        migrationId: options.migrationId,
        phase: result?.proven ? 'ROLLED_BACK' : 'ROLLBACK_NOT_PROVEN',
        deleted: result?.deleted,
        alreadyGone: result?.alreadyGone,
        fingerprints: { beforeFirstWrite: result?.fingerprintBefore, afterRollback: result?.fingerprintAfter },
        proven: result?.proven ?? false,
        tokens,
      }) + '\n',
    );
  }
  return result?.proven ? 0 : 1;
}

/** The proposed map as the reviewer sees it in the workbook, summarised (the workbook has every row). */
async function printProposalSummary(workbookPath: string, say: (line: string) => void): Promise<void> {
  try {
    const lines = formatProposalSummary(summarizeProposal(await readWorkbookRows(workbookPath)));
    for (const line of lines) say(`      ${line}`);
  } catch (err) {
    say(`    (could not summarise the workbook: ${(err as Error).message})`);
  }
}

/**
 * What one demo run spends from here on: the product's own count, by phase, and the sandbox's count for the same span
 * (a re-run of the same migration adds to both, so each is read before and after).
 */
async function spendFromHere(pool: Pool, migrationId: string, sandbox: RunningSandbox): Promise<() => Promise<{ product: TokenSpend; sandbox: Spend }>> {
  const before = { product: await tokenSpend(pool, migrationId), sandbox: sandboxSpend(sandbox.usage()) };
  return async () => {
    const after = sandboxSpend(sandbox.usage());
    return {
      product: spendSince(before.product, await tokenSpend(pool, migrationId)),
      sandbox: { requests: after.requests - before.sandbox.requests, tokens: after.tokens - before.sandbox.tokens },
    };
  };
}

/** What the sandbox counted: every request it answered, and the tokens of its routes. */
function sandboxSpend(usage: SandboxUsage): Spend {
  return { requests: usage.requests.total, tokens: Object.values(usage.byRoute).reduce((n, r) => n + r.tokens, 0) };
}

/** The spend of this run: `now` less what was spent before it, by phase. */
export function spendSince(before: TokenSpend | undefined, now: TokenSpend): TokenSpend {
  if (!before) return now;
  const byPhase: Record<string, Spend> = {};
  for (const [phase, s] of Object.entries(now.byPhase)) {
    const earlier = before.byPhase[phase] ?? { requests: 0, tokens: 0 };
    if (s.requests > earlier.requests) byPhase[phase] = { requests: s.requests - earlier.requests, tokens: s.tokens - earlier.tokens };
  }
  return { byPhase, total: { requests: now.total.requests - before.total.requests, tokens: now.total.tokens - before.total.tokens } };
}
