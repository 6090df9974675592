import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { type Pool } from 'pg';
import { type Logger } from '../logging';
import { type RequestEvent } from '../pipedrive/transport';
import { budgetDayOf } from '../pipedrive/daily-budget';
import { addRequestTokens, type RequestTally } from '../store/request-tokens';
import { type Phase } from '../workflows/messages';

/** What an activity's input says about the work it does (ids only). */
interface ActivityInput {
  migrationId?: unknown;
  objectType?: unknown;
  runKind?: unknown;
  label?: unknown;
}

const RUN_KIND_PHASE: Record<string, Phase> = { sample: 'SAMPLE', full: 'FULL', delta: 'DELTA' };

/**
 * The phase each activity that talks to Pipedrive serves, from its type and input: the one place that says which
 * phase a request's tokens are booked to. An activity missing here sends no request (or books nothing).
 */
const PHASE_OF_ACTIVITY: Record<string, (input: ActivityInput) => Phase | undefined> = {
  identifyPipedriveAccount: () => 'EXTRACT',
  resolveProviders: () => 'MAPPING_REVIEW',
  matchOwners: () => 'MAPPING_REVIEW',
  takeFingerprint: (i) => (i.label === 'before_first_write' ? 'SCHEMA' : i.label === 'at_end' ? 'DONE' : 'ROLLING_BACK'),
  createSchema: () => 'SCHEMA',
  loadBatch: (i) => RUN_KIND_PHASE[String(i.runKind)],
  // The sample's field-level diff belongs to the sample; the full run's check is the verification.
  verifyBatch: (i) => (i.runKind === 'full' ? 'VERIFY' : RUN_KIND_PHASE[String(i.runKind)]),
  deltaPoll: () => 'DELTA',
  beginRollback: () => 'ROLLING_BACK',
  rollbackBatch: () => 'ROLLING_BACK',
  restoreBeforeImages: () => 'ROLLING_BACK',
  proveRollback: () => 'ROLLING_BACK',
};

/** The phase an activity's requests are booked to; undefined for an activity that books none. */
export function phaseOfActivity(activityType: string, input: unknown): Phase | undefined {
  return PHASE_OF_ACTIVITY[activityType]?.(input ?? {});
}

/** How often a running activity's counts go to the store: what a killed worker can lose at most. */
export const FLUSH_MS = 2_000;

interface Scope {
  phase: Phase;
  objectType: string;
  tallies: Map<string, RequestTally>;
}

/**
 * Every request a migration sends, reads included, counted with its spec tokens by phase, object type and endpoint
 * (issue 15.2): the worker's Pipedrive clients report each attempt (`record`), an activity interceptor scopes them to
 * the activity that sent them and adds its counts to the store every FLUSH_MS while it runs and when it ends, whether it
 * succeeded or not. A worker killed mid-activity loses at most its last FLUSH_MS of counts (the retry's are booked).
 */
export class RequestAccounting {
  private readonly scopes = new AsyncLocalStorage<Scope>();

  /**
   * `budgetResetTimeZone`: whose midnight resets Pipedrive's daily budget; each flush's tokens are also booked to the
   * migration's spend of that budget day (the daily budget's split between migrations reads it).
   */
  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly budgetResetTimeZone: string,
    private readonly flushMs = FLUSH_MS,
  ) {}

  /** The clients' `onRequest`: counts the attempt for the activity it was sent from. */
  record(event: RequestEvent): void {
    const scope = this.scopes.getStore();
    if (!scope) return;
    const tally = scope.tallies.get(event.endpoint) ?? { phase: scope.phase, objectType: scope.objectType, endpoint: event.endpoint, requests: 0, tokens: 0 };
    tally.requests += 1;
    tally.tokens += event.tokens;
    scope.tallies.set(event.endpoint, tally);
  }

  interceptor(): ActivityInterceptorsFactory {
    return (ctx) => {
      const inbound: ActivityInboundCallsInterceptor = {
        execute: async (input, next) => {
          const first = (input.args[0] ?? {}) as ActivityInput;
          const phase = phaseOfActivity(ctx.info.activityType, first);
          if (typeof first.migrationId !== 'string' || !phase) return next(input);
          const migrationId = first.migrationId;
          const scope: Scope = { phase, objectType: typeof first.objectType === 'string' ? first.objectType : '', tallies: new Map() };
          // Each flush books what was counted since the last one; flushes run one after another.
          let booked: Promise<void> = Promise.resolve();
          const flush = () => {
            const tallies = [...scope.tallies.values()];
            scope.tallies = new Map();
            if (tallies.length === 0) return booked;
            booked = booked.then(() =>
              addRequestTokens(this.pool, migrationId, budgetDayOf(new Date(), this.budgetResetTimeZone), tallies).catch((err: unknown) =>
                this.logger.warn({ migrationId, code: (err as { code?: string }).code }, 'could not book the requests of an activity'),
              ),
            );
            return booked;
          };
          const timer = setInterval(() => void flush(), this.flushMs).unref();
          try {
            return await this.scopes.run(scope, () => next(input));
          } finally {
            clearInterval(timer);
            await flush();
          }
        },
      };
      return { inbound };
    };
  }
}
