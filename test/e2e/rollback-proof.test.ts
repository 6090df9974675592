import fs from 'node:fs';
import { rollbackResult } from '../../src/cli/migration-result';
import path from 'node:path';
import { createHarness, type Harness } from '../support/harness';
import { sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';
import { readCsvTable } from '../support/extract-edit';
import { parseMigrationOptions } from '../../src/config';
import { requestRollback, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { loadAccountFieldKeys } from '../../src/activities/field-keys';
import { apiListingFingerprint } from '../../src/engine/account-fingerprint';
import { restorableBody } from '../../src/engine/load';
import { withoutFields } from '../../src/engine/rollback-proof';
import { Ledger } from '../../src/store/ledger';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { PipedriveClient } from '../../src/pipedrive/client';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { SANDBOX_DEFAULT_TOKEN } from '../../src/runtime/worker';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import type { RollbackResult } from '../../src/workflows/rollback';

jest.setTimeout(6 * 60 * 1000);

const MIGRATION_ID = 'rollback-proof';
/** The required compensation order (issue 5, item 6), written out here rather than taken from the engine. */
const REQUIRED_ORDER = [
  'file',
  'note',
  'activity',
  'deal_product',
  'deal',
  'person',
  'product',
  'organization',
  'field_option',
  'custom_field',
  'stage',
  'pipeline',
  'activity_type',
];

describe('rollback after DONE, from the CLI, cancelled mid-way', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;

  beforeAll(async () => {
    h = await createHarness();
    extract = path.join(h.dataDir, 'practice');
    await generatePractice({ profile: 'demo', seed: 43, patients: 40, outDir: extract });
    // A little latency per request, so the cancellation lands while the rollback is deleting.
    sandbox = await sandboxFor(extract, { faults: { latencyMs: [4, 8] } });
  });
  afterAll(async () => {
    await h?.client.workflow
      .getHandle(migrationWorkflowId(MIGRATION_ID))
      .terminate('test cleanup')
      .catch(() => undefined);
    await h?.close();
    await sandbox?.close();
  });

  it('deletes in reverse dependency order, counts hand-deleted records as already gone, restores a before-image, ignores the cancel, and proves it by reading back', async () => {
    const pool = h.db.pool;
    const api = new PipedriveClient({ baseUrl: sandbox.url, apiToken: SANDBOX_DEFAULT_TOKEN, plan: 'ultimate', burstLimit: 1000 });
    // A record the account had before the migration: the migration will update it, the rollback must put it back.
    const existing = await api.create<{ id: number }>('persons', { name: 'Existing Contact' });
    // The fingerprint the product takes (the worker's injected fingerprinter), checked against the sandbox's own state;
    // and the API-listing fingerprint a real account gets, which the rollback must also bring back.
    const worker = await h.startWorker();
    const fingerprintBefore = (await worker.deps.fingerprinter.take(api, sandbox.url)).fingerprint;
    expect(fingerprintBefore).toBe(sandbox.fingerprint());
    const listingBefore = await apiListingFingerprint(api);

    await startMigration(h.env, pool, h.client, {
      migrationId: MIGRATION_ID,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 20, allowSmallSample: true, batchSize: 25, concurrency: 2, skipDelta: true }),
    });
    const migrated = await driveMigration(h.client, MIGRATION_ID, { by: 'rollback-proof-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
    expect(migrated.status.phase).toBe('DONE');
    expect(migrated.status.fingerprints.beforeFirstWrite).toBe(fingerprintBefore);

    // The migration updates the existing record the way the delta's update does: before-image first, then the PATCH.
    const fieldKeys = await loadAccountFieldKeys(pool, MIGRATION_ID);
    const beforeBody = restorableBody('person', (await api.get('persons', existing.id))!, fieldKeys);
    await pool.query('INSERT INTO before_images (migration_id, object_type, pipedrive_id, body) VALUES ($1, $2, $3, $4)', [
      MIGRATION_ID,
      'person',
      String(existing.id),
      JSON.stringify(beforeBody),
    ]);
    await api.update('persons', existing.id, { name: 'Changed By Migration' });
    expect(sandbox.fingerprint()).not.toBe(fingerprintBefore);

    // Someone deletes a few of the migrated records by hand before the rollback.
    const { rows: picked } = await pool.query<{ object_type: string; pipedrive_id: string }>(
      `(SELECT object_type, pipedrive_id FROM id_map WHERE migration_id = $1 AND state = 'created' AND object_type = 'note' ORDER BY source_key LIMIT 2)
       UNION ALL
       (SELECT object_type, pipedrive_id FROM id_map WHERE migration_id = $1 AND state = 'created' AND object_type = 'activity' ORDER BY source_key LIMIT 2)`,
      [MIGRATION_ID],
    );
    expect(picked).toHaveLength(4);
    for (const p of picked) {
      expect(p.object_type === 'note' ? await api.deleteNote(Number(p.pipedrive_id)) : await api.remove('activities', Number(p.pipedrive_id))).toBe('deleted');
    }
    const { rows: ledgerTypes } = await pool.query<{ object_type: string; n: number }>(
      "SELECT object_type, count(*)::int AS n FROM id_map WHERE migration_id = $1 AND state = 'created' GROUP BY object_type",
      [MIGRATION_ID],
    );
    const createdCount = ledgerTypes.reduce((n, r) => n + r.n, 0);

    const started = await requestRollback(h.env, h.client, MIGRATION_ID, { by: 'rollback-proof-e2e', reason: 'rehearsal' });
    expect(started.mode).toBe('started');
    const handle = h.client.workflow.getHandle(started.workflowId);
    // Cancel it while it is deleting: some deletes done, most still to do.
    const deletesAtCancel = await waitFor(
      'the rollback to be deleting',
      async () => {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND action = 'delete'", [
          MIGRATION_ID,
        ]);
        return rows[0]!.n >= 10 ? rows[0]!.n : undefined;
      },
      { timeoutMs: 2 * 60_000, intervalMs: 5 },
    );
    await handle.cancel();
    const { rows: leftAtCancel } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM id_map WHERE migration_id = $1 AND state IN ('created', 'pending')",
      [MIGRATION_ID],
    );
    expect(leftAtCancel[0]!.n).toBeGreaterThan(0);

    const result: RollbackResult = await rollbackResult(handle);
    const description = await handle.describe();
    // Ran to its end although cancelled; rolled back and proven, it ends Failed (MigrationRolledBack): the Web UI's
    // list must not show a finished migration's rollback like a success.
    expect(description.status.name).toBe('FAILED');
    await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'MigrationRolledBack' } });
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);

    // Proven, and really back: the fingerprint equals the one before the first write.
    expect(result).toMatchObject({ scope: 'all', remaining: 0, proven: true, restored: 1, fingerprintBefore, fingerprintAfter: fingerprintBefore });
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);
    expect(await worker.deps.fingerprinter.take(api, sandbox.url)).toEqual({ fingerprint: fingerprintBefore, method: 'sandbox' });
    expect(await apiListingFingerprint(api)).toBe(listingBefore);
    expect(result.deleted + result.alreadyGone).toBe(createdCount);
    expect(result.alreadyGone).toBeGreaterThanOrEqual(picked.length);

    // Hand-deleted records: logged as already gone, not deleted again.
    const { rows: goneRows } = await pool.query<{ object_type: string; pipedrive_id: string; status: number; note: string; tokens: number }>(
      `SELECT object_type, pipedrive_id, status, note, tokens FROM audit_log WHERE migration_id = $1 AND action = 'delete'
         AND (object_type, pipedrive_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [MIGRATION_ID, picked.map((p) => p.object_type), picked.map((p) => p.pipedrive_id)],
    );
    expect(goneRows).toHaveLength(picked.length);
    for (const g of goneRows) expect({ status: g.status, note: g.note }).toEqual({ status: 404, note: 'already gone' });

    // The order the engine actually deleted in, from the audit log: one contiguous run per type, in the required order.
    const { rows: deletes } = await pool.query<{ object_type: string }>(
      "SELECT object_type FROM audit_log WHERE migration_id = $1 AND action = 'delete' ORDER BY id",
      [MIGRATION_ID],
    );
    expect(deletes).toHaveLength(createdCount);
    const runs = deletes.map((d) => d.object_type).filter((t, i, all) => i === 0 || all[i - 1] !== t);
    const present = new Set(ledgerTypes.map((r) => r.object_type));
    expect(runs).toEqual(REQUIRED_ORDER.filter((t) => present.has(t)));
    expect(runs).toEqual(expect.arrayContaining(['file', 'note', 'activity', 'deal_product', 'deal', 'person', 'organization', 'custom_field']));

    // The before-image's effect, read back: the record the migration changed is as it was.
    const readBack = (await api.get<Record<string, unknown>>('persons', existing.id))!;
    expect(readBack.name).toBe('Existing Contact');
    const ours = await new Ledger(pool).createdFieldCodes(MIGRATION_ID);
    expect(withoutFields(restorableBody('person', readBack, await loadAccountFieldKeys(pool, MIGRATION_ID)), ours)).toEqual(withoutFields(beforeBody, ours));

    // Audit: the restore names its workflow and activity and what it cost; schema writes and deletes cost tokens.
    const { rows: restoreRows } = await pool.query<{ workflow_id: string; activity_id: string; tokens: number; endpoint: string }>(
      "SELECT workflow_id, activity_id, tokens, endpoint FROM audit_log WHERE migration_id = $1 AND action = 'restore'",
      [MIGRATION_ID],
    );
    expect(restoreRows).toEqual([{ workflow_id: started.workflowId, activity_id: expect.any(String), tokens: 5, endpoint: 'PATCH /api/v2/persons/{id}' }]);
    const { rows: zeroCost } = await pool.query<{ object_type: string; action: string; n: number }>(
      `SELECT object_type, action, count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND tokens = 0
         AND object_type IN ('custom_field', 'pipeline', 'stage', 'activity_type') AND method <> 'RECOVER' GROUP BY 1, 2`,
      [MIGRATION_ID],
    );
    expect(zeroCost).toEqual([]);
    // Every delete request is priced; only the later items of one bulk request carry 0 (booked once, on its first).
    const { rows: unpriced } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND action = 'delete' AND status = 200 AND tokens = 0
         AND coalesce(note, '') NOT LIKE 'bulk delete%'`,
      [MIGRATION_ID],
    );
    expect(unpriced[0]!.n).toBe(0);

    // The proof report: what was checked, counts and ids only.
    const report = JSON.parse(fs.readFileSync(path.join(h.dataDir, 'migrations', MIGRATION_ID, 'rollback-all.json'), 'utf8')) as {
      proven: boolean;
      basis: string[];
      checks: {
        tokens: number;
        createdConfirmedDeleted: { objectType: string; checked: number; stillPresent: number; method: string }[];
        restoredConfirmed: { objectType: string; checked: number; matched: number }[];
      };
    };
    expect(report.proven).toBe(true);
    expect(report.basis).toEqual(['ledger-empty', 'created-ids-deleted', 'restores-verified', 'fingerprint-equal']);
    const { rows: deletedIds } = await pool.query<{ object_type: string; n: number }>(
      "SELECT object_type, count(*)::int AS n FROM id_map WHERE migration_id = $1 AND state = 'deleted' AND pipedrive_id IS NOT NULL GROUP BY 1 ORDER BY 1",
      [MIGRATION_ID],
    );
    expect(
      report.checks.createdConfirmedDeleted
        .map((c) => ({ object_type: c.objectType, n: c.checked }))
        .sort((a, b) => a.object_type.localeCompare(b.object_type)),
    ).toEqual(deletedIds);
    expect(report.checks.createdConfirmedDeleted.every((c) => c.stillPresent === 0)).toBe(true);
    expect(report.checks.createdConfirmedDeleted.find((c) => c.objectType === 'person')?.method).toBe('list-ids');
    expect(report.checks.restoredConfirmed).toEqual([expect.objectContaining({ objectType: 'person', checked: 1, matched: 1 })]);
    expect(report.checks.tokens).toBeGreaterThan(0);
    const reportText = JSON.stringify(report);
    expect(reportText).not.toContain('Existing Contact');
    // Patients' names from the extract itself (the staging was purged at DONE).
    const names = (await readCsvTable(extract, 'patient')).rows
      .map((r) => ({ last: r.last_name ?? '' }))
      .filter((n) => n.last.length > 3)
      .slice(0, 30);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(reportText).not.toContain(n.last);

    console.log(
      `rollback-proof e2e: cancelled after ${deletesAtCancel} deletes with ${leftAtCancel[0]!.n} ledger rows left; deleted ${result.deleted}, ` +
        `already gone ${result.alreadyGone}, restored ${result.restored}; proof read-back cost ${report.checks.tokens} tokens`,
    );
    api.close();
  });
});
