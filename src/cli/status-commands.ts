// The operator's commands that look at a migration: its status (from Temporal and the store) and its audit log.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadEnv } from '../config';
import { connectClient, migrationWorkflowId, TemporalUnreachableError } from '../runtime/temporal';
import { describeWebUiLinks, webUiLinks } from './web-ui-links';
import { queryDeltaProgress, queryStatus, storeProgress } from './commands';
import { barRows, currentPhase, ProgressScreen, statusHeader } from './status-view';
import { latestVersionOwners } from '../review/owners-sheet';
import { describeFailure, migrationFailure, type MigrationFailure } from './failure-cause';
import { exportAuditLog } from './audit-export';
import { FINAL_PHASES, type Phase } from '../workflows/messages';
import type { WithStore } from './lifecycle-commands';

const id = () => new Option('-m, --migration-id <slug>', 'migration id (lower-case slug)').makeOptionMandatory();
const json = () => new Option('--json', 'print one JSON line instead of text');

/** `status`: phase, gate, per-object progress and report locations (Temporal and the store). */
export function registerStatusCommand(cli: Command, { withStore }: { withStore: WithStore }): void {
  cli
    .command('status')
    .description('phase, gate, per-object progress and report locations')
    .addOption(id())
    .option('--watch', 'keep redrawing in place until the migration ends: phase, gate and its command, pause, error, rate and ETA, tokens, bars')
    .addOption(new Option('--interval <seconds>', 'with --watch: seconds between redraws').default(2).argParser(positiveSeconds))
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
      // Where ops see it in the Web UI: this migration's latest run (its User Metadata tab), and the list of migrations.
      const webUiOf = async (id: string) => {
        const run = client
          ? await client.workflow
              .getHandle(migrationWorkflowId(id))
              .describe()
              .catch(() => undefined)
          : undefined;
        return webUiLinks(env, run ? { workflowId: run.workflowId, runId: run.runId } : undefined);
      };
      await withStore(env, async (pool) => {
        if (o.json) {
          const [status, progress] = [await query(o.migrationId), await storeProgress(pool, o.migrationId, env.PIPEDRIVE_BUDGET_RESET_TZ)];
          const delta = await deltaOf(o.migrationId, currentPhase(status, progress));
          const error = await failureOf(o.migrationId);
          const webUi = await webUiOf(o.migrationId);
          process.stdout.write(
            JSON.stringify({
              migrationId: o.migrationId,
              phase: currentPhase(status, progress),
              status,
              progress,
              ...(error ? { error } : {}),
              ...(delta ? { delta } : {}),
              ...(webUi ? { webUi } : {}),
            }) + '\n',
          );
          return;
        }
        // --watch redraws everything in place every --interval seconds: phase, gate and its command, pause, error, rate and ETA, tokens, bars.
        const screen = new ProgressScreen();
        const webUi = describeWebUiLinks(await webUiOf(o.migrationId));
        let watchedFailure: MigrationFailure | undefined;
        try {
          for (;;) {
            const status = await query(o.migrationId);
            const progress = await storeProgress(pool, o.migrationId, env.PIPEDRIVE_BUDGET_RESET_TZ);
            const delta = await deltaOf(o.migrationId, currentPhase(status, progress));
            const failure = await failureOf(o.migrationId);
            const header = statusHeader(o.migrationId, status, progress, delta, failure, { watch: Boolean(o.watch) });
            if (!o.watch) {
              console.log([...header, ...webUi].join('\n'));
              // The gate's owner counts are the proposal's: the latest version's Owners sheet, as imported since.
              const owners = status?.waitingFor === 'MAPPING_REVIEW' ? await latestVersionOwners(pool, o.migrationId) : undefined;
              if (owners) console.log(`  owners as of ${owners}`);
            }
            screen.update(
              o.watch
                ? [
                    ...header,
                    ...webUi.slice(0, 1),
                    `  (redrawn every ${o.interval} s, last at ${new Date().toISOString().slice(11, 19)} UTC; Ctrl-C to stop watching)`,
                  ]
                : [],
              barRows(progress),
            );
            const ended = FINAL_PHASES.includes(currentPhase(status, progress) as Phase);
            if (!o.watch || ended) {
              if (o.watch) watchedFailure = failure;
              break;
            }
            await new Promise((r) => setTimeout(r, o.interval * 1000));
          }
        } finally {
          screen.stop();
        }
        if (watchedFailure) console.log(`  ${describeFailure(watchedFailure)}`);
      });
    });
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.2) throw new InvalidArgumentError('a number of seconds, at least 0.2');
  return n;
}

/** `audit-log`: the audit log of every write, as CSV or JSON lines. */
export function registerAuditLogCommand(cli: Command, { withStore }: { withStore: WithStore }): void {
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
}
