import { statusHeader } from '../../src/cli/status-view';
import { duration } from '../../src/workflows/duration';
import type { StoreProgress } from '../../src/cli/commands';
import type { MigrationStatus } from '../../src/workflows/messages';

const progress = (p: Partial<StoreProgress> = {}): StoreProgress => ({
  phase: 'FULL',
  practiceName: 'Lakeside',
  scope: 'full',
  objects: {},
  reports: [],
  tokens: { byPhase: { FULL: { requests: 12, tokens: 60 } }, total: { requests: 12, tokens: 60 } },
  ...p,
});
const status = (s: Partial<MigrationStatus>): MigrationStatus => ({
  migrationId: 'm1',
  practiceName: 'Lakeside',
  phase: 'FULL',
  objects: {},
  reports: {},
  fingerprints: {},
  phaseHistory: [],
  ...s,
});

describe('the lines status --watch redraws above the bars', () => {
  it("at a gate: what it waits for and the exact command, the workflow's own text with the migration's id", () => {
    const lines = statusHeader(
      'm1',
      status({ phase: 'SAMPLE_REVIEW', waitingFor: 'SAMPLE_REVIEW', gateMessage: 'sample accuracy 99.50% (threshold 99%)' }),
      progress({ phase: 'SAMPLE_REVIEW', scope: 'sample' }),
      undefined,
      undefined,
      { watch: true },
    );
    expect(lines).toContain('  waiting for SAMPLE_REVIEW approval: sample accuracy 99.50% (threshold 99%)');
    expect(lines.find((l) => l.startsWith('  to decide: '))).toContain('`npm run starter -- approve -m m1 --gate SAMPLE_REVIEW --by <you>`');
  });

  it('the measured rate with an ETA, the types not started, the pause and the tokens', () => {
    const lines = statusHeader(
      'm1',
      status({ paused: { reason: 'daily token budget spent', until: '2026-12-06T00:00:00Z' }, currentObject: 'person load' }),
      progress({
        objects: { person: { planned: 400, migrated: 0, skipped: 0, rejected: 0, pending: 0, rolledBack: 0, recreated: 0, state: 'waiting' } },
        rate: { perSecond: 12.5, seconds: 60, remaining: 1500, etaSeconds: 120 },
      }),
      undefined,
      undefined,
      { watch: true },
    );
    expect(lines[0]).toBe('Migration m1 — Lakeside — phase FULL (person load)');
    expect(lines).toContain('  paused: daily token budget spent until 2026-12-06T00:00:00Z');
    expect(lines).toContain('  full run: 12.5 records/s over the last 60 s · 1,500 left (1 type not started) · ETA 2 min');
    expect(lines).toContain('  tokens spent (requests): FULL 60 (12) · total 60 (12)');
  });

  it('a rollback counts deletes; nothing moving gives no ETA', () => {
    const lines = statusHeader(
      'm1',
      status({ phase: 'ROLLING_BACK' }),
      progress({ phase: 'ROLLING_BACK', scope: 'rollback', rollback: { scope: 'all', objects: {} }, rate: { perSecond: 0, seconds: 60, remaining: 40 } }),
    );
    expect(lines).toContain('  rollback (all): no deletes settled in the last 60 s · 40 to delete');
  });

  it("during VERIFY, the read-back's progress from the workflow (the store has no count of it)", () => {
    const startedAt = new Date(Date.now() - 10_000).toISOString();
    const objects = {
      person: { state: 'done' as const, total: 100, done: 100, migrated: 0, skipped: 0, rejected: 0 },
      activity: { state: 'running' as const, total: 300, done: 100, migrated: 0, skipped: 0, rejected: 0 },
    };
    const lines = statusHeader(
      'm1',
      status({ phase: 'VERIFY', phaseProgress: { runKind: 'full', mode: 'verify', startedAt, objects } }),
      progress({ phase: 'VERIFY', rate: { perSecond: 0, seconds: 60, remaining: 0 } }),
    );
    expect(lines).toContain('  full run: every planned record settled');
    expect(lines.find((l) => l.includes('verifying'))).toMatch(
      /^ {2}verifying the full run: 200 of 400 records read back · 2\d\.\d records\/s since it began · ETA 1\d s$/u,
    );
  });

  it('durations read as people say them', () => {
    expect([duration(45), duration(125), duration(3600 * 3 + 20 * 60)]).toEqual(['45 s', '2 min 5 s', '3 h 20 min']);
  });
});
