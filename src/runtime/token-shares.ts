import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import type { Logger } from '../logging';
import { type PipedriveClient } from '../pipedrive/client';
import { recordAccountBudget } from '../store/account-budgets';
import { forgetTokenClient, markTokenClientLive } from '../store/token-clients';

/** How often a sending client says it is live and learns how many share its token. */
export const SHARE_TICK_MS = 2_000;
/** A client not seen for this long no longer counts (three missed looks): its share goes back to the others. */
export const LIVE_SECONDS = 6;

interface Watched {
  client: PipedriveClient;
  tokenKey: string;
  id: string;
  /** When it was made (wall clock, ms). */
  since: number;
  /** Counted live in the store now. */
  live: boolean;
  /** When the daily budget it last wrote to the store was observed. */
  budgetWrittenFor?: string;
}

/**
 * One Pipedrive token's burst window shared by every worker process on it (issue 14.2): each process's client says
 * it is live in the store while it sends, and keeps to an equal share of the window among the live clients. A client
 * that goes quiet gives its share back within LIVE_SECONDS; one that starts sending again counts at the next look.
 * Throughput comes back to the whole window whenever one worker sends alone.
 */
export class TokenShares {
  private readonly watched: Watched[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
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
    this.watched.push({ client, tokenKey: client.tokenKey(), id: randomUUID(), since: Date.now(), live: false });
    this.timer ??= setInterval(() => void this.tick(), this.tickMs).unref();
    void this.tick();
  }

  /** One look: live clients say so and take their share; quiet ones leave. */
  tick(): Promise<void> {
    this.ticking ??= this.look().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async look(): Promise<void> {
    for (const w of this.watched) {
      // A client counts from when it is made (it is about to send) and while it sends.
      const active = w.client.activeWithin(this.liveSeconds * 1000) || Date.now() - w.since < this.liveSeconds * 1000;
      try {
        if (active) {
          w.client.shareWindowsAmong(await markTokenClientLive(this.pool, w.tokenKey, w.id, this.liveSeconds));
          w.live = true;
          // The company's daily budget as Pipedrive last reported it, for `status` on any machine.
          const budget = w.client.usage().dailyBudget;
          if (budget && budget.observedAt !== w.budgetWrittenFor) {
            await recordAccountBudget(this.pool, w.tokenKey.split('#')[0]!, budget);
            w.budgetWrittenFor = budget.observedAt;
          }
        } else if (w.live) {
          await forgetTokenClient(this.pool, w.tokenKey, w.id);
          w.live = false;
        }
      } catch (err) {
        // The store unreachable for a moment: keep the last share (the window is still respected per process).
        if (!this.warned) this.logger.warn({ code: (err as { code?: string }).code }, 'could not share the Pipedrive burst window through the store');
        this.warned = true;
      }
    }
  }

  /** Stops looking and leaves every token (the worker is stopping). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.all(this.watched.filter((w) => w.live).map((w) => forgetTokenClient(this.pool, w.tokenKey, w.id).catch(() => undefined)));
  }
}
