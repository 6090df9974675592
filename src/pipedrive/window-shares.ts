/**
 * How one token's burst window is split among the clients (worker processes) live on it, by demand: a client gets
 * what it used at its peak plus room to grow, those that want more split the rest equally (max-min fairness), and what
 * nobody wants is split equally on top. Equal shares left a worker's unused share idle while another waited for room
 * (issue 14, figure c: the tail of a shared run at half the ceiling).
 */

/** Room to grow on top of a client's peak use, at least this much of the window... */
const MIN_HEADROOM = 0.05;
/** ...or this fraction of its peak: a client whose use grows past it waits for room and says it wants more. */
const HEADROOM_FACTOR = 0.25;

/**
 * Each client's portion of the window (fractions adding up to 1), in the order given. `demands[i]`: the fraction of
 * the window client i held at its peak since its last look, or undefined when a request of its waited for room.
 */
export function fairPortions(demands: readonly (number | undefined)[]): number[] {
  const n = demands.length;
  if (n === 0) return [];
  const wants = demands.map((d) =>
    d === undefined || !Number.isFinite(d) ? Infinity : Math.min(1, Math.max(0, d) + Math.max(MIN_HEADROOM, d * HEADROOM_FACTOR)),
  );
  const portions = new Array<number>(n).fill(0);
  let left = 1;
  let unserved = n;
  // The smallest wants first: each gets its want or an equal part of what is left, whichever is less.
  for (const i of [...wants.keys()].sort((a, b) => wants[a]! - wants[b]!)) {
    const given = Math.min(wants[i]!, left / unserved);
    portions[i] = given;
    left -= given;
    unserved -= 1;
  }
  // Everyone got what it wants and some is left: shared equally, so nobody waits for room nobody uses.
  if (left > 0) for (let i = 0; i < n; i++) portions[i]! += left / n;
  return portions;
}
