import { sendApproval, sendRejection, queryStatus } from '../../src/cli/commands';
import { migrationResult } from '../../src/cli/migration-result';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { approveSignal, rejectSignal, rollbackSignal } from '../../src/workflows/messages';
import type { MigrationResult } from '../../src/workflows/migration';
import { waitFor } from '../support/wait';
import { atGate, createWorkflowWorld, fakeMigration, startMigrationWorkflow, statusWhen, uniqueId, type WorkflowWorld } from '../support/workflow-world';

const BY = 'gate-reviewer';

/**
 * The gates of the real migration workflow on the real dev server, its activities stubbed: only a person opens a gate,
 * only the gate open now, for what they reviewed, with the reasons the rules ask for. The e2e tier keeps the
 * cross-layer parts (the sandbox's records after a sample rollback, the stored audit log, the reports).
 */
describe('gate decisions (Updates and signals) on the migration workflow', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('counts a decision only for the gate open now: early and wrong-gate approvals are refused (Update) or refused and audited (signal), never kept', async () => {
    const fake = fakeMigration();
    const extract = fake.hold('extractSource');
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('gate-early');
    const handle = await startMigrationWorkflow(world, migrationId);
    await extract.reached;

    await expect(sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true })).rejects.toThrow(
      /approve MAPPING_REVIEW refused: no gate is open \(the migration is at EXTRACT\)/u,
    );
    await handle.signal(approveSignal, { gate: 'MAPPING_REVIEW', by: 'early-signal', includeAllPhi: true });
    const refusedSignal = await statusWhen(world, migrationId, 'the refused signal in the gate message', (s) =>
      /refused a approve signal from early-signal/u.test(s.gateMessage ?? ''),
    );
    expect(refusedSignal.gateMessage).toMatch(/no gate is open \(the migration is at EXTRACT\)/u);
    // The gate message shows at once; its audit is an activity the workflow runs next.
    await waitFor('the refused signal to be audited', () => fake.callsTo('recordDecision').length > 0);
    expect(fake.callsTo('recordDecision')).toEqual([
      expect.objectContaining({
        gate: 'MAPPING_REVIEW',
        decision: 'refused_approve',
        by: 'early-signal',
        reason: expect.stringMatching(/^no gate is open/u) as unknown,
      }),
    ]);

    extract.release();
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await expect(sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY })).rejects.toThrow(
      /the migration waits at MAPPING_REVIEW, not SAMPLE_REVIEW/u,
    );
    await expect(sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: ' ' })).rejects.toThrow(/an approval must say who decides \(by\)/u);
    await expect(sendRejection(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, reason: '' })).rejects.toThrow(/a rejection must give its reason/u);
    await handle.signal(rejectSignal, { gate: 'SAMPLE_REVIEW', by: 'wrong-gate', reason: 'no' });
    await statusWhen(world, migrationId, 'the wrong-gate signal refused', (s) =>
      /refused a reject signal from wrong-gate: the migration waits at MAPPING_REVIEW/u.test(s.gateMessage ?? ''),
    );
    // The early approval was not kept: the gate still waits, and nothing was approved.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await queryStatus(world.client, migrationId)).toMatchObject({ phase: 'MAPPING_REVIEW', waitingFor: 'MAPPING_REVIEW' });
    expect(fake.callsTo('approveMap')).toEqual([]);

    expect(await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true })).toMatchObject({
      gate: 'MAPPING_REVIEW',
      decision: 'approve',
      mapVersion: 1,
    });
    expect(fake.callsTo('approveMap')).toEqual([expect.objectContaining({ by: BY, includeAllPhi: true })]);
    await atGate(world, migrationId, 'SAMPLE_REVIEW');
    await handle.terminate('test done');
  });

  it('refuses a map that does not validate and a below-threshold approval, rolls a rejected sample back to MAPPING_REVIEW, refuses an approval of the replaced sample, and approves the re-run', async () => {
    const fake = fakeMigration({ mapErrors: { 2: ['rule p7: custom field person.Favourite Colour is not defined'] }, sampleAccuracy: [95, 100] });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('gate-reject');
    const handle = await startMigrationWorkflow(world, migrationId);

    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await expect(sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, mapVersion: 2, includeAllPhi: true })).rejects.toThrow(
      /MAPPING_REVIEW refused: approval refused, the map does not validate: rule p7: custom field person.Favourite Colour is not defined/u,
    );
    const refusedMap = await queryStatus(world.client, migrationId);
    expect(refusedMap).toMatchObject({ phase: 'MAPPING_REVIEW', waitingFor: 'MAPPING_REVIEW' });
    expect(refusedMap!.mapVersion).toBeUndefined();
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, mapVersion: 1, includeAllPhi: true });

    const first = await atGate(world, migrationId, 'SAMPLE_REVIEW');
    expect(first.mapVersion).toBe(1);
    expect(first.sample).toMatchObject({ accuracy: 95, run: 1, threshold: 99 });
    await expect(sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY })).rejects.toThrow(
      /approve SAMPLE_REVIEW refused: accuracy 95.00% is below 99%/u,
    );
    expect(await queryStatus(world.client, migrationId)).toMatchObject({ phase: 'SAMPLE_REVIEW', waitingFor: 'SAMPLE_REVIEW' });

    // Reject: the sample's rollback (scope sample) runs, then MAPPING_REVIEW again.
    const reason = 'activity subjects rewritten by an account automation';
    expect(await sendRejection(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, reason })).toMatchObject({
      gate: 'SAMPLE_REVIEW',
      decision: 'reject',
      sampleRun: 1,
    });
    const back = await atGate(world, migrationId, 'MAPPING_REVIEW', 2);
    expect(back.phaseHistory.map((p) => p.phase).slice(-3)).toEqual(['SAMPLE', 'SAMPLE_REVIEW', 'MAPPING_REVIEW']);
    expect(fake.callsTo('beginRollback')).toEqual([expect.objectContaining({ scope: 'sample', by: BY, reason })]);
    expect(fake.callsTo('rollbackBatch').every((c) => c.scope === 'sample')).toBe(true);
    expect([...fake.created.values()].every((n) => n === 0)).toBe(true);
    expect(fake.callsTo('recordDecision').at(-1)).toMatchObject({ gate: 'SAMPLE_REVIEW', decision: 'reject', by: BY, reason });

    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    const second = await atGate(world, migrationId, 'SAMPLE_REVIEW', 2);
    expect(second.sample).toMatchObject({ accuracy: 100, run: 2 });
    await expect(sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, sampleRun: 1 })).rejects.toThrow(
      /the sample you reviewed \(run 1\) is not the one at the gate \(run 2\)/u,
    );
    expect(await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, sampleRun: 2 })).toMatchObject({
      gate: 'SAMPLE_REVIEW',
      decision: 'approve',
      sampleRun: 2,
    });
    const result: MigrationResult = await handle.result();
    expect(result.status.phase).toBe('DONE');
    expect(result.status.sample).toMatchObject({ approvedBy: BY, run: 2 });
    expect(result.status.sample!.overrideReason).toBeUndefined();
    expect(fake.callsTo('recordDecision').at(-1)).toMatchObject({ gate: 'SAMPLE_REVIEW', decision: 'approve', by: BY });
  });

  it('accepts a below-threshold sample only with a written override reason, recorded for the audit log; a rollback mid full run ends ROLLED_BACK, proven', async () => {
    const fake = fakeMigration({ sampleAccuracy: [95] });
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('gate-override');
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');
    await expect(sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, overrideReason: '  ' })).rejects.toThrow(/is below 99%/u);

    const manifest = fake.hold('writeImageManifest'); // the full run's end: hold it there
    const overrideReason = 'the practice keeps its subject automation; the subject suffix is accepted in writing';
    expect(await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY, overrideReason })).toMatchObject({
      decision: 'approve',
      sampleRun: 1,
    });
    await manifest.reached;
    const past = await queryStatus(world.client, migrationId);
    expect(past).toMatchObject({ phase: 'FULL', sample: { approvedBy: BY, overrideReason, accuracy: 95 } });
    expect(fake.callsTo('recordDecision').at(-1)).toMatchObject({ gate: 'SAMPLE_REVIEW', decision: 'approve_override', by: BY, reason: overrideReason });

    await handle.signal(rollbackSignal, { by: BY, reason: 'end of the override test' });
    // Rolled back is not a success: the workflow ends Failed (red in the Web UI's list), its result in the failure.
    await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'MigrationRolledBack' } });
    expect((await handle.describe()).status.name).toBe('FAILED');
    const result: MigrationResult = await migrationResult(handle);
    manifest.release();
    expect(result.status.phase).toBe('ROLLED_BACK');
    expect(result.rollback).toMatchObject({ scope: 'all', proven: true, remaining: 0 });
    expect(fake.callsTo('beginRollback')).toEqual([expect.objectContaining({ scope: 'all', by: BY })]);
    expect(result.status.phaseHistory.map((p) => p.phase).slice(-3)).toEqual(['FULL', 'ROLLING_BACK', 'ROLLED_BACK']);
  });

  it('answers an Update still being applied when a rollback is requested: not applied', async () => {
    const fake = fakeMigration();
    const approving = fake.hold('approveMap');
    await world.startWorker(fake.activities);
    const migrationId = uniqueId('gate-abandoned');
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    const decision = sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    decision.catch(() => undefined);
    await approving.reached;
    await expect(sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: 'second', includeAllPhi: true })).rejects.toThrow(
      /a decision for MAPPING_REVIEW is already being applied|no gate is open/u,
    );
    await handle.signal(rollbackSignal, { by: BY, reason: 'changed our mind' });
    await expect(decision).rejects.toThrow(/a rollback was requested: the decision was not applied/u);
    approving.release();
    const result: MigrationResult = await migrationResult(handle);
    expect(result.status.phase).toBe('ROLLED_BACK');
    expect(migrationWorkflowId(migrationId)).toBe(handle.workflowId);
  });
});
