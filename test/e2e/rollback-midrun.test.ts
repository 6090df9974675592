import path from 'node:path';
import { createHarness, type Harness } from '../support/harness';
import { sandboxFor } from '../support/practice';
import { waitFor } from '../support/wait';
import { liveAccountRecords, pendingCreatesMidPersons, preexistingRecords } from '../support/account-check';
import { parseMigrationOptions } from '../../src/config';
import { requestRollback, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { type RequestLogEntry, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import type { MigrationResult } from '../../src/workflows/migration';

jest.setTimeout(5 * 60 * 1000);

const MIGRATION_ID = 'rollback-midrun';
const PATIENTS = 60;
const OPTIONS = { sampleSize: 20, allowSmallSample: true, batchSize: 25, concurrency: 2, skipDelta: true };

describe('rollback signalled while the full run is loading', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;
  /** Every API request the sandbox answered, in the order it handled them. */
  const requests: RequestLogEntry[] = [];

  beforeAll(async () => {
    h = await createHarness();
    extract = path.join(h.dataDir, 'practice');
    await generatePractice({ profile: 'demo', seed: 41, patients: PATIENTS, outDir: extract });
    // A little latency per request, so the rollback lands while a batch is mid-create.
    sandbox = await sandboxFor(extract, { faults: { latencyMs: [10, 20] }, onRequest: (e) => requests.push(e) });
  });
  afterAll(async () => {
    await h?.client.workflow
      .getHandle(migrationWorkflowId(MIGRATION_ID))
      .terminate('test cleanup')
      .catch(() => undefined);
    await h?.close();
    await sandbox?.close();
  });

  it('stops the loads, deletes everything, and proves the pre-migration fingerprint; the batch in flight created nothing after', async () => {
    const pool = h.db.pool;
    const worker = await h.startWorker();
    const fingerprintBefore = sandbox.fingerprint();
    const preexisting = await preexistingRecords(sandbox.url, pool, MIGRATION_ID);
    await startMigration(h.env, pool, h.client, {
      migrationId: MIGRATION_ID,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions(OPTIONS),
    });
    let driveError: Error | undefined;
    const driving = driveMigration(h.client, MIGRATION_ID, { by: 'rollback-e2e', includeAllPhi: true, minSampleAccuracy: 99 });
    driving.catch((err: unknown) => (driveError = err instanceof Error ? err : new Error(String(err))));

    // FULL is loading persons and a create is in flight (its ledger row is `pending`: marked, no id yet).
    const inFlight = await waitFor(
      'the full run to be mid-create on persons',
      async () => {
        if (driveError) throw new Error(`the migration ended early: ${driveError.message}`);
        return pendingCreatesMidPersons(pool, MIGRATION_ID);
      },
      { timeoutMs: 3 * 60_000, intervalMs: 10 },
    );
    const signalledAt = Date.now();
    const rollback = await requestRollback(h.env, h.client, MIGRATION_ID, { by: 'rollback-e2e', reason: 'wrong practice' });
    expect(rollback.mode).toBe('signalled');

    const result: MigrationResult = await driving;
    const status = result.status;
    expect({ phase: status.phase, error: status.error }).toEqual({ phase: 'ROLLED_BACK', error: undefined });
    const phases = status.phaseHistory.map((p) => p.phase);
    const at = (phase: string) => Date.parse(status.phaseHistory.find((p) => p.phase === phase)!.at);
    expect(phases.slice(-3)).toEqual(['FULL', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(result.rollback).toMatchObject({ scope: 'all', remaining: 0, proven: true, fingerprintBefore, fingerprintAfter: fingerprintBefore });
    expect(result.rollback!.deleted).toBeGreaterThan(10);
    expect(status.fingerprints.beforeFirstWrite).toBe(fingerprintBefore);
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);

    // Nothing left in the ledger as created or pending: every write was undone, the in-flight ones included.
    const { rows: left } = await pool.query<{ object_type: string; source_key: string; state: string }>(
      "SELECT object_type, source_key, state FROM id_map WHERE migration_id = $1 AND state IN ('created', 'pending')",
      [MIGRATION_ID],
    );
    expect(left).toEqual([]);
    const { rows: inFlightRows } = await pool.query<{ key: string; state: string }>(
      `SELECT object_type || ' ' || source_key AS key, state FROM id_map WHERE migration_id = $1 AND object_type || ' ' || source_key = ANY($2::text[])`,
      [MIGRATION_ID, inFlight],
    );
    expect(inFlightRows.map((r) => r.state)).toEqual(inFlight.map(() => 'deleted'));

    // The batch in flight at the signal created nothing once the rollback had begun: in the sandbox's own order of
    // requests, no create succeeds after the rollback's first delete; in the audit log, no create after it began.
    const firstDelete = requests.findIndex((r) => r.method === 'DELETE');
    expect(firstDelete).toBeGreaterThan(0);
    const stored = (r: RequestLogEntry) => r.status === 'lost_response' || (typeof r.status === 'number' && r.status < 300);
    const createdAfter = requests.slice(firstDelete).filter((r) => r.method === 'POST' && stored(r));
    expect(createdAfter.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const { rows: audited } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND action IN ('create', 'recover')
         AND id > (SELECT min(id) FROM audit_log WHERE migration_id = $1 AND endpoint = 'rollback:all')`,
      [MIGRATION_ID],
    );
    expect(audited[0]!.n).toBe(0);

    // And nothing is still on its way: with the worker stopped (every activity it ran has returned), the account
    // still holds exactly what it held before the migration.
    const requestsAtEnd = requests.length;
    await worker.stop();
    expect(requests.slice(requestsAtEnd).filter((r) => r.method === 'POST')).toEqual([]);
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);
    const live = (await liveAccountRecords(sandbox.url, pool, MIGRATION_ID)).filter((r) => !preexisting.has(`${r.objectType}/${r.pipedriveId}`));
    expect(live).toEqual([]);
    console.log(
      `rollback-midrun e2e: signalled with ${inFlight.length} create(s) in flight; ROLLING_BACK after ${at('ROLLING_BACK') - signalledAt} ms, ` +
        `ROLLED_BACK after ${at('ROLLED_BACK') - signalledAt} ms; deleted ${result.rollback!.deleted}, already gone ${result.rollback!.alreadyGone}`,
    );
  });
});
