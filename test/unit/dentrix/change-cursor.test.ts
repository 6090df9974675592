import { Client } from 'pg';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { hasChangeCursor, type ChangeCursorReader } from '../../../src/dentrix/sql-reader';
import type { DentrixTable } from '../../../src/dentrix/types';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { rows } from './helpers';

/** The SQL mirror's change cursor (automodifiedtimestamp) and the change reads staged from it, on a throw-away database. */
let db: TestDatabase;
let runs = 0;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

async function newMigration(): Promise<string> {
  const id = `cursor-${++runs}`;
  await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ($1, '{}', 'http://sandbox')`, [id]);
  return id;
}

async function openCursorReader(schema: string): Promise<ChangeCursorReader> {
  const reader = await openExtract({ kind: 'sql', connectionString: db.url, schema, timezone: 'America/Chicago', rowCounts: 'snapshot' });
  if (!hasChangeCursor(reader)) throw new Error('the SQL mirror reader should read by change cursor');
  return reader;
}

async function keysSince(reader: ChangeCursorReader, table: DentrixTable, since: string, overlapSeconds: number): Promise<string[]> {
  const results = [];
  for await (const result of reader.readTableChangedSince(table, since, overlapSeconds)) results.push(result);
  return rows(results).map((r) => r.key);
}

async function staged(migrationId: string, table: string) {
  const { rows: found } = await db.pool.query<{ source_key: string; row_seq: string; first_name: string | null; changed_at: Date }>(
    `SELECT source_key, row_seq, data->>'first_name' AS first_name, changed_at FROM staged_rows
     WHERE migration_id = $1 AND source_table = $2 ORDER BY row_seq`,
    [migrationId, table],
  );
  return new Map(found.map((r) => [r.source_key, { rowSeq: Number(r.row_seq), firstName: r.first_name, changedAt: r.changed_at.getTime() }]));
}

describe('SQL mirror change cursor', () => {
  it('finds the cursor on tables whose automodifiedtimestamp has a native type (any case), not on text or absent columns', async () => {
    await sql(`
      CREATE SCHEMA kinds;
      CREATE TABLE kinds.provider (provider_id text, "AutoModifiedTimestamp" timestamptz);
      CREATE TABLE kinds.patient (patient_id integer, first_name text, automodifiedtimestamp timestamp);
      CREATE TABLE kinds.appt (appointment_id integer, automodifiedtimestamp text);
      CREATE TABLE kinds.recall (recall_id integer, automodifiedtimestamp date);
      CREATE TABLE kinds.insured (insured_id integer);
    `);
    const reader = await openCursorReader('kinds');
    try {
      expect(reader.changeCursor('provider')).toEqual({ column: 'AutoModifiedTimestamp', type: 'timestamptz' });
      expect(reader.changeCursor('patient')).toEqual({ column: 'automodifiedtimestamp', type: 'timestamp' });
      expect(reader.changeCursor('recall')).toEqual({ column: 'automodifiedtimestamp', type: 'date' });
      expect(reader.changeCursor('appt')).toBeUndefined(); // text need not sort as time: read in full
      expect(reader.changeCursor('insured')).toBeUndefined(); // no cursor in the contract
      expect(() => reader.readTableChangedSince('insured', '2026-11-20', 0)).toThrow(/no change cursor/);
    } finally {
      await reader.close();
    }
  });

  it('reads rows stamped at or after the watermark minus the overlap (and unstamped rows), from its snapshot; the position is the capped maximum, never behind', async () => {
    await sql(`
      CREATE SCHEMA cur;
      CREATE TABLE cur.provider (provider_id text);
      CREATE TABLE cur.patient (patient_id integer, first_name text, automodifiedtimestamp timestamp);
      CREATE TABLE cur.txcase (txcase_id integer, patient_id integer, automodifiedtimestamp timestamp);
      INSERT INTO cur.patient VALUES
        (1, 'A', '2026-11-20 10:00:00'), (2, 'B', '2026-11-20 10:05:00'), (3, 'C', '2026-11-20 10:10:00'), (4, 'D', NULL);
    `);
    const reader = await openCursorReader('cur');
    try {
      await sql(`INSERT INTO cur.patient VALUES (5, 'after the snapshot', '2026-11-20 12:00:00')`);
      // >=: a row stamped exactly at the watermark is read again (equal stamps committed late are not lost).
      expect(await keysSince(reader, 'patient', '2026-11-20 10:05:00', 0)).toEqual(['2', '3', '4']);
      expect(await keysSince(reader, 'patient', '2026-11-20 10:05:00', 300)).toEqual(['1', '2', '3', '4']);
      expect(await keysSince(reader, 'patient', '2026-11-20 10:10:01', 0)).toEqual(['4']);
      // Positions come from the same snapshot: the row inserted since is not in it.
      expect(await reader.cursorPosition('patient', null)).toBe('2026-11-20 10:10:00');
      expect(await reader.cursorPosition('patient', '2026-11-20 11:00:00')).toBe('2026-11-20 11:00:00');
      expect(await reader.cursorPosition('txcase', null)).toBeNull(); // empty, first look: no watermark yet
      expect(await reader.cursorPosition('txcase', '2026-11-20 09:00:00')).toBe('2026-11-20 09:00:00');
    } finally {
      await reader.close();
    }

    // A row stamped in the future (a wrong clock) must not carry the watermark past rows written now.
    await sql(`INSERT INTO cur.patient VALUES (6, 'F', '2099-01-01 00:00:00')`);
    const later = await openCursorReader('cur');
    try {
      const position = (await later.cursorPosition('patient', null))!;
      const { rows: clock } = await db.pool.query<{ now: string }>("SELECT (now() AT TIME ZONE 'America/Chicago')::text AS now");
      expect(position < '2099').toBe(true);
      expect(Math.abs(Date.parse(position.replace(' ', 'T') + 'Z') - Date.parse(clock[0]!.now.replace(' ', 'T') + 'Z'))).toBeLessThan(60_000);
    } finally {
      await later.close();
    }
  });

  it('stages a change read: picks up a row committed late with an earlier stamp, leaves an unstamped change unread, keeps row order and the full read’s counts', async () => {
    await sql(`
      CREATE SCHEMA late;
      CREATE TABLE late.provider (provider_id text, automodifiedtimestamp timestamp);
      CREATE TABLE late.patient (patient_id integer, first_name text, automodifiedtimestamp timestamp);
      CREATE TABLE late.insured (insured_id integer, subscriber_id_num text);
      INSERT INTO late.provider VALUES ('DDS1', '2026-11-01 08:00:00');
      INSERT INTO late.patient SELECT i, 'P' || i, timestamp '2026-11-20 10:00:00' + i * interval '1 minute' FROM generate_series(1, 20) i;
      INSERT INTO late.insured VALUES (1, 'M1'), (2, 'M2');
    `);
    const migrationId = await newMigration();

    // The full run's extract, then the first delta poll: no watermark yet, so every table is read in full.
    const first = await openCursorReader('late');
    let watermark: string;
    try {
      const counts = await stageExtract(db.pool, migrationId, first, { changedSince: {} });
      expect(counts.tables.map((t) => [t.table, t.read, t.rowsRead])).toEqual([
        ['provider', 'full', 1],
        ['patient', 'full', 20],
        ['insured', 'full', 2],
      ]);
      watermark = (await first.cursorPosition('patient', null))!;
    } finally {
      await first.close();
    }
    expect(watermark).toBe('2026-11-20 10:20:00');
    const before = await staged(migrationId, 'patient');
    const countsBefore = await db.pool.query('SELECT * FROM extract_counts WHERE migration_id = $1 ORDER BY source_table', [migrationId]);

    // After that poll: a transaction stamped before the watermark commits late (patient 3, stamp 10:19:30); patient 5
    // changes without its stamp moving; patient 21 is new; an insured row (no cursor) changes.
    await sql(`
      UPDATE late.patient SET first_name = 'Late', automodifiedtimestamp = '2026-11-20 10:19:30' WHERE patient_id = 3;
      UPDATE late.patient SET first_name = 'Unstamped' WHERE patient_id = 5;
      INSERT INTO late.patient VALUES (21, 'New', '2026-11-20 10:25:00');
      UPDATE late.insured SET subscriber_id_num = 'M2-new' WHERE insured_id = 2;
    `);

    const second = await openCursorReader('late');
    try {
      // Without the overlap the late row would be lost: it is stamped below the watermark the last poll recorded.
      expect(await keysSince(second, 'patient', watermark, 0)).toEqual(['20', '21']);
      const counts = await stageExtract(db.pool, migrationId, second, {
        changedSince: { patient: watermark, provider: '2026-11-01 08:00:00' },
        cursorOverlapSeconds: 45, // from 10:19:15
      });
      expect(counts.tables.map((t) => [t.table, t.read, t.rowsRead])).toEqual([
        ['provider', 'changes', 1],
        ['patient', 'changes', 3], // 3 (late), 20 (in the overlap, unchanged), 21 (new); not the other 18
        ['insured', 'full', 2],
      ]);
      expect(await second.cursorPosition('patient', watermark)).toBe('2026-11-20 10:25:00');
    } finally {
      await second.close();
    }

    const after = await staged(migrationId, 'patient');
    expect(after.get('3')).toMatchObject({ firstName: 'Late', rowSeq: before.get('3')!.rowSeq });
    expect(after.get('3')!.changedAt).toBeGreaterThan(before.get('3')!.changedAt);
    expect(after.get('20')).toEqual(before.get('20')); // read again unchanged: not a change
    expect(after.get('5')).toEqual(before.get('5')); // by design: not stamped, so not read
    expect(after.get('21')!.firstName).toBe('New');
    expect(after.get('21')!.rowSeq).toBeGreaterThan(20); // numbered after the table's last row
    expect(new Set([...after.values()].map((r) => r.rowSeq)).size).toBe(21);
    const insured = await db.pool.query<{ data: { subscriber_id_num: string } }>(
      "SELECT data FROM staged_rows WHERE migration_id = $1 AND source_table = 'insured' AND source_key = '2'",
      [migrationId],
    );
    expect(insured.rows[0]!.data.subscriber_id_num).toBe('M2-new'); // no cursor: read in full, compared by hash
    // A partial read cannot say how many rows a table has: the counts still describe the last full read.
    const countsAfter = await db.pool.query('SELECT * FROM extract_counts WHERE migration_id = $1 ORDER BY source_table', [migrationId]);
    expect(countsAfter.rows.filter((r) => r.source_table !== 'insured')).toEqual(countsBefore.rows.filter((r) => r.source_table !== 'insured'));
  });

  it('a change read replaces the row issues of the keys it read and keeps the others', async () => {
    await sql(`
      CREATE SCHEMA issues;
      CREATE TABLE issues.provider (provider_id text);
      CREATE TABLE issues.patient (patient_id integer, first_name text, birth_date text, automodifiedtimestamp timestamp);
      INSERT INTO issues.patient VALUES
        (1, 'A', '00/00/0000', '2026-11-20 09:00:00'), (2, 'B', '00/00/0000', '2026-11-20 10:00:00');
    `);
    const migrationId = await newMigration();
    const issueKeys = async () =>
      (
        await db.pool.query<{ source_key: string }>(
          "SELECT source_key FROM source_issues WHERE migration_id = $1 AND source_table = 'patient' AND source_key IS NOT NULL ORDER BY 1",
          [migrationId],
        )
      ).rows.map((r) => r.source_key);
    const full = await openCursorReader('issues');
    try {
      await stageExtract(db.pool, migrationId, full);
    } finally {
      await full.close();
    }
    expect(await issueKeys()).toEqual(['1', '2']);

    await sql(`UPDATE issues.patient SET birth_date = '1990-01-02', automodifiedtimestamp = '2026-11-20 11:00:00' WHERE patient_id = 2`);
    const changes = await openCursorReader('issues');
    try {
      await stageExtract(db.pool, migrationId, changes, { changedSince: { patient: '2026-11-20 10:00:00' } });
    } finally {
      await changes.close();
    }
    expect(await issueKeys()).toEqual(['1']); // patient 2's bad date is fixed; patient 1 was not read and keeps its issue
  });
});
