import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import type { Logger } from '../logging';
import { type PipedriveClient } from '../pipedrive/client';
import { BURST_WINDOW_MS } from '../pipedrive/rate-limiter';
import { recordAccountBudget } from '../store/account-budgets';
import { forgetTokenClient, markTokenClientLive } from '../store/token-clients';

/** How often a sending client says it is live and learns how many share its token. */
export const SHARE_TICK_MS = 2_000;
/** A client not seen for this long no longer counts (three missed looks): its share goes back to the others. */
export const LIVE_SECONDS = 6;
/** A look's own time (a store round trip) on top of the others' look interval, for the joining hold. */
const LOOK_MARGIN_MS = 250;

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
  /** When the daily budget it last wrote to the store was observed. */
  budgetWrittenFor?: string;
}

/**
 * One Pipedrive token's burst window shared by every worker process on it (issue 14.2): each process's client says
 * it is live in the store while it sends, and keeps to an equal share of the window among the live clients. A client
 * that goes quiet gives its share back within LIVE_SECONDS and stands aside; its next request has it counted at once.
 * One that joins clients already live waits until they have all looked (and cut their shares) and what they sent
 * before that has left the window: until then their shares add up to the whole window, and its own would be on top
 * (measured: 429s in clusters whenever a worker came back between waves). Throughput comes back to the whole window
 * whenever one worker sends alone.
 */
export class TokenShares {
  private readonly watched: Watched[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lookAgain = false;
  private warned = false;

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
    this.watched.push({ client, tokenKey: client.tokenKey(), id: randomUUID(), since: now, live: false, joinedAt: now });
    this.standAside(client);
    this.timer ??= setInterval(() => void this.tick(), this.tickMs).unref();
    void this.tick();
  }

  /** One look: live clients say so and take their share; quiet ones leave. Asked during a look, it looks once more. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.lookAgain = true;
      return this.ticking;
    }
    const looks = async () => {
      do {
        this.lookAgain = false;
        await this.look();
      } while (this.lookAgain);
    };
    this.ticking = looks().finally(() => (this.ticking = undefined));
    return this.ticking;
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
          const clients = await markTokenClientLive(this.pool, w.tokenKey, w.id, this.liveSeconds);
          if (!w.live) w.joinedAt = Date.now();
          w.live = true;
          w.clients = clients;
          const admitAt = w.joinedAt + this.tickMs + BURST_WINDOW_MS + LOOK_MARGIN_MS;
          if (clients > 1 && Date.now() < admitAt) setTimeout(() => void this.tick(), admitAt - Date.now()).unref();
          else w.client.shareWindowsAmong(clients);
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
        }
      } catch (err) {
        // The store unreachable for a moment: keep the last share (the window is still respected per process).
        w.client.shareWindowsAmong(w.clients ?? 1);
        if (!this.warned) this.logger.warn({ code: (err as { code?: string }).code }, 'could not share the Pipedrive burst window through the store');
        this.warned = true;
      }
    }
  }

  /** Stops looking and leaves every token (the worker is stopping). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    // No request left waiting for a look that will not come.
    for (const w of this.watched) w.client.shareWindowsAmong(w.clients ?? 1);
    await Promise.all(this.watched.filter((w) => w.live).map((w) => forgetTokenClient(this.pool, w.tokenKey, w.id).catch(() => undefined)));
  }
}
