import { fairPortions } from '../../../src/pipedrive/window-shares';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('fairPortions: one token window split among its clients by demand', () => {
  it('gives clients that want more equal parts, each whole when alone', () => {
    expect(fairPortions([undefined])).toEqual([1]);
    expect(fairPortions([undefined, undefined, undefined]).map((p) => p.toFixed(4))).toEqual(['0.3333', '0.3333', '0.3333']);
    expect(fairPortions([])).toEqual([]);
  });

  it('gives a client what it used at its peak plus room to grow, and what it leaves to those that want more', () => {
    const [low, a, b] = fairPortions([0.2, undefined, undefined]);
    expect(low).toBeCloseTo(0.25); // 0.2 and a quarter of it
    expect(a).toBeCloseTo(0.375);
    expect(b).toBeCloseTo(0.375);
    // An idle client keeps a little room (5% of the window) for its next request.
    const [idle, busy] = fairPortions([0, undefined]);
    expect(idle).toBeCloseTo(0.05);
    expect(busy).toBeCloseTo(0.95);
  });

  it('caps a want at an equal part when more want more than there is, and never gives out more than the window', () => {
    const portions = fairPortions([0.5, 0.6, undefined]);
    expect(portions.map((p) => p.toFixed(4))).toEqual(['0.3333', '0.3333', '0.3333']);
    for (const demands of [
      [0.1, 0.1],
      [0.9, 0.01, undefined],
      [0.3, 0.3, 0.3],
      [1, 1],
      [0.2, undefined, 0.05, 0.7],
    ]) {
      const p = fairPortions(demands);
      expect(sum(p)).toBeCloseTo(1);
      expect(Math.min(...p)).toBeGreaterThan(0);
    }
  });

  it('shares what nobody wants equally on top', () => {
    const [a, b] = fairPortions([0.1, 0.2]);
    // wants 0.15 and 0.25; the 0.6 left split in two
    expect(a).toBeCloseTo(0.45);
    expect(b).toBeCloseTo(0.55);
  });
});
