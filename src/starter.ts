// Composition root of the operator CLI: parses commands, wires configuration, the store and the Temporal client.
import path from 'node:path';
import { Command } from 'commander';
import { loadEnv, type Env } from './config';
import { createPool, ensureDatabase, migrateStore } from './store/db';
import { registerExtraCommands } from './cli/extra-commands';
import { registerLifecycleCommands, registerStartCommand } from './cli/lifecycle-commands';
import { registerAuditLogCommand, registerStatusCommand } from './cli/status-commands';
import { registerMapCommands } from './cli/map-commands';
import { tellMigrationOfImport } from './cli/map-notify';
import { registerPurgeCommand } from './cli/purge-command';
import { dataDir } from './devserver/paths';
import { packageVersion } from './cli/version';
import { resolveStoreUrl } from './store/embedded';

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
  // In the order `--help` lists them.
  registerStartCommand(cli, { withStore });
  registerStatusCommand(cli, { withStore });
  registerLifecycleCommands(cli, { withStore });
  registerAuditLogCommand(cli, { withStore });
  registerExtraCommands(cli);
  registerMapCommands(cli, {
    withStore: (fn) => withStore(loadEnv(), fn),
    reportDir: (migrationId) => path.join(loadEnv().DATA_DIR ?? dataDir(), 'migrations', migrationId),
    tellMigration: tellMigrationOfImport,
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
