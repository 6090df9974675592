/**
 * How fast the product's folder reader reads an extract, and how much memory it needs, against a plain csv-parse
 * streaming pass over the same files (the floor: parsing without decoding, coercion, checks). Prints; asserts nothing.
 *
 *   npx tsx bench/extract-read.bench.ts                     small and large profiles (≈200 k and ≈2 M rows)
 *   npx tsx bench/extract-read.bench.ts --profile large     one profile
 *   npx tsx bench/extract-read.bench.ts --profiles medium,large
 *
 * Practices are generated once and cached under .data/bench/. Each measurement runs in its own process so one
 * pass's heap does not inflate the next one's peak; memory is sampled every 20 ms.
 */
import { fork } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { openExtract } from '../src/dentrix';
import { generatePractice, type PracticeProfile } from '@dentrix-pipedrive/practice-generator';

const SEED = 20261120;
const CACHE = path.join(__dirname, '..', '.data', 'bench');

interface Measurement {
  rows: number;
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
}

type Pass = 'baseline' | 'reader';

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function ensurePractice(profile: PracticeProfile): Promise<string> {
  const dir = path.join(CACHE, `${profile}-seed${SEED}`);
  // manifest.json is written last: its presence means a complete earlier generation.
  if (existsSync(path.join(dir, 'manifest.json'))) return dir;
  const started = Date.now();
  process.stdout.write(`generating the ${profile} practice into ${path.relative(process.cwd(), dir)} ... `);
  const { truth } = await generatePractice({ profile, seed: SEED, outDir: dir });
  const rows = Object.values(truth.tables).reduce((sum, t) => sum + (t?.rows ?? 0), 0);
  console.log(`${rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

/** Runs in a child process: one pass over the extract, with memory sampled throughout. */
async function measure(pass: Pass, dir: string): Promise<Measurement> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const started = process.hrtime.bigint();
  let rows = 0;
  if (pass === 'baseline') {
    const files = (await readdir(dir)).filter((name) => name.endsWith('.csv'));
    for (const file of files) {
      const parser = createReadStream(path.join(dir, file)).pipe(parse({ bom: true, relax_column_count: true, from_line: 2 }));
      for await (const _record of parser) rows += 1;
    }
  } else {
    const reader = await openExtract({ kind: 'folder', path: dir });
    for (const table of await reader.tables()) {
      for await (const _result of reader.readTable(table)) rows += 1;
    }
    await reader.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sample();
  return { rows, seconds, peakRssMb: peakRss / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20 };
}

function runInChild(pass: Pass, dir: string): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--worker', pass, '--dir', dir], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => resolve(message as Measurement));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${pass} pass exited with code ${code}`));
    });
  });
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const worker = argValue('--worker') as Pass | undefined;
  if (worker) {
    const result = await measure(worker, argValue('--dir')!);
    process.send!(result);
    return;
  }
  const profiles = (argValue('--profile') ?? argValue('--profiles') ?? 'small,large').split(',') as PracticeProfile[];
  const results: { profile: PracticeProfile; baseline: Measurement; reader: Measurement }[] = [];
  for (const profile of profiles) {
    const dir = await ensurePractice(profile);
    const baseline = await runInChild('baseline', dir);
    const reader = await runInChild('reader', dir);
    results.push({ profile, baseline, reader });
  }

  console.log('\nExtract folder read: product reader vs plain csv-parse stream (same files, same run)\n');
  console.log(
    [
      'profile',
      'rows',
      'csv-parse rows/s',
      'reader rows/s',
      'speed ratio',
      'csv-parse peak RSS',
      'reader peak RSS',
      'RSS ratio',
      'csv-parse peak heap',
      'reader peak heap',
    ]
      .map((h) => h.padStart(14))
      .join(' '),
  );
  for (const { profile, baseline, reader } of results) {
    console.log(
      [
        profile,
        fmt(reader.rows),
        fmt(baseline.rows / baseline.seconds),
        fmt(reader.rows / reader.seconds),
        `${fmt(reader.rows / reader.seconds / (baseline.rows / baseline.seconds), 2)}×`,
        `${fmt(baseline.peakRssMb)} MB`,
        `${fmt(reader.peakRssMb)} MB`,
        `${fmt(reader.peakRssMb / baseline.peakRssMb, 2)}×`,
        `${fmt(baseline.peakHeapMb)} MB`,
        `${fmt(reader.peakHeapMb)} MB`,
      ]
        .map((cell) => cell.padStart(14))
        .join(' '),
    );
  }
  if (results.length > 1) {
    const first = results[0]!;
    const last = results[results.length - 1]!;
    console.log(
      `\n${last.profile} has ${fmt(last.reader.rows / first.reader.rows, 1)}× the rows of ${first.profile}; ` +
        `the reader's peak RSS grew ${fmt(last.reader.peakRssMb / first.reader.peakRssMb, 2)}× and its peak heap ${fmt(last.reader.peakHeapMb / first.reader.peakHeapMb, 2)}×.`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
