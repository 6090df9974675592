import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonReport, writeReportFile } from '../../src/activities/report-files';
import { exportAuditLog } from '../../src/cli/audit-export';
import { defaultFieldMap } from '../../src/mapping';
import { exportWorkbook } from '../../src/review';
import { startSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { appendAudit } from '../../src/store/audit';
import { registerRun } from '../../src/store/runs';
import { createTestDatabase, type TestDatabase } from '../support/db';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/**
 * DESIGN §5.11: files the product writes (reports, workbooks, the sandbox's saved state, exports) may hold PHI, so
 * they are readable by their owner only, whatever the umask lets through: files 0600, folders 0700.
 */
describe('files the product writes are readable by their owner only', () => {
  let dir: string;
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022); // the usual umask: without explicit modes, files would be 0644 and folders 0755
  });
  afterAll(() => {
    process.umask(umask);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-files-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const settings = () => ({ dataDir: path.join(dir, 'data'), imageArchiveBaseUrl: 'https://archive.invalid', budgetResetTimeZone: 'UTC', mappingLlm: null });

  it('reports (writeReportFile): 0600 files in 0700 folders, and a wider report folder from before is tightened', async () => {
    const report = await writeReportFile(settings(), 'm1', 'verification.html', '<p>Ann Lee</p>');
    expect(mode(report)).toBe(0o600);
    expect(mode(path.dirname(report))).toBe(0o700);
    expect(mode(path.join(dir, 'data', 'migrations'))).toBe(0o700);
    expect(fs.readdirSync(path.dirname(report))).toEqual(['verification.html']); // no temp file left

    // Written by an earlier version: a 0755 folder holding a 0644 report.
    const old = path.join(dir, 'data', 'migrations', 'm2');
    fs.mkdirSync(old, { mode: 0o755 });
    fs.chmodSync(old, 0o755);
    fs.writeFileSync(path.join(old, 'sample-diff.json'), '{}', { mode: 0o644 });
    const json = await writeJsonReport(settings(), 'm2', 'sample-diff.json', { discrepancies: [] });
    expect(mode(json)).toBe(0o600);
    expect(mode(old)).toBe(0o700);
  });

  it('mapping workbooks: 0600; a folder they create is 0700, a folder the operator named keeps its mode', async () => {
    const created = path.join(dir, 'new', 'workbooks');
    const { xlsxPath, csvPath } = await exportWorkbook({ map: defaultFieldMap(), proposal: [], phi: null }, created, 'mapping-workbook-v1');
    expect([mode(xlsxPath), mode(csvPath), mode(created), mode(path.join(dir, 'new'))]).toEqual([0o600, 0o600, 0o700, 0o700]);
    const named = path.join(dir, 'shared');
    fs.mkdirSync(named, { mode: 0o755 });
    const again = await exportWorkbook({ map: defaultFieldMap(), proposal: [], phi: null }, named, 'mapping-workbook-v1');
    expect([mode(again.xlsxPath), mode(again.csvPath), mode(named)]).toEqual([0o600, 0o600, 0o755]);
  });

  it("the sandbox's saved state: 0600, in a 0700 folder it creates", async () => {
    const persistFile = path.join(dir, 'sandbox', 'state.jsonl');
    const sandbox = await startSandbox({ port: 0, plan: 'ultimate', seats: 10, persistFile });
    const res = await fetch(new URL('/api/v2/persons', sandbox.url), {
      method: 'POST',
      headers: { 'x-api-token': 'sandbox-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ann Lee' }),
    });
    expect(res.ok).toBe(true);
    await sandbox.close();
    expect(fs.readFileSync(persistFile, 'utf8')).toContain('Ann Lee');
    expect([mode(persistFile), mode(path.dirname(persistFile))]).toEqual([0o600, 0o700]);
  });

  describe('the audit-log export', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
      await registerRun(db.pool, { migrationId: 'm', source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
      await appendAudit(db.pool, {
        migrationId: 'm',
        action: 'create',
        objectType: 'person',
        sourceKey: 'patient:1',
        method: 'POST',
        endpoint: 'POST /api/v2/persons',
        tokens: 5,
      });
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('is 0600, also when it writes over a file that was readable by others', async () => {
      for (const format of ['csv', 'json'] as const) {
        const fresh = path.join(dir, `audit.${format}`);
        expect(await exportAuditLog(db.pool, 'm', format, fresh)).toBe(1);
        expect(mode(fresh)).toBe(0o600);
        const existing = path.join(dir, `existing.${format}`);
        fs.writeFileSync(existing, 'old', { mode: 0o644 });
        expect(await exportAuditLog(db.pool, 'm', format, existing)).toBe(1);
        expect(mode(existing)).toBe(0o600);
        expect(fs.readFileSync(existing, 'utf8')).toContain('patient:1');
      }
    });
  });
});
