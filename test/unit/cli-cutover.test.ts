import type { Client } from '@temporalio/client';
import { requestCutover } from '../../src/cli/commands';
import { cutoverMessage, statusHeader } from '../../src/cli/status-view';
import { inFlightClaims as auditInFlightClaims } from '../../src/audit/claims';
import { inFlightClaims } from '../../src/store/claims';
import { withAuditSnapshot } from '../../src/store/source-audit';
import type { DeltaProgress } from '../../src/workflows/messages';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** Cutover checks the in-flight insurance claims first: refused while any are in flight, unless forced. */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`INSERT INTO migration_runs (migration_id, source, pipedrive_base_url) VALUES ('claims', '{}', 'http://sandbox')`);
  const ledger = [
    // One visit of guarantor 10's patient 1: two ledger entries, one claim.
    { ledger_id: 1, guar_id: 10, patient_id: 1, entry_date: '2026-11-02', entry_type: 'charge', amount: 120.5, claim_status: 'sent' },
    { ledger_id: 2, guar_id: 10, patient_id: 1, entry_date: '2026-11-02', entry_type: 'insurance_estimate', amount: -80, claim_status: 'pending' },
    { ledger_id: 3, guar_id: 11, patient_id: 2, entry_date: '2026-11-03', entry_type: 'charge', amount: 40, claim_status: 'pending' },
    { ledger_id: 4, guar_id: 11, patient_id: 3, entry_date: '2026-11-04', entry_type: 'charge', amount: 99, claim_status: 'paid' },
    { ledger_id: 5, guar_id: 12, patient_id: 4, entry_date: '2026-11-05', entry_type: 'payment', amount: -15, claim_status: 'none' },
    // As a source may type it: the same status, whatever its case and spaces.
    { ledger_id: 6, guar_id: 12, patient_id: 4, entry_date: '2026-11-06', entry_type: 'charge', amount: 60, claim_status: ' Sent ' },
  ];
  for (const [i, row] of ledger.entries()) {
    await db.pool.query(
      `INSERT INTO staged_rows (migration_id, source_table, source_key, row_seq, content_hash, data) VALUES ('claims', 'ledger', $1, $2, 'h', $3)`,
      [String(row.ledger_id), i + 1, row],
    );
  }
});
afterAll(async () => {
  await db.drop();
});

/** A Temporal client whose delta window answers `progress` (or is not running), recording the signals sent. */
function fakeClient(progress: DeltaProgress | undefined) {
  const signals: { workflowId: string; name: string; arg: unknown }[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        query: async () => {
          if (!progress || !workflowId.endsWith('-delta')) throw new Error('workflow not found');
          return progress;
        },
        signal: async (def: { name: string }, arg: unknown) => {
          signals.push({ workflowId, name: def.name, arg });
        },
      }),
    },
  } as unknown as Client;
  return { client, signals };
}

/** The audit log's cutover rows, oldest first. */
async function cutoverNotes(): Promise<string[]> {
  const { rows } = await db.pool.query<{ note: string }>(`SELECT note FROM audit_log WHERE migration_id = 'claims' AND source_key = 'CUTOVER' ORDER BY id`);
  return rows.map((r) => r.note);
}

const WINDOW: DeltaProgress = {
  polls: 4,
  created: 1,
  updated: 2,
  endsAt: '2026-12-05T00:00:00Z',
  inFlightClaims: 3,
  inFlightClaimsReportPath: '/r/in-flight-claims.json',
};

describe('cutover and in-flight claims', () => {
  it('counts the claims sent or pending as the Data Quality Report does (one per visit), with their ledger entries, by guarantor', async () => {
    expect(await inFlightClaims(db.pool, 'claims')).toEqual({
      count: 3,
      ledgerEntries: 4,
      total: 140.5,
      byGuarantor: [
        { guarantorId: '10', claims: 1, ledgerEntries: 2, charges: 120.5, insuranceEstimate: 80 },
        { guarantorId: '11', claims: 1, ledgerEntries: 1, charges: 40, insuranceEstimate: 0 },
        { guarantorId: '12', claims: 1, ledgerEntries: 1, charges: 60, insuranceEstimate: 0 },
      ],
    });
  });

  it('is the count the Data Quality Report gives (one definition)', async () => {
    const report = await withAuditSnapshot(db.pool, (auditDb) => auditInFlightClaims({ db: auditDb, migrationId: 'claims', maxListed: 100, now: new Date() }));
    const store = await inFlightClaims(db.pool, 'claims');
    expect({ claims: report.claims, ledgerEntries: report.ledgerEntries, netAmount: report.netAmount }).toEqual({
      claims: store.count,
      ledgerEntries: store.ledgerEntries,
      netAmount: store.total,
    });
  });

  it('is refused while the delta window reports claims in flight, with a warning naming the count and the report', async () => {
    const { client, signals } = fakeClient(WINDOW);
    const r = await requestCutover(client, db.pool, 'claims', { by: 'ana' });
    expect(r).toEqual({ sent: false, inFlightClaims: 3, reportPath: '/r/in-flight-claims.json', asOf: 'delta-window' });
    expect(signals).toEqual([]);
    const message = cutoverMessage('claims', r);
    expect(message.warning).toContain('3 insurance claims are still in flight');
    expect(message.warning).toContain('/r/in-flight-claims.json');
    expect(message.line).toContain('--force');
  });

  it('with --force, cuts over anyway only with a written reason, audited before the signal, and says so', async () => {
    const { client, signals } = fakeClient(WINDOW);
    await expect(requestCutover(client, db.pool, 'claims', { by: 'ana', force: true })).rejects.toThrow(
      'a forced cutover must give its reason (--reason): 3 insurance claim(s) are still in flight',
    );
    await expect(requestCutover(client, db.pool, 'claims', { by: 'ana', force: true, reason: '  ' })).rejects.toThrow(/--reason/u);
    expect(signals).toEqual([]);
    expect(await cutoverNotes()).toEqual([]);

    const r = await requestCutover(client, db.pool, 'claims', { by: 'ana', force: true, reason: 'claims tracked in the billing system' });
    expect(r.sent).toBe(true);
    expect(signals).toEqual([{ workflowId: 'migration-claims', name: 'cutover', arg: { by: 'ana' } }]);
    expect(cutoverMessage('claims', r).line).toBe('Sent cutover to migration claims with 3 claims in flight (--force).');
    expect(await cutoverNotes()).toEqual(['forced_cutover by ana with 3 insurance claim(s) in flight: claims tracked in the billing system']);
  });

  it('goes ahead without a warning when the window reports none, and audits who cut over', async () => {
    const { client, signals } = fakeClient({ ...WINDOW, inFlightClaims: 0 });
    const before = (await cutoverNotes()).length;
    const r = await requestCutover(client, db.pool, 'claims', { by: 'ana' });
    expect(r.sent).toBe(true);
    expect(signals).toHaveLength(1);
    expect((await cutoverNotes()).slice(before)).toEqual(['cutover by ana']);
    expect(cutoverMessage('claims', r)).toEqual({ warning: undefined, line: 'Sent cutover to migration claims.' });
  });

  it('before the window has polled, counts the claims in the staged rows', async () => {
    const { client, signals } = fakeClient(undefined);
    const r = await requestCutover(client, db.pool, 'claims', { by: 'ana' });
    expect(r).toEqual({ sent: false, inFlightClaims: 3, reportPath: undefined, asOf: 'store' });
    expect(signals).toEqual([]);
  });

  it('status during DELTA shows the window and its in-flight claims count', () => {
    const progress = { phase: 'DELTA', practiceName: 'Lakeside', objects: {}, reports: [], tokens: { byPhase: {}, total: { requests: 0, tokens: 0 } } };
    const lines = statusHeader('claims', undefined, progress, WINDOW);
    expect(lines).toContain('  delta window until 2026-12-05T00:00:00Z: 4 polls, 1 created, 2 updated');
    expect(lines).toContain('  in-flight insurance claims: 3 (sent or pending in Dentrix; they must clear before cutover); report /r/in-flight-claims.json');
    expect(statusHeader('claims', undefined, progress, { ...WINDOW, inFlightClaims: 0 })).toContain('  in-flight insurance claims: none');
    expect(statusHeader('claims', undefined, progress).join('\n')).not.toContain('in-flight');
  });

  it('names an unknown migration instead of signalling it', async () => {
    const { client, signals } = fakeClient(WINDOW);
    await expect(requestCutover(client, db.pool, 'nope', { by: 'ana', force: true })).rejects.toThrow('No migration "nope"');
    expect(signals).toEqual([]);
  });
});
