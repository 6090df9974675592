import { z } from 'zod';
import { isLoopbackHost } from './admin-auth';

export const SANDBOX_PLANS = ['lite', 'growth', 'premium', 'ultimate'] as const;
export type SandboxPlan = (typeof SANDBOX_PLANS)[number];

/** Daily budget = 30,000 base tokens × plan multiplier × seats (Pipedrive's rate-limiting page). */
export const BASE_DAILY_TOKENS = 30_000;
export const PLAN_MULTIPLIER: Record<SandboxPlan, number> = { lite: 1, growth: 2, premium: 5, ultimate: 7 };
/** Requests per rolling 2-second window for an API token, by plan. */
export const PLAN_BURST_LIMIT: Record<SandboxPlan, number> = { lite: 20, growth: 40, premium: 100, ultimate: 120 };
/** The Search API has its own limit on every plan. */
export const SEARCH_BURST_LIMIT = 10;
export const BURST_WINDOW_MS = 2_000;
export const DEFAULT_API_TOKEN = 'sandbox-token';

export interface FaultOptions {
  /** Share of API requests answered with 500 or 503 instead of being processed (0..1). */
  errorRate?: number;
  /** Added before each API request is handled: a fixed delay or a uniformly drawn [min, max] range. */
  latencyMs?: number | [number, number];
  /** Share of API requests whose socket is destroyed before any response (0..1). */
  dropConnectionRate?: number;
  /** Share of creates that are stored, after which the socket is destroyed so the client never sees the answer. */
  lostResponseRate?: number;
  /** Makes the fault sequence reproducible: the same seed and request order give the same faults. */
  seed?: number;
}

export interface SandboxUser {
  name: string;
  email: string;
}

export interface SandboxOptions {
  port?: number;
  /** Address to listen on (default 127.0.0.1). Anything but loopback requires `adminToken`. */
  host?: string;
  /** Required on /_sandbox/* (Bearer or x-sandbox-admin-token) when set; must be set to listen beyond loopback. */
  adminToken?: string;
  /** false: no /_sandbox/* admin API at all (404), as on a real account; the in-process handle keeps its controls. */
  adminApi?: boolean;
  plan?: SandboxPlan;
  seats?: number;
  /** Overrides the plan × seats budget. */
  dailyTokenBudget?: number;
  /** Overrides the plan's requests-per-2-seconds limit. */
  burstLimit?: number;
  searchBurstLimit?: number;
  /** Length of the budget "day"; default: a calendar day that resets at midnight UTC. */
  dayLengthMs?: number;
  apiTokens?: string[];
  faults?: FaultOptions;
  /** JSON Lines file the account is saved to (debounced, and on close) and loaded from at start. */
  persistFile?: string;
  /** Seeds custom-field keys so that two sandboxes given the same seed and requests hold identical accounts. */
  seed?: number;
  /** The seeded company's id (default 7301): a second sandbox on the same port with another id plays another account. */
  companyId?: number;
  /** Users added to the seeded account, after those in default-seed.json. */
  users?: SandboxUser[];
  /** After this many consecutive 429s for one token, answer 403 with an HTML page (Cloudflare-style). Off when unset. */
  blockAfterConsecutive429s?: number;
  /** Accept the contact-sync person fields (birthday, job_title, notes, im, postal_address). Off, as on a new account. */
  contactSync?: boolean;
  /**
   * Called after every API request (not /_sandbox): for request logs in the CLI. `body` is the request's parsed JSON
   * body, when it had one (a bench replays the writes with it); PHI, like everything a request carries.
   */
  onRequest?: (entry: RequestLogEntry, body?: unknown) => void;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number | 'dropped' | 'lost_response';
  tokens: number;
  durationMs: number;
  /** An unexpected sandbox error behind a 500 (a bug to report, not an injected fault). */
  error?: string;
}

const faultRate = z.number().min(0).max(1);
export const FaultOptionsSchema = z
  .object({
    errorRate: faultRate.optional(),
    latencyMs: z
      .union([
        z.number().int().nonnegative(),
        z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).refine(([min, max]) => min <= max, {
          message: 'latency range must be [min, max] with min <= max',
        }),
      ])
      .optional(),
    dropConnectionRate: faultRate.optional(),
    lostResponseRate: faultRate.optional(),
    seed: z.number().int().optional(),
  })
  .strict();

export const LimitsUpdateSchema = z
  .object({
    plan: z.enum(SANDBOX_PLANS).optional(),
    seats: z.number().int().positive().optional(),
    dailyTokenBudget: z.number().int().nonnegative().nullable().optional(),
    burstLimit: z.number().int().positive().nullable().optional(),
    searchBurstLimit: z.number().int().positive().optional(),
    dayLengthMs: z.number().int().positive().nullable().optional(),
  })
  .strict();
export type LimitsUpdate = z.infer<typeof LimitsUpdateSchema>;

export const SandboxUserSchema = z.object({ name: z.string().trim().min(1), email: z.string().email() }).strict();

const SandboxOptionsSchema = z.object({
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).optional(),
  adminToken: z.string().min(1).optional(),
  adminApi: z.boolean().optional(),
  plan: z.enum(SANDBOX_PLANS).optional(),
  seats: z.number().int().positive().optional(),
  dailyTokenBudget: z.number().int().nonnegative().optional(),
  burstLimit: z.number().int().positive().optional(),
  searchBurstLimit: z.number().int().positive().optional(),
  dayLengthMs: z.number().int().positive().optional(),
  apiTokens: z.array(z.string().min(1)).min(1).optional(),
  faults: FaultOptionsSchema.optional(),
  persistFile: z.string().min(1).optional(),
  seed: z.number().int().optional(),
  companyId: z.number().int().positive().optional(),
  users: z.array(SandboxUserSchema).optional(),
  blockAfterConsecutive429s: z.number().int().positive().optional(),
  contactSync: z.boolean().optional(),
});

export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError';
}

/** Rejects bad options at start with a message naming each bad setting. */
export function validateSandboxOptions(options: SandboxOptions): void {
  const { onRequest: _onRequest, ...plain } = options;
  const parsed = SandboxOptionsSchema.safeParse(plain);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new SandboxConfigError(`Invalid sandbox options:\n${lines.join('\n')}`);
  }
  // Whoever reaches the admin API can wipe the account or read it all (/_sandbox/reset, /_sandbox/snapshot).
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.adminToken) {
    throw new SandboxConfigError(
      `The sandbox would listen on ${host}, beyond this machine, with its admin API (/_sandbox/*) open: ` +
        'give it an admin token with --admin-token <token> or SANDBOX_ADMIN_TOKEN, or listen on 127.0.0.1',
    );
  }
}
