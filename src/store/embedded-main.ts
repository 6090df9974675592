// `npm run db -- start|stop|status|url`: the embedded PostgreSQL under <DATA_DIR>/postgres (src/store/embedded.ts).
import { Command } from 'commander';
import { redactedUrl } from './db';
import { embeddedRoot, embeddedStatus, resolveDatabase, stopEmbeddedPostgres } from './embedded';

function root(): string {
  return embeddedRoot(process.env.DATA_DIR);
}

const cli = new Command('db').description('the embedded PostgreSQL the store uses when DATABASE_URL is "embedded" or unset with nothing on 127.0.0.1:5432');

cli
  .command('start')
  .description('start it (initialised on first use) and leave it running for the worker and the CLI')
  .action(async () => {
    const db = await resolveDatabase({ DATABASE_URL: 'embedded', DATA_DIR: process.env.DATA_DIR }, { leaveRunning: true, log: (l) => console.log(l) });
    console.log(db.description);
  });

cli
  .command('stop')
  .description('stop it (connected clients are disconnected)')
  .action(async () => {
    const r = await stopEmbeddedPostgres(root());
    console.log(r.outcome === 'stopped' ? `Stopped the embedded PostgreSQL in ${root()}.` : `The embedded PostgreSQL in ${root()} is not running.`);
  });

cli
  .command('status')
  .description('whether it runs, where, on which port')
  .option('--json', 'one JSON line (the URL with its password masked)')
  .action(async (o: { json?: boolean }) => {
    const s = await embeddedStatus(root());
    const shown = { ...s, url: s.url ? redactedUrl(s.url) : undefined };
    if (o.json) console.log(JSON.stringify(shown));
    else if (s.running) console.log(`running: pid ${s.pid}, 127.0.0.1:${s.port}, ${shown.url}, data in ${s.root}`);
    else console.log(`not running (${s.initialised ? 'initialised' : 'not initialised yet'}; data in ${s.root})`);
    process.exitCode = s.running ? 0 : 3;
  });

cli
  .command('url')
  .description('print its connection string, password included (e.g. psql "$(npm run -s db -- url)")')
  .action(async () => {
    const s = await embeddedStatus(root());
    if (!s.url) throw new Error(`the embedded PostgreSQL in ${root()} is not running (npm run db -- start)`);
    console.log(s.url);
  });

cli.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`db: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
