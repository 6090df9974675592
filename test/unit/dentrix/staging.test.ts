import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { ExtractIncompleteError } from '../../../src/dentrix/errors';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { MANIFEST, PROVIDERS, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;
let runs = 0;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function newMigration(): Promise<string> {
  const id = `stage-${++runs}`;
  await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ($1, '{}', 'http://sandbox')`, [id]);
  return id;
}

const PATIENTS = [
  { patient_id: 1, first_name: 'Ann', last_name: "O'Brien", birth_date: '1980-03-04', guar_id: 1 },
  { patient_id: 2, first_name: 'Zoë', last_name: 'Ñúñez', birth_date: '00/00/0000', guar_id: 1 }, // warning
  { patient_id: 2, first_name: 'Dup', last_name: 'Dup' }, // rejected: duplicate key
  { patient_id: '', first_name: 'NoKey' }, // rejected: missing key
  { patient_id: 3, first_name: 'Bo', last_name: 'Li', guar_id: 3, custom_flag: 'VIP' },
];

async function stagedRows(migrationId: string, table: string) {
  const result = await db.pool.query(
    'SELECT source_key, row_seq, content_hash, data, first_seen_at, changed_at FROM staged_rows WHERE migration_id = $1 AND source_table = $2 ORDER BY row_seq',
    [migrationId, table],
  );
  return result.rows;
}

async function counts(migrationId: string) {
  const result = await db.pool.query(
    'SELECT source_table, manifest_rows, rows_read, rows_staged, rows_rejected FROM extract_counts WHERE migration_id = $1 ORDER BY source_table',
    [migrationId],
  );
  return result.rows;
}

describe('staging an extract into the migration store', () => {
  it('stages every row, every issue and the counts, with rows read = staged + rejected per table', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: PATIENTS, appt: [{ appointment_id: 10, patient_id: 1, start_hour: '25' }] });
    const migrationId = await newMigration();
    const reader = await openExtract({ kind: 'folder', path: dir });
    const result = await stageExtract(db.pool, migrationId, reader, { batchSize: 2 });

    expect(result.tables.map((t) => [t.table, t.rowsRead, t.rowsStaged, t.rowsRejected, t.warnings])).toEqual([
      ['provider', 1, 1, 0, 0],
      ['patient', 5, 3, 2, 1],
      ['appt', 1, 1, 0, 1],
    ]);
    expect(result).toMatchObject({ rowsRead: 7, rowsStaged: 5, rowsRejected: 2, warnings: 2 });
    for (const row of await counts(migrationId)) expect(row.rows_read).toBe(row.rows_staged + row.rows_rejected);
    expect(await counts(migrationId)).toEqual([
      { source_table: 'appt', manifest_rows: 1, rows_read: 1, rows_staged: 1, rows_rejected: 0 },
      { source_table: 'patient', manifest_rows: 5, rows_read: 5, rows_staged: 3, rows_rejected: 2 },
      { source_table: 'provider', manifest_rows: 1, rows_read: 1, rows_staged: 1, rows_rejected: 0 },
    ]);

    const patients = await stagedRows(migrationId, 'patient');
    expect(patients.map((r) => [r.source_key, Number(r.row_seq)])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 5],
    ]);
    expect(patients[1].data).toMatchObject({ patient_id: 2, first_name: 'Zoë', last_name: 'Ñúñez', birth_date: null, guar_id: 1 });
    expect(patients[2].data.extra).toEqual({ custom_flag: 'VIP' });
    expect(patients.every((r) => /^[0-9a-f]{64}$/.test(r.content_hash))).toBe(true);

    const issues = await db.pool.query(
      `SELECT source_table, source_key, column_name, reason, severity, line FROM source_issues
       WHERE migration_id = $1 AND source_key IS NOT NULL OR (migration_id = $1 AND severity = 'rejected') ORDER BY source_table, line`,
      [migrationId],
    );
    expect(issues.rows).toEqual([
      { source_table: 'appt', source_key: '10', column_name: 'start_hour', reason: 'above the maximum of 23: set to null', severity: 'warning', line: 2 },
      { source_table: 'patient', source_key: '2', column_name: 'birth_date', reason: 'impossible calendar date: set to null', severity: 'warning', line: 3 },
      {
        source_table: 'patient',
        source_key: '2',
        column_name: 'patient_id',
        reason: 'duplicate primary key: an earlier row has the same key',
        severity: 'rejected',
        line: 4,
      },
      { source_table: 'patient', source_key: null, column_name: 'patient_id', reason: 'primary key missing', severity: 'rejected', line: 5 },
    ]);
    // Issues never carry values.
    const allIssues = await db.pool.query('SELECT * FROM source_issues WHERE migration_id = $1', [migrationId]);
    expect(JSON.stringify(allIssues.rows)).not.toMatch(/Zoë|Ñúñez|NoKey|Dup|VIP|00\/00/);
  });

  it('is idempotent: a re-run changes nothing, replaces issues and counts, and moves changed_at only for changed rows', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: PATIENTS });
    const migrationId = await newMigration();
    await stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));
    const before = await stagedRows(migrationId, 'patient');
    const issuesBefore = await db.pool.query('SELECT count(*)::int AS n FROM source_issues WHERE migration_id = $1', [migrationId]);

    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));
    expect(again.rowsStaged).toBe(4);
    expect(await stagedRows(migrationId, 'patient')).toEqual(before);
    const issuesAfter = await db.pool.query('SELECT count(*)::int AS n FROM source_issues WHERE migration_id = $1', [migrationId]);
    expect(issuesAfter.rows[0].n).toBe(issuesBefore.rows[0].n);

    // The source changes one patient: only that row's hash and changed_at move.
    const changed = PATIENTS.map((p) => (p.patient_id === 3 ? { ...p, last_name: 'Lee' } : p));
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: changed });
    await stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));
    const after = await stagedRows(migrationId, 'patient');
    expect(after.map((r) => r.source_key)).toEqual(['1', '2', '3']);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2].content_hash).not.toBe(before[2].content_hash);
    expect(after[2].changed_at.getTime()).toBeGreaterThan(before[2].changed_at.getTime());
    expect(after[2].first_seen_at).toEqual(before[2].first_seen_at);
    expect(after[2].data.last_name).toBe('Lee');
  });

  it('stages a truncated table as far as it goes, records why, and then refuses to continue, naming the table', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: PATIENTS.slice(0, 2), appt: [{ appointment_id: 1 }] });
    const manifestPath = path.join(dir, 'manifest.json');
    await writeFile(manifestPath, JSON.stringify({ ...MANIFEST, tables: { provider: { rows: 1 }, patient: { rows: 5120 }, appt: { rows: 1 } } }));
    const migrationId = await newMigration();
    const staging = stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));
    await expect(staging).rejects.toThrow(ExtractIncompleteError);
    await expect(staging).rejects.toThrow(
      'Dentrix extract is incomplete: patient (Dentrix table "patient" is truncated: the manifest promises 5120 rows, 2 were read)',
    );
    expect(await counts(migrationId)).toEqual([
      { source_table: 'appt', manifest_rows: 1, rows_read: 1, rows_staged: 1, rows_rejected: 0 },
      { source_table: 'patient', manifest_rows: 5120, rows_read: 2, rows_staged: 2, rows_rejected: 0 },
      { source_table: 'provider', manifest_rows: 1, rows_read: 1, rows_staged: 1, rows_rejected: 0 },
    ]);
    const tableIssue = await db.pool.query(
      "SELECT source_key, reason, severity FROM source_issues WHERE migration_id = $1 AND source_table = 'patient' AND reason LIKE '%truncated%'",
      [migrationId],
    );
    expect(tableIssue.rows).toEqual([
      { source_key: null, reason: 'Dentrix table "patient" is truncated: the manifest promises 5120 rows, 2 were read', severity: 'rejected' },
    ]);
  });

  it('refuses to stage for a migration that is not registered', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: PATIENTS });
    await expect(stageExtract(db.pool, 'no-such-migration', await openExtract({ kind: 'folder', path: dir }))).rejects.toThrow(
      'stageExtract: migration_runs has no row for migration no-such-migration',
    );
  });

  it('has the expression indexes loaders use to fetch related rows', async () => {
    const indexes = await db.pool.query("SELECT indexname FROM pg_indexes WHERE tablename = 'staged_rows' ORDER BY indexname");
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['staged_rows_by_guarantor', 'staged_rows_by_patient', 'staged_rows_by_txcase']),
    );
    const client = await db.pool.connect();
    try {
      await client.query('SET enable_seqscan = off'); // the test tables are tiny: make the planner show it can use them
      const expected = [
        ['patient_id', 'staged_rows_by_patient'],
        ['txcase_id', 'staged_rows_by_txcase'],
        ['guar_id', 'staged_rows_by_guarantor'],
      ] as const;
      for (const [column, index] of expected) {
        const plan = await client.query(
          `EXPLAIN SELECT data FROM staged_rows WHERE migration_id = 'm' AND source_table = 'ledger' AND data->>'${column}' = '1'`,
        );
        expect(JSON.stringify(plan.rows)).toContain(index);
      }
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });
});
