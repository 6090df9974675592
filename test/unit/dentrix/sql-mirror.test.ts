import { Client } from 'pg';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { ExtractConfigError, MissingTableError, TableRowCountError } from '../../../src/dentrix/errors';
import { generatePractice, generatePracticeToSql } from '@dentrix-pipedrive/practice-generator';
import { DENTRIX_TABLES } from '../../../src/dentrix/types';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { readAll, rows, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function sql(text: string): Promise<void> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function hashes(migrationId: string): Promise<Map<string, string>> {
  const result = await db.pool.query<{ source_table: string; source_key: string; content_hash: string }>(
    'SELECT source_table, source_key, content_hash FROM staged_rows WHERE migration_id = $1',
    [migrationId],
  );
  return new Map(result.rows.map((r) => [`${r.source_table}/${r.source_key}`, r.content_hash]));
}

describe('SQL mirror reader', () => {
  it('stages exactly what the folder reader stages, for the same generated practice (native and text column types)', async () => {
    const dir = await dirs.make();
    // The folder in US dates with a BOM; the mirrors in native types and in text: the coerced rows must not care. A
    // quarter of the demo practice: every table has rows, and the practice is generated three times.
    const practice = { profile: 'demo', seed: 7, patients: 50 } as const;
    const folder = await generatePractice({ ...practice, outDir: `${dir}/extract`, dateFormat: 'us', encoding: 'utf8-bom' });
    const native = await generatePracticeToSql({ ...practice, connectionString: db.url, schema: 'mirror_native' });
    await generatePracticeToSql({ ...practice, connectionString: db.url, schema: 'mirror_text', columnTypes: 'text' });
    expect(Object.entries(folder.manifest.tables).filter(([, t]) => t.rows === 0)).toEqual([]);
    expect(native.manifest.tables).toEqual(folder.manifest.tables);

    const sources = {
      folder: { kind: 'folder', path: `${dir}/extract` },
      native: { kind: 'sql', connectionString: db.url, schema: 'mirror_native' },
      text: { kind: 'sql', connectionString: db.url, schema: 'mirror_text' },
    } as const;
    const staged: Record<string, Map<string, string>> = {};
    for (const [name, spec] of Object.entries(sources)) {
      await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ($1, '{}', 'http://sandbox')`, [name]);
      const reader = await openExtract(spec);
      try {
        const result = await stageExtract(db.pool, name, reader);
        for (const table of result.tables) {
          expect(table.rowsRead).toBe(table.rowsStaged + table.rowsRejected);
          expect(table.rowsRead).toBe(folder.manifest.tables[table.table]!.rows);
        }
        expect(result.tables.map((t) => t.table)).toEqual([...DENTRIX_TABLES]);
      } finally {
        await reader.close();
      }
      staged[name] = await hashes(name);
    }
    expect(staged.folder!.size).toBeGreaterThan(1000);
    expect(staged.native).toEqual(staged.folder);
    expect(staged.text).toEqual(staged.folder);

    const issues = await db.pool.query<{ migration_id: string; n: number }>(
      'SELECT migration_id, count(*)::int AS n FROM source_issues GROUP BY migration_id ORDER BY migration_id',
    );
    const byMigration = Object.fromEntries(issues.rows.map((r) => [r.migration_id, r.n]));
    expect(byMigration.native).toBe(byMigration.folder);
    expect(byMigration.text).toBe(byMigration.folder);
  });

  it('needs the practice time zone when the mirror has no manifest table, and names the setting', async () => {
    await sql(`
      CREATE SCHEMA bare;
      CREATE TABLE bare.provider (provider_id text, first_name text, inactive boolean, automodifiedtimestamp timestamptz);
      CREATE TABLE bare."Patient" ("Patient_ID" integer, "First_Name" text, birth_date date, balance numeric);
      INSERT INTO bare.provider VALUES ('DDS1', 'Ana', false, '2024-07-01 15:00:00+00');
      INSERT INTO bare."Patient" VALUES (1, 'Zoë', '1980-03-04', 12.5), (2, 'Bo', NULL, NULL);
    `);
    const spec = { kind: 'sql', connectionString: db.url, schema: 'bare' } as const;
    await expect(openExtract(spec)).rejects.toThrow(ExtractConfigError);
    await expect(openExtract(spec)).rejects.toThrow("so the practice's time zone must be given (source.timezone, e.g. America/Chicago)");
    await expect(openExtract({ ...spec, timezone: 'Central' })).rejects.toThrow('source.timezone is not an IANA time zone');

    const reader = await openExtract({ ...spec, timezone: 'America/Chicago' });
    try {
      expect(await reader.manifest()).toMatchObject({ practice: { timezone: 'America/Chicago' }, tables: { provider: { rows: 1 }, patient: { rows: 2 } } });
      const provider = rows((await readAll(reader, 'provider')).results)[0]!;
      // timestamptz comes out as the practice's wall-clock time; a native boolean as a boolean.
      expect(provider.row).toMatchObject({ provider_id: 'DDS1', inactive: false, automodifiedtimestamp: '2024-07-01T10:00:00' });
      const patients = rows((await readAll(reader, 'patient')).results);
      expect(patients.map((p) => [p.key, p.row.first_name, p.row.birth_date, p.row.extra])).toEqual([
        ['1', 'Zoë', '1980-03-04', { balance: '12.5' }],
        ['2', 'Bo', null, { balance: null }],
      ]);
    } finally {
      await reader.close();
    }
  });

  it('refuses a mirror without a required table or schema, naming it', async () => {
    await sql(`CREATE SCHEMA partial; CREATE TABLE partial.provider (provider_id text);`);
    await expect(openExtract({ kind: 'sql', connectionString: db.url, schema: 'partial', timezone: 'America/Denver' })).rejects.toThrow(
      new MissingTableError('patient'),
    );
    await expect(openExtract({ kind: 'sql', connectionString: db.url, schema: 'nowhere', timezone: 'America/Denver' })).rejects.toThrow(
      'the SQL mirror has no schema "nowhere" with tables (check source.schema)',
    );
  });

  it('checks row counts against the manifest table and reads from one read-only snapshot', async () => {
    await sql(`
      CREATE SCHEMA counted;
      CREATE TABLE counted.manifest (document jsonb);
      INSERT INTO counted.manifest VALUES ('{"format":"dentrix-extract/1","practice":{"name":"P","timezone":"America/New_York","currency":"USD"},"date_format":"iso","tables":{"patient":{"rows":3}}}');
      CREATE TABLE counted.provider (provider_id text);
      CREATE TABLE counted.patient (patient_id text, first_name text);
      INSERT INTO counted.patient VALUES ('1', 'A'), ('2', 'B');
    `);
    const reader = await openExtract({ kind: 'sql', connectionString: db.url, schema: 'counted' });
    try {
      await sql(`INSERT INTO counted.patient VALUES ('3', 'C')`); // after the snapshot: not seen
      const { results, error } = await readAll(reader, 'patient');
      expect(rows(results).map((r) => r.key)).toEqual(['1', '2']);
      expect(error).toBeInstanceOf(TableRowCountError);
      expect((error as Error).message).toBe('Dentrix table "patient" is truncated: the manifest promises 3 rows, 2 were read');
      // Stopping a table early leaves the connection usable for the next one.
      for await (const _ of reader.readTable('patient')) break;
      expect((await readAll(reader, 'provider')).results).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('re-reading a live mirror (rowCounts: snapshot) counts rows in its own snapshot instead of holding them to the manifest', async () => {
    await sql(`
      CREATE SCHEMA live;
      CREATE TABLE live.manifest (document jsonb);
      INSERT INTO live.manifest VALUES ('{"format":"dentrix-extract/1","practice":{"name":"P","timezone":"America/New_York","currency":"USD"},"date_format":"iso","tables":{"patient":{"rows":2}}}');
      CREATE TABLE live.provider (provider_id text);
      CREATE TABLE live.patient (patient_id text, first_name text);
      INSERT INTO live.patient VALUES ('1', 'A'), ('2', 'B'), ('3', 'inserted after the load');
    `);
    const strict = await openExtract({ kind: 'sql', connectionString: db.url, schema: 'live' });
    try {
      expect((await readAll(strict, 'patient')).error).toBeInstanceOf(TableRowCountError);
    } finally {
      await strict.close();
    }
    const live = await openExtract({ kind: 'sql', connectionString: db.url, schema: 'live', rowCounts: 'snapshot' });
    try {
      expect((await live.manifest()).practice.name).toBe('P'); // the manifest's practice still applies
      await sql(`INSERT INTO live.patient VALUES ('4', 'D')`); // after the snapshot: neither counted nor read
      const { results, error } = await readAll(live, 'patient');
      expect(error).toBeUndefined();
      expect(rows(results).map((r) => r.key)).toEqual(['1', '2', '3']);
      expect((await live.manifest()).tables.patient).toEqual({ rows: 3 });
    } finally {
      await live.close();
    }
  });
});
