import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { generatePractice, generatePracticeToSql, writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { NEVER_STORED_COLUMNS, NeverStoredScrubber, isNeverStoredToken } from '../../../src/dentrix/never-stored';
import { defaultFieldMap } from '../../../src/mapping';
import { classifyColumn } from '../../../src/review/phi-class';
import { profileStagedColumns } from '../../../src/review/profile';
import { kindOfValue, maskValue } from '../../../src/review/value-profile';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { MANIFEST, PROVIDERS, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function newMigration(id: string): Promise<string> {
  await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ($1, '{}', 'http://sandbox')`, [id]);
  return id;
}

/** Every value of every column of every table of the store, as text, with where it is. */
async function wholeStore(): Promise<{ table: string; text: string }[]> {
  const { rows: tables } = await db.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const out: { table: string; text: string }[] = [];
  for (const { table_name: table } of tables) {
    const { rows } = await db.pool.query<{ t: string }>(`SELECT t::text AS t FROM "${table}" t`);
    out.push({ table, text: rows.map((r) => r.t).join('\n') });
  }
  return out;
}

/** SSNs with or without dashes, not inside a longer number. */
const ssnPattern = (ssn: string) => {
  const d = ssn.replace(/\D/g, '');
  return new RegExp(`(?<!\\d)${d.slice(0, 3)}[\\s-]?${d.slice(3, 5)}[\\s-]?${d.slice(5)}(?!\\d)`);
};

function ssnsFound(store: { table: string; text: string }[], ssns: string[]): string[] {
  return ssns.flatMap((ssn) => store.filter((s) => ssnPattern(ssn).test(s.text)).map((s) => `${s.table}: ${ssn}`));
}

describe('never-migrate values are never stored (DESIGN §5.11)', () => {
  it('knows the same never-migrate columns as the default map', () => {
    const fromMap = defaultFieldMap()
      .rules.filter((r) => r.phi === 'never')
      .flatMap((r) => {
        const source = r.source;
        return source.kind === 'columns' ? source.columns.map((c) => `${source.table}.${c}`) : [];
      });
    const listed = Object.entries(NEVER_STORED_COLUMNS).flatMap(([table, columns]) => (columns ?? []).map((c) => `${table}.${c}`));
    expect(fromMap).toEqual(['patient.ssn']);
    expect(listed.sort()).toEqual(fromMap.sort());
  });

  it('replaces an SSN by a keyed hash: the same with or without dashes, different under another key, not a plain hash', () => {
    const key = randomBytes(32);
    const scrubber = new NeverStoredScrubber(key);
    const token = scrubber.token('123-45-6789');
    expect(isNeverStoredToken(token)).toBe(true);
    expect(scrubber.token('123456789')).toBe(token);
    expect(new NeverStoredScrubber(randomBytes(32)).token('123-45-6789')).not.toBe(token);
    for (const plain of ['123-45-6789', '123456789']) {
      expect(token).not.toContain(createHash('sha256').update(plain).digest('base64url'));
      expect(token).not.toContain(createHash('sha256').update(plain).digest('hex'));
    }
    // The row as stored holds the hash; the row as its content hash sees it holds nothing.
    const row = { patient_id: 1, first_name: 'Ann', ssn: '123-45-6789', extra: { soc_sec_no: '987654321', old_ident: ' 111-22-3333 ', flag: 'VIP' } };
    const { stored, hashed } = scrubber.scrub('patient', row);
    expect(stored).toEqual({
      patient_id: 1,
      first_name: 'Ann',
      ssn: token,
      extra: { soc_sec_no: scrubber.token('987-65-4321'), old_ident: scrubber.token('111-22-3333'), flag: 'VIP' },
    });
    expect(hashed).toEqual({ patient_id: 1, first_name: 'Ann', ssn: null, extra: { soc_sec_no: null, old_ident: null, flag: 'VIP' } });
    expect(row.ssn).toBe('123-45-6789'); // the reader's row is not changed in place
    // A row without any is passed through as it is.
    const plain = { patient_id: 2, ssn: null };
    expect(scrubber.scrub('patient', plain)).toEqual({ stored: plain, hashed: plain });
    expect(scrubber.scrub('patient', plain).stored).toBe(plain);
  });

  it('profiles a stored hash as an SSN and shows it as one in the workbook, so the proposer still keeps the column in Dentrix', () => {
    const token = new NeverStoredScrubber(randomBytes(32)).token('123-45-6789');
    expect(kindOfValue(token)).toBe('ssn');
    expect(maskValue(token)).toBe('hashed SSN');
  });

  it('stages an extract folder without its SSNs, whether in the SSN column or in a practice-specific one; re-staging it changes nothing', async () => {
    const dir = await dirs.make();
    const patients = [
      { patient_id: 1, first_name: 'Ann', last_name: 'Lee', guar_id: 1, ssn: '123-45-6789', old_ident: '234-56-7890', soc_sec_no: '345678901' },
      { patient_id: 2, first_name: 'Bo', last_name: 'Li', guar_id: 1, ssn: '', old_ident: '456-78-9012', soc_sec_no: '' },
      { patient_id: 3, first_name: 'Cy', last_name: 'Ng', guar_id: 3, ssn: '567 89 0123', old_ident: '678-90-1234', soc_sec_no: '789-01-2345' },
    ];
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: patients });
    const migrationId = await newMigration('never-folder');
    await stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));

    const ssns = patients.flatMap((p) => [p.ssn, p.old_ident, p.soc_sec_no]).filter((s) => s !== '');
    expect(ssnsFound(await wholeStore(), ssns)).toEqual([]);
    const { rows } = await db.pool.query<{ data: Record<string, unknown> & { extra: Record<string, string | null> } }>(
      "SELECT data FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient' ORDER BY row_seq",
      [migrationId],
    );
    expect(
      rows.map((r) => [r.data.first_name, typeof r.data.ssn === 'string' && isNeverStoredToken(r.data.ssn), isNeverStoredToken(r.data.extra.old_ident ?? '')]),
    ).toEqual([
      ['Ann', true, true],
      ['Bo', false, true],
      ['Cy', true, true],
    ]);
    expect(rows[0]!.data.ssn).not.toBe(rows[2]!.data.ssn);

    // What the proposer reads: the SSN column and the SSN-shaped practice column still profile as SSNs: never moves.
    const { profiles } = await profileStagedColumns(db.pool, migrationId);
    expect(profiles.patient!.ssn!.kind).toBe('ssn');
    expect(classifyColumn('patient', 'old_ident', profiles.patient!.old_ident).phi).toBe('never');
    expect(classifyColumn('patient', 'soc_sec_no', profiles.patient!.soc_sec_no).phi).toBe('never');

    // Re-staging the same extract changes nothing: the key is the migration's, kept in the store.
    const before = await db.pool.query('SELECT source_key, content_hash, data FROM staged_rows WHERE migration_id = $1 ORDER BY source_table, source_key', [
      migrationId,
    ]);
    await stageExtract(db.pool, migrationId, await openExtract({ kind: 'folder', path: dir }));
    const after = await db.pool.query('SELECT source_key, content_hash, data FROM staged_rows WHERE migration_id = $1 ORDER BY source_table, source_key', [
      migrationId,
    ]);
    expect(after.rows).toEqual(before.rows);
  });

  it('stages a generated practice from a SQL mirror, and the same from its folder, without a single SSN anywhere in the store', async () => {
    const dir = await dirs.make();
    await generatePractice({ profile: 'demo', seed: 11, patients: 40, outDir: path.join(dir, 'extract') });
    await generatePracticeToSql({ profile: 'demo', seed: 11, patients: 40, connectionString: db.url, schema: 'never_mirror' });
    const patients = parse<Record<string, string>>(await readFile(path.join(dir, 'extract', 'patient.csv'), 'utf8'), { columns: true, bom: true });
    const ssns = patients.map((p) => p.ssn ?? '').filter((s) => s !== '');
    expect(ssns.length).toBeGreaterThan(5);

    for (const [migrationId, spec] of [
      ['never-sql', { kind: 'sql', connectionString: db.url, schema: 'never_mirror' }],
      ['never-generated-folder', { kind: 'folder', path: path.join(dir, 'extract') }],
    ] as const) {
      await newMigration(migrationId);
      const reader = await openExtract(spec);
      try {
        await stageExtract(db.pool, migrationId, reader);
      } finally {
        await reader.close();
      }
      const { rows } = await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staged_rows WHERE migration_id = $1 AND source_table = 'patient' AND data->>'ssn' LIKE 'ssn-hmac:%'",
        [migrationId],
      );
      expect({ migrationId, hashed: rows[0]!.n }).toEqual({ migrationId, hashed: ssns.length });
    }
    // The mirror itself holds them (a control for the search); the store's own tables do not.
    const store = (await wholeStore()).filter((s) => s.table !== 'store_migrations');
    expect(ssnsFound(store, ssns)).toEqual([]);
    const mirror = await db.pool.query<{ t: string }>('SELECT t::text AS t FROM never_mirror.patient t');
    expect(ssnsFound([{ table: 'never_mirror.patient', text: mirror.rows.map((r) => r.t).join('\n') }], ssns)).toHaveLength(ssns.length);
  });
});
