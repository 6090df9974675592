/** The account fingerprint that proves a rollback, and persistence that lets a rehearsal survive a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { call, created, createField, start, v1, v2 } from './helpers';

describe('fingerprint', () => {
  const sandboxes: RunningSandbox[] = [];
  const open = async (seed = 11): Promise<RunningSandbox> => {
    const s = await start({ seed });
    sandboxes.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });

  it('is stable for the same state and equal to GET /_sandbox/fingerprint', async () => {
    const sandbox = await open();
    const first = sandbox.fingerprint();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(sandbox.fingerprint()).toBe(first);
    expect((await call(sandbox, 'GET', '/_sandbox/fingerprint', { token: null })).body).toEqual({ fingerprint: first, records: sandbox.recordsFingerprint() });
    expect((await open()).fingerprint()).toBe(first);
  });

  it('changes with content and returns to the original after create-then-delete of everything a migration writes', async () => {
    const sandbox = await open();
    const before = sandbox.fingerprint();
    const field = await createField(sandbox, 'person', { field_name: 'Dentrix ID', field_type: 'varchar' });
    const org = await created(v2(sandbox, 'POST', '/organizations', { body: { name: 'Carrier' } }));
    const person = await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Pat', org_id: org.id, custom_fields: { [field.field_code]: 'P-1' } } }));
    const deal = await created(v2(sandbox, 'POST', '/deals', { body: { title: 'Plan', person_id: person.id } }));
    const note = await created(v1(sandbox, 'POST', '/notes', { body: { content: 'x', person_id: person.id } }));
    // An update of a pre-existing record, restored afterwards (its update_time changes, its content does not).
    await v2(sandbox, 'PATCH', '/stages/1', { body: { name: 'First contact' } });
    const during = sandbox.fingerprint();
    expect(during).not.toBe(before);

    await v2(sandbox, 'PATCH', '/stages/1', { body: { name: 'Lead In' } });
    await v1(sandbox, 'DELETE', `/notes/${note.id as number}`);
    await v2(sandbox, 'DELETE', `/deals/${deal.id as number}`);
    await v2(sandbox, 'DELETE', `/persons/${person.id as number}`);
    await v2(sandbox, 'DELETE', `/organizations/${org.id as number}`);
    await v2(sandbox, 'DELETE', `/personFields/${field.field_code}`);
    expect(sandbox.fingerprint()).toBe(before);
  });

  it('does not depend on the order records and keys were written in', async () => {
    const a = await open();
    const b = await open();
    const keyA = (await createField(a, 'person', { field_name: 'Chart', field_type: 'varchar' })).field_code;
    const keyB = (await createField(b, 'person', { field_name: 'Chart', field_type: 'varchar' })).field_code;
    const textA = (await createField(a, 'person', { field_name: 'Alert', field_type: 'text' })).field_code;
    const textB = (await createField(b, 'person', { field_name: 'Alert', field_type: 'text' })).field_code;
    expect([keyA, textA]).toEqual([keyB, textB]);

    await created(v2(a, 'POST', '/organizations', { body: { name: 'Employer' } }));
    await created(v2(a, 'POST', '/persons', { body: { name: 'Pat', custom_fields: { [keyA]: 'C-9', [textA]: 'Latex allergy' } } }));
    await created(v2(a, 'POST', '/products', { body: { name: 'D0150' } }));

    await created(v2(b, 'POST', '/products', { body: { name: 'D0150' } }));
    await created(v2(b, 'POST', '/persons', { body: { name: 'Pat', custom_fields: { [textB]: 'Latex allergy', [keyB]: 'C-9' } } }));
    await created(v2(b, 'POST', '/organizations', { body: { name: 'Employer' } }));

    expect(a.fingerprint()).toBe(b.fingerprint());
    await v2(b, 'PATCH', '/persons/1', { body: { custom_fields: { [textB]: 'No allergies' } } });
    expect(a.fingerprint()).not.toBe(b.fingerprint());
  });
});

describe('persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pipedrive-sandbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the account, file bytes and the day spending across a restart', async () => {
    const persistFile = path.join(dir, 'nested', 'sandbox.json');
    const first = await start({ persistFile, dailyTokenBudget: 1_000 });
    const field = await createField(first, 'person', { field_name: 'Dentrix ID', field_type: 'varchar' });
    const person = await created(v2(first, 'POST', '/persons', { body: { name: 'Kept', custom_fields: { [field.field_code]: 'K-1' } } }));
    await v2(first, 'DELETE', `/persons/${(await created(v2(first, 'POST', '/persons', { body: { name: 'Deleted' } }))).id as number}`);
    const form = new FormData();
    form.set('person_id', String(person.id));
    form.set('file', new Blob([Buffer.from('radiograph bytes')]), 'pano.jpg');
    const file = await created(call(first, 'POST', '/api/v1/files', { form }));
    const fingerprint = first.fingerprint();
    const remaining = first.usage().remainingTokens;
    await first.close();

    const second = await start({ persistFile, dailyTokenBudget: 1_000 });
    try {
      expect(second.fingerprint()).toBe(fingerprint);
      expect(second.usage().remainingTokens).toBe(remaining);
      const found = await v2(second, 'GET', '/persons/search', { query: { term: 'K-1', fields: 'custom_fields', exact_match: true } });
      expect(found.body.data.items.map((i: { item: { id: number } }) => i.item.id)).toEqual([person.id]);
      expect((await v2(second, 'GET', '/persons/2')).body.data.is_deleted).toBe(true);
      expect((await call(second, 'GET', `/api/v1/files/${file.id as number}/download`)).body).toBe('radiograph bytes');
      // Ids keep counting from where the first run stopped.
      expect((await created(v2(second, 'POST', '/persons', { body: { name: 'Next' } }))).id).toBe(3);
    } finally {
      await second.close();
    }
  });

  it('GET /_sandbox/snapshot returns the whole account as one JSON document', async () => {
    const sandbox = await start();
    try {
      await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Snap' } }));
      const snapshot = await call(sandbox, 'GET', '/_sandbox/snapshot', { token: null });
      expect(snapshot.status).toBe(200);
      expect(snapshot.body.meta.format).toBe('pipedrive-sandbox-state/1');
      expect(snapshot.body.tables.persons.map((p: { name: string }) => p.name)).toEqual(['Snap']);
      expect(snapshot.body.tables.stages.map((s: { name: string }) => s.name)).toEqual([
        'Lead In',
        'Contact Made',
        'Demo Scheduled',
        'Proposal Made',
        'Negotiations Started',
      ]);
      expect(snapshot.body.tables.activityTypes.map((t: { key_string: string }) => t.key_string)).toEqual([
        'call',
        'meeting',
        'task',
        'deadline',
        'email',
        'lunch',
      ]);
    } finally {
      await sandbox.close();
    }
  });

  it('reset returns the account to the seed', async () => {
    const sandbox = await start({ persistFile: path.join(dir, 'state.json') });
    const seeded = sandbox.fingerprint();
    await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Temporary' } }));
    const res = await call(sandbox, 'POST', '/_sandbox/reset', { token: null });
    expect(res.body.fingerprint).toBe(seeded);
    expect((await v2(sandbox, 'GET', '/persons')).body.data).toEqual([]);
    await sandbox.close();
  });
});
