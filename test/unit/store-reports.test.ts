import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishReport } from '../../src/activities/publish-report';
import { describeReportLocation, exportReports, storedReportFile } from '../../src/cli/report-files';
import { listReports, readReportFile, saveReport } from '../../src/store/reports';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let dir: string;
const migrationId = 'rep1';

beforeAll(async () => {
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-reports-'));
  await db.pool.query(
    `INSERT INTO migration_runs (migration_id, practice_name, timezone, source, pipedrive_base_url) VALUES ($1, 'Reports Dental', 'UTC', '{}', 'http://127.0.0.1:1')`,
    [migrationId],
  );
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cached(name: string, content: string | Buffer): string {
  const file = path.join(dir, 'worker-cache', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

describe('reports in the migration store', () => {
  it('publishReport keeps the cached files in the store (main first) and returns the cached path', async () => {
    const json = cached('verification.json', '{"accuracy":100}\n');
    const html = cached('verification.html', '<p>100%</p>');
    expect(await publishReport(db.pool, migrationId, 'verification', [json, html], { accuracy: 100 })).toBe(json);

    const [report] = await listReports(db.pool, migrationId);
    expect(report).toMatchObject({
      kind: 'verification',
      path: json,
      location: 'store:verification',
      writtenBy: `${os.hostname()}:${json}`,
      summary: { accuracy: 100 },
      files: [
        { name: 'verification.json', contentType: 'application/json', bytes: 17 },
        { name: 'verification.html', contentType: 'text/html; charset=utf-8', bytes: 11 },
      ],
    });
    expect(describeReportLocation(report!)).toBe('store:verification (verification.json 17 B, verification.html 11 B)');
    expect((await readReportFile(db.pool, migrationId, 'verification'))!.content.toString()).toBe('{"accuracy":100}\n');
    expect((await readReportFile(db.pool, migrationId, 'verification', 'verification.html'))!.content.toString()).toBe('<p>100%</p>');
  });

  it('a newer report of a kind replaces the older one and its files', async () => {
    const v1 = cached('mapping-workbook-v1.xlsx', Buffer.from([1, 2, 3]));
    await publishReport(db.pool, migrationId, 'mapping-workbook', [v1, cached('mapping-workbook-v1.csv', 'a,b\n')], { version: 1 });
    const v2 = cached('mapping-workbook-v2.xlsx', Buffer.from([4, 5, 6, 0]));
    await publishReport(db.pool, migrationId, 'mapping-workbook', [v2, cached('mapping-workbook-v2.csv', 'a,b\n1,2\n')], { version: 2 });
    const report = (await listReports(db.pool, migrationId)).find((r) => r.kind === 'mapping-workbook')!;
    expect(report.files.map((f) => f.name)).toEqual(['mapping-workbook-v2.xlsx', 'mapping-workbook-v2.csv']);
    expect(report.summary).toEqual({ version: 2 });
    expect((await readReportFile(db.pool, migrationId, 'mapping-workbook'))!.content).toEqual(Buffer.from([4, 5, 6, 0]));
    expect(await readReportFile(db.pool, migrationId, 'mapping-workbook', 'mapping-workbook-v1.xlsx')).toBeUndefined();
  });

  it('exports the stored files owner-only, byte for byte, with no cache on this machine', async () => {
    fs.rmSync(path.join(dir, 'worker-cache'), { recursive: true, force: true });
    const out = path.join(dir, 'out');
    const files = await exportReports(db.pool, migrationId, out, 'mapping-workbook');
    expect(files.map((f) => f.name)).toEqual(['mapping-workbook-v2.xlsx', 'mapping-workbook-v2.csv']);
    expect(fs.readFileSync(path.join(out, 'mapping-workbook-v2.xlsx'))).toEqual(Buffer.from([4, 5, 6, 0]));
    expect(fs.statSync(path.join(out, 'mapping-workbook-v2.csv')).mode & 0o777).toBe(0o600);
    expect((await exportReports(db.pool, migrationId, path.join(dir, 'all'))).map((f) => `${f.kind}/${f.name}`)).toEqual([
      'mapping-workbook/mapping-workbook-v2.xlsx',
      'mapping-workbook/mapping-workbook-v2.csv',
      'verification/verification.json',
      'verification/verification.html',
    ]);
  });

  it('says what is missing: an unknown kind, an unknown file, a report stored before contents were kept', async () => {
    await expect(storedReportFile(db.pool, migrationId, 'nope')).rejects.toThrow('no "nope" report; there are: mapping-workbook, verification');
    await expect(storedReportFile(db.pool, migrationId, 'verification', 'x.pdf')).rejects.toThrow(
      'the "verification" report has no file "x.pdf"; it has: verification.json, verification.html',
    );
    await saveReport(db.pool, migrationId, 'schema', '/old/worker/.data/migrations/rep1/schema.json', {});
    const legacy = (await listReports(db.pool, migrationId)).find((r) => r.kind === 'schema')!;
    expect(legacy).toMatchObject({ location: '/old/worker/.data/migrations/rep1/schema.json', writtenBy: null, files: [] });
    await expect(storedReportFile(db.pool, migrationId, 'schema')).rejects.toThrow(
      'the "schema" report was written before reports were kept in the store: its only copy is on the worker that wrote it (/old/worker/.data/migrations/rep1/schema.json)',
    );
    await expect(storedReportFile(db.pool, 'other', 'schema')).rejects.toThrow('no reports for migration "other" yet');
  });
});
