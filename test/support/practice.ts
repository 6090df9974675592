import fs from 'node:fs';
import path from 'node:path';
import { providerUsers } from '../../src/cli/demo';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createHarness, type Harness } from './harness';
import { PRACTICE_CACHE_ENV } from './run-folders';

/**
 * A generated practice folder (the `demo` profile unless told) under `dir`. Generating one takes seconds of CPU and
 * many files use the same one: each profile and seed is generated once per jest run (into the global setup's folder)
 * and copied from there; without that folder, generated here.
 */
export async function generatedPractice(dir: string, seed = 42, profile: 'demo' | 'small' = 'demo'): Promise<string> {
  const name = `practice-${profile}-${seed}`;
  const outDir = path.join(dir, name);
  if (fs.existsSync(path.join(outDir, 'manifest.json'))) return outDir;
  const cache = process.env[PRACTICE_CACHE_ENV];
  if (!cache || !fs.existsSync(cache)) {
    await generatePractice({ profile, seed, outDir });
    return outDir;
  }
  const cached = path.join(cache, name);
  if (!fs.existsSync(path.join(cached, 'manifest.json'))) {
    // Generated aside, then renamed into place: a file generating the same practice at the same time is harmless.
    const aside = fs.mkdtempSync(path.join(cache, `${name}.generating-`));
    await generatePractice({ profile, seed, outDir: path.join(aside, name) });
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
export async function sandboxFor(extractDir: string, options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, plan: 'ultimate', seats: 10, burstLimit: 2000, users: await providerUsers(extractDir), ...options });
}

/** What most end-to-end files need: a harness with a running worker, a generated practice, a sandbox seeded for it. */
export interface PracticeWorld {
  h: Harness;
  sandbox: RunningSandbox;
  extract: string;
}

/**
 * Sets the world up in `beforeAll` and tears it down in `afterAll` of the calling describe block; read its fields
 * inside tests (they are filled in before the first one runs).
 */
export function usePracticeWorld(options: { sandbox?: SandboxOptions } = {}): PracticeWorld {
  const world = {} as PracticeWorld;
  beforeAll(async () => {
    world.h = await createHarness();
    world.extract = await generatedPractice(world.h.dataDir);
    world.sandbox = await sandboxFor(world.extract, options.sandbox);
    await world.h.startWorker();
  });
  afterAll(async () => {
    await world.h?.close();
    await world.sandbox?.close();
  });
  return world;
}
