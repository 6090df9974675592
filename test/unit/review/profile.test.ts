import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { defaultFieldMap } from '../../../src/mapping';
import { profileStagedColumns } from '../../../src/review/profile';
import { proposeForMigration } from '../../../src/review';
import { kindOfValue, maskValue, profileValues } from '../../../src/review/value-profile';
import { createTestDatabase, type TestDatabase } from '../../support/db';

const MANIFEST = {
  format: 'dentrix-extract/1' as const,
  practice: { name: 'Profile Dental', timezone: 'America/Chicago', currency: 'USD' },
  date_format: 'iso' as const,
  tables: {},
};

function patient(id: number, extra: Record<string, string>) {
  return { patient_id: id, fname: `Name${id}`, last_name: `Last${id}`, birth_date: null, email: null, ...extra };
}

describe('value profiles', () => {
  it('recognises the shapes front desks type', () => {
    expect(kindOfValue('(312) 555-0142')).toBe('phone');
    expect(kindOfValue('312.555.0142 x12')).toBe('phone');
    expect(kindOfValue('3125550142')).toBe('integer');
    expect(kindOfValue(' ANN@Example.com ')).toBe('email');
    expect(kindOfValue('2024-02-29')).toBe('date');
    expect(kindOfValue('02/29/2024')).toBe('us_date');
    expect(kindOfValue('2024-02-29 13:05:00')).toBe('datetime');
    expect(kindOfValue('1,234.50')).toBe('money');
    expect(kindOfValue(12.5)).toBe('money');
    expect(kindOfValue('123-45-6789')).toBe('ssn');
    expect(kindOfValue('D2750')).toBe('code');
    expect(kindOfValue('Y')).toBe('boolean');
    expect(kindOfValue('')).toBe('empty');
  });

  it('a small repeated vocabulary is an enumeration; distinct values are not', () => {
    expect(profileValues(['PPO', 'HMO', 'PPO', 'PPO', 'HMO']).options).toEqual(['PPO', 'HMO']);
    expect(profileValues(['a1', 'b2', 'c3', 'd4', 'e5']).options).toBeNull();
    expect(profileValues(['a1', 'b2', 'c3', 'd4', 'e5']).unique).toBe(true);
  });

  it('masks a value to its shape', () => {
    expect(maskValue('Ann-Marie 42')).toBe('Xxx-Xxxxx 99');
  });
});

describe('profileStagedColumns (PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'review-profile-'));
    const patients = Array.from({ length: 40 }, (_, i) =>
      patient(i + 1, { loyalty_tier: ['Gold', 'Silver', 'Bronze'][i % 3]!, usr_fld_2: `person${i + 1}@example.com`, empty_col: '' }),
    );
    await writeExtractFolder(dir, MANIFEST, {
      provider: [{ provider_id: 'DDS1', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }],
      patient: patients,
    });
    await db.pool.query(
      `INSERT INTO migration_runs (migration_id, practice_name, timezone, source, pipedrive_base_url) VALUES ('m1', 'Profile Dental', 'America/Chicago', $1, 'http://127.0.0.1:1')`,
      [{ kind: 'folder', path: dir }],
    );
    const reader = await openExtract({ kind: 'folder', path: dir });
    try {
      await stageExtract(db.pool, 'm1', reader);
    } finally {
      await reader.close();
    }
  });

  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the contract columns with values and the practice-specific ones, with profiles spread over the table', async () => {
    const staged = await profileStagedColumns(db.pool, 'm1', { sampleRows: 10 });
    expect(staged.columnsByTable.patient).toEqual(['patient_id', 'last_name', 'empty_col', 'fname', 'loyalty_tier', 'usr_fld_2']);
    expect(staged.columnsByTable.appt).toBeUndefined();
    const tier = staged.profiles.patient!.loyalty_tier!;
    expect(tier.sampled).toBe(10);
    expect(tier.options).toEqual(expect.arrayContaining(['Gold', 'Silver', 'Bronze']));
    // Every 4th of 40 rows, not the first ten: the sample is spread over the table.
    expect(staged.profiles.patient!.patient_id!.samples).toEqual(['4', '8', '12', '16', '20']);
    expect(staged.profiles.patient!.usr_fld_2!.kind).toBe('email');
    expect(staged.profiles.patient!.empty_col!.nonNull).toBe(0);
  });

  it('proposeForMigration proposes from the staged columns and returns a valid new map version', async () => {
    const base = defaultFieldMap();
    const { map, proposal } = await proposeForMigration(db.pool, 'm1', base, { sampleRows: 50 });
    expect(map.version).toBe(base.version + 1);
    expect(proposal.find((r) => r.column === 'fname')).toMatchObject({ destination: { kind: 'contract', column: 'first_name' } });
    expect(proposal.find((r) => r.column === 'usr_fld_2')).toMatchObject({ destination: { kind: 'contract', column: 'email' } });
    expect(proposal.find((r) => r.column === 'empty_col')).toMatchObject({ destination: { kind: 'not_migrated' } });
    expect(map.rules.find((r) => r.id === 'patient.loyalty_tier')).toMatchObject({ target: { field: { kind: 'custom', name: 'Loyalty Tier' } } });
  });
});
