import { performance } from 'node:perf_hooks';

/** Monotonic time and sleeping, injectable so the timing logic can be tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export type PipedrivePlan = 'lite' | 'growth' | 'premium' | 'ultimate';

/** Requests per rolling 2 s for an API token (Pipedrive's rate-limiting page, token-based limits). */
export const PLAN_BURST_LIMITS: Record<PipedrivePlan, number> = { lite: 20, growth: 40, premium: 100, ultimate: 120 };
export const BURST_WINDOW_MS = 2000;
/** Windows without a pause before room confirmed by responses is used again (see BurstLimiter.pauseFor). */
const STRANGER_QUIET_WINDOWS = 10;
/** Search endpoints: 10 requests per 2 s on every plan. */
export const SEARCH_BURST_LIMIT = 10;

/**
 * Frees a slot taken with `acquire()`; call it once the response (or the failure) has arrived, with the response's
 * `x-ratelimit-remaining` for this limiter's window when it had one, and its `x-ratelimit-reset` (ms from now) for when
 * that says the window is full. Idempotent.
 */
export type ReleaseSlot = (serverRemaining?: number, resetMs?: number) => void;

export interface BurstLimiterOptions {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  clock?: Clock;
}

export interface BurstLimiterState {
  limit: number;
  /** The clients on this token the limit is shared among (1: this one alone). */
  sharedAmong: number;
  inFlight: number;
  /** Requests asking for a slot now (the first waits for room, the others queue behind it). */
  waiting: number;
  /** Slots released less than a window ago, still counted. */
  cooling: number;
  /** Requests the server's last `x-ratelimit-remaining` still leaves room for beyond the slots counted here. */
  serverCredits: number;
  pausedForMs: number;
  /** Someone else filled the token's window lately (a 429, or the server's window full of others' requests). */
  contended: boolean;
}

/**
 * Keeps one client's requests under a rolling-window limit, shared by all concurrent callers (first come, first
 * served). A request holds its slot from the moment it is sent until `windowMs` after its response arrived: Pipedrive
 * counts a request when it arrives, which lies between the two, so no window of `windowMs` as the server sees it can
 * hold more than `limit` of our requests, whatever the network latency. The price is a little throughput (a slot is
 * held for latency + window), which is cheaper than a 429.
 *
 * The server says how much of its window is left (`x-ratelimit-remaining`, as it counted when the request arrived),
 * which wins that throughput back as far as it is exact: the requests sent after the one answered may not have been
 * counted yet, so each is taken off what it said; what is left is room the server confirmed, usable even while every
 * slot counted here is still cooling. Only while this client is alone on the token: that room is the whole window's,
 * and other clients keep to their shares of it counting on it being there (three workers using it saw 16 × 429), and
 * only while no one else has filled the window lately. Its `x-ratelimit-reset` is whole seconds, too coarse to time
 * anything by.
 */
export class BurstLimiter {
  private readonly clock: Clock;
  private readonly configuredLimit: number;
  private currentLimit: number;
  /** The server's `x-ratelimit-limit`, once seen. */
  private serverLimit?: number;
  /** Clients of other processes (workers) on the same token, this one included. */
  private sharedAmong = 1;
  /** The slots of the window this client holds among the token's clients, when counted in slots (see `allot`). */
  private allotted?: number;
  /** Told when a request waits because this client holds fewer slots than the window (see `onWantRoom`). */
  private wantRoom?: () => void;
  /** Since the last `takeDemand`: the most slots held at once, and whether a request waited for room. */
  private peakHeld = 0;
  private waitedForRoom = false;
  /** Requests waiting for room now (every slot held), or for this client to be counted again (standing aside). */
  private wantingRoom = 0;
  private readonly windowMs: number;
  /** When released slots were released, ascending (the clock is monotonic). */
  private readonly releasedAt: number[] = [];
  private pausedUntil = 0;
  /** Serialises waiters so slots are handed out in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Requests that asked for a slot and have none yet. */
  private asking = 0;
  private releaseWaiters: (() => void)[] = [];
  /** Requests sent so far: a slot's number tells which were sent after it. */
  private sent = 0;
  /**
   * The requests in flight, by number (see `sent`), each with the most slots held at once since it was sent: what the
   * server may have counted of ours when it counted it (see `windowFullAt`).
   */
  private readonly inFlightSends = new Map<number, number>();
  /** Room the server confirmed beyond the slots counted here (see the class comment), and the send it came from. */
  private serverCredits = 0;
  private creditsFromSend = 0;
  /** After a pause (a 429, the server's window used up by someone else): no room confirmed by responses is used. */
  private noCreditsUntil = 0;
  /** Set while this client is not counted among the token's clients (see `standAside`). */
  private aside?: { onDemand: () => void; asked: boolean };

  constructor(opts: BurstLimiterOptions) {
    if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new Error(`burst limit must be a positive integer, got ${opts.limit}`);
    if (!(opts.windowMs > 0)) throw new Error(`burst window must be positive, got ${opts.windowMs} ms`);
    this.clock = opts.clock ?? systemClock;
    this.configuredLimit = opts.limit;
    this.currentLimit = opts.limit;
    this.windowMs = opts.windowMs;
  }

  /** Waits for a free slot and takes it. */
  acquire(): Promise<ReleaseSlot> {
    this.asking += 1;
    const slot = this.queue.then(() => this.waitForSlot()).finally(() => (this.asking -= 1));
    this.queue = slot.catch(() => undefined);
    return slot;
  }

  /** Lets no new request start for `ms` (a 429, or the server's window exhausted); in-flight requests are unaffected. */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    // Someone else fills the window: room a response confirms can be gone by the time a request arrives (a faults test
    // with a neighbour bursting the whole window saw twice the 429s using it), so none is used for a while.
    this.serverCredits = 0;
    this.creditsFromSend = this.sent;
    this.noCreditsUntil = Math.max(this.noCreditsUntil, this.pausedUntil + STRANGER_QUIET_WINDOWS * this.windowMs);
  }

  /**
   * The server said its window was full (`x-ratelimit-remaining: 0`) when a request arrived that held `heldSince` slots
   * at most from its sending to its answer: it confirms no room. When those filled this client's limit, the window may
   * be full of its own requests, which it already waits for: pausing on top of that (the reset is whole seconds, at
   * least one) only cost throughput, and each such pause shut the confirmed room off and marked the window contended
   * for ten windows, so a client alone at full speed never used it. Only when this client held less than its limit
   * all that time did someone else fill the window: then it pauses until the reset.
   *
   * Not the slots held at the answer: the server counted the request when it arrived, up to a round trip earlier, and
   * slots of ours in its window then may have left the count here since (the throughput bench: a window full when 99
   * of 100 were still counted paused a client alone, and its batches then sent one create at a time for 20 s).
   */
  private windowFullAt(heldSince: number, resetMs: number): void {
    this.serverCredits = 0;
    this.creditsFromSend = this.sent;
    if (heldSince >= this.currentLimit) return;
    this.pauseFor(resetMs);
  }

  /**
   * The server's `x-ratelimit-limit`. It can only lower the limit: the configured plan is the ceiling, because it is
   * unclear whether a search response reports the search window or the general one.
   */
  observeLimit(serverLimit: number): void {
    if (!Number.isFinite(serverLimit) || serverLimit < 1) return;
    this.serverLimit = Math.floor(serverLimit);
    this.currentLimit = this.limitNow();
  }

  /**
   * Pipedrive's window is per token, whichever process sends: with `clients` live on the token (this one included),
   * this one keeps to an equal share of the window, at least one request (the search window; the burst window is
   * shared in slots, see `allot`).
   */
  shareAmong(clients: number): void {
    this.countAmong(clients, undefined);
  }

  /**
   * Pipedrive's window is per token: with `clients` live on it (this one included), this one sends only within the
   * `slots` of the window it holds (src/runtime/token-shares.ts keeps the slots of all of them within the window, in
   * the store), none at all with 0. Requests waiting for room go as soon as the slots allow.
   */
  allot(clients: number, slots: number): void {
    if (!Number.isInteger(slots) || slots < 0) return;
    this.countAmong(clients, slots);
  }

  /** Counted among `clients` on the token, with an equal share of the window or the slots allotted. */
  private countAmong(clients: number, allotted: number | undefined): void {
    if (!Number.isInteger(clients) || clients < 1) return;
    this.sharedAmong = clients;
    this.allotted = allotted;
    this.currentLimit = this.limitNow();
    // Room the server confirmed is the whole token's, which the other clients' shares count on.
    if (clients > 1) this.serverCredits = 0;
    // Counted again (no longer standing aside), or a new limit: the waiting requests look at it.
    this.aside = undefined;
    this.wakeWaiters();
  }

  /**
   * `wanted` is told whenever a request starts waiting for room while this client holds less than the whole window:
   * it asks the other clients' slots for more at once rather than at its next look.
   */
  onWantRoom(wanted: () => void): void {
    this.wantRoom = wanted;
  }

  /**
   * Starts no request until `shareAmong` or `allot` counts this client among the token's clients again: one the others do not
   * count (new, or back after going quiet) would send on top of their shares of the window. The first request that
   * waits calls `onDemand`, so it is counted at once rather than at the next look.
   */
  standAside(onDemand: () => void): void {
    this.aside = { onDemand, asked: false };
  }

  private limitNow(): number {
    if (this.allotted !== undefined) return Math.min(this.allotted, this.accountLimit());
    // The epsilon keeps a third of 120 at 40, not 39.999… floored.
    return Math.max(1, Math.floor(this.accountLimit() / this.sharedAmong + 1e-9));
  }

  /** The token's whole window, whoever shares it. */
  accountLimit(): number {
    return Math.min(this.configuredLimit, this.serverLimit ?? this.configuredLimit);
  }

  /**
   * What this client asked of the window since the last call, for splitting it by demand: the most of it held at once
   * (a fraction of the whole window), or undefined when a request waited for room (it would use more if it had it).
   */
  takeDemand(): number | undefined {
    this.forgetExpired(this.clock.now());
    const wanted = this.waitedForRoom || this.wantingRoom > 0;
    const peak = this.peakHeld;
    this.waitedForRoom = false;
    this.peakHeld = this.inFlightSends.size + this.releasedAt.length;
    return wanted ? undefined : peak / this.accountLimit();
  }

  state(): BurstLimiterState {
    const now = this.clock.now();
    this.forgetExpired(now);
    return {
      limit: this.currentLimit,
      sharedAmong: this.sharedAmong,
      inFlight: this.inFlightSends.size,
      waiting: this.asking,
      cooling: this.releasedAt.length,
      serverCredits: this.serverCredits,
      pausedForMs: Math.max(0, this.pausedUntil - now),
      contended: now < this.noCreditsUntil,
    };
  }

  private async waitForSlot(): Promise<ReleaseSlot> {
    for (;;) {
      const now = this.clock.now();
      this.forgetExpired(now);
      if (this.aside) {
        if (!this.aside.asked) {
          this.aside.asked = true;
          this.aside.onDemand();
        }
        await this.waitForRoom(new Promise<void>((resolve) => this.releaseWaiters.push(resolve)));
      } else if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now);
      } else if (this.inFlightSends.size + this.releasedAt.length < this.currentLimit || this.serverCredits > 0) {
        return this.occupy();
      } else if (this.releasedAt.length > 0) {
        // The oldest cooling slot frees up, unless a response confirms room first.
        await this.waitForRoom(
          Promise.race([this.clock.sleep(this.releasedAt[0]! + this.windowMs - now), new Promise<void>((resolve) => this.releaseWaiters.push(resolve))]),
        );
      } else {
        // Every slot is held by a request still in flight: its window starts only when it comes back.
        await this.waitForRoom(new Promise<void>((resolve) => this.releaseWaiters.push(resolve)));
      }
    }
  }

  /**
   * A wait for room its share or slots do not give it, or for the others to count it again (standing aside): either
   * way it wants more of the window than it has, which is what `takeDemand` tells the others.
   */
  private async waitForRoom(wait: Promise<unknown>): Promise<void> {
    this.waitedForRoom = true;
    this.wantingRoom += 1;
    if (this.allotted !== undefined && this.currentLimit < this.accountLimit()) this.wantRoom?.();
    try {
      await wait;
    } finally {
      this.wantingRoom -= 1;
    }
  }

  private occupy(): ReleaseSlot {
    const send = ++this.sent;
    this.inFlightSends.set(send, 0);
    const held = this.inFlightSends.size + this.releasedAt.length;
    for (const [inFlight, most] of this.inFlightSends) if (held > most) this.inFlightSends.set(inFlight, held);
    this.peakHeld = Math.max(this.peakHeld, held);
    // Every request takes a place in the server's window, whichever way it was let through.
    if (this.serverCredits > 0) this.serverCredits -= 1;
    let released = false;
    return (serverRemaining?: number, resetMs?: number) => {
      if (released) return;
      released = true;
      const heldSince = this.inFlightSends.get(send) ?? 0;
      this.inFlightSends.delete(send);
      this.releasedAt.push(this.clock.now());
      if (serverRemaining !== undefined && Number.isFinite(serverRemaining) && send > this.creditsFromSend) {
        // The newest word from the server; ours sent after this request may not be in its count yet, nor those sent
        // before it and still in flight (on other connections they can arrive after it: a wave's first creates, sent
        // together, met 4 × 429 when only the later ones were taken off).
        this.creditsFromSend = send;
        const alone = this.sharedAmong === 1 && this.clock.now() >= this.noCreditsUntil;
        let earlierInFlight = 0;
        if (alone) for (const other of this.inFlightSends.keys()) if (other < send) earlierInFlight += 1;
        this.serverCredits = alone ? Math.max(0, Math.floor(serverRemaining) - (this.sent - send) - earlierInFlight) : 0;
      }
      if (serverRemaining === 0) this.windowFullAt(heldSince, resetMs ?? this.windowMs);
      this.wakeWaiters();
    };
  }

  private wakeWaiters(): void {
    const waiters = this.releaseWaiters;
    this.releaseWaiters = [];
    for (const wake of waiters) wake();
  }

  private forgetExpired(now: number): void {
    while (this.releasedAt.length > 0 && this.releasedAt[0]! + this.windowMs <= now) this.releasedAt.shift();
  }
}
