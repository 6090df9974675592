import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { exportAuditLog } from '../../../src/cli/audit-export';
import { appendAudit } from '../../../src/store/audit';
import { registerRun } from '../../../src/store/runs';
import { createTestDatabase, type TestDatabase } from '../../support/db';

// Needs nothing but PostgreSQL: the export reads a real store database.
describe('audit log export (CLI audit-log --format csv|json)', () => {
  let db: TestDatabase;
  let dir: string;
  const MIGRATION = 'audit-export-unit';

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-export-'));
    await registerRun(db.pool, { migrationId: MIGRATION, source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    await registerRun(db.pool, { migrationId: 'other', source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    const common = { migrationId: MIGRATION, workflowId: 'wf-1', runId: 'run-1', activityId: '7', attempt: 1 };
    await appendAudit(db.pool, {
      ...common,
      action: 'create',
      objectType: 'person',
      sourceKey: 'patient:12',
      pipedriveId: 501,
      method: 'POST',
      endpoint: 'POST /api/v2/persons',
      status: 201,
      tokens: 5,
    });
    await appendAudit(db.pool, {
      ...common,
      action: 'update',
      objectType: 'note',
      sourceKey: 'clinical_note:3',
      pipedriveId: '77',
      method: 'PUT',
      endpoint: 'PUT /api/v1/notes/{id}',
      tokens: 10,
      note: 'delta, with "quotes", and commas',
    });
    await appendAudit(db.pool, {
      ...common,
      activityId: '9',
      action: 'delete',
      objectType: 'deal_product',
      sourceKey: 'procedure:4',
      pipedriveId: '8/3',
      method: 'DELETE',
      endpoint: 'DELETE /api/v2/deals/{id}/products',
      status: 200,
      tokens: 15,
    });
    await appendAudit(db.pool, { migrationId: 'other', action: 'create', objectType: 'person', method: 'POST', endpoint: 'POST /api/v2/persons', tokens: 5 });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const expected = [
    { action: 'create', object_type: 'person', source_key: 'patient:12', pipedrive_id: '501', endpoint: 'POST /api/v2/persons', tokens: 5, activity_id: '7' },
    {
      action: 'update',
      object_type: 'note',
      source_key: 'clinical_note:3',
      pipedrive_id: '77',
      endpoint: 'PUT /api/v1/notes/{id}',
      tokens: 10,
      activity_id: '7',
    },
    {
      action: 'delete',
      object_type: 'deal_product',
      source_key: 'procedure:4',
      pipedrive_id: '8/3',
      endpoint: 'DELETE /api/v2/deals/{id}/products',
      tokens: 15,
      activity_id: '9',
    },
  ];

  it('writes CSV with a header and the required columns, one row per entry of this migration, in order', async () => {
    const out = path.join(dir, 'audit.csv');
    const started = Date.now();
    expect(await exportAuditLog(db.pool, MIGRATION, 'csv', out)).toBe(3);
    const rows = parse<Record<string, string>>(fs.readFileSync(out, 'utf8'), { columns: true });
    for (const col of ['object_type', 'source_key', 'pipedrive_id', 'endpoint', 'at', 'workflow_id', 'activity_id', 'tokens']) {
      expect(Object.keys(rows[0]!)).toContain(col);
    }
    expect(
      rows.map((r) => ({
        action: r.action,
        object_type: r.object_type,
        source_key: r.source_key,
        pipedrive_id: r.pipedrive_id,
        endpoint: r.endpoint,
        tokens: Number(r.tokens),
        activity_id: r.activity_id,
      })),
    ).toEqual(expected);
    expect(rows.every((r) => r.workflow_id === 'wf-1' && r.run_id === 'run-1')).toBe(true);
    for (const r of rows) expect(Math.abs(Date.parse(r.at!) - started)).toBeLessThan(60_000);
    expect(rows[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rows[1]!.note).toBe('delta, with "quotes", and commas');
  });

  it('writes JSON lines with the same entries', async () => {
    const out = path.join(dir, 'audit.jsonl');
    expect(await exportAuditLog(db.pool, MIGRATION, 'json', out)).toBe(3);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      rows.map((r) => ({
        action: r.action,
        object_type: r.object_type,
        source_key: r.source_key,
        pipedrive_id: r.pipedrive_id,
        endpoint: r.endpoint,
        tokens: r.tokens,
        activity_id: r.activity_id,
      })),
    ).toEqual(expected);
    expect(rows.every((r) => r.workflow_id === 'wf-1' && typeof r.at === 'string' && !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });
});
