import fs from 'node:fs';
import path from 'node:path';
import { createHarness, type Harness } from '../support/harness';
import { COMPACT_PATIENTS } from '../support/practice';
import { parseMigrationOptions } from '../../src/config';
import { startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { generatePracticeToSql } from '@dentrix-pipedrive/practice-generator';
import { startSandbox, DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import axios from 'axios';

jest.setTimeout(10 * 60 * 1000);

/** The other source shape: the same practice as a SQL mirror (a PostgreSQL schema), its files in a folder beside it. */
describe('a migration from a SQL mirror', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let documentsDir: string;

  beforeAll(async () => {
    h = await createHarness();
    documentsDir = path.join(h.dataDir, 'mirror-documents');
    // A Canadian practice: every amount must reach Pipedrive in CAD (the account's default currency is USD).
    await generatePracticeToSql({
      profile: 'demo',
      seed: 42,
      patients: COMPACT_PATIENTS,
      connectionString: h.db.url,
      schema: 'admin',
      documentsDir,
      currency: 'CAD',
    });
    sandbox = await startSandbox({ port: 0, plan: 'ultimate', seats: 10, burstLimit: 2000 });
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
  });

  it('goes through every phase to DONE at 100%, in the practice’s currency (CAD), uploading the documents from the mirror’s documents folder', async () => {
    expect(fs.readdirSync(documentsDir).length).toBeGreaterThan(0);
    const mirrorDigest = async () =>
      (
        await h.db.pool.query<{ digest: string }>(
          `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (
             SELECT p::text AS t FROM admin.patient p UNION ALL SELECT a::text FROM admin.appt a UNION ALL SELECT d::text FROM admin.document d) x`,
        )
      ).rows[0]!.digest;
    const before = await mirrorDigest();
    const migrationId = 'sql-mirror';
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId,
      source: { kind: 'sql', connectionString: h.db.url, schema: 'admin', documentsDir },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 200, batchSize: 50, concurrency: 2, skipDelta: true }),
    });
    const { status } = await driveMigration(h.client, migrationId, { by: 'e2e-test', includeAllPhi: true, minSampleAccuracy: 99 });
    expect(status.phase).toBe('DONE');
    expect(status.verification!.accuracy).toBe(100);
    expect(status.objects.file!.migrated).toBeGreaterThan(0);
    expect(status.objects.file!.rejected).toBe(0);
    for (const [type, c] of Object.entries(status.objects)) expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    // The SQL source was read, never written: the mirror's rows are exactly as the generator left them.
    expect(await mirrorDigest()).toBe(before);
    // Every deal and product price in the practice's currency, and VERIFY (100% above) expected CAD too.
    const api = axios.create({ baseURL: sandbox.url, headers: { 'x-api-token': DEFAULT_API_TOKEN } });
    const deals = (await api.get('/api/v2/deals', { params: { limit: 500 } })).data.data as { currency: string }[];
    expect(deals.length).toBeGreaterThan(10);
    expect(new Set(deals.map((d) => d.currency))).toEqual(new Set(['CAD']));
    const products = (await api.get('/api/v2/products', { params: { limit: 500 } })).data.data as { prices: { currency: string }[] }[];
    expect(new Set(products.flatMap((p) => p.prices.map((x) => x.currency)))).toEqual(new Set(['CAD']));
  });
});
