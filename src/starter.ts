// Composition root of the operator CLI: parses commands, wires configuration, the store and the Temporal client.
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadEnv, parseMigrationOptions, type Env } from './config';
import { connectClient, TemporalUnreachableError } from './runtime/temporal';
import { createPool, ensureDatabase, migrateStore } from './store/db';
import { createOutput } from './cli/output';
import {
  queryDeltaProgress,
  queryStatus,
  repointSource,
  requestCutover,
  requestRollback,
  reviewedBy,
  sendApproval,
  sendRejection,
  startMigration,
  storeProgress,
} from './cli/commands';
import { currentPhase, cutoverMessage, ObjectBars, statusHeader } from './cli/status-view';
import { describeFailure, migrationFailure, type MigrationFailure } from './cli/failure-cause';
import { exportAuditLog } from './cli/audit-export';
import { registerExtraCommands } from './cli/extra-commands';
import { registerMapCommands } from './cli/map-commands';
import { registerPurgeCommand } from './cli/purge-command';
import { dataDir } from './devserver/paths';
import { packageVersion } from './cli/version';
import { resolveStoreUrl } from './store/embedded';
import { FINAL_PHASES, GATES, type Gate, type Phase } from './workflows/messages';

async function withStore<T>(env: Env, fn: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  await ensureDatabase(env.DATABASE_URL);
  await migrateStore(env.DATABASE_URL);
  const pool = createPool(env.DATABASE_URL, { max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

function program(): Command {
  const cli = new Command('dentrix-pipedrive')
    .description('Dentrix → Pipedrive migrations: start, watch, approve, roll back.')
    .version(packageVersion(), '-V, --version', 'print the version');
  const id = () => new Option('-m, --migration-id <slug>', 'migration id (lower-case slug)').makeOptionMandatory();
  const json = () => new Option('--json', 'print one JSON line instead of text');

  cli
    .command('start')
    .description('register a migration and start its workflow')
    .addOption(id())
    .option('--extract <dir>', 'Dentrix extract folder (CSV + manifest.json)')
    .option('--sql <url>', 'Dentrix SQL mirror (PostgreSQL connection string)')
    .option('--sql-schema <schema>', 'schema of the SQL mirror', 'admin')
    .option('--documents <dir>', 'SQL mirror: the folder holding the files document.file_path names')
    .option('--pipedrive-url <url>', 'Pipedrive base URL, e.g. https://acme.pipedrive.com (token: PIPEDRIVE_API_TOKEN on the worker)')
    .option('--sandbox [url]', 'write to the local Pipedrive sandbox (default http://127.0.0.1:8787)')
    .option('--sample-size <n>', 'records in the sample run: 200–500 (default 250)', (v) => Number(v))
    .option('--allow-small-sample', 'accept a --sample-size below 200 (tiny rehearsals and tests only)')
    .option('--threshold <pct>', 'sample accuracy needed to approve without an override', (v) => Number(v))
    .option('--batch-size <n>', 'records per batch activity', (v) => Number(v))
    .option('--concurrency <n>', 'batch activities in flight per object type', (v) => Number(v))
    .option('--delta-window <seconds>', 'length of the delta pick-up window', (v) => Number(v))
    .option('--delta-poll <seconds>', 'how often the delta window polls the source', (v) => Number(v))
    .option('--skip-delta', 'finish after verification, without a delta window')
    .option('--objects <list>', 'comma-separated object types to load (default: all in the map)')
    .addOption(json())
    .action(async (o) => {
      const env = loadEnv();
      const out = createOutput(Boolean(o.json));
      if (Boolean(o.extract) === Boolean(o.sql)) throw new Error('give exactly one of --extract <dir> or --sql <url>');
      if (!o.pipedriveUrl && !o.sandbox) throw new Error('give --pipedrive-url <url> or --sandbox');
      const pipedriveBaseUrl: string = o.pipedriveUrl ?? (typeof o.sandbox === 'string' ? o.sandbox : 'http://127.0.0.1:8787');
      const options = parseMigrationOptions({
        sampleSize: o.sampleSize,
        allowSmallSample: o.allowSmallSample ? true : undefined,
        sampleAccuracyThreshold: o.threshold,
        batchSize: o.batchSize,
        concurrency: o.concurrency,
        deltaWindowSeconds: o.deltaWindow,
        deltaPollSeconds: o.deltaPoll,
        skipDelta: o.skipDelta ? true : undefined,
        objectTypes: o.objects ? String(o.objects).split(',').map((s: string) => s.trim()) : undefined,
      });
      const client = await connectClient(env);
      const started = await withStore(env, (pool) =>
        startMigration(env, pool, client, {
          migrationId: o.migrationId,
          source: o.extract
            ? { kind: 'folder', path: o.extract }
            : { kind: 'sql', connectionString: o.sql, schema: o.sqlSchema, ...(o.documents ? { documentsDir: path.resolve(o.documents) } : {}) },
          pipedriveBaseUrl,
          options,
        }),
      );
      out.line(
        started.alreadyRunning
          ? `Migration ${started.migrationId} is already running (workflow ${started.workflowId}).`
          : `Started migration ${started.migrationId} of ${started.practiceName} into Pipedrive account ${started.pipedriveAccount}: workflow ${started.workflowId}.`,
      );
      out.result(started);
    });

  cli
    .command('status')
    .description('phase, gate, per-object progress and report locations')
    .addOption(id())
    .option('--watch', 'keep redrawing until the migration ends')
    .addOption(json())
    .action(async (o) => {
      const env = loadEnv();
      // Without a reachable Temporal the store still tells the per-object progress; say what is missing.
      const client = await connectClient(env).catch((err: Error) => {
        const why = err instanceof TemporalUnreachableError ? `Temporal at ${err.address} does not answer (${err.reason})` : err.message.split('. ')[0];
        console.error(`note: ${why}; showing the store's progress only`);
        return undefined;
      });
      const query = (id: string) => (client ? queryStatus(client, id).catch(() => undefined) : Promise.resolve(undefined));
      // Why it failed, or what keeps failing: the root cause from Temporal's failure chain, not "Activity task failed".
      const failureOf = (id: string) => (client ? migrationFailure(client, id).catch(() => undefined) : Promise.resolve(undefined));
      // During DELTA the window's own progress (with the last poll's in-flight claims count) comes from the child.
      const deltaOf = (id: string, phase: string) => (client && phase === 'DELTA' ? queryDeltaProgress(client, id) : Promise.resolve(undefined));
      await withStore(env, async (pool) => {
        if (o.json) {
          const [status, progress] = [await query(o.migrationId), await storeProgress(pool, o.migrationId)];
          const delta = await deltaOf(o.migrationId, currentPhase(status, progress));
          const error = await failureOf(o.migrationId);
          process.stdout.write(JSON.stringify({ migrationId: o.migrationId, phase: currentPhase(status, progress), status, progress, ...(error ? { error } : {}), ...(delta ? { delta } : {}) }) + '\n');
          return;
        }
        const bars = new ObjectBars();
        let watchedFailure: MigrationFailure | undefined;
        try {
          for (;;) {
            const status = await query(o.migrationId);
            const progress = await storeProgress(pool, o.migrationId);
            const delta = await deltaOf(o.migrationId, currentPhase(status, progress));
            const failure = await failureOf(o.migrationId);
            if (!o.watch) console.log(statusHeader(o.migrationId, status, progress, delta, failure).join('\n'));
            bars.update(progress);
            const ended = FINAL_PHASES.includes(currentPhase(status, progress) as Phase);
            if (!o.watch || ended) {
              if (o.watch) watchedFailure = failure;
              break;
            }
            await new Promise((r) => setTimeout(r, 2000));
          }
        } finally {
          bars.stop();
        }
        if (watchedFailure) console.log(`  ${describeFailure(watchedFailure)}`);
      });
    });

  cli
    .command('approve')
    .description('approve a gate (MAPPING_REVIEW, SAMPLE_REVIEW, or VERIFY_REVIEW with --override-reason)')
    .addOption(id())
    .addOption(new Option('--gate <gate>').choices([...GATES]).makeOptionMandatory())
    .requiredOption('--by <name>', 'who approves (kept in the audit log)')
    .option('--map-version <n>', 'MAPPING_REVIEW: the map version to approve (default: the latest, printed)', (v) => Number(v))
    .option('--sample-run <n>', 'SAMPLE_REVIEW: the sample run you reviewed (default: the one at the gate now)', (v) => Number(v))
    .option('--override-reason <text>', 'SAMPLE_REVIEW below the threshold, and VERIFY_REVIEW: why go ahead anyway')
    .addOption(json())
    .action(async (o) => {
      const env = loadEnv();
      const client = await connectClient(env);
      const out = createOutput(Boolean(o.json));
      const result = await withStore(env, async (pool) => {
        const input = await reviewedBy(client, pool, o.migrationId, { gate: o.gate as Gate, by: o.by, mapVersion: o.mapVersion, sampleRun: o.sampleRun, overrideReason: o.overrideReason });
        return sendApproval(client, o.migrationId, input, pool);
      });
      out.line(`Approved ${o.gate} of migration ${o.migrationId}: ${result.outcome}.`);
      out.result({ migrationId: o.migrationId, ...result });
    });

  cli
    .command('reject')
    .description('reject a gate: MAPPING_REVIEW waits for an edited map; SAMPLE_REVIEW rolls the sample back; VERIFY_REVIEW rolls everything back')
    .addOption(id())
    .addOption(new Option('--gate <gate>').choices([...GATES]).makeOptionMandatory())
    .requiredOption('--by <name>')
    .requiredOption('--reason <text>')
    .addOption(json())
    .action(async (o) => {
      const env = loadEnv();
      const client = await connectClient(env);
      const out = createOutput(Boolean(o.json));
      const result = await withStore(env, (pool) => sendRejection(client, o.migrationId, { gate: o.gate as Gate, by: o.by, reason: o.reason }, pool));
      out.line(`Rejected ${o.gate} of migration ${o.migrationId}: ${result.outcome}.`);
      out.result({ migrationId: o.migrationId, ...result });
    });

  cli
    .command('rollback')
    .description('delete everything the migration created, in reverse dependency order, and prove it')
    .addOption(id())
    .requiredOption('--by <name>')
    .option('--reason <text>', 'why', 'requested by operator')
    .addOption(json())
    .action(async (o) => {
      const env = loadEnv();
      const client = await connectClient(env);
      const r = await requestRollback(env, client, o.migrationId, { by: o.by, reason: o.reason });
      createOutput(Boolean(o.json)).line(
        r.mode === 'signalled' ? `Rollback signalled to ${r.workflowId}.` : `Started rollback workflow ${r.workflowId}.`,
      );
      createOutput(Boolean(o.json)).result({ migrationId: o.migrationId, ...r });
    });

  cli
    .command('cutover')
    .description('close the delta pick-up window (refused while insurance claims are in flight, unless --force)')
    .addOption(id())
    .requiredOption('--by <name>')
    .option('--force', 'cut over even though insurance claims are still in flight (needs --reason)')
    .option('--reason <text>', 'why (required with --force; kept in the audit log)')
    .action(async (o) => {
      const env = loadEnv();
      const client = await connectClient(env);
      const r = await withStore(env, (pool) => requestCutover(client, pool, o.migrationId, { by: o.by, force: Boolean(o.force), reason: o.reason }));
      const message = cutoverMessage(o.migrationId, r);
      if (message.warning) console.error(message.warning);
      if (!r.sent) throw new Error(message.line);
      console.log(message.line);
    });

  cli
    .command('source')
    .description('point a migration at a newer extract (the delta window reads it on its next poll)')
    .addOption(id())
    .option('--extract <dir>', 'the newer Dentrix extract folder')
    .option('--sql <url>', 'a Dentrix SQL mirror')
    .option('--sql-schema <schema>', 'schema of the SQL mirror', 'admin')
    .action(async (o) => {
      const env = loadEnv();
      if (Boolean(o.extract) === Boolean(o.sql)) throw new Error('give exactly one of --extract <dir> or --sql <url>');
      await withStore(env, (pool) =>
        repointSource(pool, o.migrationId, o.extract ? { kind: 'folder', path: o.extract } : { kind: 'sql', connectionString: o.sql, schema: o.sqlSchema }),
      );
      console.log(`Migration ${o.migrationId} now reads ${o.extract ?? `the SQL mirror (${o.sqlSchema})`}.`);
    });

  cli
    .command('audit-log')
    .description('export the audit log of every write (CSV or JSON)')
    .addOption(id())
    .addOption(new Option('--format <format>').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o) => {
      const env = loadEnv();
      await withStore(env, (pool) => exportAuditLog(pool, o.migrationId, o.format, o.out));
    });

  registerExtraCommands(cli);
  registerMapCommands(cli, {
    withStore: (fn) => withStore(loadEnv(), fn),
    reportDir: (migrationId) => path.join(loadEnv().DATA_DIR ?? dataDir(), 'migrations', migrationId),
  });
  registerPurgeCommand(cli, { withStore: (fn) => withStore(loadEnv(), fn) });
  return cli;
}

/** Commands that never open the migration store. */
const STORELESS_COMMANDS = new Set(['plan', 'generate', 'help']);

/**
 * Before a command that opens the store: DATABASE_URL `embedded`, or unset with nothing on 127.0.0.1:5432, becomes the
 * embedded PostgreSQL's URL (started, and left running for the worker, when none runs), so every loadEnv() sees it.
 */
async function resolveStoreFirst(_root: Command, action: Command): Promise<void> {
  let top = action;
  while (top.parent?.parent) top = top.parent;
  if (STORELESS_COMMANDS.has(top.name())) return;
  process.env.DATABASE_URL = await resolveStoreUrl(loadEnv());
}

program()
  .hook('preAction', resolveStoreFirst)
  .parseAsync(process.argv)
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
