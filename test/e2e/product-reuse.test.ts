import axios from 'axios';
import { rollbackResult } from '../../src/cli/migration-result';
import { COMPACT_PATIENTS, usePracticeWorld } from '../support/practice';
import { parseMigrationOptions } from '../../src/config';
import { requestRollback, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { rollbackWorkflowId } from '../../src/runtime/temporal';
import { DEFAULT_API_TOKEN } from '@dentrix-pipedrive/pipedrive-sandbox';

jest.setTimeout(10 * 60 * 1000);

/**
 * A practice whose Pipedrive account already sells some CDT codes: the migration links deals to those products
 * instead of creating a second product per code, verifies them by code only (their names and prices are the
 * account's), and a rollback leaves them where they were.
 */
describe('products the account already had', () => {
  const world = usePracticeWorld({ patients: COMPACT_PATIENTS });

  it('are reused by code, linked from deal products, compared by code, and survive the rollback', async () => {
    const { h, sandbox, extract } = world;
    const api = axios.create({ baseURL: sandbox.url, headers: { 'x-api-token': DEFAULT_API_TOKEN } });
    // The account's own price list: D2740 (on treatment plans of the compact practice) under its own name and price; d0120 typed in lower case by a person.
    const own = await Promise.all(
      [
        { name: 'Ceramic crown (house price)', code: 'D2740', prices: [{ currency: 'USD', price: 1190 }] },
        { name: 'Periodic exam', code: 'd0120' },
      ].map(async (body) => (await api.post<{ data: { id: number } }>('/api/v2/products', body)).data.data.id),
    );
    const fingerprintBefore = sandbox.fingerprint();

    const migrationId = 'e2e-product-reuse';
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({
        sampleSize: 60,
        allowSmallSample: true,
        batchSize: 50,
        concurrency: 2,
        skipDelta: true,
        objectTypes: ['organization', 'product', 'person', 'deal', 'deal_product'],
      }),
    });
    const { status } = await driveMigration(h.client, migrationId, { by: 'e2e-test', includeAllPhi: true, minSampleAccuracy: 99 });
    expect(status.phase).toBe('DONE');
    const discrepancies = await h.db.pool.query(
      `SELECT object_type, field, category, expected, actual, source_key FROM field_diffs
       WHERE migration_id = $1 AND run_kind = 'full' AND NOT matched ORDER BY 1, 2 LIMIT 5`,
      [migrationId],
    );
    expect(discrepancies.rows).toEqual([]);
    expect(status.verification!.accuracy).toBe(100);

    const ledger = await h.db.pool.query<{ source_key: string; pipedrive_id: string; state: string }>(
      `SELECT source_key, pipedrive_id, state FROM id_map WHERE migration_id = $1 AND object_type = 'product' ORDER BY source_key`,
      [migrationId],
    );
    const reused = ledger.rows.filter((r) => r.state === 'reused');
    expect(reused.map((r) => [r.source_key, Number(r.pipedrive_id)]).sort()).toEqual(
      [
        ['proccode:1', own[1]],
        ['proccode:19', own[0]],
      ].sort(),
    );
    expect(ledger.rows.filter((r) => r.state === 'created').length).toBeGreaterThan(10);

    // One product per code in the account: nothing was created twice.
    const products = (await api.get<{ data: { id: number; code: string | null }[] }>('/api/v2/products', { params: { limit: 500 } })).data.data;
    const codes = products.map((p) => (p.code ?? '').toUpperCase());
    expect(new Set(codes).size).toBe(codes.length);

    // Deal products of D2740 procedures point at the account's product.
    const deals = await h.db.pool.query<{ pipedrive_id: string }>(
      `SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'deal' AND state = 'created'`,
      [migrationId],
    );
    const dealIds = deals.rows.map((d) => Number(d.pipedrive_id));
    const attached: { product_id: number }[] = [];
    for (let i = 0; i < dealIds.length; i += 100) {
      const page = await api.get<{ data: { product_id: number }[] }>('/api/v2/deals/products', {
        params: { deal_ids: dealIds.slice(i, i + 100).join(','), limit: 500 },
      });
      attached.push(...page.data.data);
    }
    expect(attached.filter((p) => p.product_id === own[0]).length).toBeGreaterThan(0);

    // The house product keeps the account's name and price: the migration wrote none of its fields.
    const house = (await api.get<{ data: { name: string; prices: { price: number }[] } }>(`/api/v2/products/${own[0]}`)).data.data;
    expect(house.name).toBe('Ceramic crown (house price)');
    expect(house.prices[0]?.price).toBe(1190);

    const r = await requestRollback(h.env, h.client, migrationId, { by: 'e2e-test', reason: 'product reuse test' });
    expect(r.mode).toBe('started');
    const rollback = await rollbackResult(h.client.workflow.getHandle(rollbackWorkflowId(migrationId)));
    expect(rollback.proven).toBe(true);
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);
    for (const id of own) expect((await api.get(`/api/v2/products/${id}`)).status).toBe(200);
  });
});
