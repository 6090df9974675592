import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Where the setup script caches the Temporal CLI it builds: once per machine, shared by every clone. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheRoot, 'dentrix-pipedrive', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/** The Temporal CLI binary: TEMPORAL_CLI_PATH when set, else the setup script's cached build. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEMPORAL_CLI_PATH || path.join(temporalCliCacheDir(env), 'temporal');
}

/** The project's data folder (dev server SQLite file, reports, sandbox state), ignored by git. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATA_DIR || path.resolve(__dirname, '..', '..', '.data');
}
