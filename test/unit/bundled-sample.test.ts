import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('the bundled demo extract', () => {
  it('is exactly what the generator writes for the demo profile, seed 42', async () => {
    const bundled = path.resolve(__dirname, '../../samples/demo-practice');
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-practice-'));
    try {
      await generatePractice({ profile: 'demo', seed: 42, outDir: path.join(fresh, 'out') });
      const generated = path.join(fresh, 'out');
      expect(filesUnder(bundled)).toEqual(filesUnder(generated));
      for (const f of filesUnder(generated)) expect({ f, hash: digest(path.join(bundled, f)) }).toEqual({ f, hash: digest(path.join(generated, f)) });
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});
