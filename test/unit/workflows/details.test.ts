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

describe("renderDetails: the migration's Current Details in the Web UI", () => {
  it('shows the phase, the object being loaded and the counts', () => {
    const text = renderDetails({ ...base, currentObject: 'person load', objects: { person: { source: 10, migrated: 8, skipped: 1, rejected: 1 } } });
    expect(text).toContain('**Phase:** FULL (person load)');
    expect(text).toContain('| person | 10 | 8 | 1 | 1 |');
    expect(text).not.toContain('Waiting for');
  });

  it('at a gate, says what it waits for and the exact command for this migration', () => {
    const text = renderDetails({ ...base, phase: 'SAMPLE_REVIEW', waitingFor: 'SAMPLE_REVIEW', gateMessage: 'sample accuracy 99.50% (threshold 99%)' });
    expect(text).toContain('**Waiting for:** SAMPLE_REVIEW approval. sample accuracy 99.50% (threshold 99%)');
    expect(text).toContain('npm run starter -- approve -m lakeside --gate SAMPLE_REVIEW --by <you>');
    expect(text).toContain('Send a Signal `approve`');
  });

  it('shows a budget pause', () => {
    expect(renderDetails({ ...base, paused: { reason: 'daily budget spent', until: '2026-12-06T00:00:00Z' } })).toContain(
      '**Paused:** daily budget spent until 2026-12-06T00:00:00Z',
    );
  });
});
