import { currentPhase, statusHeader } from '../../src/cli/status-view';
import type { StoreProgress } from '../../src/cli/commands';
import type { MigrationStatus } from '../../src/workflows/messages';

const progress = (phase: string): StoreProgress => ({
  phase,
  practiceName: 'Lakeside',
  objects: {},
  reports: [],
  tokens: { byPhase: {}, total: { requests: 0, tokens: 0 } },
});
const status = (phase: MigrationStatus['phase']): MigrationStatus => ({
  migrationId: 'm1',
  practiceName: 'Lakeside',
  phase,
  objects: {},
  reports: {},
  fingerprints: {},
  phaseHistory: [],
});

describe('status shows the phase ops should read', () => {
  it("a finished migration rolled back later shows the rollback, not the closed workflow's DONE", () => {
    expect(currentPhase(status('DONE'), progress('ROLLED_BACK'))).toBe('ROLLED_BACK');
    expect(currentPhase(status('DONE'), progress('ROLLING_BACK'))).toBe('ROLLING_BACK');
    expect(statusHeader('m1', status('DONE'), progress('ROLLED_BACK'))[0]).toBe('Migration m1 — Lakeside — phase ROLLED_BACK');
  });

  it("otherwise the workflow's own phase, or the store's when Temporal does not answer", () => {
    expect(currentPhase(status('FULL'), progress('SAMPLE_REVIEW'))).toBe('FULL');
    expect(currentPhase(status('ROLLING_BACK'), progress('ROLLED_BACK'))).toBe('ROLLING_BACK');
    expect(currentPhase(undefined, progress('VERIFY'))).toBe('VERIFY');
  });
});
