import path from 'node:path';
import { type Command, Option } from 'commander';
import { estimateFromExtract, formatPlanJson, formatPlanText, PIPEDRIVE_PLAN_NAMES, type PipedrivePlan } from '../plan';
import { loadEnv } from '../config';
import { parseBudgetReserve } from '../pipedrive/daily-budget';
import { createPool, ensureDatabase, migrateStore } from '../store/db';
import {
  describeReports,
  exportReports,
  formatBytes,
  isHtml,
  isText,
  openFile,
  reportsOf,
  storedReportFile,
  storedReportHtml,
  writeReportPage,
} from './report-files';
import { loadPracticeGenerator } from './dev-workspaces';

const PROFILES = ['demo', 'small', 'medium', 'large'];

/** `generate`, `plan` and `report`: commands that need no running workflow. */
export function registerExtraCommands(cli: Command): void {
  cli
    .command('generate')
    .description('write a synthetic Dentrix practice (deterministic per seed), dirt included, to a folder or a SQL mirror')
    .addOption(new Option('--profile <profile>').choices(PROFILES).default('small'))
    .option('--seed <n>', 'random seed', (v) => Number(v), 1)
    .option('--out <dir>', 'extract folder to write')
    .option('--sql <url>', 'PostgreSQL connection string of a SQL mirror to write instead')
    .option('--sql-schema <schema>', 'schema of the SQL mirror', 'admin')
    .option('--documents <dir>', 'SQL mirror: write the document files the rows describe under <dir>/documents/ (pass the same <dir> to start --documents)')
    .addOption(new Option('--date-format <format>').choices(['iso', 'us']).default('iso'))
    .option('--currency <code>', "the practice's ISO 4217 currency, e.g. CAD", 'USD')
    .option('--json', 'print one JSON line')
    .action(
      async (o: {
        profile: 'demo' | 'small' | 'medium' | 'large';
        seed: number;
        out?: string;
        sql?: string;
        sqlSchema: string;
        documents?: string;
        dateFormat: 'iso' | 'us';
        currency: string;
        json?: boolean;
      }) => {
        if (Boolean(o.out) === Boolean(o.sql)) throw new Error('give exactly one of --out <dir> or --sql <url>');
        if (!/^[A-Z]{3}$/u.test(o.currency)) throw new Error(`--currency "${o.currency}": give a 3-letter ISO 4217 code in capitals, e.g. CAD`);
        if (o.documents && o.out) throw new Error('--documents is for --sql: an extract folder keeps its files in <out>/documents/');
        const documentsDir = o.documents ? path.resolve(o.documents) : undefined;
        const { generatePractice, generatePracticeToSql } = await loadPracticeGenerator();
        const started = Date.now();
        const result = o.out
          ? await generatePractice({ profile: o.profile, seed: o.seed, outDir: path.resolve(o.out), dateFormat: o.dateFormat, currency: o.currency })
          : await generatePracticeToSql({
              profile: o.profile,
              seed: o.seed,
              connectionString: o.sql!,
              schema: o.sqlSchema,
              currency: o.currency,
              ...(documentsDir ? { documentsDir } : {}),
            });
        const rows = Object.values(result.manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
        const where = o.out ? path.resolve(o.out) : `${o.sqlSchema} schema`;
        if (o.json) {
          process.stdout.write(
            JSON.stringify({
              profile: o.profile,
              seed: o.seed,
              where,
              ...(documentsDir ? { documentsDir } : {}),
              rows,
              tables: result.manifest.tables,
              ms: Date.now() - started,
            }) + '\n',
          );
        } else {
          console.log(`Wrote ${result.manifest.practice.name} (${o.profile}, seed ${o.seed}): ${rows} rows in ${Date.now() - started} ms to ${where}.`);
          if (o.sql)
            console.log(
              documentsDir
                ? `Document files: ${path.join(documentsDir, 'documents')}`
                : 'Document files not written (only their rows): pass --documents <dir> to write them.',
            );
        }
      },
    );

  cli
    .command('plan')
    .description('estimate requests, tokens and days per phase for an extract on a Pipedrive plan')
    .option('--extract <dir>', 'Dentrix extract folder')
    .option('--sql <url>', 'Dentrix SQL mirror')
    .option('--sql-schema <schema>', 'schema of the SQL mirror', 'admin')
    .addOption(new Option('--plan <plan>').choices(PIPEDRIVE_PLAN_NAMES).default('growth'))
    .option('--seats <n>', 'Pipedrive seats', (v) => Number(v), 5)
    .option('--sample-size <n>', 'records in the sample run', (v) => Number(v), 250)
    .option('--batch-size <n>', "records per batch (the migration's batchSize option; default its default)", (v) => Number(v))
    .option('--sandbox', "a rehearsal on the sandbox: its fingerprint comes from its admin API, not from listing the account's records")
    .option(
      '--daily-budget <tokens>',
      'tokens per day when plan × seats is not the whole story (default: PIPEDRIVE_DAILY_TOKEN_BUDGET, else plan × seats)',
      (v) => Number(v),
    )
    .option('--reserve <reserve>', 'left unspent each day: 5% or 2000 tokens (default: PIPEDRIVE_BUDGET_RESERVE, 5%)')
    .option(
      '--migrations-on-account <n>',
      "migrations into the same Pipedrive company at once, this one included: they split its daily budget, so days count this one's part (default 1)",
    )
    .option('--detail', 'list every operation')
    .option('--json', 'print one JSON line')
    .action(
      async (o: {
        extract?: string;
        sql?: string;
        sqlSchema: string;
        plan: PipedrivePlan;
        seats: number;
        sampleSize: number;
        batchSize?: number;
        sandbox?: boolean;
        dailyBudget?: number;
        reserve?: string;
        migrationsOnAccount?: string;
        detail?: boolean;
        json?: boolean;
      }) => {
        if (Boolean(o.extract) === Boolean(o.sql)) throw new Error('give exactly one of --extract <dir> or --sql <url>');
        const env = loadEnv();
        const reserve = o.reserve === undefined ? env.PIPEDRIVE_BUDGET_RESERVE : parseBudgetReserve(o.reserve);
        if (!reserve) throw new Error(`--reserve: expected a percentage below 100 (e.g. 5%) or a whole number of tokens, got "${o.reserve}"`);
        const dailyTokenBudget = o.dailyBudget ?? env.PIPEDRIVE_DAILY_TOKEN_BUDGET;
        if (dailyTokenBudget !== undefined && !(Number.isInteger(dailyTokenBudget) && dailyTokenBudget > 0)) {
          throw new Error(`--daily-budget: expected a whole number of tokens above 0, got "${String(o.dailyBudget)}"`);
        }
        const migrationsOnAccount = o.migrationsOnAccount === undefined ? undefined : Number(o.migrationsOnAccount);
        if (migrationsOnAccount !== undefined && !(Number.isInteger(migrationsOnAccount) && migrationsOnAccount >= 1)) {
          throw new Error(`--migrations-on-account: expected a whole number of at least 1 (this migration included), got "${o.migrationsOnAccount}"`);
        }
        const source = o.extract
          ? { kind: 'folder' as const, path: path.resolve(o.extract) }
          : { kind: 'sql' as const, connectionString: o.sql!, schema: o.sqlSchema };
        const estimate = await estimateFromExtract(source, {
          plan: o.plan,
          seats: o.seats,
          sampleSize: o.sampleSize,
          reserve,
          dailyTokenBudget,
          ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
          ...(migrationsOnAccount === undefined ? {} : { migrationsOnAccount }),
          fingerprint: o.sandbox ? 'sandbox' : 'api',
        });
        process.stdout.write(o.json ? formatPlanJson(estimate).trim() + '\n' : formatPlanText(estimate, { detail: o.detail }) + '\n');
      },
    );

  cli
    .command('report')
    .description(
      "list a migration's reports (data quality, map, sample diff, verification, reconciliation...), print or open one, or export them, from the store",
    )
    .requiredOption('-m, --migration-id <slug>')
    .option('--kind <kind>', 'print this report (e.g. data-quality, sample-diff, verification, reconciliation, mapping-workbook)')
    .option('--file <name>', 'with --kind: print this file of the report instead of its main one (e.g. verification.html)')
    .option('--html', "with --kind: print the report's HTML page (data-quality, sample-diff, verification)")
    .option(
      '--open',
      "with --kind: write the report's HTML page to a file (under the system's temp folder, or --out) and open it with xdg-open, else print its path",
    )
    .option(
      '--out <dir>',
      "write the report's files (with --kind) or every report's files to this folder instead of printing; with --open, where the page goes",
    )
    .option('--json', 'print one JSON line (the list, the files --out wrote, or the page --open wrote)')
    .action(async (o: { migrationId: string; kind?: string; file?: string; html?: boolean; open?: boolean; out?: string; json?: boolean }) => {
      if (o.file && !o.kind) throw new Error('--file needs --kind: the report whose file to print');
      if ((o.html || o.open) && !o.kind)
        throw new Error(
          `--${o.html ? 'html' : 'open'} needs --kind: the report whose page to ${o.html ? 'print' : 'open'} (data-quality, sample-diff, verification)`,
        );
      if (o.file && (o.html || o.open)) throw new Error('give --file or --html/--open, not both');
      const env = loadEnv();
      await ensureDatabase(env.DATABASE_URL);
      await migrateStore(env.DATABASE_URL);
      const pool = createPool(env.DATABASE_URL, { max: 1 });
      try {
        if (o.open) {
          const page = await storedReportHtml(pool, o.migrationId, o.kind!);
          const written = await writeReportPage(page, o.migrationId, o.out ? path.resolve(o.out) : undefined);
          const opened = openFile(written);
          if (o.json) process.stdout.write(JSON.stringify({ migrationId: o.migrationId, kind: o.kind, path: written, opened }) + '\n');
          else console.log(opened ? `Opened ${written}` : `Wrote ${written} (no xdg-open on this machine: open it in a browser)`);
          return;
        }
        if (o.out) {
          const out = path.resolve(o.out);
          const files = await exportReports(pool, o.migrationId, out, o.kind);
          if (o.json) {
            process.stdout.write(JSON.stringify({ migrationId: o.migrationId, out, files }) + '\n');
            return;
          }
          for (const f of files) console.log(`${f.kind.padEnd(18)} ${f.path}  ${formatBytes(f.bytes)}`);
          return;
        }
        if (o.kind) {
          const file = o.html ? await storedReportHtml(pool, o.migrationId, o.kind) : await storedReportFile(pool, o.migrationId, o.kind, o.file);
          if (!isText(file.contentType) && process.stdout.isTTY) {
            throw new Error(`${file.name} is ${file.contentType}: write it with --out <dir> (or redirect the output to a file)`);
          }
          if (!o.html && !o.file && process.stdout.isTTY && (await hasHtmlPage(pool, o.migrationId, o.kind))) {
            console.error(`(${file.name}; its HTML page: add --open to see it in a browser, or --html to print it)`);
          }
          // The stored bytes as they are (JSON reports are already JSON, whatever --json says).
          process.stdout.write(file.content);
          return;
        }
        const reports = await reportsOf(pool, o.migrationId);
        if (o.json) {
          process.stdout.write(JSON.stringify({ migrationId: o.migrationId, reports }) + '\n');
          return;
        }
        for (const line of describeReports(o.migrationId, reports)) console.log(line);
      } finally {
        await pool.end();
      }
    });
}

async function hasHtmlPage(pool: Parameters<typeof reportsOf>[0], migrationId: string, kind: string): Promise<boolean> {
  return (await reportsOf(pool, migrationId)).some((r) => r.kind === kind && r.files.some(isHtml));
}
