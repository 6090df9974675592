import { createTestDatabase, type TestDatabase } from '../support/db';
import { getRun, recordPractice, registerRun } from '../../src/store/runs';

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
});
