import { recoverCreatedId } from '../../../src/engine/recovery';
import { registryOperations } from '../../../src/engine/registry-operations';
import { SOURCE_KEY_FIELD, type FieldKeys } from '../../../src/mapping';
import { PipedriveClient } from '../../../src/pipedrive/client';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { createField, start, TOKEN, v2 } from '../sandbox/helpers';

/**
 * Recovery after a lost create response (DESIGN §5.1) finds the record by the Dentrix key written into it. Keys are
 * per practice, so an account that already holds another practice's `patient:5` must not hand that record over.
 */
describe('recovering a record whose create response was lost', () => {
  let sandbox: RunningSandbox;
  let client: PipedriveClient;
  let fieldKeys: FieldKeys;

  beforeAll(async () => {
    sandbox = await start();
    client = new PipedriveClient({ baseUrl: sandbox.url, apiToken: TOKEN, plan: 'ultimate', burstLimit: 1000 });
    const field = await createField(sandbox, 'person', { field_name: SOURCE_KEY_FIELD, field_type: 'varchar' });
    fieldKeys = { person: { [SOURCE_KEY_FIELD]: { key: field.field_code, type: 'varchar' } } };
    const created = await v2(sandbox, 'POST', '/persons', { body: { name: 'Other practice person', custom_fields: { [field.field_code]: 'patient:5' } } });
    expect(created.status).toBe(200);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('adopts a record with the key written since the attempt (allowing for clock skew)', async () => {
    const attemptedAt = new Date(Date.now() - 1000);
    await expect(recoverCreatedId(registryOperations(client), 'person', 'patient:5', fieldKeys, { since: attemptedAt })).resolves.toMatch(/^\d+$/u);
  });

  it('never adopts an older record that carries the same key: it belongs to another practice or migration', async () => {
    const attemptedLater = new Date(Date.now() + 60 * 60 * 1000);
    await expect(recoverCreatedId(registryOperations(client), 'person', 'patient:5', fieldKeys, { since: attemptedLater })).resolves.toBeUndefined();
  });

  it("passes over a record with the key that another migration into the account created, and finds this one's", async () => {
    const key = fieldKeys.person![SOURCE_KEY_FIELD]!.key;
    const ids: string[] = [];
    for (const name of ['First practice person', 'Second practice person']) {
      const created = await v2(sandbox, 'POST', '/persons', { body: { name, custom_fields: { [key]: 'patient:7' } } });
      ids.push(String((created.body as { data: { id: number } }).data.id));
    }
    const [theirs, ours] = ids as [string, string];
    const since = new Date(Date.now() - 1000);
    const createdElsewhere = (id: string) => Promise.resolve(id === theirs);
    await expect(recoverCreatedId(registryOperations(client), 'person', 'patient:7', fieldKeys, { since, createdElsewhere })).resolves.toBe(ours);
    const bothElsewhere = (id: string) => Promise.resolve(id === theirs || id === ours);
    await expect(
      recoverCreatedId(registryOperations(client), 'person', 'patient:7', fieldKeys, { since, createdElsewhere: bothElsewhere }),
    ).resolves.toBeUndefined();
  });

  it('finds nothing for a key nobody wrote', async () => {
    await expect(recoverCreatedId(registryOperations(client), 'person', 'patient:6', fieldKeys, { since: new Date(0) })).resolves.toBeUndefined();
  });
});
