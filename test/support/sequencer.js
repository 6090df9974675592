const Sequencer = require('@jest/test-sequencer').default;

/** The slowest tiers first, so a long end-to-end file never starts last and holds the run up alone. */
const TIER_WEIGHT = [
  ['/test/e2e/', 3],
  ['/test/integration/', 2],
  ['/test/workflow/', 1],
];
const weight = (test) => TIER_WEIGHT.find(([dir]) => test.path.includes(dir))?.[1] ?? 0;

/**
 * Jest orders files by the durations it measured on this checkout, else by file size; a clean clone (CI) has no
 * durations, and by size a short e2e file (minutes) can start after every unit file. Without durations: by tier, then
 * by size. With them (a developer's second run): jest's own order.
 */
class TierSequencer extends Sequencer {
  sort(tests) {
    const measured = tests.every((test) => this.time(test) !== undefined);
    if (measured) return super.sort(tests);
    const sorted = super.sort(tests);
    const rank = new Map(sorted.map((test, i) => [test, i]));
    return [...sorted].sort((a, b) => weight(b) - weight(a) || rank.get(a) - rank.get(b));
  }
}

module.exports = TierSequencer;
