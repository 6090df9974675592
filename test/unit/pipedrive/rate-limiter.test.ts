import { BurstLimiter, type Clock, type ReleaseSlot } from '../../../src/pipedrive/rate-limiter';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Virtual time: `sleep` resolves when `advance` moves past its deadline. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), resolve }));
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.resolve();
    }
    this.t = target;
    await flush();
  }
}

/** Acquires and records when each slot was granted. */
function track(limiter: BurstLimiter, clock: FakeClock) {
  const granted: { at: number; release: ReleaseSlot }[] = [];
  const take = () => limiter.acquire().then((release) => granted.push({ at: clock.now(), release }));
  return { granted, take };
}

describe('BurstLimiter', () => {
  it('grants `limit` slots at once; the next waits a full window after the first release', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 2, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    void take();
    void take();
    void take();
    await clock.advance(0);
    expect(granted.map((g) => g.at)).toEqual([0, 0]);

    await clock.advance(100);
    granted[0]!.release();
    await clock.advance(999);
    expect(granted).toHaveLength(2);
    await clock.advance(1);
    expect(granted.map((g) => g.at)).toEqual([0, 0, 1100]);
  });

  it('a slot stays taken while its request is in flight, however long that is', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 1, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    void take();
    void take();
    await clock.advance(5000);
    expect(granted).toHaveLength(1);
    granted[0]!.release();
    await clock.advance(999);
    expect(granted).toHaveLength(1);
    await clock.advance(1);
    expect(granted.map((g) => g.at)).toEqual([0, 6000]);
  });

  it('hands out slots first come, first served', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 1, windowMs: 10, clock });
    const order: number[] = [];
    const all = [1, 2, 3, 4].map((n) =>
      limiter.acquire().then((release) => {
        order.push(n);
        release();
      }),
    );
    await clock.advance(100);
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('pauseFor holds back new requests', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 10, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    limiter.pauseFor(500);
    void take();
    await clock.advance(499);
    expect(granted).toHaveLength(0);
    await clock.advance(1);
    expect(granted.map((g) => g.at)).toEqual([500]);
  });

  it("tells when someone else filled the window lately: from a 429's pause until ten quiet windows after it", async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 10, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    expect(limiter.state().contended).toBe(false);
    // The server's window full while this client holds one slot of it: someone else's requests.
    void take();
    await clock.advance(0);
    granted[0]!.release(0, 1000);
    expect(limiter.state().contended).toBe(true);
    await clock.advance(1000 + 10 * 1000 - 1);
    expect(limiter.state().contended).toBe(true);
    await clock.advance(1);
    expect(limiter.state().contended).toBe(false);
  });

  it('the server limit can lower the configured one, never raise it', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 5, windowMs: 1000, clock });
    limiter.observeLimit(100);
    expect(limiter.state().limit).toBe(5);
    limiter.observeLimit(2);
    expect(limiter.state().limit).toBe(2);
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 3; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(2);
  });

  it('shared among clients of other processes on the token, keeps to an equal share of the (server) limit, at least one', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 100, windowMs: 1000, clock });
    limiter.shareAmong(3);
    expect(limiter.state()).toMatchObject({ limit: 33, sharedAmong: 3 });
    limiter.observeLimit(40);
    expect(limiter.state().limit).toBe(13);
    limiter.shareAmong(1);
    expect(limiter.state().limit).toBe(40);
    limiter.shareAmong(500);
    expect(limiter.state().limit).toBe(1);
    limiter.shareAmong(0); // not a count: ignored
    expect(limiter.state().limit).toBe(1);
    limiter.shareAmong(20);
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 4; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(2);
  });

  it('keeps to the slots of the window it is allotted, none at all with 0, and asks for more when a request waits beyond them', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 120, windowMs: 1000, clock });
    let asked = 0;
    limiter.onWantRoom(() => (asked += 1));
    limiter.allot(3, 0);
    expect(limiter.state()).toMatchObject({ limit: 0, sharedAmong: 3 });
    const { granted, take } = track(limiter, clock);
    void take();
    await clock.advance(0);
    expect([granted.length, asked, limiter.state().waiting]).toEqual([0, 1, 1]);
    // Slots given: the waiting request goes at once, up to them.
    limiter.allot(3, 2);
    for (let i = 0; i < 2; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(2);
    expect(asked).toBe(2); // the third waits beyond its two slots, and asks again
    // Never more than the whole window, whatever it is allotted.
    limiter.allot(1, 500);
    expect(limiter.state().limit).toBe(120);
    expect(limiter.accountLimit()).toBe(120);
    // The whole window held: a request that waits does not ask (there is nothing more to have).
    await clock.advance(0);
    const before = asked;
    for (let i = 0; i < 200; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(120);
    expect(asked).toBe(before);
  });

  it('tells its demand since it last told: the most of the window held at once, or undefined once a request waited for room', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 10, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 3; i += 1) void take();
    await clock.advance(0);
    granted[0]!.release();
    expect(limiter.takeDemand()).toBeCloseTo(0.3); // three held at once (one cooling, two in flight)
    await clock.advance(1000); // the cooling slot leaves the window
    expect(limiter.takeDemand()).toBeCloseTo(0.3); // a period starts with what is held then (three)
    expect(limiter.takeDemand()).toBeCloseTo(0.2);
    limiter.shareAmong(5); // two slots: both held
    void take();
    await clock.advance(0);
    expect(granted).toHaveLength(3);
    expect(limiter.takeDemand()).toBeUndefined(); // a request waits for room now
    granted[1]!.release();
    granted[2]!.release();
    await clock.advance(1000);
    expect(granted).toHaveLength(4);
    expect(limiter.takeDemand()).toBeUndefined(); // it waited since the last look
    granted[3]!.release();
    await clock.advance(1000);
    expect(limiter.takeDemand()).toBeCloseTo(0.1);
    expect(limiter.takeDemand()).toBe(0);
  });

  it("lets requests through while its counted slots still cool when the server's x-ratelimit-remaining confirms room", async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 3, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 6; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(3);
    await clock.advance(100);
    // The last one sent, answered last, says two places are left in the server's window, and nothing was sent after it.
    granted[0]!.release();
    granted[1]!.release();
    granted[2]!.release(2);
    await clock.advance(0);
    expect(granted.map((g) => g.at)).toEqual([0, 0, 0, 100, 100]);
    expect(limiter.state()).toMatchObject({ cooling: 3, inFlight: 2, serverCredits: 0 });
    // The sixth waits for the counted slots as before: the first cools at 100 + 1000.
    await clock.advance(999);
    expect(granted).toHaveLength(5);
    await clock.advance(1);
    expect(granted.map((g) => g.at)).toEqual([0, 0, 0, 100, 100, 1100]);
  });

  it('takes the requests sent after the answered one off the room the server said is left, and ignores an older answer', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 3, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 4; i += 1) void take();
    await clock.advance(100);
    // The first said 2 left, but the second and third were sent after it and may not have been counted: no room.
    granted[0]!.release(2);
    await clock.advance(0);
    expect(limiter.state().serverCredits).toBe(0);
    expect(granted).toHaveLength(3);
    // The third (the newest) says 2 left, but the second, sent before it, is still in flight and may arrive after it
    // (another connection): one more may go, and one is waiting.
    granted[2]!.release(2);
    await clock.advance(0);
    expect(granted).toHaveLength(4);
    expect(limiter.state().serverCredits).toBe(0);
    // An answer to a request sent earlier than the one the room came from changes nothing.
    granted[1]!.release(3);
    expect(limiter.state().serverCredits).toBe(0);
  });

  it('forgets the room the server confirmed once a pause says someone else filled the window, and what older answers say', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 4, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    void take();
    void take();
    await clock.advance(0);
    // Three left, less the first, sent before it and still in flight (it may arrive after it).
    granted[1]!.release(3);
    expect(limiter.state().serverCredits).toBe(2);
    limiter.pauseFor(500);
    expect(limiter.state().serverCredits).toBe(0);
    granted[0]!.release(3); // sent before the pause
    expect(limiter.state().serverCredits).toBe(0);
    // Nor for ten windows after the pause: someone else on the token may fill it again.
    void take();
    await clock.advance(500 + 9 * 1000);
    granted[2]!.release(3);
    expect(limiter.state().serverCredits).toBe(0);
    void take();
    await clock.advance(1000);
    granted[3]!.release(3);
    expect(limiter.state().serverCredits).toBe(3);
  });

  it('a full server window of its own requests is no pause (nor the end of confirmed room); one it holds too little of is', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 3, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    for (let i = 0; i < 3; i++) void take();
    await clock.advance(100);
    // Its third request fills the window: the server answers remaining 0, its reset a whole second away.
    granted[2]!.release(0, 1000);
    expect(limiter.state().pausedForMs).toBe(0);
    granted[0]!.release();
    granted[1]!.release();
    // The slots free a window after their answers, not a second reset later; room confirmed later is used at once.
    void take();
    await clock.advance(1000);
    expect(granted.map((g) => g.at)).toEqual([0, 0, 0, 1100]);
    granted[3]!.release(2);
    expect(limiter.state().serverCredits).toBe(2);

    // Holding one slot of three while the server says its window is full: someone else filled it. Wait for the reset.
    await clock.advance(1000);
    void take();
    await clock.advance(0);
    granted[4]!.release(0, 1000);
    expect(limiter.state()).toMatchObject({ pausedForMs: 1000, serverCredits: 0 });
  });

  it('a window full of its own requests when the server counted one is no pause, though some left the count since', async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 3, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    void take();
    void take();
    await clock.advance(0);
    granted[0]!.release();
    granted[1]!.release();
    // Sent while the two cool: all three slots held. The server counts it on arrival, the window full of this client's
    // three; its answer comes after the two have left the count here (one slot of three held at the answer).
    await clock.advance(900);
    void take();
    await clock.advance(200);
    expect(limiter.state()).toMatchObject({ inFlight: 1, cooling: 0 });
    granted[2]!.release(0, 1000);
    expect(limiter.state()).toMatchObject({ pausedForMs: 0, contended: false });
  });

  it("uses no room the server confirms while the token's window is shared: the other clients' shares count on it", async () => {
    const clock = new FakeClock();
    const limiter = new BurstLimiter({ limit: 4, windowMs: 1000, clock });
    const { granted, take } = track(limiter, clock);
    void take();
    await clock.advance(0);
    granted[0]!.release(3);
    expect(limiter.state().serverCredits).toBe(3);
    limiter.shareAmong(2);
    expect(limiter.state().serverCredits).toBe(0);
    for (let i = 0; i < 3; i += 1) void take();
    await clock.advance(0);
    expect(granted).toHaveLength(2);
    granted[1]!.release(3);
    expect(limiter.state().serverCredits).toBe(0);
  });

  it('rejects a limit that cannot pace anything', () => {
    expect(() => new BurstLimiter({ limit: 0, windowMs: 1000 })).toThrow(/positive integer/);
  });
});
