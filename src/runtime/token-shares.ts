import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import type { Logger } from '../logging';
import { type PipedriveClient } from '../pipedrive/client';
import { BURST_WINDOW_MS } from '../pipedrive/rate-limiter';
import { recordAccountBudget } from '../store/account-budgets';
import { fairPortions } from '../pipedrive/window-shares';
import { forgetTokenClient, markTokenClientLive } from '../store/token-clients';

/** How often a sending client says it is live and learns how many share its token. */
export const SHARE_TICK_MS = 2_000;
/** A client not seen for this long no longer counts (three missed looks): its share goes back to the others. */
export const LIVE_SECONDS = 6;
/** A look's own time (a store round trip) on top of the others' look interval, for the joining hold. */
const LOOK_MARGIN_MS = 250;
/**
 * Looks a demand is remembered for: the most asked of the window over the last ones is what a client says it wants, so
 * the pause between two waves of batches (a second or so) does not give its share away just before it needs it again.
 */
const DEMAND_LOOKS = 3;
/** Portions closer than this are the same (a demand that moves by a request or two does not hold anything up). */
const PORTION_EPSILON = 0.005;

interface Watched {
  client: PipedriveClient;
  tokenKey: string;
  id: string;
  /** When it was made (wall clock, ms). */
  since: number;
  /** Counted live in the store now. */
  live: boolean;
  /** When it was last counted live after not being (wall clock, ms). */
  joinedAt: number;
  /** The clients on its token at its last look. */
  clients?: number;
  /** Its portion of the token's window now. */
  portion?: number;
  /** Since when its fair portion has been more than it has (wall clock, ms): a raise waits for the others. */
  raiseSince?: number;
  /** Its demand at its last looks, newest last (undefined: it wanted more than it had). */
  demands: (number | undefined)[];
  /** When the daily budget it last wrote to the store was observed. */
  budgetWrittenFor?: string;
}

/**
 * One Pipedrive token's burst window shared by every worker process on it (issue 14.2): each process's client says
 * it is live in the store while it sends, with its demand on the window, and keeps to its fair portion of the window
 * among the live clients (src/pipedrive/window-shares.ts: what one does not use goes to those that want more). A client
 * that goes quiet gives its share back within LIVE_SECONDS and stands aside; its next request has it counted at once.
 * One that joins clients already live waits until they have all looked (and cut their shares) and what they sent
 * before that has left the window: until then their shares add up to the whole window, and its own would be on top
 * (measured: 429s in clusters whenever a worker came back between waves). For the same reason a cut takes effect at
 * once and a raise only after that same hold: the room it takes was another's until that one's next look.
 * Throughput comes back to the whole window whenever one worker sends alone.
 */
export class TokenShares {
  private readonly watched: Watched[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lookAgain = false;
  private warned = false;
  /** Set by `close`: a look asked for after it (a hold's timer, a waiting request) would use a pool about to end. */
  private closed = false;

  private readonly liveSeconds: number;
  private readonly tickMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    opts: { liveSeconds?: number; tickMs?: number } = {},
  ) {
    this.liveSeconds = opts.liveSeconds ?? LIVE_SECONDS;
    this.tickMs = opts.tickMs ?? SHARE_TICK_MS;
  }

  /** Starts sharing this client's windows with the other processes on its token. */
  watch(client: PipedriveClient): void {
    const now = Date.now();
    this.watched.push({ client, tokenKey: client.tokenKey(), id: randomUUID(), since: now, live: false, joinedAt: now, demands: [] });
    this.standAside(client);
    this.timer ??= setInterval(() => void this.tick(), this.tickMs).unref();
    void this.tick();
  }

  /** One look: live clients say so and take their share; quiet ones leave. Asked during a look, it looks once more. */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.ticking) {
      this.lookAgain = true;
      return this.ticking;
    }
    const looks = async () => {
      do {
        this.lookAgain = false;
        await this.look();
      } while (this.lookAgain && !this.closed);
    };
    this.ticking = looks().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Others' looks, and what they sent before them leaving the window: a joining client's wait, and a raise's. */
  private get holdMs(): number {
    return this.tickMs + BURST_WINDOW_MS + LOOK_MARGIN_MS;
  }

  /**
   * The portion a client keeps, given its fair one now: at once when it is new to the window (just admitted), alone,
   * or cut; a raise only once its fair portion has been higher for a hold, because the room it takes is another's
   * until that one's next look.
   */
  private settlePortion(w: Watched, fair: number, now: number): void {
    if (w.portion === undefined || fair === 1 || fair <= w.portion + PORTION_EPSILON) {
      w.portion = fair;
      w.raiseSince = undefined;
    } else if (w.raiseSince === undefined) {
      w.raiseSince = now;
      setTimeout(() => void this.tick(), this.holdMs).unref();
    } else if (now - w.raiseSince >= this.holdMs) {
      w.portion = fair;
      w.raiseSince = undefined;
    }
  }

  private standAside(client: PipedriveClient): void {
    client.standAsideFromWindows(() => void this.tick());
  }

  private async look(): Promise<void> {
    for (const w of this.watched) {
      // A client counts from when it is made (it is about to send) and while it sends.
      const active = w.client.activeWithin(this.liveSeconds * 1000) || Date.now() - w.since < this.liveSeconds * 1000;
      try {
        if (active) {
          w.demands = [...w.demands, w.client.windowDemand()].slice(-DEMAND_LOOKS);
          const demand = w.demands.some((d) => d === undefined) ? undefined : Math.max(...(w.demands as number[]));
          const live = await markTokenClientLive(this.pool, w.tokenKey, w.id, this.liveSeconds, demand);
          const now = Date.now();
          if (!w.live) w.joinedAt = now;
          w.live = true;
          const clients = Math.max(1, live.length);
          w.clients = clients;
          const mine = live.findIndex((c) => c.clientId === w.id);
          // Alone: the whole window (exactly 1, which settlePortion takes at once).
          const fair = clients === 1 || mine < 0 ? 1 / clients : fairPortions(live.map((c) => c.demand))[mine]!;
          const admitAt = w.joinedAt + this.holdMs;
          if (clients > 1 && now < admitAt) setTimeout(() => void this.tick(), admitAt - now).unref();
          else {
            this.settlePortion(w, fair, now);
            w.client.shareWindowsAmong(clients, w.portion);
          }
          // The company's daily budget as Pipedrive last reported it, for `status` on any machine.
          const budget = w.client.usage().dailyBudget;
          if (budget && budget.observedAt !== w.budgetWrittenFor) {
            await recordAccountBudget(this.pool, w.tokenKey.split('#')[0]!, budget);
            w.budgetWrittenFor = budget.observedAt;
          }
        } else if (w.live) {
          this.standAside(w.client);
          await forgetTokenClient(this.pool, w.tokenKey, w.id);
          w.live = false;
          w.portion = undefined;
          w.raiseSince = undefined;
          w.demands = [];
        }
      } catch (err) {
        // The store unreachable for a moment: keep the last share (the window is still respected per process).
        w.client.shareWindowsAmong(w.clients ?? 1, w.portion);
        if (!this.warned) this.logger.warn({ code: (err as { code?: string }).code }, 'could not share the Pipedrive burst window through the store');
        this.warned = true;
      }
    }
  }

  /** Stops looking and leaves every token (the worker is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    // No request left waiting for a look that will not come.
    for (const w of this.watched) w.client.shareWindowsAmong(w.clients ?? 1, w.portion);
    await Promise.all(this.watched.filter((w) => w.live).map((w) => forgetTokenClient(this.pool, w.tokenKey, w.id).catch(() => undefined)));
  }
}
