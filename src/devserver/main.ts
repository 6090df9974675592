// `npm run temporal`: the local Temporal dev server (CLI v1.5.1 from the setup script's cache), with the product's
// search attributes registered, state kept in .data/temporal.db and the Web UI on :8233.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { startDevServer } from './dev-server';
import { dataDir } from './paths';

async function main(): Promise<void> {
  const o = new Command('temporal')
    .option('--port <n>', 'gRPC port', (v) => Number(v), 7233)
    .option('--ui-port <n>', 'Web UI port', (v) => Number(v), 8233)
    .option('--db <file>', 'SQLite file', path.join(dataDir(), 'temporal.db'))
    .parse(process.argv)
    .opts<{ port: number; uiPort: number; db: string }>();
  // A fresh clone has no data folder yet: make it (owner-only, like the reports it will hold) before the log goes there.
  fs.mkdirSync(dataDir(), { recursive: true, mode: 0o700 });
  const server = await startDevServer({ port: o.port, uiPort: o.uiPort, dbFile: o.db, logFile: path.join(dataDir(), 'temporal.log') });
  console.log(`Temporal dev server on ${server.address}; Web UI ${server.uiUrl}; state in ${o.db}. Ctrl-C stops it.`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
