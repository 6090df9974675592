import { createTestDatabase, type TestDatabase } from '../support/db';
import { storeDb } from '../../src/store/db';
import { getRun, recordFingerprint, recordPractice, registerRun, RUN_COLUMNS, setRunAccount, setRunPhase } from '../../src/store/runs';

/** A column the store writes must come back: the currency was once written by EXTRACT and dropped on the way back. */
describe('migration runs in the store', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads back the practice EXTRACT recorded: name, time zone and currency', async () => {
    await registerRun(db.pool, { migrationId: 'cad', source: { kind: 'folder', path: '/x' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    expect((await getRun(db.pool, 'cad')).currency).toBeNull();
    await recordPractice(db.pool, 'cad', { name: 'Maple Dental', timezone: 'America/Toronto', currency: 'CAD' });
    expect(await getRun(db.pool, 'cad')).toMatchObject({ practiceName: 'Maple Dental', timezone: 'America/Toronto', currency: 'CAD', pipedriveAccount: null });
  });

  it('keeps a registered migration as it was when it is registered again', async () => {
    await registerRun(db.pool, { migrationId: 'fixed', source: { kind: 'folder', path: '/a' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    const again = await registerRun(db.pool, { migrationId: 'fixed', source: { kind: 'folder', path: '/b' }, pipedriveBaseUrl: 'http://127.0.0.1:2' });
    expect(again).toMatchObject({ source: { kind: 'folder', path: '/a' }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
  });

  it('reads back every column a run is written with (RUN_COLUMNS names each one, so a new column must be mapped to compile)', async () => {
    await registerRun(db.pool, {
      migrationId: 'every',
      practiceName: 'Lakeside',
      timezone: 'America/Chicago',
      source: { kind: 'folder', path: '/every' },
      pipedriveBaseUrl: 'http://127.0.0.1:3',
      options: { batchSize: 25 },
    });
    await recordPractice(db.pool, 'every', { name: 'Lakeside Dental', timezone: 'America/Denver', currency: 'EUR' });
    await setRunAccount(db.pool, 'every', '127.0.0.1:3#7');
    await recordFingerprint(db.pool, 'every', 'before_first_write', 'fp-before');
    await recordFingerprint(db.pool, 'every', 'at_end', 'fp-after');
    await setRunPhase(db.pool, 'every', 'DONE');

    const row = await storeDb(db.pool).selectFrom('migration_runs').selectAll().where('migration_id', '=', 'every').executeTakeFirstOrThrow();
    // Every column was set by the writes above: none left at NULL, so none can hide a dropped value.
    expect(
      Object.entries(row)
        .filter(([, v]) => v === null)
        .map(([c]) => c),
    ).toEqual([]);
    expect(Object.keys(RUN_COLUMNS).sort()).toEqual(Object.keys(row).sort());

    const run = await getRun(db.pool, 'every');
    for (const [column, field] of Object.entries(RUN_COLUMNS)) {
      if (field) expect({ column, value: run[field] }).toEqual({ column, value: row[column as keyof typeof row] });
    }
    expect(run).toEqual({
      migrationId: 'every',
      practiceName: 'Lakeside Dental',
      timezone: 'America/Denver',
      currency: 'EUR',
      source: { kind: 'folder', path: '/every' },
      pipedriveBaseUrl: 'http://127.0.0.1:3',
      pipedriveAccount: '127.0.0.1:3#7',
      phase: 'DONE',
      options: { batchSize: 25 },
      fingerprintBefore: 'fp-before',
      fingerprintAfter: 'fp-after',
    });
  });
});
