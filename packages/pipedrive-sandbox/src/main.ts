/**
 * `npm run sandbox -- --port 8787 --plan growth --seats 5 --persist .data/sandbox.json --error-rate 0.05`
 * Parses flags, starts the sandbox, prints its URL, and saves on Ctrl-C. All behaviour lives in ./index.ts.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { startSandbox, type FaultOptions, type SandboxOptions, type SandboxUser } from './index';
import { SANDBOX_PLANS, SandboxConfigError, type SandboxPlan } from './options';

const log = pino({ name: 'pipedrive-sandbox', level: process.env.LOG_LEVEL ?? 'info' });

const integer =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
const rate = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
};
const latency = (value: string): number | [number, number] => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected milliseconds, e.g. 50, or a range, e.g. 20-200');
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
};
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const user = (value: string, previous: SandboxUser[] = []): SandboxUser[] => {
  const m = /^(.+?)\s*<([^>]+)>$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected "Full Name <email@domain>"');
  return [...previous, { name: m[1]!, email: m[2]! }];
};

const program = new Command()
  .name('sandbox')
  .description('Local Pipedrive emulator: rehearse a migration before touching a real account.')
  .option('--port <n>', 'port to listen on (0 = any free port)', integer(0), 8787)
  .option('--host <address>', 'address to listen on (anything but loopback needs --admin-token)', '127.0.0.1')
  .addOption(
    new Option('--admin-token <token>', 'token the /_sandbox/* admin API requires (Authorization: Bearer, or x-sandbox-admin-token)').env(
      'SANDBOX_ADMIN_TOKEN',
    ),
  )
  .addOption(new Option('--plan <plan>', 'Pipedrive plan (sets the daily budget multiplier and burst limit)').choices(SANDBOX_PLANS).default('growth'))
  .option('--seats <n>', 'seats on the plan (daily budget = 30,000 x multiplier x seats)', integer(1), 1)
  .option('--daily-token-budget <tokens>', 'override the daily token budget', integer(0))
  .option('--burst-limit <requests>', 'override the requests allowed per rolling 2 s', integer(1))
  .option('--search-burst-limit <requests>', 'search requests allowed per rolling 2 s', integer(1))
  .option('--day-length-ms <ms>', 'length of a budget "day" (default: calendar day, reset at midnight UTC)', integer(1))
  .option('--token <token>', 'accepted API token (repeatable; default "sandbox-token")', collect)
  .option('--persist <file>', 'save the account to this file and load it at start')
  .option('--seed <n>', 'seed for custom-field keys (same seed, same requests, same account)', integer(0))
  .option('--company-id <n>', 'the seeded company id (default 7301): another id plays another account behind the same URL', integer(1))
  .option('--user <"Name <email>">', 'add a user to the seeded account (repeatable)', user)
  .option('--users-file <file>', 'JSON array of {name, email} users to add')
  .option('--error-rate <0..1>', 'share of API requests answered 500/503', rate)
  .option('--latency-ms <ms|min-max>', 'latency added to every API request', latency)
  .option('--drop-connection-rate <0..1>', 'share of API requests whose connection is dropped', rate)
  .option('--lost-response-rate <0..1>', 'share of creates stored but never answered', rate)
  .option('--fault-seed <n>', 'seed that makes the fault sequence reproducible', integer(0))
  .option('--block-after-429s <n>', 'answer 403 (Cloudflare HTML) after this many consecutive 429s', integer(1))
  .option('--contact-sync', 'accept the contact-sync person fields (birthday, job_title, ...)')
  .option('--log-requests', 'log every API request (method, path, status, tokens)');

interface CliFlags {
  port: number;
  host: string;
  adminToken?: string;
  plan: SandboxPlan;
  seats: number;
  dailyTokenBudget?: number;
  burstLimit?: number;
  searchBurstLimit?: number;
  companyId?: number;
  dayLengthMs?: number;
  token?: string[];
  persist?: string;
  seed?: number;
  user?: SandboxUser[];
  usersFile?: string;
  errorRate?: number;
  latencyMs?: number | [number, number];
  dropConnectionRate?: number;
  lostResponseRate?: number;
  faultSeed?: number;
  blockAfter429s?: number;
  contactSync?: boolean;
  logRequests?: boolean;
}

async function main(): Promise<void> {
  const flags = program.parse().opts<CliFlags>();
  const faults: FaultOptions = {
    errorRate: flags.errorRate,
    latencyMs: flags.latencyMs,
    dropConnectionRate: flags.dropConnectionRate,
    lostResponseRate: flags.lostResponseRate,
    seed: flags.faultSeed,
  };
  const users = [...(flags.usersFile ? (JSON.parse(readFileSync(flags.usersFile, 'utf8')) as SandboxUser[]) : []), ...(flags.user ?? [])];
  const options: SandboxOptions = {
    port: flags.port,
    host: flags.host,
    adminToken: flags.adminToken,
    plan: flags.plan,
    seats: flags.seats,
    dailyTokenBudget: flags.dailyTokenBudget,
    burstLimit: flags.burstLimit,
    searchBurstLimit: flags.searchBurstLimit,
    dayLengthMs: flags.dayLengthMs,
    apiTokens: flags.token,
    persistFile: flags.persist,
    seed: flags.seed,
    companyId: flags.companyId,
    users,
    faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
    blockAfterConsecutive429s: flags.blockAfter429s,
    contactSync: flags.contactSync,
    onRequest: (entry) => {
      if (entry.error) log.error(entry, 'sandbox error');
      else if (flags.logRequests) log.info(entry, 'request');
    },
  };
  const sandbox = await startSandbox(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  log.info(
    {
      url: sandbox.url,
      plan: flags.plan,
      seats: flags.seats,
      persist: flags.persist ?? null,
      adminApi: flags.adminToken ? 'admin token required' : 'open (loopback only)',
    },
    'Pipedrive sandbox listening',
  );
  console.log(sandbox.url);

  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'could not save the sandbox state');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // A refused configuration is the operator's to fix: one plain line naming the setting, not a log record.
  if (error instanceof SandboxConfigError) {
    console.error(`sandbox: ${error.message}`);
    process.exit(1);
  }
  log.error({ err: error }, error instanceof Error ? error.message : 'sandbox failed to start');
  process.exit(1);
});
