/**
 * Runs every bench/*.bench.ts in turn, each in its own process so one bench's heap never shows in another's memory
 * figures, printing their output as it comes. Each gets this process's Node flags: `npm run bench` gives them the
 * worker's (package.json), so the throughput bench's in-process worker runs as `npm run worker` does. Exits non-zero when any bench fails (the others still run).
 *
 *   npm run bench                          every bench, each at its default sizes (extract-read: small and large)
 *   npm run bench -- --quick               extract-read on the small profile only (minutes, not tens of minutes)
 *   npm run bench -- extract-read load     only the benches whose file name contains one of the words
 *   npm run bench -- --list                the benches it would run, without running them
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const BENCH_DIR = __dirname;
const SUFFIX = '.bench.ts';

/** Extra arguments a bench gets under --quick (benches without a size option run as they are). */
const QUICK_ARGS: Record<string, readonly string[]> = { 'extract-read': ['--profile', 'small'] };

const USAGE = `usage: npm run bench -- [--quick] [--list] [name ...]

  name      run only the benches whose file name contains it (e.g. extract-read, load, proposer)
  --quick   smaller sizes where a bench has a size option (${Object.entries(QUICK_ARGS)
    .map(([bench, args]) => `${bench}: ${args.join(' ')}`)
    .join('; ')})
  --list    print the benches that would run and exit
  --help    this text`;

interface Options {
  quick: boolean;
  list: boolean;
  filters: string[];
}

function parseArgs(argv: readonly string[]): Options | string {
  const options: Options = { quick: false, list: false, filters: [] };
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--list') options.list = true;
    else if (arg === '--help' || arg === '-h') return USAGE;
    else if (arg.startsWith('-')) return `unknown option ${arg}\n\n${USAGE}`;
    else options.filters.push(arg);
  }
  return options;
}

function benchNames(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

/** One bench in a child process of the same Node with the same loader flags (tsx); resolves to its exit code. */
function runBench(name: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, path.join(BENCH_DIR, `${name}${SUFFIX}`), ...args], {
      stdio: 'inherit',
    });
    child.once('error', (err) => {
      console.error(`${name}: could not start: ${err.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    const isHelp = options === USAGE;
    (isHelp ? console.log : console.error)(options);
    return isHelp ? 0 : 2;
  }
  const all = benchNames();
  const selected = options.filters.length === 0 ? all : all.filter((name) => options.filters.some((f) => name.includes(f)));
  if (selected.length === 0) {
    console.error(`no bench matches ${options.filters.join(', ')}; there are: ${all.join(', ')}`);
    return 2;
  }
  const plan = selected.map((name) => ({ name, args: options.quick ? (QUICK_ARGS[name] ?? []) : [] }));
  if (options.list) {
    for (const { name, args } of plan) console.log(['node', ...process.execArgv, `bench/${name}${SUFFIX}`, ...args].join(' '));
    return 0;
  }

  const outcomes: { name: string; code: number; seconds: number }[] = [];
  for (const { name, args } of plan) {
    console.log(`\n=== ${name}${args.length > 0 ? ` ${args.join(' ')}` : ''} ===\n`);
    const started = Date.now();
    const code = await runBench(name, args);
    outcomes.push({ name, code, seconds: (Date.now() - started) / 1000 });
  }

  console.log('\n=== summary ===');
  for (const { name, code, seconds } of outcomes) {
    console.log(`${code === 0 ? 'ok    ' : 'FAILED'} ${name.padEnd(16)} ${seconds.toFixed(1).padStart(8)} s${code === 0 ? '' : `  (exit ${code})`}`);
  }
  return outcomes.some((o) => o.code !== 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
