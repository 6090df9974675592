import { statusHeader } from '../../src/cli/status-view';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import type { OwnersSummary } from '../../src/workflows/messages';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const UNMATCHED: OwnersSummary = {
  providers: 5,
  matched: 3,
  assigned: 0,
  unmatchedCount: 2,
  unmatched: [
    { providerId: 'HYG2', records: 120 },
    { providerId: 'DDS9', records: 14 },
  ],
  recordsOnFallback: 140,
  fallbackOwnerId: 7,
};

/**
 * Providers without a Pipedrive user are flagged at MAPPING_REVIEW, before anyone approves: matched before the gate
 * opens, shown in the status, the gate message and the Web UI's current details (ids and counts only).
 */
describe('owners at MAPPING_REVIEW', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('shows the providers without a user and the records each would own, and the duplicate pairs, before the approval', async () => {
    const fake = fakeMigration({ owners: UNMATCHED, duplicates: { pairs: 3, merged: 1 } });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('owners-gate');
    const handle = await startMigrationWorkflow(world, migrationId);

    const status = await atGate(world, migrationId, 'MAPPING_REVIEW');
    expect(status.owners).toEqual(UNMATCHED);
    expect(status.gateMessage).toMatch(/2 provider\(s\) have no Pipedrive user \(140 records to the fallback owner\): see Owners/u);
    expect(status.gateMessage).toMatch(/3 probable duplicate patient pair\(s\), 1 to merge: see Duplicates/u);
    // Matched before the proposal (whose workbook lists them) and long before SCHEMA, with nothing approved yet.
    const order = fake.calls.map((c) => c.name);
    expect(order.indexOf('matchOwners')).toBeGreaterThan(order.indexOf('auditSource'));
    expect(order.indexOf('matchOwners')).toBeLessThan(order.indexOf('proposeMap'));
    expect(fake.callsTo('approveMap')).toEqual([]);
    expect(fake.callsTo('resolveProviders')).toEqual([]);

    const details = (await world.client.workflow.getHandle(migrationWorkflowId(migrationId)).query<{ currentDetails?: string }>('__temporal_workflow_metadata'))
      .currentDetails;
    expect(details).toMatch(
      /\*\*Owners:\*\* 3 of 5 providers matched .*WARNING: 2 provider\(s\) have no Pipedrive user \(records each would own: HYG2: 120, DDS9: 14\)/u,
    );
    expect(details).toMatch(/140 record\(s\) would be owned by the fallback owner \(user 7\)/u);
    const header = statusHeader(migrationId, status, {
      phase: 'MAPPING_REVIEW',
      practiceName: 'Stub Practice',
      objects: {},
      reports: [],
      tokens: { byPhase: {}, total: { requests: 0, tokens: 0 } },
    });
    expect(header.join('\n')).toMatch(/owners: 3 of 5 providers matched .*HYG2: 120, DDS9: 14.*Owners sheet/u);

    await handle.terminate('test over');
  });
});
