import fs from 'node:fs';
import { z } from 'zod';
import { parseBudgetReserve } from './pipedrive/daily-budget';
import { DEFAULT_DATABASE_URL } from './store/db';

/** Booleans from the environment: "false" must mean false (z.coerce.boolean would make it true). */
const envBool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'y', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'n', 'off', ''].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: `expected a boolean (true/false), got "${v}"` });
  return z.NEVER;
});

export const PIPEDRIVE_PLANS = ['lite', 'growth', 'premium', 'ultimate'] as const;

/** The process environment every composition root reads. Each setting is named in the error when it is wrong. */
export const EnvSchema = z.object({
  /**
   * The migration store: a postgres:// URL, or `embedded` (a PostgreSQL of the product's own under DATA_DIR). Unset:
   * the default URL when 127.0.0.1:5432 answers, else the embedded server. Composition roots resolve `embedded` and
   * the fallback with resolveDatabase (src/store/embedded.ts) before anything opens the store.
   */
  DATABASE_URL: z
    .string()
    .default(DEFAULT_DATABASE_URL)
    .refine((v) => v === 'embedded' || z.string().url().safeParse(v).success, { message: 'expected a postgres:// URL or "embedded"' }),
  /**
   * Temporal's own settings: unset, the profile of Temporal's config file (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE)
   * decides, else 127.0.0.1:7233 and "default". TLS, mTLS and API keys (TEMPORAL_TLS*, TEMPORAL_API_KEY) are read with
   * them by src/runtime/temporal-config.ts.
   */
  TEMPORAL_ADDRESS: z.string().min(3).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  /**
   * The Temporal Web UI's base URL (e.g. https://cloud.temporal.io, http://temporal-ui.internal:8080): `start` and
   * `status` print links into it. Unset: the dev server's http://127.0.0.1:8233 when Temporal is the local one, else none.
   */
  TEMPORAL_UI_URL: z.string().url().optional(),
  TASK_QUEUE: z.string().min(1).default('dentrix-pipedrive'),
  /** Real Pipedrive: https://<company>.pipedrive.com. The sandbox: http://127.0.0.1:8787. */
  PIPEDRIVE_BASE_URL: z.string().url().optional(),
  /** Held by the worker only: it never enters workflow inputs, histories or logs. */
  PIPEDRIVE_API_TOKEN: z.string().min(1).optional(),
  PIPEDRIVE_PLAN: z.enum(PIPEDRIVE_PLANS).default('growth'),
  PIPEDRIVE_SEATS: z.coerce.number().int().positive().default(5),
  /** Requests per rolling 2 s; default: the plan's limit. Set it only for a sandbox configured with another limit. */
  PIPEDRIVE_BURST_LIMIT: z.coerce.number().int().positive().optional(),
  /** Pipedrive resets the daily token budget at midnight in its server's zone, which it does not document. */
  PIPEDRIVE_BUDGET_RESET_TZ: z.string().min(1).default('UTC'),
  /** Tokens per day when plan × seats is not the whole story (top-ups); the response headers override either. */
  PIPEDRIVE_DAILY_TOKEN_BUDGET: z.coerce.number().int().positive().optional(),
  /** Left unspent each day for the account's other integrations and for rollback: `5%` of the budget or `2000` tokens. */
  PIPEDRIVE_BUDGET_RESERVE: z
    .string()
    .default('5%')
    .transform((v, ctx) => {
      const reserve = parseBudgetReserve(v);
      if (!reserve) {
        ctx.addIssue({ code: 'custom', message: `expected a percentage below 100 (e.g. 5%) or a whole number of tokens, got "${v}"` });
        return z.NEVER;
      }
      return reserve;
    }),
  /** While the reset time is a guess, a budget pause lasts at most this long before one request looks again. */
  PIPEDRIVE_BUDGET_RECHECK_SECONDS: z.coerce.number().int().positive().default(3600),
  /** Owner for records whose provider has no Pipedrive user (by id); default: the token's own user. */
  PIPEDRIVE_FALLBACK_OWNER_ID: z.coerce.number().int().positive().optional(),
  /** Where reports, workbooks and the dev server's SQLite file go. */
  DATA_DIR: z.string().min(1).optional(),
  /** Base URL of the practice's compliant image archive; the Person's Image Archive Link points under it. */
  IMAGE_ARCHIVE_BASE_URL: z.string().url().default('https://images.example-archive.invalid/practice'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(8),
  /** Seconds the worker lets in-flight activities finish on shutdown; they resume from heartbeats otherwise. */
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().nonnegative().default(10),
  /**
   * A prebuilt workflow bundle for the worker to load (a file `bundleWorkflowCode` wrote). Unset: the one `npm run
   * build` leaves beside the compiled worker, else the workflow sources, bundled at start (dev; takes seconds).
   */
  WORKFLOW_BUNDLE: z
    .string()
    .min(1)
    .refine((p) => fs.existsSync(p), { message: 'no such file: expected a workflow bundle built by bundleWorkflowCode' })
    .optional(),
  SANDBOX: envBool.default(false),
  /**
   * The mapping proposer's optional LLM (off when the URL is unset). Carried raw here and checked together by
   * src/review/llm.ts when the worker starts, so a bad value stops the worker instead of failing MAPPING_REVIEW.
   */
  MAPPING_LLM_URL: z.string().optional(),
  MAPPING_LLM_MODEL: z.string().optional(),
  MAPPING_LLM_API_KEY: z.string().optional(),
  MAPPING_LLM_TIMEOUT_MS: z.string().optional(),
});
export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment (or any object, for tests); throws a ConfigError that names every bad setting. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const relevant = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((k) => (source[k] === undefined ? [] : [[k, source[k]]])));
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The product's sample is 200–500 records; smaller needs an explicit flag. */
export const MIN_SAMPLE_SIZE = 200;

/** Options of one migration: small, PHI-free, carried in the workflow input. */
export const MigrationOptionsSchema = z
  .object({
    /**
     * Records per batch activity. 200: a batch's fixed costs (an activity task and its workflow tasks on Temporal, about a
     * dozen store statements) weigh half what they did at 100 (the throughput bench, 1,000 patients: Temporal's CPU per
     * record 0.19 -> 0.14 ms, PostgreSQL's 0.20 -> 0.18, as 100 had against 50); a verification batch reads its records
     * back in two list requests (100 ids a page) instead of one, the same tokens per record. A type's last rows are still
     * split over the window (src/store/work.ts), so small types keep every batch slot busy.
     */
    batchSize: z.number().int().min(1).max(500).default(200),
    /**
     * Batch activities of one object type in flight at once. Unset: derived when the run is planned from the account's
     * request rate and the round trip the worker sees (src/engine/concurrency.ts), so ops need not tune it.
     */
    concurrency: z.number().int().min(1).max(16).optional(),
    /**
     * Records in the sample run: 200–500 (a cross-section big enough to show every rule at work). A practice with
     * fewer records than the target is sampled whole. Below 200 only with `allowSmallSample` (tiny rehearsals, tests).
     */
    sampleSize: z.number().int().min(1).max(500).default(250),
    /** Accept a `sampleSize` below 200 (`--allow-small-sample`): for tiny rehearsals and tests, never a real cutover. */
    allowSmallSample: z.boolean().default(false),
    /** Minimum field-level accuracy (%) for the sample to be approvable without a written override. */
    sampleAccuracyThreshold: z.number().min(0).max(100).default(99),
    /** How long the delta pick-up window stays open: seconds in tests, 24–48 h for real cutovers. */
    deltaWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(36 * 3600),
    deltaPollSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(15 * 60),
    /** Skip the delta window entirely (go straight to DONE after VERIFY). */
    skipDelta: z.boolean().default(false),
    /** A gate waits this long for a decision before it reminds ops in the UI (it keeps waiting). */
    gateReminderSeconds: z
      .number()
      .int()
      .min(1)
      .default(24 * 3600),
    /** Object types to load; the walking skeleton loads persons only. */
    objectTypes: z.array(z.string()).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.sampleSize < MIN_SAMPLE_SIZE && !o.allowSmallSample) {
      ctx.addIssue({
        code: 'custom',
        path: ['sampleSize'],
        message:
          `the sample run takes ${MIN_SAMPLE_SIZE}–500 records, got ${o.sampleSize}; ` +
          'a smaller sample needs allowSmallSample (--allow-small-sample), for tiny rehearsals and tests only',
      });
    }
  });
export type MigrationOptions = z.infer<typeof MigrationOptionsSchema>;

export function parseMigrationOptions(input: unknown): MigrationOptions {
  const parsed = MigrationOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`Invalid migration options:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A migration id becomes part of the workflow id (`migration-<slug>`): keep it a readable slug, never a patient name. */
export const MigrationIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'use 2–63 lower-case letters, digits and dashes, starting with a letter or digit');
