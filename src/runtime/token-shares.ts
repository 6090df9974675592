import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import type { Logger } from '../logging';
import { type PipedriveClient } from '../pipedrive/client';
import { BURST_WINDOW_MS } from '../pipedrive/rate-limiter';
import { recordAccountBudget } from '../store/account-budgets';
import { fairPortions } from '../pipedrive/window-shares';
import {
  forgetTokenClient,
  listenForLookRequests,
  markTokenClientLive,
  requestTokenLooks,
  type LookRequestListener,
  type TokenLook,
} from '../store/token-clients';

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
/** While a client waits for the others to look (they were asked to at once), how often it looks whether they have. */
const WAITING_LOOK_MS = 100;

/** A change that takes room another client had until its next look: a join, or a raise of the portion. */
interface WaitingForLooks {
  /** When the wait began (wall clock, ms): it ends a hold later at the latest, as when nobody is asked to look. */
  since: number;
  /** The portion it waits to take (a higher one found while waiting starts the wait again). */
  portion: number;
  /** The store's clock when the others were asked to look (undefined until the asking has come back). */
  askedAt?: number;
}

interface Watched {
  client: PipedriveClient;
  tokenKey: string;
  id: string;
  /** When it was made (wall clock, ms). */
  since: number;
  /** Counted live in the store now. */
  live: boolean;
  /** The clients on its token at its last look. */
  clients?: number;
  /** Its portion of the token's window now. */
  portion?: number;
  /** A join or a raise waiting for the others' looks. */
  waiting?: WaitingForLooks;
  /** Its next look while it waits (one at a time, however many looks it had meanwhile). */
  waitTimer?: NodeJS.Timeout;
  /** Its demand at its last looks an interval apart, newest last (undefined: it wanted more than it had). */
  demands: (number | undefined)[];
  /** When its demand was last read (wall clock, ms): looks between two intervals (asked for, or waiting) keep it. */
  demandReadAt?: number;
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
 * once and a raise only after that same wait: the room it takes was another's until that one's next look. A waiting
 * client asks the others to look at once (PostgreSQL's LISTEN/NOTIFY) and is let in one window after the last of
 * them has, instead of a whole look interval later; should nobody answer (a worker that died but still counts, an
 * older one), it is let in after the interval and the window, as if nobody had been asked.
 * Throughput comes back to the whole window whenever one worker sends alone.
 */
export class TokenShares {
  private readonly watched: Watched[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lookAgain = false;
  private warned = false;
  /** The connection on which others ask this process to look; re-opened at a look when it was lost. */
  private listener?: Promise<LookRequestListener | undefined>;
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
    this.watched.push({ client, tokenKey: client.tokenKey(), id: randomUUID(), since: now, live: false, demands: [] });
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
      await this.listen();
      do {
        this.lookAgain = false;
        await this.look();
      } while (this.lookAgain);
    };
    this.ticking = looks().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** The longest wait: the others' next look, then what they sent before it leaving the window. */
  private get holdMs(): number {
    return this.tickMs + BURST_WINDOW_MS + LOOK_MARGIN_MS;
  }

  /** Listens for the others' requests to look (once; again after the connection was lost). */
  private async listen(): Promise<void> {
    this.listener ??= listenForLookRequests(
      this.pool,
      (tokenKey) => {
        if (this.watched.some((w) => w.live && w.tokenKey === tokenKey)) void this.tick();
      },
      (err) => {
        this.warnOnce(err, 'lost the store connection that hears other workers ask for a look; looking every interval');
        this.listener = undefined;
      },
    ).catch((err: unknown) => {
      this.warnOnce(err, 'could not listen for other workers asking for a look; looking every interval');
      this.listener = undefined;
      return undefined;
    });
    await this.listener;
  }

  private warnOnce(err: unknown, message: string): void {
    if (!this.warned) this.logger.warn({ code: (err as { code?: string }).code }, message);
    this.warned = true;
  }

  /** Waits (since `since`) for the others' looks to take `portion`, and asks them to look now. */
  private async askOthersToLook(w: Watched, portion: number, since: number): Promise<WaitingForLooks> {
    const waiting: WaitingForLooks = { since, portion };
    w.waiting = waiting;
    waiting.askedAt = await requestTokenLooks(this.pool, w.tokenKey);
    return waiting;
  }

  /**
   * How long a waiting client still waits (0: no longer): one window (and a margin for the others' cuts) after the
   * last of the others has looked since it asked them to; a hold after the wait began at the latest.
   */
  private waitLeft(w: Watched, waiting: WaitingForLooks, look: TokenLook, now: number): { left: number; othersLooked: boolean } {
    const byHold = Math.max(0, waiting.since + this.holdMs - now);
    const others = look.clients.filter((c) => c.clientId !== w.id);
    const askedAt = waiting.askedAt;
    if (askedAt === undefined || !others.every((c) => c.lookedAt > askedAt)) return { left: byHold, othersLooked: false };
    const lastLook = Math.max(...others.map((c) => c.lookedAt));
    return { left: Math.min(byHold, Math.max(0, lastLook + BURST_WINDOW_MS + LOOK_MARGIN_MS - look.now)), othersLooked: true };
  }

  /**
   * The portion a client keeps, given its fair one now: at once when it is alone, cut or unchanged; once it has waited
   * for the others' looks when it is new to the window (a join) or raised. While waiting it looks again soon.
   */
  private async settlePortion(w: Watched, fair: number, look: TokenLook, now: number): Promise<void> {
    const joining = w.portion === undefined;
    if (look.clients.length <= 1 || fair === 1 || (!joining && fair <= w.portion! + PORTION_EPSILON)) {
      w.waiting = undefined;
      this.setPortion(w, fair, look.clients.length);
      return;
    }
    // A higher portion found while waiting asks the others again; the wait's longest end stays where it was.
    const waiting = w.waiting && fair <= w.waiting.portion + PORTION_EPSILON ? w.waiting : await this.askOthersToLook(w, fair, w.waiting?.since ?? now);
    const { left, othersLooked } = this.waitLeft(w, waiting, look, now);
    if (left > 0) {
      clearTimeout(w.waitTimer);
      w.waitTimer = setTimeout(() => void this.tick(), othersLooked ? left : Math.min(left, WAITING_LOOK_MS)).unref();
      return;
    }
    w.waiting = undefined;
    this.setPortion(w, fair, look.clients.length);
  }

  private setPortion(w: Watched, portion: number, clients: number): void {
    w.portion = portion;
    w.client.shareWindowsAmong(Math.max(1, clients), portion);
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
          // One reading an interval: the demand remembers DEMAND_LOOKS intervals however often it looks.
          if (w.demandReadAt === undefined || Date.now() - w.demandReadAt >= this.tickMs / 2) {
            w.demands = [...w.demands, w.client.windowDemand()].slice(-DEMAND_LOOKS);
            w.demandReadAt = Date.now();
          }
          const demand = w.demands.some((d) => d === undefined) ? undefined : Math.max(...(w.demands as number[]));
          const look = await markTokenClientLive(this.pool, w.tokenKey, w.id, this.liveSeconds, demand);
          w.live = true;
          const clients = Math.max(1, look.clients.length);
          w.clients = clients;
          const mine = look.clients.findIndex((c) => c.clientId === w.id);
          // Alone: the whole window (exactly 1, taken at once).
          const fair = clients === 1 || mine < 0 ? 1 / clients : fairPortions(look.clients.map((c) => c.demand))[mine]!;
          await this.settlePortion(w, fair, look, Date.now());
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
          w.waiting = undefined;
          w.demands = [];
          w.demandReadAt = undefined;
        }
      } catch (err) {
        // The store unreachable for a moment: keep the last share (the window is still respected per process).
        w.client.shareWindowsAmong(w.clients ?? 1, w.portion);
        this.warnOnce(err, 'could not share the Pipedrive burst window through the store');
      }
    }
  }

  /** Stops looking and leaves every token (the worker is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await (await this.listener)?.close();
    // No request left waiting for a look that will not come.
    for (const w of this.watched) w.client.shareWindowsAmong(w.clients ?? 1, w.portion);
    await Promise.all(this.watched.filter((w) => w.live).map((w) => forgetTokenClient(this.pool, w.tokenKey, w.id).catch(() => undefined)));
  }
}
