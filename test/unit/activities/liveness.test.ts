import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeat, keptAlive, withLiveness } from '../../../src/activities/heartbeat';
import { shortActivity, batchActivity, compensationActivity } from '../../../src/workflows/activity-options';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `beats` holds `count` heartbeats, polling; rejects after `timeoutMs`. The activities under test wait for
 * the ticks they expect rather than a fixed time, which a loaded machine's late timers made too short (CI once saw one
 * tick in 100 ms at a 40-ms period); without ticks they time out.
 */
async function untilBeats(beats: unknown[], count: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (beats.length < count) {
    if (performance.now() > deadline) throw new Error(`${beats.length} heartbeats in ${timeoutMs} ms, expected ${count}`);
    await pause(10);
  }
}

describe("activities' liveness heartbeats", () => {
  it('tick while an activity with a heartbeat timeout waits, repeating the details it sent last', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(() =>
      withLiveness(async () => {
        heartbeat({ processed: 3 });
        await untilBeats(beats, 3);
      }, 40),
    );
    expect(beats[0]).toEqual({ processed: 3 });
    expect(beats.length).toBeGreaterThanOrEqual(3);
    // Never empty details: those would erase the checkpoint a retry resumes from.
    expect(beats.every((d) => JSON.stringify(d) === '{"processed":3}')).toBe(true);
  });

  it("send the previous attempt's details until the activity sends its own", async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000, attempt: 2, heartbeatDetails: { processed: 20 } });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(() => withLiveness(() => untilBeats(beats, 2), 40));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.every((d) => JSON.stringify(d) === '{"processed":20}')).toBe(true);
  });

  it('stay silent for an activity without a heartbeat timeout, and outside any activity', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: undefined });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(() => withLiveness(() => pause(100), 20));
    expect(beats).toEqual([]);
    await expect(withLiveness(async () => 'plain call', 20)).resolves.toBe('plain call');
  });

  it('wrap every activity of a set, keeping their names, arguments and results', async () => {
    const acts = keptAlive({ add: async (a: number, b: number) => a + b, fail: async () => Promise.reject(new Error('boom')) });
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000 });
    await expect(env.run(acts.add, 2, 3)).resolves.toBe(5);
    await expect(env.run(acts.fail)).rejects.toThrow('boom');
    expect(Object.keys(acts)).toEqual(['add', 'fail']);
  });

  it('every activity option set has a heartbeat timeout, so an activity on a killed worker is retried in a minute at most', () => {
    const seconds = (d: unknown) => {
      const m = /^(\d+) (second|minute)s?$/u.exec(String(d));
      if (!m) throw new Error(`unexpected duration ${String(d)}`);
      return Number(m[1]) * (m[2] === 'minute' ? 60 : 1);
    };
    expect(seconds(shortActivity.heartbeatTimeout)).toBeLessThanOrEqual(60);
    expect(seconds(batchActivity.heartbeatTimeout)).toBeLessThanOrEqual(20);
    expect(seconds(compensationActivity.heartbeatTimeout)).toBeLessThanOrEqual(20);
  });
});
