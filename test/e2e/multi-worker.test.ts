import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { createHarness, processEnv, type Harness } from '../support/harness';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';
import { parseMigrationOptions } from '../../src/config';
import { queryStatus, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { listReports, readReportFile, type StoredReport } from '../../src/store/reports';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(8 * 60 * 1000);

const MIGRATION = 'multi-machine';
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/**
 * Several workers on several machines (issue 11): two workers with their own DATA_DIR on one task queue and store
 * complete a migration, and every CLI command works on a third machine whose DATA_DIR is empty, from the store alone.
 */
describe('two workers with their own DATA_DIR, the CLI on a third', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;
  const machines: Record<'a' | 'b' | 'cli', string> = { a: '', b: '', cli: '' };

  beforeAll(async () => {
    h = await createHarness();
    for (const m of ['a', 'b', 'cli'] as const) machines[m] = fs.mkdtempSync(path.join(h.dataDir, `machine-${m}-`));
    extract = await generatedPractice(h.dataDir, 42, 'demo', COMPACT_PATIENTS);
    sandbox = await sandboxFor(extract);
    // Workers first: `start` runs its preflight on a worker.
    await h.startWorker({ DATA_DIR: machines.a });
    await h.startWorker({ DATA_DIR: machines.b });
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
  });

  /** The real CLI (`npx tsx src/starter.ts …`) on the third machine: its own DATA_DIR, the shared store and Temporal. */
  async function cli(args: string[]): Promise<Buffer> {
    const { stdout } = await promisify(execFile)(...entryPoint('src/starter.ts', ...args), {
      cwd: REPO,
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 90_000,
      env: processEnv(h.env, {
        DATA_DIR: machines.cli,
        LOG_LEVEL: 'warn',
      }),
    });
    return stdout;
  }
  const cliJson = async <T>(args: string[]): Promise<T> => JSON.parse((await cli(args)).toString('utf8')) as T;

  it('completes a migration, then status, report, map export/import and audit-log work from the store alone', async () => {
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId: MIGRATION,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 20, allowSmallSample: true, batchSize: 50, concurrency: 2, skipDelta: true }),
    });
    // At MAPPING_REVIEW ops merge the practice's one probable duplicate pair from the CLI machine, in the workbook's
    // Duplicates sheet; the approval then takes that version.
    let merged: { survivor: number; duplicate: number }[] | undefined;
    const result = await driveMigration(h.client, MIGRATION, {
      by: 'e2e-multi',
      includeAllPhi: true,
      minSampleAccuracy: 99,
      onStatus: async (s) => {
        if (s.waitingFor !== 'MAPPING_REVIEW' || merged) return;
        const dir = path.join(h.dataDir, 'duplicates-decision');
        const proposed = await cliJson<{ xlsxPath: string }>(['map', 'export', '-m', MIGRATION, '--out', dir, '--json']);
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.readFile(proposed.xlsxPath);
        const sheet = workbook.getWorksheet('Duplicates')!;
        expect(sheet.rowCount).toBe(2);
        sheet.getRow(2).getCell(4).value = 'merge';
        await workbook.xlsx.writeFile(path.join(dir, 'merged.xlsx'));
        const imported = await cliJson<{ saved: boolean; duplicates: { merge: { survivor: number; duplicate: number }[] } }>([
          'map',
          'import',
          '-m',
          MIGRATION,
          '--file',
          path.join(dir, 'merged.xlsx'),
          '--by',
          'e2e-multi',
          '--json',
        ]);
        merged = imported.duplicates.merge;
        // The waiting gate heard of it: status and the Web UI name the imported version.
        await waitFor('the gate message to name the imported version', async () =>
          /^map v\d+ imported by e2e-multi \(0 change\(s\), 1 duplicate merge\(s\)/u.test((await queryStatus(h.client, MIGRATION))?.gateMessage ?? ''),
        );
      },
    });
    expect(result.status.phase).toBe('DONE');
    expect(merged).toHaveLength(1);

    // Every report is in the store with its contents, written by one of the two workers into its own cache. The
    // workflow's status still names the cached copy (a location, never contents).
    const reports = await listReports(h.db.pool, MIGRATION);
    const kinds = reports.map((r) => r.kind);
    // The merged pair loaded as one Person: the reconciliation balances and counts the duplicate as merged.
    expect(reports.find((r) => r.kind === 'reconciliation')!.summary).toMatchObject({ balanced: true, mergedDuplicates: 1 });
    for (const kind of [
      'data-quality',
      'proposed-map',
      'mapping-workbook',
      'approved-map',
      'sample-diff',
      'verification',
      'reconciliation',
      'image-manifest',
    ]) {
      expect(kinds).toContain(kind);
    }
    const writers = new Set<string>();
    for (const r of reports) {
      expect({ kind: r.kind, location: r.location, files: r.files.length > 0 }).toEqual({ kind: r.kind, location: `store:${r.kind}`, files: true });
      const machine = (['a', 'b'] as const).find((m) => r.path.startsWith(machines[m] + path.sep));
      expect({ kind: r.kind, machine }).toEqual({ kind: r.kind, machine: expect.stringMatching(/^[ab]$/u) });
      writers.add(machine!);
      expect(r.writtenBy).toMatch(new RegExp(`:${r.path.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}$`, 'u'));
      for (const f of r.files) {
        const stored = (await readReportFile(h.db.pool, MIGRATION, r.kind, f.name))!;
        expect({ name: f.name, sha256: sha256(fs.readFileSync(path.join(path.dirname(r.path), f.name))) }).toEqual({ name: f.name, sha256: stored.sha256 });
      }
    }
    expect(Object.values(result.status.reports)).toContain(reports.find((r) => r.kind === 'verification')!.path);
    console.log(
      `reports written by worker(s) ${[...writers].sort().join(', ')}: ${reports.map((r) => `${r.kind} ${r.files.map((f) => f.bytes).join('+')} B`).join('; ')}`,
    );

    // The workers' caches go: on the CLI's machine nothing but the store holds the reports.
    for (const m of ['a', 'b'] as const) fs.rmSync(path.join(machines[m], 'migrations'), { recursive: true, force: true });
    expect(fs.readdirSync(machines.cli)).toEqual([]);

    const [status, listed, dataQuality, verificationHtml, workbook] = await Promise.all([
      cliJson<{ status: { phase: string }; progress: { reports: StoredReport[] } }>(['status', '-m', MIGRATION, '--json']),
      cliJson<{ reports: StoredReport[] }>(['report', '-m', MIGRATION, '--json']),
      cli(['report', '-m', MIGRATION, '--kind', 'data-quality']),
      cli(['report', '-m', MIGRATION, '--kind', 'verification', '--file', 'verification.html']),
      cli(['report', '-m', MIGRATION, '--kind', 'mapping-workbook']),
    ]);
    expect(status.status.phase).toBe('DONE');
    expect(status.progress.reports.map((r) => [r.kind, r.location])).toEqual(reports.map((r) => [r.kind, `store:${r.kind}`]));
    expect(listed.reports.map((r) => r.kind)).toEqual(kinds);
    const storedDataQuality = (await readReportFile(h.db.pool, MIGRATION, 'data-quality'))!;
    expect(storedDataQuality.name).toBe('data-quality-report.json');
    expect(dataQuality.equals(storedDataQuality.content)).toBe(true);
    expect((JSON.parse(dataQuality.toString('utf8')) as { migrationId: string }).migrationId).toBe(MIGRATION);
    expect(verificationHtml.equals((await readReportFile(h.db.pool, MIGRATION, 'verification', 'verification.html'))!.content)).toBe(true);
    expect(workbook.equals((await readReportFile(h.db.pool, MIGRATION, 'mapping-workbook'))!.content)).toBe(true); // the XLSX, redirected

    // `report --out`: every report's files, byte for byte, owner-only.
    const out = path.join(machines.cli, 'exported');
    const exported = await cliJson<{ files: { kind: string; name: string; path: string; sha256: string }[] }>([
      'report',
      '-m',
      MIGRATION,
      '--out',
      out,
      '--json',
    ]);
    expect(exported.files.map((f) => `${f.kind}/${f.name}`).sort()).toEqual(reports.flatMap((r) => r.files.map((f) => `${r.kind}/${f.name}`)).sort());
    for (const f of exported.files) {
      expect({ name: f.name, sha256: sha256(fs.readFileSync(f.path)) }).toEqual({ name: f.name, sha256: f.sha256 });
      expect(fs.statSync(f.path).mode & 0o777).toBe(0o600);
    }

    // `map export` writes the workbook into the CLI machine's own DATA_DIR; `map import` takes it back.
    const exportedMap = await cliJson<{ version: number; from: string; xlsxPath: string; csvPath: string }>(['map', 'export', '-m', MIGRATION, '--json']);
    expect(path.dirname(exportedMap.xlsxPath)).toBe(path.join(machines.cli, 'migrations', MIGRATION));
    expect(fs.statSync(exportedMap.xlsxPath).size).toBeGreaterThan(0);
    const imported = await cliJson<{ saved: boolean; version: number }>([
      'map',
      'import',
      '-m',
      MIGRATION,
      '--file',
      exportedMap.xlsxPath,
      '--by',
      'e2e-multi',
      '--json',
    ]);
    if (imported.saved) expect(imported.version).toBeGreaterThan(exportedMap.version);
    else expect(imported.version).toBe(exportedMap.version);

    // `audit-log`: every write, from the store.
    const auditCsv = path.join(machines.cli, 'audit.csv');
    await cli(['audit-log', '-m', MIGRATION, '--out', auditCsv]);
    const auditLines = fs.readFileSync(auditCsv, 'utf8').trim().split('\n');
    expect(auditLines.length).toBeGreaterThan(100);

    // The workers' caches stayed empty: the CLI read nothing from them.
    for (const m of ['a', 'b'] as const) expect(fs.existsSync(path.join(machines[m], 'migrations'))).toBe(false);
  });
});
