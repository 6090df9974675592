import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ownerWarnings } from '../../src/activities/owners';
import { publishReport } from '../../src/activities/publish-report';
import { describeReports, findOpener } from '../../src/cli/report-files';
import { listReports } from '../../src/store/reports';
import { createTestDatabase, type TestDatabase } from '../support/db';

const REPO = path.resolve(__dirname, '../..');
const M = 'rep-html';
const PAGE = '<!doctype html><title>Verification</title><p>100%</p>';

let db: TestDatabase;
let dir: string;

/** The real CLI on the test database; PATH decides whether an xdg-open is there. */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/dentrix-pipedrive.js'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: {
      HOME: process.env.HOME ?? '/',
      DATABASE_URL: db.url,
      DATA_DIR: path.join(dir, 'data'),
      TMPDIR: path.join(dir, 'tmp'),
      LOG_LEVEL: 'warn',
      PATH: '',
      ...env,
    },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cached(name: string, content: string): string {
  const file = path.join(dir, 'cache', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-report-'));
  fs.mkdirSync(path.join(dir, 'tmp'));
  await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ($1, '{}', 'http://127.0.0.1:1')`, [M]);
  await publishReport(db.pool, M, 'providers', [cached('providers.json', '{}')], {
    matched: 2,
    unmatched: 1,
    warnings: ['1 of 3 provider(s) have no Pipedrive user (DR9)'],
  });
  await publishReport(db.pool, M, 'verification', [cached('verification.json', '{"accuracy":100}'), cached('verification.html', PAGE)], { accuracy: 100 });
});

afterAll(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('report: HTML pages and warnings', () => {
  it("lists each report's HTML page with the command that opens it, and warnings on lines of their own", async () => {
    const lines = describeReports(M, await listReports(db.pool, M));
    expect(lines).toEqual([
      'providers          store:providers (providers.json 2 B)  {"matched":2,"unmatched":1}',
      `${' '.repeat(21)}WARNING: 1 of 3 provider(s) have no Pipedrive user (DR9)`,
      'verification       store:verification (verification.json 16 B, verification.html 53 B)  {"accuracy":100}',
      `${' '.repeat(21)}page: verification.html · npm run starter -- report -m ${M} --kind verification --open   (or --html to print it)`,
    ]);
  });

  it('providers without a Pipedrive user are a warning, never a plain success', () => {
    const base = { providers: 3, matched: 2, assigned: 0, fallbackOwnerId: 7 };
    expect(ownerWarnings({ ...base, matched: 3, unmatchedCount: 0, unmatched: [], recordsOnFallback: 0 })).toEqual([]);
    const warnings = ownerWarnings({ ...base, unmatchedCount: 1, unmatched: [{ providerId: 'DR9', records: 40 }], recordsOnFallback: 42 });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('1 of 3 provider(s) have no Pipedrive user (DR9): their records go to the fallback owner (user 7)');
    expect(warnings[1]).toContain('42 record(s) would be owned by the fallback owner (user 7)');
  });

  it('--html prints the page; a report without one says which have one', () => {
    const page = cli(['report', '-m', M, '--kind', 'verification', '--html']);
    expect(page).toMatchObject({ status: 0, stdout: PAGE });
    const none = cli(['report', '-m', M, '--kind', 'providers', '--html']);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('the "providers" report has no HTML page');
    expect(none.stderr).toContain('these have one: verification');
    // The JSON stays what it was.
    expect(cli(['report', '-m', M, '--kind', 'verification']).stdout).toBe('{"accuracy":100}');
    expect(JSON.parse(cli(['report', '-m', M, '--json']).stdout)).toMatchObject({ migrationId: M, reports: [{ kind: 'providers' }, { kind: 'verification' }] });
  }, 120_000);

  it('--open writes the page under the temp folder (owner-only) and opens it with xdg-open, else prints where it is', () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const opened = path.join(dir, 'opened.txt');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${opened}\n`, { mode: 0o755 });
    expect(findOpener({ PATH: `/nonexistent${path.delimiter}${bin}` })).toBe(path.join(bin, 'xdg-open'));
    expect(findOpener({ PATH: '/nonexistent' })).toBeUndefined();

    const withOpener = cli(['report', '-m', M, '--kind', 'verification', '--open', '--json'], { PATH: bin });
    expect(withOpener.status).toBe(0);
    const r = JSON.parse(withOpener.stdout) as { path: string; opened: boolean };
    expect(r.opened).toBe(true);
    expect(r.path.startsWith(path.join(dir, 'tmp') + path.sep)).toBe(true);
    expect(path.basename(r.path)).toBe(`${M}-verification.html`);
    expect(fs.readFileSync(r.path, 'utf8')).toBe(PAGE);
    expect(fs.statSync(r.path).mode & 0o777).toBe(0o600);
    for (let i = 0; i < 50 && !fs.existsSync(opened); i++) spawnSync('sleep', ['0.1']);
    expect(fs.readFileSync(opened, 'utf8').trim()).toBe(r.path);

    const out = path.join(dir, 'out');
    const without = cli(['report', '-m', M, '--kind', 'verification', '--open', '--out', out]);
    expect(without.status).toBe(0);
    const written = path.join(out, `${M}-verification.html`);
    expect(without.stdout.trim()).toBe(`Wrote ${written} (no xdg-open on this machine: open it in a browser)`);
    expect(fs.readFileSync(written, 'utf8')).toBe(PAGE);
  }, 120_000);
});
