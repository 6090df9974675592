/**
 * The company's daily token budget split between the migrations into one Pipedrive account (issue 14.2): two practices
 * of a DSO migrating at once spend the same budget, and without a rule the one that started first could take most of
 * the day's. Max-min fair, as the burst window is split (window-shares.ts): every migration that wants the budget may
 * spend up to a common level, those that spent less than it first; the level is where the day's budget runs out if
 * each one below it catches up to it. A migration that has had its part waits while another one below the level still
 * wants to spend; alone, a migration has the whole day. Pure: spends come in as arguments.
 */

/** One migration's spend of the day's budget. */
export interface DaySpend {
  migrationId: string;
  /** Tokens it spent today on the account. */
  tokens: number;
  /** It is in a phase that spends the budget in bulk and spent lately (or it is the one asking). */
  wanting: boolean;
}

/**
 * The level L with Σ max(spentᵢ, L) = usable over the spends: those below L are raised to it, those above keep theirs.
 * `usable` is the day's budget the migrations can have in all (what they spent plus what is left above the reserve).
 * When they have spent it all already, the level is the least spend (nobody is below it).
 */
export function fairDayLevel(usable: number, spent: readonly number[]): number {
  if (spent.length === 0) return usable;
  const sorted = [...spent].sort((a, b) => a - b);
  let above = sorted.reduce((sum, s) => sum + s, 0);
  // Try the k lowest as those raised to the level: L = (usable − the others' spend) / k, valid when it is at least the
  // k-th spend and below the next one.
  for (let k = 1; k <= sorted.length; k++) {
    above -= sorted[k - 1]!;
    const level = (usable - above) / k;
    if (level >= sorted[k - 1]! && (k === sorted.length || level < sorted[k]!)) return level;
  }
  return sorted[0]!;
}

export type DayShareVerdict =
  /** It may spend: alone, or below the level, or nobody else wants the budget. */
  | { kind: 'spend'; level: number }
  /** It has had its part of the day: it waits while `behind` other migrations below the level want theirs. */
  | { kind: 'wait'; level: number; spent: number; behind: number };

/**
 * Whether `migrationId` may go on spending today: it waits when it has spent at least the fair level while another
 * migration that wants the budget is below it. `leftAboveReserve` is what the account has left today above the reserve
 * (as Pipedrive last reported it, less what is in flight). Migrations that do not want the budget are left out.
 */
export function dayShareVerdict(migrationId: string, leftAboveReserve: number, spends: readonly DaySpend[]): DayShareVerdict {
  const mine = spends.find((s) => s.migrationId === migrationId)?.tokens ?? 0;
  const others = spends.filter((s) => s.migrationId !== migrationId && s.wanting);
  const spent = [mine, ...others.map((s) => s.tokens)];
  const usable = Math.max(0, leftAboveReserve) + spent.reduce((sum, s) => sum + s, 0);
  const level = fairDayLevel(usable, spent);
  const behind = others.filter((s) => s.tokens < level).length;
  return mine >= level && behind > 0 ? { kind: 'wait', level, spent: mine, behind } : { kind: 'spend', level };
}
