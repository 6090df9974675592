// The operator's commands that act on a migration: start it, decide its gates, roll it back, cut over, repoint its source.
import { describeWebUiLinks, webUiLinks } from './web-ui-links';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { Pool } from 'pg';
import { loadEnv, parseMigrationOptions, type Env } from '../config';
import { connectClient } from '../runtime/temporal';
import { createOutput } from './output';
import { repointSource, requestCutover, requestRollback, reviewedBy, sendApproval, sendRejection, startMigration } from './commands';
import { cutoverMessage } from './status-view';
import { GATES, type Gate } from '../workflows/messages';

/** Opens the migration store for one command (the composition root's: created, migrated, ended after `fn`). */
export type WithStore = <T>(env: Env, fn: (pool: Pool) => Promise<T>) => Promise<T>;

const id = () => new Option('-m, --migration-id <slug>', 'migration id (lower-case slug)').makeOptionMandatory();
const json = () => new Option('--json', 'print one JSON line instead of text');

/** `start`: registers a migration and starts its workflow. */
export function registerStartCommand(cli: Command, { withStore }: { withStore: WithStore }): void {
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
    .option('--concurrency <n>', "batch activities in flight per object type (default: derived from the plan's rate and the latency seen)", (v) => Number(v))
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
        objectTypes: o.objects
          ? String(o.objects)
              .split(',')
              .map((s: string) => s.trim())
          : undefined,
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
      const { runId } = await client.workflow.getHandle(started.workflowId).describe();
      const webUi = webUiLinks(env, { workflowId: started.workflowId, runId });
      for (const line of describeWebUiLinks(webUi)) out.line(line);
      out.result({ ...started, ...(webUi ? { webUi } : {}) });
    });
}

/** `approve`, `reject`, `rollback`, `cutover`, `source`: decisions and changes to a running migration. */
export function registerLifecycleCommands(cli: Command, { withStore }: { withStore: WithStore }): void {
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
        const input = await reviewedBy(client, pool, o.migrationId, {
          gate: o.gate as Gate,
          by: o.by,
          mapVersion: o.mapVersion,
          sampleRun: o.sampleRun,
          overrideReason: o.overrideReason,
        });
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
      createOutput(Boolean(o.json)).line(r.mode === 'signalled' ? `Rollback signalled to ${r.workflowId}.` : `Started rollback workflow ${r.workflowId}.`);
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
}
