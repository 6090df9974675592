import { derivedConcurrency } from '../../../src/engine/concurrency';

describe('the concurrency a run derives when ops leave it open', () => {
  it('fills the account’s request rate at the round trip seen: enough one-request-at-a-time batches (Little’s law)', () => {
    // Premium: 100 requests per 2 s; 150 ms a request plus the engine's 20 ms → about 5.9 requests a second per batch.
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 150 })).toBe(9);
    // Before any response, a cloud round trip is assumed: the same.
    expect(derivedConcurrency({ requestsPerSecond: 50 })).toBe(9);
    // A slower link needs more batches for the same rate; a faster one fewer.
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 300 })).toBe(16);
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 30 })).toBe(3);
  });

  it("stays within the worker's activity slots: a batch more than the slots would run after the others, alone", () => {
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 150 }, 8)).toBe(8);
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 150 }, 16)).toBe(9);
    expect(derivedConcurrency({ requestsPerSecond: 50, latencyMs: 150 }, 1)).toBe(2);
  });

  it('stays within what start --concurrency accepts', () => {
    expect(derivedConcurrency({ requestsPerSecond: 10, latencyMs: 5 })).toBe(2);
    expect(derivedConcurrency({ requestsPerSecond: 500, latencyMs: 400 })).toBe(16);
  });
});
