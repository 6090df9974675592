import { renderDetails } from '../../../src/workflows/details';
import type { MigrationStatus } from '../../../src/workflows/messages';

const base: MigrationStatus = {
  migrationId: 'lakeside',
  practiceName: 'Lakeside',
  phase: 'FULL',
  objects: {},
  reports: {},
  fingerprints: {},
  phaseHistory: [],
};
const now = new Date('2026-12-05T10:01:40Z');

describe("renderDetails: the migration's Current Details in the Web UI", () => {
  it('shows the phase, the object being loaded and the counts', () => {
    const text = renderDetails({ ...base, currentObject: 'person load', objects: { person: { source: 10, migrated: 8, skipped: 1, rejected: 1 } } }, now);
    expect(text).toContain('**Phase:** FULL (person load)');
    expect(text).toContain('| person | 10 | 8 | 1 | 1 |');
    expect(text).not.toContain('Waiting for');
  });

  it('at a gate, says what it waits for and the exact command for this migration', () => {
    const text = renderDetails({ ...base, phase: 'SAMPLE_REVIEW', waitingFor: 'SAMPLE_REVIEW', gateMessage: 'sample accuracy 99.50% (threshold 99%)' }, now);
    expect(text).toContain('**Waiting for:** SAMPLE_REVIEW approval. sample accuracy 99.50% (threshold 99%)');
    expect(text).toContain('npm run starter -- approve -m lakeside --gate SAMPLE_REVIEW --by <you>');
    expect(text).toContain('Send a Signal `approve`');
  });

  it('shows a budget pause', () => {
    expect(renderDetails({ ...base, paused: { reason: 'daily budget spent', until: '2026-12-06T00:00:00Z' } }, now)).toContain(
      '**Paused:** daily budget spent until 2026-12-06T00:00:00Z',
    );
  });

  it("during FULL shows the full run's own progress per type: waiting types show no sample counts, with rate and ETA", () => {
    const text = renderDetails(
      {
        ...base,
        // The reconciliation after the sample: 32 persons migrated by the sample run.
        objects: { person: { source: 1200, migrated: 32, skipped: 0, rejected: 0 } },
        phaseProgress: {
          runKind: 'full',
          mode: 'load',
          startedAt: '2026-12-05T10:00:00Z',
          objects: {
            organization: { state: 'running', total: 400, done: 200, migrated: 198, skipped: 1, rejected: 1 },
            person: { state: 'waiting', total: 0, done: 0, migrated: 0, skipped: 0, rejected: 0 },
          },
        },
      },
      now,
    );
    expect(text).toContain('**Loading (full run):** 200 of 400+ records, 2.0/s, about 1 min 40 s left for the types planned so far');
    expect(text).toContain('| organization | running | 200 / 400 | 198 | 1 | 1 |');
    expect(text).toContain('| person | waiting | — | 0 | 0 | 0 |');
    // The sample's reconciliation is not shown beside the full run's progress (it would read as the full run's).
    expect(text).not.toContain('**Reconciliation**');
    expect(text).not.toContain('| person | 1200 | 32 |');
  });

  it('during a rollback shows its deletes so far', () => {
    const text = renderDetails(
      { ...base, phase: 'ROLLING_BACK', rollbackProgress: { scope: 'all', deleted: 420, alreadyGone: 3, current: 'person: 80 left' } },
      now,
    );
    expect(text).toContain('**Rollback (all):** 420 deleted, 3 already gone · now person: 80 left');
  });
});
