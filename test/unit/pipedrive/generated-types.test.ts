import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const COMMITTED = path.join(REPO, 'packages', 'pipedrive-spec', 'generated');

describe('Pipedrive types generated from the pinned specs', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-types-'));
  });
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('regenerating yields the committed files byte for byte (regenerate with npm run gen:types)', () => {
    // The script itself, as `npm run gen:types` runs it, into a temp folder (~4 s).
    const run = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), ['packages/pipedrive-spec/scripts/gen-pipedrive-types.ts', outDir], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
    expect(fs.readdirSync(outDir).sort()).toEqual(fs.readdirSync(COMMITTED).sort());
    for (const file of ['v1.ts', 'v2.ts']) {
      const fresh = fs.readFileSync(path.join(outDir, file));
      const committed = fs.readFileSync(path.join(COMMITTED, file));
      // Compare bytes; on a mismatch name the file rather than print 20,000 lines.
      expect({ file, same: fresh.equals(committed) }).toEqual({ file, same: true });
    }
  });
});
