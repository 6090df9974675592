import { queryStatus, sendApproval, sendRejection } from '../../src/cli/commands';
import { migrationResult } from '../../src/cli/migration-result';
import {
  atGate,
  createWorkflowWorld,
  fakeMigration,
  startMigrationWorkflow,
  uniqueId,
  type FakeMigration,
  type WorkflowWorld,
} from '../support/workflow-world';

const BY = 'verify-reviewer';

/**
 * VERIFY_REVIEW on the real migration workflow (activities stubbed): a reconciliation that does not balance, or a full
 * run below the accuracy threshold, never goes on to DELTA and DONE by itself; ops go on with a written reason or roll
 * everything back.
 */
describe('VERIFY_REVIEW: a failed verification waits for a person', () => {
  let world: WorkflowWorld;
  beforeAll(async () => {
    world = await createWorkflowWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  /** The fake migration, with the full run's reconciliation unbalanced and/or its accuracy as given. */
  function failingVerification(problem: { unbalanced?: boolean; fullAccuracy?: number }): FakeMigration {
    const fake = fakeMigration();
    const { reconcile, writeAccuracyReport } = fake.activities;
    fake.activities.reconcile = async (a) => {
      const result = await reconcile(a);
      if (!problem.unbalanced) return result;
      // One person fewer migrated than the source holds: source ≠ migrated + skipped + rejected.
      const person = result.objects.person!;
      return { ...result, objects: { ...result.objects, person: { ...person, migrated: person.migrated - 1 } }, balanced: false };
    };
    fake.activities.writeAccuracyReport = async (a) => {
      const result = await writeAccuracyReport(a);
      return a.runKind === 'full' && problem.fullAccuracy !== undefined ? { ...result, accuracy: problem.fullAccuracy } : result;
    };
    return fake;
  }

  async function toVerifyReview(fake: FakeMigration, name: string) {
    await world.startWorker(fake.activities);
    const migrationId = uniqueId(name);
    const handle = await startMigrationWorkflow(world, migrationId);
    await atGate(world, migrationId, 'MAPPING_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'MAPPING_REVIEW', by: BY });
    await atGate(world, migrationId, 'SAMPLE_REVIEW');
    await sendApproval(world.client, migrationId, { gate: 'SAMPLE_REVIEW', by: BY });
    return { migrationId, handle };
  }

  it('an unbalanced reconciliation stops at VERIFY_REVIEW naming what is off; approval needs a written reason, then it finishes', async () => {
    const fake = failingVerification({ unbalanced: true });
    const { migrationId, handle } = await toVerifyReview(fake, 'verify-unbalanced');
    const atReview = await atGate(world, migrationId, 'VERIFY_REVIEW');
    expect(atReview.phase).toBe('VERIFY_REVIEW');
    expect(atReview.gateMessage).toBe(
      'verification found problems: reconciliation does not balance (source ≠ migrated + skipped + rejected): person 12 ≠ 11 + 0 + 0',
    );
    expect(atReview.verification?.problems).toEqual(['reconciliation does not balance (source ≠ migrated + skipped + rejected): person 12 ≠ 11 + 0 + 0']);
    // Nothing goes on by itself: no end fingerprint, no purge while it waits.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await queryStatus(world.client, migrationId))?.phase).toBe('VERIFY_REVIEW');
    expect(fake.callsTo('purgeStagedPhi')).toEqual([]);

    await expect(sendApproval(world.client, migrationId, { gate: 'VERIFY_REVIEW', by: BY })).rejects.toThrow(/written override reason/u);
    expect(
      await sendApproval(world.client, migrationId, { gate: 'VERIFY_REVIEW', by: BY, overrideReason: 'one patient merged by hand in Dentrix' }),
    ).toMatchObject({
      gate: 'VERIFY_REVIEW',
      decision: 'approve',
      outcome: 'verification approved with an override: finishing',
    });
    const result = await handle.result();
    expect(result.status.phase).toBe('DONE');
    expect(result.status.verification).toMatchObject({ approvedBy: BY, overrideReason: 'one patient merged by hand in Dentrix' });
    expect(fake.callsTo('recordDecision')).toContainEqual(
      expect.objectContaining({ gate: 'VERIFY_REVIEW', decision: 'approve_override', by: BY, reason: 'one patient merged by hand in Dentrix' }),
    );
  });

  it('a full run below the threshold stops there too, and a rejection rolls everything back', async () => {
    const fake = failingVerification({ fullAccuracy: 97.5 });
    const { migrationId, handle } = await toVerifyReview(fake, 'verify-accuracy');
    const atReview = await atGate(world, migrationId, 'VERIFY_REVIEW');
    expect(atReview.verification?.problems).toEqual(['full-run accuracy 97.50% is below 99%']);

    expect(await sendRejection(world.client, migrationId, { gate: 'VERIFY_REVIEW', by: BY, reason: 'recall dates shifted by a day' })).toMatchObject({
      gate: 'VERIFY_REVIEW',
      decision: 'reject',
      outcome: 'verification rejected: rolling everything back',
    });
    const result = await migrationResult(handle);
    expect(result.status.phase).toBe('ROLLED_BACK');
    expect(result.rollback?.proven).toBe(true);
    expect(fake.callsTo('beginRollback')).toEqual([expect.objectContaining({ scope: 'all', by: BY, reason: 'recall dates shifted by a day' })]);
    expect(fake.callsTo('recordDecision')).toContainEqual(expect.objectContaining({ gate: 'VERIFY_REVIEW', decision: 'reject', by: BY }));
  });

  it('a verification that balances at or above the threshold goes straight on, with no gate', async () => {
    const fake = failingVerification({});
    const { handle } = await toVerifyReview(fake, 'verify-clean');
    const result = await handle.result();
    expect(result.status.phase).toBe('DONE');
    expect(result.status.phaseHistory.map((p) => p.phase)).not.toContain('VERIFY_REVIEW');
  });
});
