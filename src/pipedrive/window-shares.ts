/**
 * How the clients (worker processes) live on one token share its burst window, counted in slots (requests per
 * window) that each holds in the store (src/runtime/token-shares.ts): a client asks for what it uses and room to grow,
 * those that want more split what the others leave equally (max-min fairness), and what one does not use is another's.
 * Equal shares left a worker's unused share idle while another waited for room (issue 14, figure c).
 */

/** Room to grow on top of a client's use, at least this much of the window... */
const MIN_HEADROOM = 0.05;
/** ...or this fraction of its use: a client whose use grows past it waits for room and says it wants more. */
const HEADROOM_FACTOR = 0.25;

/** Another client's claim on the window at a look: the slots it holds, and whether it wants more than it holds. */
export interface SlotClaim {
  slots: number;
  wanting: boolean;
}

/** Room to grow on top of `used` slots of a window of `limit`: a quarter of the use, at least 5% of the window. */
export function headroom(used: number, limit: number): number {
  return Math.ceil(Math.max(MIN_HEADROOM * limit, used * HEADROOM_FACTOR) - 1e-9);
}

/**
 * A client's fair part of the window while it and others want more than they hold: an equal part of what the clients
 * that want no more leave.
 */
export function fairSlots(limit: number, others: readonly SlotClaim[]): number {
  const wanting = others.filter((o) => o.wanting).length;
  const leftByOthers = limit - others.filter((o) => !o.wanting).reduce((sum, o) => sum + o.slots, 0);
  return Math.max(0, Math.floor(leftByOthers / (wanting + 1)));
}

/**
 * The slots a client asks for at a look, given the other clients' claims at its last look (none: alone, or its first
 * look). Alone: the whole window (a worker alone never waits for its own looks). Wanting more: what it uses, room to
 * grow and its requests waiting for room on top, no more than its fair part while others want more too. Wanting no
 * more: what it uses and room to grow, only the least room while others want more.
 */
export function slotsToAsk(q: { limit: number; used: number; waiting: number; wanting: boolean; others: readonly SlotClaim[] }): number {
  const { limit, used, others } = q;
  if (others.length === 0) return limit;
  const othersWant = others.some((o) => o.wanting);
  if (!q.wanting) return Math.min(limit, used + (othersWant ? headroom(0, limit) : headroom(used, limit)));
  const asked = Math.min(limit, used + headroom(used, limit) + q.waiting);
  return othersWant ? Math.min(asked, fairSlots(limit, others)) : asked;
}

/**
 * The slots a client may send within once its look has taken `asked` where the others' slots (`others`, as the look
 * saw them) leave room: no more than that room, nor than its fair part while it and others want more.
 */
export function slotsAllowed(q: { limit: number; asked: number; wanting: boolean; others: readonly SlotClaim[] }): number {
  const free = q.limit - q.others.reduce((sum, o) => sum + o.slots, 0);
  const fair = q.wanting && q.others.some((o) => o.wanting) ? fairSlots(q.limit, q.others) : q.limit;
  return Math.max(0, Math.min(q.asked, free, fair));
}
