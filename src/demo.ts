// Composition root of `npm run demo`: parses flags, then runs the demo migration (src/cli/demo.ts).
import { Command } from 'commander';
import { BUNDLED_EXTRACT, runDemo } from './cli/demo';

const o = new Command('demo')
  .description('a whole Dentrix → Pipedrive migration of the bundled sample practice, on embedded defaults')
  .option('--json', 'end with one JSON line: phase, per-object counts, reports, fingerprints')
  .option('--rollback', 'roll the demo migration back and prove the account is back to its pre-migration state')
  .option('--extract <dir>', 'a Dentrix extract folder instead of the bundled sample', BUNDLED_EXTRACT)
  .option('--migration-id <slug>', 'migration id', 'demo')
  .option('--sandbox-port <n>', 'port of the Pipedrive sandbox', (v) => Number(v), 8787)
  .option('--keep-running', 'keep Temporal, the worker and the sandbox up afterwards (to look around in the Web UI)')
  .parse(process.argv)
  .opts<{ json?: boolean; rollback?: boolean; extract: string; migrationId: string; sandboxPort: number; keepRunning?: boolean }>();

runDemo({
  json: Boolean(o.json),
  rollback: Boolean(o.rollback),
  extract: o.extract,
  migrationId: o.migrationId,
  sandboxPort: o.sandboxPort,
  keepRunning: Boolean(o.keepRunning),
})
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
