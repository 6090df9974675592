import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities, type Activities } from '../../src/activities';
import { providerUsers } from '../../src/cli/demo';
import { loadEnv } from '../../src/config';
import type { ExtractSourceSpec } from '../../src/dentrix';
import { createLogger } from '../../src/logging';
import { activityDeps } from '../../src/runtime/worker';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '@dentrix-pipedrive/pipedrive-sandbox';
import { activityRunner, prepareMigration } from './activities';
import { createTestDatabase, type TestDatabase } from './db';
import { createHarness, type Harness } from './harness';
import { PRACTICE_CACHE_ENV } from './run-folders';

/**
 * Patients of the compact practice: the demo profile with fewer patients (about 540 records instead of 2,000). The
 * end-to-end files whose invariants do not depend on a practice's size run on it: a whole migration of it takes a
 * fraction of the demo's time, and the suite has a time budget (README, Tests). 35 is about the least that still has
 * a probable duplicate pair to merge, enough persons for 16 batches at once and SSNs to look for.
 */
export const COMPACT_PATIENTS = 35;

/**
 * A generated practice folder (the `demo` profile unless told; `patients` overrides its patient count) under `dir`.
 * Generating one takes seconds of CPU and many files use the same one: each profile, seed and size is generated once
 * per jest run (into the global setup's folder) and copied from there; without that folder, generated here.
 */
export async function generatedPractice(dir: string, seed = 42, profile: 'demo' | 'small' = 'demo', patients?: number): Promise<string> {
  const name = `practice-${profile}-${seed}${patients === undefined ? '' : `-${patients}p`}`;
  const outDir = path.join(dir, name);
  if (fs.existsSync(path.join(outDir, 'manifest.json'))) return outDir;
  const cache = process.env[PRACTICE_CACHE_ENV];
  if (!cache || !fs.existsSync(cache)) {
    await generatePractice({ profile, seed, outDir, ...(patients === undefined ? {} : { patients }) });
    return outDir;
  }
  const cached = path.join(cache, name);
  if (!fs.existsSync(path.join(cached, 'manifest.json'))) {
    // Generated aside, then renamed into place: a file generating the same practice at the same time is harmless.
    const aside = fs.mkdtempSync(path.join(cache, `${name}.generating-`));
    await generatePractice({ profile, seed, outDir: path.join(aside, name), ...(patients === undefined ? {} : { patients }) });
    try {
      fs.renameSync(path.join(aside, name), cached);
    } catch {
      // another file's copy got there first
    }
    fs.rmSync(aside, { recursive: true, force: true });
  }
  fs.cpSync(cached, outDir, { recursive: true });
  return outDir;
}

/** A sandbox seeded with the practice's providers as users; generous limits unless the test is about limits. */
export async function sandboxFor(extract: string | ExtractSourceSpec, options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, plan: 'ultimate', seats: 10, burstLimit: 2000, users: await providerUsers(extract), ...options });
}

/** What most end-to-end files need: a harness with a running worker, a generated practice, a sandbox seeded for it. */
export interface PracticeWorld {
  h: Harness;
  sandbox: RunningSandbox;
  extract: string;
}

/**
 * Sets the world up in `beforeAll` and tears it down in `afterAll` of the calling describe block; read its fields
 * inside tests (they are filled in before the first one runs). The demo practice unless `patients` says how many.
 */
export function usePracticeWorld(options: { sandbox?: SandboxOptions; patients?: number } = {}): PracticeWorld {
  const world = {} as PracticeWorld;
  beforeAll(async () => {
    world.h = await createHarness();
    world.extract = await generatedPractice(world.h.dataDir, 42, 'demo', options.patients);
    world.sandbox = await sandboxFor(world.extract, options.sandbox);
    await world.h.startWorker();
  });
  afterAll(async () => {
    await world.h?.close();
    await world.sandbox?.close();
  });
  return world;
}

/** What the activity-level integration files need: a test database, a generated practice, its sandbox, the activities. */
export interface ActivityWorld {
  migrationId: string;
  db: TestDatabase;
  dataDir: string;
  extract: string;
  sandbox: RunningSandbox;
  /** The real activities (createActivities over the worker's dependencies) on the test database and the data folder. */
  acts: Activities;
  /** Runs an activity in a mock activity context, as the worker would. */
  run: ReturnType<typeof activityRunner>;
}

/**
 * Sets up, in `beforeAll` of the calling describe block (before its own `beforeAll`), a migration run activity by
 * activity without Temporal: a test database, a generated practice (the demo practice unless `patients` says how
 * many; `editExtract` changes its files first), a sandbox seeded for it, the activities, and the migration taken
 * through EXTRACT, the map (all PHI approved) and SCHEMA, or through what `prepare` does instead. `afterAll` removes
 * it all. Read its fields inside hooks and tests.
 */
export function useActivityWorld(options: {
  migrationId: string;
  patients?: number;
  editExtract?: (extract: string) => Promise<void>;
  prepare?: (world: ActivityWorld) => Promise<void>;
}): ActivityWorld {
  const world = { migrationId: options.migrationId, run: activityRunner() } as ActivityWorld;
  beforeAll(async () => {
    world.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `dtx2pd-${options.migrationId}-`));
    world.db = await createTestDatabase();
    world.extract = await generatedPractice(world.dataDir, 42, 'demo', options.patients);
    await options.editExtract?.(world.extract);
    world.sandbox = await sandboxFor(world.extract);
    const config = loadEnv({ DATABASE_URL: world.db.url, DATA_DIR: world.dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '1000' });
    world.acts = createActivities(activityDeps(config, world.db.pool, createLogger('silent')));
    if (options.prepare) await options.prepare(world);
    else await prepareMigration(world.db.pool, world.acts, world.migrationId, world.extract, world.sandbox.url);
  });
  afterAll(async () => {
    await world.sandbox?.close();
    await world.db?.drop();
    if (world.dataDir) fs.rmSync(world.dataDir, { recursive: true, force: true });
  });
  return world;
}
