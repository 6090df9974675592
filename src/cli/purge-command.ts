/**
 * `purge`: deletes a migration's staged PHI from the store (store/purge.ts) once no workflow needs it, and records
 * who did it in the audit log. The workflow purges on its own after a full rollback (and at cutover); this is the
 * operator's way to do it for a migration that failed, or again.
 */
import os from 'node:os';
import { type Command, Option } from 'commander';
import type { Pool } from 'pg';
import { reconciledFields } from '../activities/reconciliation';
import { PURGEABLE_PHASES, purgeStagedPhiRows, type PurgeCounts } from '../store/purge';
import { getRun } from '../store/runs';

export class PurgeRefusedError extends Error {
  constructor(
    readonly migrationId: string,
    readonly phase: string,
  ) {
    super(
      `migration ${migrationId} is in phase ${phase}: its workflow may still read the staged extract. ` +
        `Purge after ${PURGEABLE_PHASES.join(', ')}, or pass --force to purge anyway (a later phase may then fail or re-read the source)`,
    );
    this.name = 'PurgeRefusedError';
  }
}

export interface PurgeOutcome extends PurgeCounts {
  migrationId: string;
  phase: string;
  forced: boolean;
}

/** Purges one migration's staged PHI; refuses (PurgeRefusedError) while its phase needs staging, unless forced. */
export async function purgeMigration(
  pool: Pool,
  migrationId: string,
  opts: { by: string; force?: boolean; reason?: string; reports?: boolean },
): Promise<PurgeOutcome> {
  const run = await getRun(pool, migrationId);
  const needsStaging = !PURGEABLE_PHASES.includes(run.phase);
  if (needsStaging && !opts.force) throw new PurgeRefusedError(migrationId, run.phase);
  const counts = await purgeStagedPhiRows(pool, migrationId, {
    by: opts.by,
    reason: opts.reason ?? `operator purge in phase ${run.phase}${needsStaging ? ' (forced)' : ''}`,
    keepDiffFields: reconciledFields(),
    reportsWithValues: Boolean(opts.reports),
  });
  return { migrationId, phase: run.phase, forced: needsStaging, ...counts };
}

export interface PurgeCommandDeps {
  /** Runs fn with a pool on the migration store (the starter's withStore). */
  withStore<T>(fn: (pool: Pool) => Promise<T>): Promise<T>;
  print?: (line: string) => void;
}

export function registerPurgeCommand(cli: Command, deps: PurgeCommandDeps): void {
  const print = deps.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  cli
    .command('purge')
    .description("delete a migration's staged PHI from the store (after DONE, ROLLED_BACK or FAILED); ids, counts, ledger and audit log stay")
    .addOption(new Option('-m, --migration-id <slug>', 'migration id').makeOptionMandatory())
    .option('--by <name>', 'who purges (kept in the audit log)', defaultOperator())
    .option('--reason <text>', 'why (kept in the audit log)')
    .option('--force', 'purge even though the migration is in a phase that reads the staged extract')
    .option('--reports', 'also delete the stored reports that quote source values (sample diff, verification, workbook): at the end of their retention')
    .option('--json', 'print one JSON line')
    .action(async (o: { migrationId: string; by: string; reason?: string; force?: boolean; reports?: boolean; json?: boolean }) => {
      const outcome = await deps.withStore((pool) =>
        purgeMigration(pool, o.migrationId, { by: o.by, force: Boolean(o.force), reason: o.reason, reports: Boolean(o.reports) }),
      );
      if (o.json) {
        print(JSON.stringify(outcome));
        return;
      }
      print(
        `Purged the staged PHI of migration ${outcome.migrationId} (phase ${outcome.phase}${outcome.forced ? ', forced' : ''}): ` +
          `${outcome.stagedRows} staged rows reduced to their ids, ${outcome.fieldDiffs} field diffs cleared` +
          `${outcome.hashKeys ? ', the SSN hash key deleted' : ''}${outcome.reportFiles ? `, ${outcome.reportFiles} stored report files with source values deleted` : ''}. Recorded in the audit log as done by ${o.by}.`,
      );
    });
}

function defaultOperator(): string {
  try {
    return os.userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}
