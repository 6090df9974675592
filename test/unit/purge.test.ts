import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createPurgeActivities } from '../../src/activities/purge';
import { reconciledFields } from '../../src/activities/reconciliation';
import type { ActivityDeps } from '../../src/activities/deps';
import { PurgeRefusedError, purgeMigration } from '../../src/cli/purge-command';
import { openExtract, stageExtract } from '../../src/dentrix';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { PURGED, stagedPhiLeft, type PurgeCounts } from '../../src/store/purge';
import { listReports, saveReport } from '../../src/store/reports';
import { registerRun, setRunPhase } from '../../src/store/runs';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { readCsvTable, type CsvTable } from '../support/extract-edit';
import { needlesFrom, type Needle } from '../support/phi-needles';
import { tempDirs } from './dentrix/helpers';

const dirs = tempDirs();
let db: TestDatabase;
let extract: string;
let needles: Needle[];

beforeAll(async () => {
  db = await createTestDatabase('purge');
  extract = path.join(await dirs.make(), 'extract');
  await generatePractice({ profile: 'demo', seed: 5, patients: 40, outDir: extract });
  const tables: Record<string, CsvTable> = {};
  for (const t of ['patient', 'appt', 'medical_alert', 'insured', 'clinical_note', 'provider'] as const) tables[t] = await readCsvTable(extract, t);
  const providerNames = new Set(tables.provider!.rows.flatMap((p) => [p.first_name, p.last_name]).map((n) => (n ?? '').toLowerCase()));
  ({ needles } = needlesFrom(tables, providerNames));
});
afterAll(async () => {
  await db.drop();
});

/** A migration with its extract staged and a field-level diff holding values (as after VERIFY), in `phase`. */
async function stagedMigration(migrationId: string, phase: string): Promise<void> {
  await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: extract }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
  const reader = await openExtract({ kind: 'folder', path: extract });
  try {
    await stageExtract(db.pool, migrationId, reader);
  } finally {
    await reader.close();
  }
  // What verification stores per compared field: the person's name and birth date, and its organization link.
  await db.pool.query(
    `INSERT INTO field_diffs (migration_id, run_kind, object_type, source_key, field, matched, category, expected, actual)
     SELECT $1, 'full', 'person', 'patient:' || source_key, f.field, true, NULL, f.value, f.value
       FROM staged_rows s,
            LATERAL (VALUES ('name', to_jsonb(concat_ws(' ', s.data->>'first_name', s.data->>'last_name'))),
                            ('birth_date', s.data->'birth_date'),
                            ('org_id', to_jsonb(700 + (s.data->>'guar_id')::int))) AS f(field, value)
      WHERE s.migration_id = $1 AND s.source_table = 'patient'`,
    [migrationId],
  );
  await setRunPhase(db.pool, migrationId, phase);
}

/** The practice's patient strings found in what is staged for a migration (staged rows, field diffs). */
async function phiInStaging(migrationId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ t: string }>(
    `SELECT data::text AS t FROM staged_rows WHERE migration_id = $1
     UNION ALL SELECT concat_ws(' ', expected::text, actual::text) FROM field_diffs WHERE migration_id = $1`,
    [migrationId],
  );
  const text = rows.map((r) => r.t).join('\n');
  return needles.filter((n) => n.re.test(text)).map((n) => `${n.kind}: ${n.value}`);
}

async function purgeAudit(migrationId: string) {
  const { rows } = await db.pool.query<{ action: string; object_type: string; method: string; note: string; at: Date }>(
    "SELECT action, object_type, method, note, at FROM audit_log WHERE migration_id = $1 AND action = 'purge' ORDER BY id",
    [migrationId],
  );
  return rows;
}

describe('purge: staged PHI leaves the store once no workflow needs it (DESIGN §5.11)', () => {
  it('purge -m <id>: keeps ids, counts and links, removes every patient string, deletes the hash key and records who did it', async () => {
    const migrationId = 'purge-done';
    await stagedMigration(migrationId, 'DONE');
    const kinds = new Set((await phiInStaging(migrationId)).map((h) => h.split(':')[0]));
    expect([...kinds]).toEqual(expect.arrayContaining(['name', 'birth date', 'email', 'phone', 'clinical note', 'alert'])); // control
    const { rows: countsBefore } = await db.pool.query(
      'SELECT source_table, count(*)::int AS n FROM staged_rows WHERE migration_id = $1 GROUP BY 1 ORDER BY 1',
      [migrationId],
    );

    // Reports in the store: the sample diff quotes source values (its contents go), the Data Quality Report does not.
    const file = (name: string, text: string) => ({ name, contentType: 'application/json', content: Buffer.from(text) });
    await saveReport(
      db.pool,
      migrationId,
      'sample-diff',
      '/cache/sample-diff.json',
      { accuracy: 99.5 },
      { files: [file('sample-diff.json', '{"expected":"a patient name"}'), file('sample-diff.html', '<td>a patient name</td>')] },
    );
    await saveReport(
      db.pool,
      migrationId,
      'data-quality',
      '/cache/data-quality-report.json',
      { patients: 3 },
      { files: [file('data-quality-report.json', '{"patients":3}')] },
    );

    const started = Date.now();
    const outcome = await purgeMigration(db.pool, migrationId, { by: 'Ana', reports: true });
    expect(outcome).toMatchObject({ migrationId, phase: 'DONE', forced: false, hashKeys: 1, reportFiles: 2 });
    const reports = new Map((await listReports(db.pool, migrationId)).map((r) => [r.kind, r]));
    expect(reports.get('sample-diff')).toMatchObject({ summary: { accuracy: 99.5 }, files: [] });
    expect(reports.get('data-quality')!.files.map((f) => f.name)).toEqual(['data-quality-report.json']);
    expect(outcome.stagedRows).toBe(countsBefore.reduce((n, r) => n + (r.n as number), 0));
    expect(outcome.fieldDiffs).toBe(2 * countsBefore.find((r) => r.source_table === 'patient')!.n);

    expect(await phiInStaging(migrationId)).toEqual([]);
    expect(await stagedPhiLeft(db.pool, migrationId, reconciledFields())).toEqual({ stagedRows: 0, fieldDiffs: 0 });
    // What stays: every row, by key, with its ids (a later rollback finds a record's person through them).
    const { rows: countsAfter } = await db.pool.query(
      'SELECT source_table, count(*)::int AS n FROM staged_rows WHERE migration_id = $1 GROUP BY 1 ORDER BY 1',
      [migrationId],
    );
    expect(countsAfter).toEqual(countsBefore);
    const { rows: appt } = await db.pool.query<{ data: Record<string, unknown>; content_hash: string }>(
      "SELECT data, content_hash FROM staged_rows WHERE migration_id = $1 AND source_table = 'appt' ORDER BY row_seq LIMIT 1",
      [migrationId],
    );
    expect(appt[0]!.content_hash).toBe(PURGED);
    expect(Object.keys(appt[0]!.data).every((k) => k.endsWith('_id'))).toBe(true);
    expect(appt[0]!.data).toMatchObject({ appointment_id: expect.any(Number), patient_id: expect.any(Number) });
    const { rows: links } = await db.pool.query<{ field: string; kept: number }>(
      'SELECT field, count(*) FILTER (WHERE expected IS NOT NULL AND actual IS NOT NULL)::int AS kept FROM field_diffs WHERE migration_id = $1 GROUP BY field ORDER BY field',
      [migrationId],
    );
    expect(links).toEqual([
      { field: 'birth_date', kept: 0 },
      { field: 'name', kept: 0 },
      { field: 'org_id', kept: countsBefore.find((r) => r.source_table === 'patient')!.n },
    ]);
    expect((await db.pool.query('SELECT 1 FROM phi_hash_keys WHERE migration_id = $1', [migrationId])).rowCount).toBe(0);
    const audit = await purgeAudit(migrationId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'purge', object_type: 'staged_phi', method: 'PURGE' });
    expect(audit[0]!.note).toMatch(
      /^staged PHI purged by Ana: operator purge in phase DONE \(\d+ staged rows reduced to ids, \d+ field diffs cleared, 1 hash key deleted, 2 stored report files with source values deleted\)$/u,
    );
    expect(audit[0]!.at.getTime()).toBeGreaterThanOrEqual(started - 5_000);

    // Again: nothing left to purge, and said so in the audit log.
    expect(await purgeMigration(db.pool, migrationId, { by: 'Ana', reason: 'checking' })).toMatchObject({ stagedRows: 0, fieldDiffs: 0, hashKeys: 0 });
    expect(await purgeAudit(migrationId)).toHaveLength(2);
  });

  it('refuses while the workflow may still read the staged extract, saying so, and purges with --force', async () => {
    const migrationId = 'purge-running';
    await stagedMigration(migrationId, 'SAMPLE_REVIEW');
    const refused = purgeMigration(db.pool, migrationId, { by: 'Ana' });
    await expect(refused).rejects.toThrow(PurgeRefusedError);
    await expect(refused).rejects.toThrow(
      'migration purge-running is in phase SAMPLE_REVIEW: its workflow may still read the staged extract. Purge after DONE, ROLLED_BACK, CANCELLED, FAILED, or pass --force',
    );
    expect(await purgeAudit(migrationId)).toEqual([]);
    expect((await phiInStaging(migrationId)).length).toBeGreaterThan(0);

    for (const phase of ['ROLLED_BACK', 'CANCELLED', 'FAILED']) {
      await setRunPhase(db.pool, migrationId, phase);
      await expect(purgeMigration(db.pool, migrationId, { by: 'Ana' })).resolves.toMatchObject({ phase, forced: false });
    }
    await setRunPhase(db.pool, migrationId, 'FULL');
    await expect(purgeMigration(db.pool, migrationId, { by: 'Ana', force: true })).resolves.toMatchObject({ phase: 'FULL', forced: true });
    expect((await purgeAudit(migrationId)).at(-1)!.note).toContain('operator purge in phase FULL (forced)');
    await expect(purgeMigration(db.pool, 'no-such-migration', { by: 'Ana' })).rejects.toThrow('No migration "no-such-migration" in the store');
  });

  it('the purgeStagedPhi activity (after a full rollback, at cutover) purges the same way and records its workflow', async () => {
    const migrationId = 'purge-activity';
    await stagedMigration(migrationId, 'ROLLING_BACK');
    const acts = createPurgeActivities({ pool: db.pool, logger: pino({ level: 'silent' }) } as unknown as ActivityDeps);
    const env = new MockActivityEnvironment({ workflowType: 'rollbackWorkflow', workflowExecution: { workflowId: 'migration-x-rollback', runId: 'r1' } });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const counts = await env.run<[{ migrationId: string; reason: string }], PurgeCounts, typeof acts.purgeStagedPhi>(acts.purgeStagedPhi, {
      migrationId,
      reason: 'rollback (all)',
    });
    expect(counts).toMatchObject({ hashKeys: 1 });
    expect(counts.stagedRows).toBeGreaterThan(100);
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(await phiInStaging(migrationId)).toEqual([]);
    const { rows } = await db.pool.query("SELECT workflow_id, note FROM audit_log WHERE migration_id = $1 AND action = 'purge'", [migrationId]);
    expect(rows).toEqual([{ workflow_id: 'migration-x-rollback', note: expect.stringMatching(/^staged PHI purged by rollbackWorkflow: rollback \(all\) /u) }]);
  });
});
