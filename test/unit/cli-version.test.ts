import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

describe('the installable CLI (bin: dentrix-pipedrive)', () => {
  it('is declared in package.json and points at an executable shim', () => {
    const shim = path.join(REPO, pkg.bin['dentrix-pipedrive']!);
    expect(fs.readFileSync(shim, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(shim).mode & 0o111).not.toBe(0);
  });

  it('prints the package version with --version, and nothing else', () => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin/dentrix-pipedrive.js'), '--version'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.stderr).toBe('');
  }, 30_000);

  it('runs from any folder and names itself in its help', () => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin/dentrix-pipedrive.js'), '--help'], { cwd: '/', encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dentrix-pipedrive \[options\] \[command\]/);
    expect(r.stdout).toContain('-V, --version');
  }, 30_000);

  it('through npm, `npm run -s starter -- …` prints only what the CLI prints (no npm banner to break --json)', () => {
    const r = spawnSync('npm', ['run', '-s', 'starter', '--', '--version'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  }, 60_000);
});
