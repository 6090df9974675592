import { createHash, randomBytes } from 'node:crypto';

/** Small, fast, seedable PRNG (mulberry32): fault decisions must replay identically for a given seed. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/**
 * Pipedrive keys custom fields with a random 40-hex hash that differs per account. With a seed the n-th key is
 * sha1(seed:n), so two sandboxes started with the same seed that create the same fields hold the same keys.
 */
export function customFieldKey(seed: number | undefined, sequence: number): string {
  if (seed === undefined) return randomBytes(20).toString('hex');
  return createHash('sha1').update(`${seed}:${sequence}`).digest('hex');
}
