import fs from 'node:fs';
import { rollbackResult } from '../../src/cli/migration-result';
import { createHarness, type Harness } from '../support/harness';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';
import { parseMigrationOptions } from '../../src/config';
import { startMigration, requestRollback, storeProgress } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { purgeMigration } from '../../src/cli/purge-command';
import { rollbackWorkflowId } from '../../src/runtime/temporal';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { readCsvTable, type CsvTable } from '../support/extract-edit';
import { needlesFrom, search, storeHaystacks } from '../support/phi-needles';
import { estimateFromExtract } from '../../src/plan';
import { comparePlan, formatComparison } from '../../src/plan/compare';
import { requestTokens } from '../../src/store/request-tokens';

jest.setTimeout(10 * 60 * 1000);

describe('a generated practice through every phase, on real Temporal, PostgreSQL and the sandbox', () => {
  let h: Harness;
  let sandbox: RunningSandbox;
  let extract: string;
  let fingerprintBefore: string;

  beforeAll(async () => {
    h = await createHarness();
    // The compact practice: every phase's invariants hold on any size, and the demo practice goes through every phase
    // three times in demo-rerun.test.ts.
    extract = await generatedPractice(h.dataDir, 42, 'demo', COMPACT_PATIENTS);
    sandbox = await sandboxFor(extract);
    fingerprintBefore = sandbox.fingerprint();
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.close();
  });

  it('migrates with the gates approved by signal, verifies 100%, reconciles, and rolls back to the exact pre-migration fingerprint', async () => {
    const migrationId = 'e2e-full';
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 150, allowSmallSample: true, batchSize: 40, concurrency: 2, skipDelta: true }),
    });
    const decisions: string[] = [];
    const result = await driveMigration(h.client, migrationId, {
      by: 'e2e-test',
      includeAllPhi: true,
      minSampleAccuracy: 99,
      onDecision: (m) => decisions.push(m),
    });
    const status = result.status;
    expect(status.phase).toBe('DONE');
    expect(decisions.some((d) => d.includes('MAPPING_REVIEW'))).toBe(true);
    expect(decisions.some((d) => d.includes('SAMPLE_REVIEW'))).toBe(true);
    expect(status.sample!.accuracy).toBeGreaterThanOrEqual(99);
    const discrepancies = await h.db.pool.query(
      `SELECT object_type, field, category, count(*)::int AS n, min(source_key) AS example FROM field_diffs
       WHERE migration_id = $1 AND run_kind = 'full' AND NOT matched GROUP BY 1, 2, 3 ORDER BY 4 DESC`,
      [migrationId],
    );
    expect(discrepancies.rows).toEqual([]);
    expect(status.verification!.accuracy).toBe(100);
    // Activities link to deals (appointments on a plan procedure's date): VERIFY compared each link and all held.
    const dealLinks = await h.db.pool.query<{ linked: number; matched: number }>(
      `SELECT count(*)::int AS linked, count(*) FILTER (WHERE matched)::int AS matched FROM field_diffs
       WHERE migration_id = $1 AND run_kind = 'full' AND object_type = 'activity' AND field = 'deal_id'
         AND expected IS NOT NULL AND expected <> 'null'::jsonb`,
      [migrationId],
    );
    expect(dealLinks.rows[0]!.linked).toBeGreaterThan(0);
    expect(dealLinks.rows[0]!.matched).toBe(dealLinks.rows[0]!.linked);
    expect(status.fingerprints.beforeFirstWrite).toBe(fingerprintBefore);

    // Nothing lost: every source record ends migrated, skipped by rule, or rejected with a reason.
    for (const [type, c] of Object.entries(status.objects)) {
      expect({ type, total: c.migrated + c.skipped + c.rejected }).toEqual({ type, total: c.source });
    }
    expect(status.objects.person!.migrated).toBeGreaterThan(40);
    expect(status.objects.activity!.migrated).toBeGreaterThan(300);
    expect(status.objects.deal!.migrated).toBeGreaterThan(10);
    expect(sandbox.fingerprint()).not.toBe(fingerprintBefore);

    // Imaging stays in the archive: every imaging document is in the manifest with its person's Pipedrive id.
    const manifest = JSON.parse(fs.readFileSync(status.reports.imageManifest!, 'utf8')) as {
      entries: { pipedrivePersonId: number | null; archiveUrl: string | null }[];
    };
    expect(manifest.entries.length).toBe(status.objects.file!.skipped);
    expect(manifest.entries.every((e) => e.archiveUrl !== null)).toBe(true);
    expect(manifest.entries.filter((e) => e.pipedrivePersonId !== null).length).toBeGreaterThan(0);

    // What ops filter on in the Web UI: the phase and practice search attributes, records loaded and failed.
    const listed: { workflowId: string; loaded?: number }[] = [];
    const deadline = Date.now() + 15_000;
    while (listed.length === 0 && Date.now() < deadline) {
      for await (const wf of h.client.workflow.list({
        query: `MigrationPhase = 'DONE' AND PracticeName = '${status.practiceName}' AND TaskQueue = '${h.taskQueue}'`,
      })) {
        listed.push({ workflowId: wf.workflowId, loaded: wf.typedSearchAttributes.get(SEARCH_ATTRIBUTES.recordsLoaded) });
      }
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 500)); // visibility is eventually consistent
    }
    expect(listed.map((l) => l.workflowId)).toEqual([`migration-${migrationId}`]);
    expect(listed[0]!.loaded).toBeGreaterThan(500);

    // Exactly once: one Pipedrive person per migrated patient.
    const persons = await h.db.pool.query<{ n: string; distinct_ids: string }>(
      "SELECT count(*) AS n, count(DISTINCT pipedrive_id) AS distinct_ids FROM id_map WHERE migration_id = $1 AND object_type = 'person' AND state = 'created'",
      [migrationId],
    );
    expect(Number(persons.rows[0]!.distinct_ids)).toBe(Number(persons.rows[0]!.n));

    // PHI at rest (DESIGN §5.11): `purge` after DONE (the CLI's function; the workflow may have purged at cutover
    // already) leaves no patient string in the staging tables and says who purged in the audit log; it keeps the ids
    // a rollback needs: the rollback below still proves itself.
    const tables: Record<string, CsvTable> = {};
    for (const t of ['patient', 'appt', 'medical_alert', 'insured', 'clinical_note', 'provider'] as const) tables[t] = await readCsvTable(extract, t);
    const providerNames = new Set(tables.provider!.rows.flatMap((p) => [p.first_name, p.last_name]).map((n) => (n ?? '').toLowerCase()));
    const { needles } = needlesFrom(tables, new Set([...providerNames, ...status.practiceName.toLowerCase().split(/\s+/u)]));
    expect(needles.length).toBeGreaterThan(100);
    // The workflow purged at DONE by itself (no delta window here, so right after verification).
    const atDone = await storeHaystacks(h.db.pool, ['staged_rows', 'field_diffs', 'phi_hash_keys']);
    expect(search(atDone, needles).map((hit) => `${hit.where}: ${hit.kind} ${hit.value}`)).toEqual([]);
    const autoPurge = await h.db.pool.query<{ note: string }>("SELECT note FROM audit_log WHERE migration_id = $1 AND action = 'purge' ORDER BY id", [
      migrationId,
    ]);
    expect(autoPurge.rows).toEqual([{ note: expect.stringContaining('done (no delta window)') }]);
    const purged = await purgeMigration(h.db.pool, migrationId, { by: 'e2e-test' });
    expect(purged).toMatchObject({ migrationId, phase: 'DONE', forced: false });
    const staging = await storeHaystacks(h.db.pool, ['staged_rows', 'field_diffs', 'phi_hash_keys']);
    expect(staging.find((hs) => hs.where.endsWith('staged_rows'))!.text.split('\n').length).toBeGreaterThan(1000); // the ids stay
    expect(search(staging, needles).map((hit) => `${hit.where}: ${hit.kind} ${hit.value}`)).toEqual([]);
    const purgeRows = await h.db.pool.query<{ note: string }>(
      "SELECT note FROM audit_log WHERE migration_id = $1 AND action = 'purge' ORDER BY id DESC LIMIT 1",
      [migrationId],
    );
    expect(purgeRows.rows).toEqual([{ note: expect.stringMatching(/^staged PHI purged by e2e-test: operator purge in phase DONE /u) }]);

    const rollback = await requestRollback(h.env, h.client, migrationId, { by: 'e2e-test', reason: 'proving reversibility' });
    expect(rollback.mode).toBe('started');
    const proof = await rollbackResult(h.client.workflow.getHandle(rollbackWorkflowId(migrationId)));
    expect(proof.remaining).toBe(0);
    expect(proof.proven).toBe(true);
    expect(proof.fingerprintAfter).toBe(fingerprintBefore);
    expect(sandbox.fingerprint()).toBe(fingerprintBefore);

    // Every token accounted: the product's own count of what it sent, by phase, agrees with the sandbox's within 1%
    // (start's preflight, before the migration exists, is the one request it does not book).
    const { tokens } = await storeProgress(h.db.pool, migrationId);
    expect(Object.keys(tokens.byPhase)).toEqual(['MAPPING_REVIEW', 'SCHEMA', 'SAMPLE', 'FULL', 'VERIFY', 'ROLLING_BACK']);
    const usage = sandbox.usage();
    const sandboxTokens = Object.values(usage.byRoute).reduce((n, r) => n + r.tokens, 0);
    expect(Math.abs(tokens.total.tokens - sandboxTokens)).toBeLessThanOrEqual(sandboxTokens * 0.01);
    expect(Math.abs(tokens.total.requests - usage.requests.total)).toBeLessThanOrEqual(usage.requests.total * 0.01);

    // The plan matches the bill (issue 15.3): `plan` for this extract and these options, per phase, within 5% of what
    // was booked, tokens and requests; on failure, the table says which phase and endpoint are off.
    const estimate = await estimateFromExtract(
      { kind: 'folder', path: extract },
      { plan: 'growth', seats: 5, sampleSize: 150, batchSize: 40, fingerprint: 'sandbox' },
    );
    const comparison = comparePlan(estimate, await requestTokens(h.db.pool, migrationId)).filter((c) => c.phase !== 'delta');
    const off = comparison.filter((c) => Math.abs(c.tokenRatio - 1) > 0.05 || Math.abs(c.requestRatio - 1) > 0.05);
    expect({ off: off.map((c) => c.phase), table: off.length ? formatComparison(comparison, { detail: true }) : '' }).toEqual({ off: [], table: '' });
  });
});
