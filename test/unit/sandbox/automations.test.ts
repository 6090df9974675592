/** Rehearsal account automations: a field rewritten right after create, as a real account's automations do. */
import type { RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { call, createField, start, v2 } from './helpers';

describe('sandbox account automations', () => {
  let sandbox: RunningSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('rewrites the field of every n-th created record after the create answered; [] turns them off', async () => {
    sandbox = await start({});
    const set = await call(sandbox, 'PUT', '/_sandbox/automations', {
      token: null,
      body: { rules: [{ entity: 'deal', field: 'title', append: ' [auto]', every: 2 }] },
    });
    expect(set.status).toBe(200);
    const ids: number[] = [];
    for (const title of ['one', 'two', 'three', 'four']) {
      const created = await v2(sandbox, 'POST', '/deals', { body: { title } });
      expect(created.body.data.title).toBe(title); // the create's answer shows the record before the automation ran
      ids.push(created.body.data.id as number);
    }
    const titles = [];
    for (const id of ids) titles.push((await v2(sandbox, 'GET', `/deals/${id}`)).body.data.title);
    expect(titles).toEqual(['one', 'two [auto]', 'three', 'four [auto]']);

    const records = sandbox.recordsFingerprint();
    const fingerprint = sandbox.fingerprint();
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null })).body).toEqual({ fingerprint, records });
    await call(sandbox, 'PUT', '/_sandbox/automations', { token: null, body: { rules: [] } });
    const plain = await v2(sandbox, 'POST', '/deals', { body: { title: 'five' } });
    expect((await v2(sandbox, 'GET', `/deals/${plain.body.data.id as number}`)).body.data.title).toBe('five');
    expect(sandbox.recordsFingerprint()).not.toBe(records);
  });

  it('refuses a bad rule naming the setting', async () => {
    sandbox = await start({});
    const bad = await call(sandbox, 'PUT', '/_sandbox/automations', { token: null, body: { rules: [{ entity: 'note', field: 'content', append: 'x' }] } });
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toContain('rules.0.entity');
  });

  it('keeps the records fingerprint apart from the schema: a new field changes only the account fingerprint', async () => {
    sandbox = await start({});
    const records = sandbox.recordsFingerprint();
    const fingerprint = sandbox.fingerprint();
    await createField(sandbox, 'deal', { field_name: 'Rehearsal', field_type: 'varchar' });
    expect(sandbox.fingerprint()).not.toBe(fingerprint);
    expect(sandbox.recordsFingerprint()).toBe(records);
  });
});
