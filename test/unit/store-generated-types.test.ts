import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const COMMITTED = path.join(REPO, 'src', 'store', 'generated', 'db.ts');

describe('store table types generated from the migrations', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-types-'));
  });
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('regenerating yields the committed file byte for byte (regenerate with npm run gen:store-types)', () => {
    // The script itself, as `npm run gen:store-types` runs it: a scratch database on the tests' PostgreSQL, every
    // migration applied, kysely-codegen into a temp file (~5 s).
    const out = path.join(outDir, 'db.ts');
    const run = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), ['scripts/gen-store-types.ts', out], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    // What the script said when it failed (a status alone says nothing about why).
    expect(run.status === 0 ? 'exit 0' : `exit ${run.status}: ${run.error?.message ?? ''} ${run.stderr}`).toBe('exit 0');
    expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(COMMITTED, 'utf8'));
  });
});
