import { phaseOfActivity } from '../../src/runtime/request-accounting';
import { spendSince } from '../../src/cli/demo';
import { describeSpend } from '../../src/cli/status-view';
import { createActivities } from '../../src/activities';

/** Which phase each activity's requests are booked to (issue 15.2), and how a spend is shown. */
describe('request accounting', () => {
  it('books each activity that talks to Pipedrive to the phase it serves, by its run kind where it has one', () => {
    expect(phaseOfActivity('createSchema', { migrationId: 'm' })).toBe('SCHEMA');
    expect(phaseOfActivity('loadBatch', { migrationId: 'm', runKind: 'sample' })).toBe('SAMPLE');
    expect(phaseOfActivity('loadBatch', { migrationId: 'm', runKind: 'full' })).toBe('FULL');
    expect(phaseOfActivity('loadBatch', { migrationId: 'm', runKind: 'delta' })).toBe('DELTA');
    // The sample's diff is part of the sample; the full run's check is the verification.
    expect(phaseOfActivity('verifyBatch', { migrationId: 'm', runKind: 'sample' })).toBe('SAMPLE');
    expect(phaseOfActivity('verifyBatch', { migrationId: 'm', runKind: 'full' })).toBe('VERIFY');
    expect(phaseOfActivity('takeFingerprint', { migrationId: 'm', label: 'before_first_write' })).toBe('SCHEMA');
    expect(phaseOfActivity('takeFingerprint', { migrationId: 'm', label: 'after_rollback' })).toBe('ROLLING_BACK');
    expect(phaseOfActivity('rollbackBatch', { migrationId: 'm' })).toBe('ROLLING_BACK');
    expect(phaseOfActivity('extractSource', { migrationId: 'm' })).toBeUndefined();
  });

  it('names only activities that exist (a renamed activity would stop being booked)', () => {
    const activities = new Set(Object.keys(createActivities({} as never)));
    for (const type of [
      'identifyPipedriveAccount',
      'resolveProviders',
      'matchOwners',
      'takeFingerprint',
      'createSchema',
      'loadBatch',
      'verifyBatch',
      'deltaPoll',
      'beginRollback',
      'rollbackBatch',
      'restoreBeforeImages',
      'proveRollback',
    ]) {
      expect({ type, exists: activities.has(type) }).toEqual({ type, exists: true });
    }
  });

  it("a run's spend is what was added since it started, by phase", () => {
    const before = { byPhase: { SCHEMA: { requests: 10, tokens: 50 }, FULL: { requests: 100, tokens: 500 } }, total: { requests: 110, tokens: 550 } };
    const now = {
      byPhase: { SCHEMA: { requests: 10, tokens: 50 }, FULL: { requests: 130, tokens: 600 }, VERIFY: { requests: 5, tokens: 50 } },
      total: { requests: 145, tokens: 700 },
    };
    expect(spendSince(before, now)).toEqual({
      byPhase: { FULL: { requests: 30, tokens: 100 }, VERIFY: { requests: 5, tokens: 50 } },
      total: { requests: 35, tokens: 150 },
    });
    expect(spendSince(undefined, now)).toBe(now);
    expect(describeSpend(now)).toBe('tokens spent (requests): SCHEMA 50 (10) · FULL 600 (130) · VERIFY 50 (5) · total 700 (145)');
  });
});
