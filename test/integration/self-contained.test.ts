import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '..', '..');
const WORKSPACE_SCOPE = '@dentrix-pipedrive';

/** The repository's own files (what a clone holds), without the team's reading material beside it. */
function cloneWithoutShared(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-clone-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(REPO, file))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, 'repo', file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(dir, 'repo', file));
  }
  // The installed packages, but the workspaces (packages/*) linked to the clone's own copies, as npm ci links them.
  const modules = path.join(dir, 'repo', 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(REPO, 'node_modules'))) {
    if (entry !== WORKSPACE_SCOPE) fs.symlinkSync(path.join(REPO, 'node_modules', entry), path.join(modules, entry));
  }
  for (const pkg of fs.readdirSync(path.join(dir, 'repo', 'packages'))) {
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'repo', 'packages', pkg, 'package.json'), 'utf8')) as { name: string };
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.symlinkSync(path.join(dir, 'repo', 'packages', pkg), path.join(modules, name));
  }
  return path.join(dir, 'repo');
}

describe('the product needs only its own repository', () => {
  it('no source file reaches outside the repository for what it needs at run time', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory() && entry.name === 'node_modules') continue;
        if (entry.isDirectory()) walk(p);
        else if (/\.(ts|js|json)$/u.test(entry.name)) {
          const text = fs.readFileSync(p, 'utf8');
          // A relative import resolving outside the repository (as `../../../x` from src/a/b.ts would), or the reference set.
          const outside = [...text.matchAll(/(?:from |require\()'(\.\.?\/[^']*)'/gu)].some(
            (m) => !path.resolve(path.dirname(p), m[1]!).startsWith(REPO + path.sep),
          );
          if (outside || /shared\/reference/u.test(text)) offenders.push(path.relative(REPO, p));
        }
      }
    };
    walk(path.join(REPO, 'src'));
    walk(path.join(REPO, 'packages'));
    expect(offenders).toEqual([]);
  });

  it('a clone with nothing beside it runs the sandbox, which validates requests against the pinned specs', async () => {
    const clone = cloneWithoutShared();
    expect(fs.existsSync(path.join(clone, '..', 'shared'))).toBe(false);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(clone, '.data') };
    delete env.PIPEDRIVE_SPECS_DIR;
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/pipedrive-sandbox/src/main.ts', '--port', '0'], {
      cwd: clone,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the sandbox did not start: ${out}`)), 60_000);
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          const m = /^(http:\/\/127\.0\.0\.1:\d+)$/mu.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`the sandbox exited (${code}): ${out}`)));
      });
      const api = axios.create({ baseURL: url, headers: { 'x-api-token': 'sandbox-token' }, validateStatus: () => true });
      // A body the v2 spec refuses (name must be a string): only a sandbox that loaded the spec says why.
      const refused = await api.post('/api/v2/persons', { name: 42 });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.data)).toMatch(/name/u);
      const created = await api.post('/api/v2/persons', { name: 'Spec Check' });
      expect(created.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      fs.rmSync(path.dirname(clone), { recursive: true, force: true });
    }
  });
});
