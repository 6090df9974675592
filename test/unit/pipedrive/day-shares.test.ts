import { dayShareVerdict, fairDayLevel, type DaySpend } from '../../../src/pipedrive/day-shares';

const spend = (migrationId: string, tokens: number, wanting = true): DaySpend => ({ migrationId, tokens, wanting });

describe('fairDayLevel: the common level the day budget allows every migration that wants it', () => {
  it('is an equal part when none has spent, the whole day for one', () => {
    expect(fairDayLevel(1000, [0, 0])).toBe(500);
    expect(fairDayLevel(1000, [0, 0, 0, 0])).toBe(250);
    expect(fairDayLevel(1000, [0])).toBe(1000);
    expect(fairDayLevel(1000, [])).toBe(1000);
  });

  it('raises those below it and leaves those above with what they spent, the total being the day', () => {
    // One spent 800 of 1000 alone before the other started: the other may have the 200 left.
    expect(fairDayLevel(1000, [800, 0])).toBe(200);
    // 100 and 200 spent, one above at 600: the two below share what is left up to 200 each.
    expect(fairDayLevel(1000, [100, 600, 200])).toBe(200);
    expect(fairDayLevel(1000, [100, 300, 200])).toBeCloseTo(1000 / 3);
    for (const spent of [
      [0, 10, 900],
      [450, 450],
      [5, 5, 5, 700],
    ]) {
      const level = fairDayLevel(1000, spent);
      expect(spent.reduce((sum, s) => sum + Math.max(s, level), 0)).toBeCloseTo(1000);
    }
  });

  it('is the least spend once the day is spent (nobody below it)', () => {
    expect(fairDayLevel(1000, [700, 400])).toBe(400);
    expect(fairDayLevel(0, [0, 0])).toBe(0);
  });
});

describe('dayShareVerdict: whether a migration may go on spending today', () => {
  it('lets a migration alone spend the whole day', () => {
    expect(dayShareVerdict('a', 10_000, [spend('a', 90_000)])).toEqual({ kind: 'spend', level: 100_000 });
    expect(dayShareVerdict('a', 10_000, [])).toEqual({ kind: 'spend', level: 10_000 });
  });

  it('holds the one that had its part while another below the level wants its own', () => {
    // a spent 80,000 alone; b started: 20,000 are left, all of them b's.
    const spends = [spend('a', 80_000), spend('b', 0)];
    expect(dayShareVerdict('a', 20_000, spends)).toEqual({ kind: 'wait', level: 20_000, spent: 80_000, behind: 1 });
    expect(dayShareVerdict('b', 20_000, spends)).toEqual({ kind: 'spend', level: 20_000 });
    // Both started together: each spends up to half the day, then the one ahead waits for the other.
    expect(dayShareVerdict('a', 40_000, [spend('a', 30_500), spend('b', 30_000)]).kind).toBe('spend');
    expect(dayShareVerdict('a', 9_000, [spend('a', 50_000), spend('b', 40_000)])).toEqual({ kind: 'wait', level: 49_000, spent: 50_000, behind: 1 });
    expect(dayShareVerdict('b', 9_000, [spend('a', 50_000), spend('b', 40_000)]).kind).toBe('spend');
  });

  it('does not hold anyone for a migration that does not want the budget (a review gate, a stalled worker)', () => {
    expect(dayShareVerdict('a', 20_000, [spend('a', 80_000), spend('b', 0, false)]).kind).toBe('spend');
  });

  it('does not hold anyone once the day is spent by all (the budget itself refuses then)', () => {
    expect(dayShareVerdict('a', 0, [spend('a', 60_000), spend('b', 40_000)]).kind).toBe('spend');
    expect(dayShareVerdict('b', 0, [spend('a', 60_000), spend('b', 40_000)]).kind).toBe('spend');
  });
});
