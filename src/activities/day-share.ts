import { budgetDayOf } from '../pipedrive/daily-budget';
import { dayShareVerdict, type DaySpend, type DayShareVerdict } from '../pipedrive/day-shares';
import { type PipedriveClient } from '../pipedrive/client';
import { accountDaySpends } from '../store/request-tokens';
import { type MigrationRun } from '../store/runs';
import { dailyBudgetExhausted } from '../failures';
import type { Phase } from '../workflows/messages';
import { type ActivityDeps } from './deps';

/**
 * Phases that spend the daily budget: a migration in one of them that spent lately wants its part of the day. The
 * schema's few requests count too: without them a second practice's SCHEMA, one request at a time, lost every day's
 * budget to the first one's full-run batches until those ended.
 */
const SPENDING_PHASES: ReadonlySet<string> = new Set<Phase>(['SCHEMA', 'SAMPLE', 'FULL', 'VERIFY']);
/** A migration that spent nothing for this long does not want the budget now (its workers are down, it is paused). */
const WANTING_WITHIN_MS = 15 * 60_000;
/**
 * A migration that has had its part looks again after this long (or the budget's recheck interval, if shorter: no
 * daily-budget pause lasts longer): the other one may have finished or stalled.
 */
const DAY_SHARE_RECHECK_MS = 10 * 60_000;
/** The store's spends are read at most this often per account by one worker (every batch asks). */
const SPENDS_FRESH_MS = 5_000;

/**
 * The daily budget's split between migrations into one Pipedrive company (src/pipedrive/day-shares.ts), as the write
 * phases' batches ask it before they write: a batch of a migration that has had its part of the day, while another
 * one wants its own, stops with the daily-budget failure (the workflow sleeps until `resumeAt` and tries again, the
 * pause and its reason shown in `status`). Rollbacks never ask: they may spend the reserve.
 */
export function createDayShares(deps: Pick<ActivityDeps, 'pool' | 'settings'>) {
  const fresh = new Map<string, { at: number; spends: Promise<DaySpend[]> }>();

  const spendsOf = (account: string, day: string, now: number, maxAgeMs: number): Promise<DaySpend[]> => {
    const key = `${account}|${day}`;
    const hit = fresh.get(key);
    if (hit && now - hit.at < maxAgeMs) return hit.spends;
    const spends = accountDaySpends(deps.pool, account, day).then((rows) =>
      rows.map((r) => ({
        migrationId: r.migrationId,
        tokens: r.tokens,
        wanting: SPENDING_PHASES.has(r.phase) && now - r.lastSpentAt.getTime() < WANTING_WITHIN_MS,
      })),
    );
    fresh.set(key, { at: now, spends });
    spends.catch(() => fresh.delete(key));
    return spends;
  };

  /** Whether `run` may spend now; runs without a recorded account (nothing written yet) always may. */
  const verdict = async (run: MigrationRun, client: PipedriveClient, now: Date, spendsMaxAgeMs: number): Promise<DayShareVerdict | undefined> => {
    if (!run.pipedriveAccount) return undefined;
    const spends = await spendsOf(run.pipedriveAccount, budgetDayOf(now, deps.settings.budgetResetTimeZone), now.getTime(), spendsMaxAgeMs);
    const budget = client.usage().budget;
    return dayShareVerdict(run.migrationId, budget.remaining - budget.inFlight - budget.reserve, spends);
  };

  return {
    /** Throws the daily-budget failure when `run` has had its part of the day and another migration wants its own. */
    async check(run: MigrationRun, client: PipedriveClient, now = new Date()): Promise<void> {
      // A hold is decided on spends read now, not on a few seconds' old ones: the other migration may just have ended.
      const cached = await verdict(run, client, now, SPENDS_FRESH_MS);
      const found = cached?.kind === 'wait' ? await verdict(run, client, now, 0) : cached;
      if (found?.kind !== 'wait') return;
      const dayEnds = Date.parse(client.usage().budget.dayEndsAt);
      const recheckMs = Math.min(DAY_SHARE_RECHECK_MS, deps.settings.budgetRecheckMs ?? Infinity);
      const resumeAt = new Date(Math.min(now.getTime() + recheckMs, Number.isFinite(dayEnds) ? dayEnds : Infinity));
      const others =
        found.behind === 1
          ? 'another migration into the same account still wants its own'
          : `${found.behind} other migrations into the same account still want theirs`;
      throw dailyBudgetExhausted(
        resumeAt,
        `This migration has had its part of today's Pipedrive token budget (${Math.round(found.spent)} tokens, the fair level ` +
          `${Math.round(found.level)}) while ${others}`,
      );
    },
  };
}
