import type { FaultOptions } from './options';
import { SeededRandom } from './random';

export interface FaultPlan {
  latencyMs: number;
  /** Destroy the socket before answering. */
  dropConnection: boolean;
  /** Answer 500 or 503 without processing. */
  serverError: 500 | 503 | undefined;
  /** For creates: store the record, then destroy the socket instead of answering. */
  loseResponse: boolean;
}

const NO_FAULTS: FaultPlan = { latencyMs: 0, dropConnection: false, serverError: undefined, loseResponse: false };

/**
 * Decides, per API request, which faults hit it. Every request draws the same number of random values in the same
 * order whatever the outcome, so a seed replays the same fault sequence for the same sequence of requests.
 */
export class FaultInjector {
  private options: FaultOptions = {};
  private random = new SeededRandom(Date.now());

  constructor(options: FaultOptions | undefined) {
    this.set(options ?? {});
  }

  get current(): FaultOptions {
    return { ...this.options };
  }

  set(options: FaultOptions): void {
    this.options = { ...options };
    this.random = new SeededRandom(options.seed ?? Date.now() ^ (process.pid << 8));
  }

  plan(): FaultPlan {
    const { errorRate = 0, latencyMs, dropConnectionRate = 0, lostResponseRate = 0 } = this.options;
    if (!errorRate && !latencyMs && !dropConnectionRate && !lostResponseRate) return NO_FAULTS;
    const latencyDraw = this.random.next();
    const dropDraw = this.random.next();
    const errorDraw = this.random.next();
    const statusDraw = this.random.next();
    const lostDraw = this.random.next();
    let latency = 0;
    if (typeof latencyMs === 'number') latency = latencyMs;
    else if (Array.isArray(latencyMs)) latency = latencyMs[0] + Math.floor(latencyDraw * (latencyMs[1] - latencyMs[0] + 1));
    return {
      latencyMs: latency,
      dropConnection: dropDraw < dropConnectionRate,
      serverError: errorDraw < errorRate ? (statusDraw < 0.5 ? 500 : 503) : undefined,
      loseResponse: lostDraw < lostResponseRate,
    };
  }
}
