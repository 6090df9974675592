import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import type { Logger } from '../logging';
import { type PipedriveClient } from '../pipedrive/client';
import { recordAccountBudget } from '../store/account-budgets';
import { headroom, slotsAllowed, slotsToAsk, type SlotClaim } from '../pipedrive/window-shares';
import { forgetTokenClient, takeTokenSlots } from '../store/token-clients';

/** How often a sending client says it is live, and gives back the slots it no longer uses. */
export const SHARE_TICK_MS = 2_000;
/** A client not seen for this long no longer counts (three missed looks): its slots go back to the others. */
export const LIVE_SECONDS = 6;
/**
 * While a client wants more of the window than it holds, or holds slots it no longer uses, it looks this often: room
 * another gives back is taken within this, and a slot of its own leaves for another as soon as it leaves the window.
 */
export const SOON_LOOK_MS = 250;

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
  /** The slots of the window it sends within. */
  slots: number;
  /** The slots its row in the store holds: its own, and those its requests still occupy above them. */
  held: number;
  /** The other clients live on its token at its last look: the slots they hold and whether they want more. */
  others: SlotClaim[];
  /** A look is due soon (see SOON_LOOK_MS). */
  soon?: NodeJS.Timeout;
  /** When it last looked (wall clock, ms). */
  lookedAt: number;
  /** It wanted more than it held at its last look. */
  wantedBefore: boolean;
  /** When the daily budget it last wrote to the store was observed, and when it wrote it (wall clock, ms). */
  budgetWrittenFor?: string;
  budgetWrittenAt?: number;
}

/**
 * One Pipedrive token's burst window shared by every worker process on it (issue 14.2), counted in slots in the store:
 * each client (one per worker process and token) holds some of the window's slots in its row and sends only within
 * them; a look (store function `take_token_slots`, atomic per token) takes free slots when the client wants more and
 * gives back what it no longer uses, so the live clients' slots never add up to more than the window. A slot given back
 * is another's at once: one worker finishing a wave's last batches gets the window the others leave, at the next look
 * of its own (SOON_LOOK_MS), rather than keeping to a third of it while they sit idle (issue 14, figure c).
 *
 * Fair between workers and migrations: a client that wants more than it holds says so in the store, and the others
 * keep to their fair parts of the window (src/pipedrive/window-shares.ts: what a client does not use goes to those that
 * want more), giving back the slots above it as their requests leave the window. A slot still occupied by a request
 * (in flight, or answered less than a window ago) stays held until it leaves the window: the server counts a request
 * when it arrives, which may be as late as its answer. A client that goes quiet gives its slots back within
 * LIVE_SECONDS and stands aside; its next request has it look at once. A worker that dies stops being counted after
 * LIVE_SECONDS, long after its last request left the window.
 */
export class TokenShares {
  private readonly watched: Watched[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lookAgain = false;
  private warned = false;
  /** Set by `close`: a look asked for after it (a timer, a waiting request) would use a pool about to end. */
  private closed = false;

  private readonly liveSeconds: number;
  private readonly tickMs: number;
  private readonly soonMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    opts: { liveSeconds?: number; tickMs?: number; soonMs?: number } = {},
  ) {
    this.liveSeconds = opts.liveSeconds ?? LIVE_SECONDS;
    this.tickMs = opts.tickMs ?? SHARE_TICK_MS;
    this.soonMs = opts.soonMs ?? SOON_LOOK_MS;
  }

  /** Starts sharing this client's windows with the other processes on its token. */
  watch(client: PipedriveClient): void {
    const now = Date.now();
    const w: Watched = {
      client,
      tokenKey: client.tokenKey(),
      id: randomUUID(),
      since: now,
      live: false,
      slots: 0,
      held: 0,
      others: [],
      lookedAt: 0,
      wantedBefore: false,
    };
    this.watched.push(w);
    this.standAside(w);
    // A request waiting beyond the slots it holds: a look soon asks for more.
    client.onWindowWanted(() => this.lookSoon(w));
    this.timer ??= setInterval(() => this.lookWhereDue(), this.soonMs).unref();
    void this.tick();
  }

  /** One look for every client: live ones say so and settle their slots; quiet ones leave. Asked during a look, it looks once more. */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.ticking) {
      this.lookAgain = true;
      return this.ticking;
    }
    const looks = async () => {
      do {
        this.lookAgain = false;
        for (const w of this.watched) await this.look(w);
      } while (this.lookAgain && !this.closed);
    };
    this.ticking = looks().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Every SOON_LOOK_MS, without the store: a client whose last look is a tick old, or who holds room it no longer uses, looks. */
  private lookWhereDue(): void {
    const now = Date.now();
    for (const w of this.watched) if (now - w.lookedAt >= this.tickMs || this.holdsUnused(w)) this.lookSoon(w);
  }

  /** Nothing in flight nor waiting, and more slots held than what its requests still occupy and room to grow. */
  private holdsUnused(w: Watched): boolean {
    if (!w.live) return false;
    const state = w.client.windowState();
    if (state.inFlight > 0 || state.waiting > 0) return false;
    return w.held > state.cooling + headroom(state.cooling, state.accountLimit);
  }

  /** A look within SOON_LOOK_MS of the last one, unless one is due already. */
  private lookSoon(w: Watched): void {
    if (this.closed || w.soon) return;
    const wait = Math.max(0, w.lookedAt + this.soonMs - Date.now());
    w.soon = setTimeout(() => {
      w.soon = undefined;
      void this.tick();
    }, wait).unref();
  }

  private standAside(w: Watched): void {
    w.client.standAsideFromWindows(() => void this.tick());
  }

  private async look(w: Watched): Promise<void> {
    if (this.closed) return;
    w.lookedAt = Date.now();
    // A client counts from when it is made (it is about to send), while it sends, and until what it sent has left the
    // window (its slots are another's only then).
    const { inFlight, cooling } = w.client.windowState();
    const active = w.client.activeWithin(this.liveSeconds * 1000) || Date.now() - w.since < this.liveSeconds * 1000 || inFlight + cooling > 0;
    try {
      if (active) await this.settleSlots(w);
      else if (w.live) {
        this.standAside(w);
        await forgetTokenClient(this.pool, w.tokenKey, w.id);
        w.live = false;
        w.slots = 0;
        w.held = 0;
        w.others = [];
      }
    } catch (err) {
      // The store unreachable for a moment: keep the slots held, or an equal part of the window for a client that holds
      // none yet (the window is still respected per process).
      w.client.allotWindows(w.clients ?? 1, w.slots > 0 ? w.slots : equalPart(w));
      if (!this.warned) this.logger.warn({ code: (err as { code?: string }).code }, 'could not share the Pipedrive burst window through the store');
      this.warned = true;
    }
  }

  /**
   * The slots the client asks for (src/pipedrive/window-shares.ts), taken from those the others leave or given back;
   * what it holds in the store never drops below what its requests occupy.
   */
  private async settleSlots(w: Watched): Promise<void> {
    const state = w.client.windowState();
    const limit = state.accountLimit;
    const peak = w.client.windowDemand();
    const occupied = state.inFlight + state.cooling;
    // Wanting more at this look or the one before: a client that fills its slots waits for room only now and then (its
    // requests queue behind the one that waits), and a look between two waits must not give its claim away.
    const wantsNow = peak === undefined || state.waiting > 0;
    const wanting = wantsNow || w.wantedBefore;
    w.wantedBefore = wantsNow;
    // Its use: the most it held at once since its last look, or what it still occupies once nothing is in flight.
    const used = state.inFlight === 0 || peak === undefined ? occupied : Math.round(peak * limit);
    const asked = slotsToAsk({ limit, used, waiting: state.waiting, wanting, others: w.others });
    // A cut takes effect before the store hears of it: what is sent during the look then stays within what the row
    // will hold (never less than the smaller of this and what it holds now, its own until it gives them back).
    if (asked < w.slots) {
      w.slots = asked;
      w.client.allotWindows(w.clients ?? 1, w.slots);
    }
    const live = await takeTokenSlots(this.pool, {
      tokenKey: w.tokenKey,
      clientId: w.id,
      want: asked,
      keep: occupied,
      limit,
      liveSeconds: this.liveSeconds,
      demand: wanting ? undefined : used / limit,
    });
    w.live = true;
    w.clients = Math.max(1, live.length);
    w.held = live.find((c) => c.clientId === w.id)?.slots ?? 0;
    w.others = live.filter((c) => c.clientId !== w.id).map((c) => ({ slots: c.slots, wanting: c.demand === undefined }));
    // Asked as the others were at its last look; as they are now it may ask less (one has joined, or wants more now):
    // the less, at once, and the rest of the row given back at its next look.
    const askedNow = Math.min(asked, slotsToAsk({ limit, used, waiting: state.waiting, wanting, others: w.others }));
    w.slots = slotsAllowed({ limit, asked: askedNow, wanting, others: w.others });
    w.client.allotWindows(w.clients, w.slots);
    // Soon again: slots held above its own go back as their requests leave the window; a client short of what it
    // asked takes what the others give back; one alone with more of the window than it uses sees a client joining
    // within a look, and leaves it the slack at once (a worker starting its first batches, and the others idle).
    const slack = w.others.length === 0 && w.held > used + headroom(used, limit);
    if (w.held > w.slots || (wanting && w.slots < askedNow) || slack || this.holdsUnused(w)) this.lookSoon(w);
    // The company's daily budget as Pipedrive last reported it, for `status` on any machine (once a tick at most: a
    // client short of slots looks more often).
    const budget = w.client.usage().dailyBudget;
    if (budget && budget.observedAt !== w.budgetWrittenFor && Date.now() - (w.budgetWrittenAt ?? 0) >= this.tickMs) {
      await recordAccountBudget(this.pool, w.tokenKey.split('#')[0]!, budget);
      w.budgetWrittenFor = budget.observedAt;
      w.budgetWrittenAt = Date.now();
    }
  }

  /** Stops looking and leaves every token (the worker is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watched) if (w.soon) clearTimeout(w.soon);
    await this.ticking;
    // No request left waiting for a look that will not come: the slots held, or an equal part of the window.
    for (const w of this.watched) {
      w.client.allotWindows(w.clients ?? 1, w.slots > 0 ? w.slots : equalPart(w));
    }
    await Promise.all(this.watched.filter((w) => w.live).map((w) => forgetTokenClient(this.pool, w.tokenKey, w.id).catch(() => undefined)));
  }
}

/** An equal part of the window among the clients a client last saw on its token. */
function equalPart(w: Watched): number {
  return Math.max(1, Math.floor(w.client.windowState().accountLimit / (w.clients ?? 1)));
}
