/**
 * Seeded randomness for the generator. faker (seeded) makes names and addresses; this small PRNG (sfc32) makes the
 * millions of numeric choices, which faker's option handling would slow down. Same seed, same sequence, any machine.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the four state words
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of choices) total += weight;
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }
}

/**
 * Injects a kind of dirt at an exact rate over a stream of candidates of unknown length: after n candidates,
 * floor(phase + n × rate) have been chosen, spread evenly, so even the 150-patient demo gets its share and the
 * truth file's injected/population equals the configured rate to within one item.
 */
export class QuotaSampler {
  private accumulated: number;
  population = 0;
  injected = 0;

  constructor(
    readonly rate: number,
    random: Random,
  ) {
    this.accumulated = rate > 0 ? random.next() : 0;
  }

  /** Counts one candidate; true when this one gets the dirt. */
  take(): boolean {
    this.population += 1;
    this.accumulated += this.rate;
    if (this.accumulated >= 1) {
      this.accumulated -= 1;
      this.injected += 1;
      return true;
    }
    return false;
  }

  /** Counts a candidate that must stay clean without losing its share: the next candidate gets it instead. */
  skip(): void {
    this.population += 1;
    this.accumulated = Math.min(this.accumulated + this.rate, 1.999);
  }
}
