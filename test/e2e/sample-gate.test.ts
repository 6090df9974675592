import axios from 'axios';
import { COMPACT_PATIENTS, usePracticeWorld } from '../support/practice';
import { rollbackResult } from '../../src/cli/migration-result';
import { waitFor } from '../support/wait';
import { parseMigrationOptions } from '../../src/config';
import { queryStatus, requestRollback, sendApproval, sendRejection, startMigration } from '../../src/cli/commands';
import { defaultFieldMap } from '../../src/mapping';
import { migrationWorkflowId, rollbackWorkflowId } from '../../src/runtime/temporal';
import { DEFAULT_API_TOKEN, type AutomationRule } from '@dentrix-pipedrive/pipedrive-sandbox';
import { getFieldMap, latestFieldMap, saveProposedMap } from '../../src/store/field-maps';
import { readReportFile } from '../../src/store/reports';
import type { LinkReconciliation } from '../../src/activities/reconciliation';
import type { MigrationResult } from '../../src/workflows/migration';
import { approveSignal, type Gate } from '../../src/workflows/messages';

jest.setTimeout(12 * 60 * 1000);

const OPTIONS = parseMigrationOptions({ sampleSize: 200, batchSize: 50, concurrency: 2, skipDelta: true });
/** What a practice's own Pipedrive automation might do: rewrite every new activity's subject. */
const AUTOMATION: AutomationRule[] = [{ entity: 'activity', field: 'subject', append: ' (edited by an account automation)', every: 1 }];
const BY = 'e2e-reviewer';

/**
 * The SAMPLE_REVIEW gate's reject-and-re-run loop on the real stack, on an account that already sells some CDT codes:
 * the migration links deals to those products instead of creating a second product per code, verifies them by code
 * only (their names and prices are the account's), and neither the sample's rollback nor the final one touches them.
 */
describe('the SAMPLE_REVIEW gate on real Temporal, PostgreSQL and the sandbox, with products the account already had', () => {
  const world = usePracticeWorld({ patients: COMPACT_PATIENTS });
  let fingerprintBefore: string;
  let recordsBefore: string;
  let api: ReturnType<typeof axios.create>;
  /** The account's own products: [D2740 under its own name and price, d0120 typed in lower case by a person]. */
  let own: number[];

  beforeAll(async () => {
    api = axios.create({ baseURL: world.sandbox.url, headers: { 'x-api-token': DEFAULT_API_TOKEN } });
    // The account's own price list: D2740 (on treatment plans of the compact practice) under its own name and price.
    own = await Promise.all(
      [
        { name: 'Ceramic crown (house price)', code: 'D2740', prices: [{ currency: 'USD', price: 1190 }] },
        { name: 'Periodic exam', code: 'd0120' },
      ].map(async (body) => (await api.post<{ data: { id: number } }>('/api/v2/products', body)).data.data.id),
    );
    fingerprintBefore = world.sandbox.fingerprint();
    recordsBefore = world.sandbox.recordsFingerprint();
  });

  const start = (migrationId: string) =>
    startMigration(world.h.env, world.h.db.pool, world.h.client, {
      migrationId,
      source: { kind: 'folder', path: world.extract },
      pipedriveBaseUrl: world.sandbox.url,
      options: OPTIONS,
    });

  /** The status once the migration waits at `gate` for the `round`-th time (phase entries count the rounds). */
  const atGate = (migrationId: string, gate: Gate, round: number) =>
    waitFor(
      `${migrationId} waiting at ${gate} (round ${round})`,
      async () => {
        const s = await queryStatus(world.h.client, migrationId);
        if (s?.phase === 'FAILED') throw new Error(`migration failed: ${s.error}`);
        const rounds = s?.phaseHistory.filter((p) => p.phase === gate).length ?? 0;
        return s && s.waitingFor === gate && s.phase === gate && rounds === round ? s : undefined;
      },
      { timeoutMs: 5 * 60_000, intervalMs: 300 },
    );
  const gateMessage = (migrationId: string, gate: Gate, contains: string) =>
    waitFor(`${gate} message "${contains}"`, async () => {
      const s = await queryStatus(world.h.client, migrationId);
      return s && s.waitingFor === gate && s.gateMessage?.includes(contains) ? s : undefined;
    });
  const auditNotes = async (migrationId: string, gate: Gate) =>
    (
      await world.h.db.pool.query<{ note: string }>(
        "SELECT note FROM audit_log WHERE migration_id = $1 AND object_type = 'gate' AND source_key = $2 ORDER BY id",
        [migrationId, gate],
      )
    ).rows.map((r) => r.note);
  /** A JSON report's main file, from the migration store. */
  const storedJson = async <T>(migrationId: string, kind: string): Promise<T> =>
    JSON.parse((await readReportFile(world.h.db.pool, migrationId, kind))!.content.toString('utf8')) as T;
  const sampleMismatches = async (migrationId: string) =>
    (
      await world.h.db.pool.query<{ object_type: string; field: string; category: string; n: number }>(
        `SELECT object_type, field, category, count(*)::int AS n FROM field_diffs
         WHERE migration_id = $1 AND run_kind = 'sample' AND NOT matched GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [migrationId],
      )
    ).rows;

  it('refuses an invalid map and a below-threshold approval, rolls a rejected sample back, approves the clean re-run; reuses the account’s products by code and leaves them after the rollback', async () => {
    const migrationId = 'gate-reject';
    world.sandbox.setAutomations(AUTOMATION);
    await start(migrationId);
    // Only a person opens a gate, and only one that is open now: approvals sent before MAPPING_REVIEW opens are
    // refused at once (Update, audited by the CLI) or refused and audited by the workflow (signal, as the Web UI sends
    // it), never kept for later (test/workflow/gates.test.ts has the rules; this is their audit log in the store).
    await expect(sendApproval(world.h.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true }, world.h.db.pool)).rejects.toThrow(
      /approve MAPPING_REVIEW refused: no gate is open \(the migration is at (EXTRACT|AUDIT)\)/u,
    );
    await world.h.client.workflow
      .getHandle(migrationWorkflowId(migrationId))
      .signal(approveSignal, { gate: 'MAPPING_REVIEW', by: 'early-signal', includeAllPhi: true });

    // MAPPING_REVIEW refuses a map version that does not validate, naming the problem, and keeps waiting.
    await atGate(migrationId, 'MAPPING_REVIEW', 1);
    expect(
      await waitFor('both early approvals in the audit log', async () => {
        const notes = await auditNotes(migrationId, 'MAPPING_REVIEW');
        return notes.length >= 2 ? notes : undefined;
      }),
    ).toEqual([
      expect.stringMatching(new RegExp(`^refused_approve by ${BY}: no gate is open`, 'u')),
      expect.stringMatching(/^refused_approve by early-signal: no gate is open/u),
    ]);
    const proposed = (await latestFieldMap(world.h.db.pool, migrationId))!.version;
    const broken = defaultFieldMap();
    const rule = broken.rules.find((r) => r.target.entity === 'person' && r.target.field.kind === 'custom' && r.phi === 'none')!;
    rule.target.field = { kind: 'custom', name: 'Favourite Colour' };
    const brokenVersion = await saveProposedMap(world.h.db.pool, migrationId, { map: broken });
    await expect(sendApproval(world.h.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, mapVersion: brokenVersion, includeAllPhi: true })).rejects.toThrow(
      /MAPPING_REVIEW refused: approval refused, the map does not validate/u,
    );
    const refusedMap = await gateMessage(migrationId, 'MAPPING_REVIEW', 'approval refused, the map does not validate');
    expect(refusedMap.gateMessage).toContain(`${rule.id}: custom field person.Favourite Colour is not defined`);
    expect(refusedMap.phase).toBe('MAPPING_REVIEW');
    expect(refusedMap.mapVersion).toBeUndefined();
    // The reviewer fixes the edit (here: the proposal as it was) and approves the fixed version.
    const fixed = await saveProposedMap(world.h.db.pool, migrationId, { map: (await getFieldMap(world.h.db.pool, migrationId, proposed))!.document.map });
    await sendApproval(world.h.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, mapVersion: fixed, includeAllPhi: true });

    // The sample comes back below the threshold: the automation rewrote every activity's subject.
    const first = await atGate(migrationId, 'SAMPLE_REVIEW', 1);
    expect(first.mapVersion).toBe(fixed);
    expect(first.sample!.accuracy).toBeLessThan(99);
    expect(first.sample!.recordsCompared).toBeGreaterThan(100);
    expect((await sampleMismatches(migrationId)).map((m) => [m.object_type, m.field, m.category])).toEqual([['activity', 'subject', 'value_mismatch']]);
    expect(world.sandbox.recordsFingerprint()).not.toBe(recordsBefore);

    // "approve" below the threshold without a written reason is refused at once, with the reason; the gate stays open.
    await expect(sendApproval(world.h.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY }, world.h.db.pool)).rejects.toThrow(
      /approve SAMPLE_REVIEW refused: accuracy [\d.]+% is below 99%/u,
    );
    const refused = await queryStatus(world.h.client, migrationId);
    expect(refused).toMatchObject({ phase: 'SAMPLE_REVIEW', waitingFor: 'SAMPLE_REVIEW' });
    expect(await auditNotes(migrationId, 'SAMPLE_REVIEW')).toEqual([
      expect.stringMatching(new RegExp(`^refused_approve by ${BY}: accuracy [\\d.]+% is below 99%`, 'u')),
    ]);

    // "reject" rolls the sample back (every record it created is gone) and returns to MAPPING_REVIEW.
    const reason = 'activity subjects rewritten by an account automation';
    await sendRejection(world.h.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, reason });
    const back = await atGate(migrationId, 'MAPPING_REVIEW', 2);
    expect(back.phaseHistory.map((p) => p.phase).slice(-3)).toEqual(['SAMPLE', 'SAMPLE_REVIEW', 'MAPPING_REVIEW']);
    // The schema stays for the re-run (by design); the records are exactly as before the migration.
    expect(world.sandbox.recordsFingerprint()).toBe(recordsBefore);
    const undone = await world.h.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM id_map WHERE migration_id = $1 AND run_kind = 'sample' AND state IN ('created', 'pending')",
      [migrationId],
    );
    expect(undone.rows[0]!.n).toBe(0);
    const sampleRollback = await storedJson<{ proven: boolean; remainingLedgerRows: number }>(migrationId, 'rollback-sample');
    expect(sampleRollback).toMatchObject({ proven: true, remainingLedgerRows: 0 });
    expect((await auditNotes(migrationId, 'SAMPLE_REVIEW')).at(-1)).toBe(`reject by ${BY} (sample run 1): ${reason}`);

    // The cause is fixed (the practice turns its automation off); the sample re-runs clean and is approved.
    world.sandbox.setAutomations([]);
    await sendApproval(world.h.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    const second = await atGate(migrationId, 'SAMPLE_REVIEW', 2);
    expect(second.sample!.accuracy).toBeGreaterThanOrEqual(99);
    expect(second.sample!.run).toBe(2);
    expect(await sampleMismatches(migrationId)).toEqual([]);
    // An approval counts only for the sample its approver reviewed: the rejected run 1 is not the one at the gate.
    await expect(sendApproval(world.h.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, sampleRun: 1 })).rejects.toThrow(
      /the sample you reviewed \(run 1\) is not the one at the gate \(run 2\)/u,
    );
    const result2 = await sendApproval(world.h.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, sampleRun: 2 });
    expect(result2).toMatchObject({ gate: 'SAMPLE_REVIEW', decision: 'approve', sampleRun: 2 });
    const result = (await world.h.client.workflow.getHandle(migrationWorkflowId(migrationId)).result()) as MigrationResult;
    expect(result.status.phase).toBe('DONE');
    expect(result.status.sample).toMatchObject({ approvedBy: BY });
    expect(result.status.sample!.overrideReason).toBeUndefined();
    expect(result.status.verification!.accuracy).toBe(100);
    expect((await auditNotes(migrationId, 'SAMPLE_REVIEW')).at(-1)).toBe(`approve by ${BY} (sample run 2)`);

    // VERIFY's reconciliation: every expected link present and correct, every owner right, fallback owners counted
    // (one provider of the generated practice has no Pipedrive user).
    // Reports are read from the store (where every machine reads them), the status naming the worker's cached copy.
    expect(result.status.reports.reconciliation).toMatch(/reconciliation\.json$/u);
    const reconciliation = await storedJson<{ balanced: boolean; links: LinkReconciliation }>(migrationId, 'reconciliation');
    expect(reconciliation.balanced).toBe(true);
    const links = reconciliation.links;
    expect(links.from).toBe('full');
    expect(links.ok).toBe(true);
    const core = ['person→organization', 'deal→person', 'activity→person', 'activity→user', 'deal_product→deal', 'deal_product→product', 'note→person'];
    if (result.status.objects.file!.migrated > 0) core.push('file→person');
    for (const name of core) {
      const l = links.links[name.split('→')[0]!]?.[name];
      expect({ name, expected: (l?.expected ?? 0) > 0, correct: l?.correct, unexpected: l?.unexpected }).toEqual({
        name,
        expected: true,
        correct: l?.expected,
        unexpected: 0,
      });
    }
    expect(links.totals.ownersCorrect).toBe(links.totals.ownersChecked);
    expect(links.totals.fallbackOwners).toBeGreaterThan(0);
    expect(links.totals.fallbackOwners).toBeLessThan(links.totals.ownersChecked);
    const verification = await storedJson<{ links: LinkReconciliation }>(migrationId, 'verification');
    expect(verification.links.totals).toEqual(links.totals);
    expect((await readReportFile(world.h.db.pool, migrationId, 'verification', 'verification.html'))!.content.toString('utf8')).toContain(
      `${links.totals.linksCorrect}/${links.totals.linksExpected} correct`,
    );

    // The account's products were reused by code (both samples and the full run), never created again.
    const ledger = await world.h.db.pool.query<{ source_key: string; pipedrive_id: string; state: string }>(
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
    const deals = await world.h.db.pool.query<{ pipedrive_id: string }>(
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

    // Leave the account as it was for the next test (and prove it); the account's own products stay.
    await requestRollback(world.h.env, world.h.client, migrationId, { by: BY, reason: 'clean up after the gate test' });
    const proof = await rollbackResult(world.h.client.workflow.getHandle(rollbackWorkflowId(migrationId)));
    expect(proof.proven).toBe(true);
    expect(world.sandbox.fingerprint()).toBe(fingerprintBefore);
    for (const id of own) expect((await api.get(`/api/v2/products/${id}`)).status).toBe(200);
  });
});
