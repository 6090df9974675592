import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type FormData from 'form-data';
import { getProxyForUrl } from 'proxy-from-env';
import { Agent, errors as undiciErrors, ProxyAgent, request as sendRequest, type Dispatcher } from 'undici';
import {
  errorFromResponse,
  errorFromTransport,
  isValidTimeZone,
  parseNumberHeader,
  parseResetMs,
  parseRetryAfterMs,
  PipedriveError,
  type HeaderMap,
} from './errors';
import {
  BURST_WINDOW_MS,
  BurstLimiter,
  PLAN_BURST_LIMITS,
  SEARCH_BURST_LIMIT,
  systemClock,
  type Clock,
  type PipedrivePlan,
  type ReleaseSlot,
} from './rate-limiter';
import { configuredDailyBudget, DailyBudgetTracker, type BudgetReserve, type BudgetTicket, type DailyBudgetState } from './daily-budget';
import { tokenCost, type ApiVersion } from '@dentrix-pipedrive/pipedrive-spec';
import type { V1Paths, V2Paths } from './types';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP attempt, as the audit log wants it: no ids, no query values, no bodies. */
export interface RequestEvent {
  method: HttpMethod;
  /** Method and path template, e.g. `POST /api/v2/persons`. */
  endpoint: string;
  /** HTTP status; null when no response arrived (timeout, dropped connection). */
  status: number | null;
  /** Tokens this attempt spent per the specs' `x-token-cost` (0 for 429s and unanswered attempts). */
  tokens: number;
  durationMs: number;
  version: ApiVersion;
  /** 1 for the first attempt, 2+ for the client's own retries. */
  attempt: number;
}

export interface ClientUsage {
  /** HTTP attempts, retries included. */
  requests: number;
  tokens: number;
  /** Attempts per HTTP status; `no_response` for timeouts and dropped connections. */
  byStatus: Record<string, number>;
  /** 429 responses (burst and daily). */
  rateLimited: number;
  internalRetries: number;
  /** Requests refused without sending while the daily budget is spent or the token is blocked. */
  refusedLocally: number;
  /** Of those, refused by the daily budget check before any 429 (the cost did not fit above the reserve). */
  refusedByBudget: number;
  /** Exceptions thrown by the `onRequest` hook (swallowed: an observer must not change a request's outcome). */
  hookErrors: number;
  /** Last `x-daily-ratelimit-token-remaining`/`-limit` seen (not documented by Pipedrive; may be absent). */
  dailyBudget?: { remaining: number; limit?: number; observedAt: string };
  /** What the daily budget check believes now. */
  budget: DailyBudgetState;
}

/** The account's request rate and the round trip observed so far, and whether someone else is filling the window. */
export interface Pacing {
  /** This client's part of the token's rate (all of it unless other workers share the token). */
  requestsPerSecond: number;
  /** The token's whole rate, whichever workers share it: what a migration's batches, spread over them, can use. */
  accountRequestsPerSecond: number;
  latencyMs?: number;
  /** Someone else on the token filled its window lately: each request in flight may meet their burst (a 429). */
  contended: boolean;
}

export interface PipedriveClientOptions {
  /** Account root, e.g. `https://acme.pipedrive.com` or the sandbox `http://127.0.0.1:8787`. */
  baseUrl: string;
  apiToken: string;
  /** Sets the burst limit per 2 s (lite 20, growth 40, premium 100, ultimate 120). Default: lite, the lowest. */
  plan?: PipedrivePlan;
  /** Explicit requests per window; overrides `plan`. */
  burstLimit?: number;
  /** Rolling window length. Pipedrive's is 2 s; tests and emulators may shorten it. */
  burstWindowMs?: number;
  /** Search endpoints' own limit per window (Pipedrive: 10). */
  searchBurstLimit?: number;
  /** Whole-request deadline. Default 30 s. */
  timeoutMs?: number;
  /** Deadline for file uploads. Default 120 s. */
  uploadTimeoutMs?: number;
  /** Retries the client makes itself (burst 429s; transient failures of GET/PUT/PATCH/DELETE). Default 3. */
  maxInternalRetries?: number;
  /** Longer waits than this are not done inside the client: the error goes to the caller. Default 15 s. */
  maxInternalRetryDelayMs?: number;
  /** First backoff step for transient failures without `Retry-After`; doubles per attempt. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** IANA zone whose midnight resets the daily budget (Pipedrive does not document it). Default UTC. */
  budgetResetTimeZone?: string;
  /** Seats of the account: the daily budget is 30,000 × plan multiplier × seats. Default 1. */
  seats?: number;
  /** The daily token budget, when known better than plan × seats (top-ups). `x-daily-ratelimit-token-limit` overrides either. */
  dailyTokenBudget?: number;
  /** Tokens left unspent each day for other integrations and rollback. Default 5 %. */
  budgetReserve?: BudgetReserve;
  /** Longest refusal before the budget is looked at again with one request, while the reset time is a guess. Default 1 h. */
  budgetRecheckMs?: number;
  /** After a Cloudflare 403 block, refuse to send for this long. Default 10 min; 0 disables. */
  abuseBlockCooldownMs?: number;
  onRequest?: (event: RequestEvent) => void;
  /** Keep-alive connection pool (undici); the client creates its own when absent. */
  dispatcher?: Dispatcher;
  /** Monotonic clock for pacing and backoff (tests). */
  clock?: Clock;
  /** Wall clock for reset times (tests). */
  now?: () => Date;
}

/** The path templates the pinned specs declare (packages/pipedrive-spec/generated/), per API version. */
export type V1Path = Extract<keyof V1Paths, string>;
export type V2Path = Extract<keyof V2Paths, string>;

export type RequestSpec = RequestOptions & ({ version: 'v1'; path: V1Path } | { version: 'v2'; path: V2Path });

interface RequestOptions {
  version: ApiVersion;
  method: HttpMethod;
  /**
   * Path template below `/api/<version>`, e.g. `/persons/{id}`: it names the endpoint in errors, events and costs,
   * and must be one the version's spec declares.
   */
  path: V1Path | V2Path;
  pathParams?: Record<string, string | number>;
  query?: object;
  /** JSON body: the operation's request body type from the generated specs, chosen by the client's method. */
  body?: unknown;
  /** Multipart body; sent from a buffer so a retried request can send it again. */
  form?: FormData;
  timeoutMs?: number;
  /** May spend the daily budget's reserve (rollback). */
  useReserve?: boolean;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON envelope; undefined for an empty body (v1 sometimes answers 204). */
  body: unknown;
}

const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'PATCH', 'DELETE']);

/**
 * How long a kept-alive socket may sit idle before the client closes it. A server closes idle connections too, and a
 * POST sent on a socket it is closing meets ECONNRESET: an unknown outcome the batch must recover (searches, listings)
 * for a create that never ran. undici keeps the shorter of this and the server's `Keep-Alive: timeout` hint less a
 * second. Under the 5 s of Node servers.
 */
const KEEP_ALIVE_IDLE_MS = 4_000;

/** TCP keep-alive probes' delay on the client's sockets, set once when a socket connects (probes only matter idle). */
const TCP_KEEPALIVE_DELAY_MS = 60_000;

/**
 * The client's own connection pool for `root`. undici rather than axios over Node's http agent: the same request costs
 * the worker about a third of the CPU (issue 14's profile had the HTTP client as most of a worker's time per record).
 * Its own header and body timeouts are off: the request's deadline (an abort signal) is the one timeout, so it is
 * classified as one. Through the proxy `HTTPS_PROXY`/`HTTP_PROXY` name for the account (`NO_PROXY` honoured), as axios
 * did: a worker behind an egress proxy keeps reaching Pipedrive.
 */
function ownPool(root: string): Agent | ProxyAgent {
  const options = {
    keepAliveTimeout: KEEP_ALIVE_IDLE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_IDLE_MS,
    keepAliveTimeoutThreshold: 1_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  const proxy = getProxyForUrl(root);
  if (proxy) return new ProxyAgent({ ...options, uri: proxy });
  return new Agent({ ...options, connect: { keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS } });
}

const DEFAULTS = {
  timeoutMs: 30_000,
  uploadTimeoutMs: 120_000,
  maxInternalRetries: 3,
  maxInternalRetryDelayMs: 15_000,
  retryBaseDelayMs: 500,
  budgetResetTimeZone: 'UTC',
  abuseBlockCooldownMs: 10 * 60_000,
  budgetRecheckMs: 60 * 60_000,
};

/** Endpoints under the search limit (10 per 2 s). Pipedrive does not list them; these are the search operations. */
export function isSearchPath(pathTemplate: string): boolean {
  return pathTemplate.endsWith('/search') || pathTemplate.startsWith('/itemSearch') || pathTemplate === '/users/find';
}

interface ResolvedSettings {
  timeoutMs: number;
  uploadTimeoutMs: number;
  maxInternalRetries: number;
  maxInternalRetryDelayMs: number;
  retryBaseDelayMs: number;
  budgetResetTimeZone: string;
  abuseBlockCooldownMs: number;
}

/** A spell during which requests fail without being sent: the day's budget is spent, or Cloudflare blocked the token. */
interface OpenCircuit {
  untilMs: number;
  cause: PipedriveError;
}

/**
 * The HTTP core shared by every endpoint method: authentication, pacing, classification of failures, the client's
 * own bounded retries, token accounting and the `onRequest` hook. Logs nothing; errors carry no bodies.
 */
export class PipedriveTransport {
  readonly #apiToken: string;
  private readonly root: string;
  private readonly pool: Dispatcher;
  /** The pool, when this client created it (a caller's is the caller's to close). */
  private readonly ownedPool?: Agent | ProxyAgent;
  private readonly limiter: BurstLimiter;
  private readonly searchLimiter: BurstLimiter;
  private readonly searchLimit: number;
  private readonly windowMs: number;
  private readonly settings: ResolvedSettings;
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly onRequest?: (event: RequestEvent) => void;
  private circuit?: OpenCircuit;
  private readonly budget: DailyBudgetTracker;
  /** Answered requests' round trips, smoothed (exponentially weighted): what pacing a batch can expect. */
  private latencyMs?: number;
  /** When a request last asked for a slot (monotonic clock). */
  private lastAcquiredAt?: number;
  /** Requests waiting for a slot now. */
  private waitingForSlot = 0;
  /** Callers waiting for a budget probe to come back. */
  private budgetWaiters: (() => void)[] = [];
  private readonly counters: Omit<ClientUsage, 'budget'> = {
    requests: 0,
    tokens: 0,
    byStatus: {},
    rateLimited: 0,
    internalRetries: 0,
    refusedLocally: 0,
    refusedByBudget: 0,
    hookErrors: 0,
  };

  constructor(opts: PipedriveClientOptions) {
    this.root = normaliseBaseUrl(opts.baseUrl);
    if (typeof opts.apiToken !== 'string' || opts.apiToken.trim() === '') throw new Error('apiToken is empty');
    this.#apiToken = opts.apiToken;
    this.settings = resolveSettings(opts);
    this.clock = opts.clock ?? systemClock;
    this.now = opts.now ?? (() => new Date());
    this.onRequest = opts.onRequest;
    this.windowMs = opts.burstWindowMs ?? BURST_WINDOW_MS;
    this.limiter = new BurstLimiter({ limit: burstLimitFor(opts), windowMs: this.windowMs, clock: this.clock });
    this.searchLimit = opts.searchBurstLimit ?? SEARCH_BURST_LIMIT;
    this.searchLimiter = new BurstLimiter({ limit: this.searchLimit, windowMs: this.windowMs, clock: this.clock });
    this.budget = new DailyBudgetTracker(
      {
        limit: opts.dailyTokenBudget ?? configuredDailyBudget(opts.plan ?? 'lite', opts.seats ?? 1),
        reserve: opts.budgetReserve,
        resetTimeZone: this.settings.budgetResetTimeZone,
        recheckMs: opts.budgetRecheckMs ?? DEFAULTS.budgetRecheckMs,
      },
      this.now().getTime(),
    );

    // undici follows no redirect (one would turn a POST into a GET and send the token elsewhere; Pipedrive's API does
    // not redirect): a 3xx comes back as the response it is.
    if (opts.dispatcher) this.pool = opts.dispatcher;
    else this.pool = this.ownedPool = ownPool(this.root);
  }

  /** One logical request: waits for a slot, sends, classifies, retries where that is safe, and returns the envelope. */
  async request(spec: RequestSpec): Promise<ApiResponse> {
    const endpoint = `${spec.method} /api/${spec.version}${spec.path}`;
    const url = this.urlFor(spec);
    const tokens = tokenCost(spec.version, spec.method, spec.path) ?? 0;
    const search = isSearchPath(spec.path);
    const payload = encodeBody(spec);

    for (let attempt = 1; ; attempt += 1) {
      this.refuseWhileCircuitOpen(endpoint);
      const ticket = await this.admitToBudget(endpoint, tokens, spec.useReserve === true);
      let result: AttemptResult | undefined;
      let durationMs = 0;
      try {
        const slots = await this.acquire(search);
        const started = this.clock.now();
        try {
          result = await this.send(spec, url, endpoint, payload);
        } finally {
          this.release(slots, result);
        }
        durationMs = Math.round(this.clock.now() - started);
      } finally {
        this.settleBudget(ticket, result, tokens);
      }

      if (result.kind === 'no_response') {
        this.record(spec, endpoint, null, 0, durationMs, attempt);
        const delay = this.retryDelay(result.error, spec.method, attempt);
        if (delay === undefined) throw result.error;
        await this.backOff(delay);
        continue;
      }

      const { status, headers, text } = result;
      this.observeHeaders(headers, search);
      if (status >= 200 && status < 300) {
        this.latencyMs = this.latencyMs === undefined ? durationMs : 0.8 * this.latencyMs + 0.2 * durationMs;
        this.record(spec, endpoint, status, tokens, durationMs, attempt);
        return { status, body: parseSuccessBody(text, spec.method, endpoint, status) };
      }

      const error = errorFromResponse({
        method: spec.method,
        endpoint,
        status,
        headers,
        body: text,
        now: this.now(),
        budgetResetTimeZone: this.settings.budgetResetTimeZone,
      });
      // Refused requests (429, the Cloudflare block) are taken not to run, so they are taken not to spend tokens.
      const spent = status === 429 || error.reason === 'abuse_block' ? 0 : tokens;
      this.record(spec, endpoint, status, spent, durationMs, attempt);
      this.reactToRefusal(error, search);
      const delay = this.retryDelay(error, spec.method, attempt);
      if (delay === undefined) throw error;
      if (error.reason === 'burst_limit') {
        // The limiters are paused already, so every concurrent caller waits too; acquiring again is the wait.
        this.counters.internalRetries += 1;
        continue;
      }
      await this.backOff(delay);
    }
  }

  usage(): ClientUsage {
    return {
      ...this.counters,
      byStatus: { ...this.counters.byStatus },
      ...(this.counters.dailyBudget && { dailyBudget: { ...this.counters.dailyBudget } }),
      budget: this.budget.state(this.now().getTime()),
    };
  }

  /** Frees the keep-alive sockets of the pool this client created (not a caller's). */
  close(): void {
    // Destroying closes the sockets now; the promise only tells when their close events ran.
    this.ownedPool?.destroy().catch(() => undefined);
  }

  /** What the account allows (requests per second, from the burst limit) and the round trip it has taken so far. */
  pacing(): Pacing {
    const { limit, contended } = this.limiter.state();
    const requestsPerSecond = (limit * 1000) / this.windowMs;
    const accountRequestsPerSecond = (this.limiter.accountLimit() * 1000) / this.windowMs;
    return {
      requestsPerSecond,
      accountRequestsPerSecond,
      contended,
      ...(this.latencyMs !== undefined && { latencyMs: Math.round(this.latencyMs) }),
    };
  }

  /**
   * Clients live on this token in all processes (this one included): this one sends within the `slots` of the burst
   * window it holds (src/runtime/token-shares.ts), the search window in equal shares.
   */
  allotWindows(clients: number, slots: number): void {
    this.limiter.allot(clients, slots);
    this.searchLimiter.shareAmong(clients);
  }

  /** `wanted` is told when a request waits for room in the burst window beyond the slots this client holds. */
  onWindowWanted(wanted: () => void): void {
    this.limiter.onWantRoom(wanted);
  }

  /** The burst window as this client holds it now: its whole size, and this client's slots, in use and waited for. */
  windowState(): { accountLimit: number } & ReturnType<BurstLimiter['state']> {
    return { accountLimit: this.limiter.accountLimit(), ...this.limiter.state() };
  }

  /** What this client asked of the burst window since the last call (BurstLimiter.takeDemand). */
  windowDemand(): number | undefined {
    return this.limiter.takeDemand();
  }

  /** No request starts until `allotWindows` counts this client again; the first that waits calls `onDemand`. */
  standAsideFromWindows(onDemand: () => void): void {
    this.limiter.standAside(onDemand);
    this.searchLimiter.standAside(onDemand);
  }

  /** Whether a request asked for a slot in the last `ms` or waits for one now (one gone quiet gives its share back). */
  activeWithin(ms: number): boolean {
    return this.waitingForSlot > 0 || (this.lastAcquiredAt !== undefined && this.clock.now() - this.lastAcquiredAt < ms);
  }

  /**
   * Which token this client sends on, without the token: the base URL and a hash of the token (Pipedrive's burst
   * window is per token).
   */
  tokenKey(): string {
    return `${this.root}#${createHash('sha256').update(this.#apiToken).digest('hex').slice(0, 16)}`;
  }

  /** Pacing state, for diagnostics. */
  limiterState(): { general: ReturnType<BurstLimiter['state']>; search: ReturnType<BurstLimiter['state']> } {
    return { general: this.limiter.state(), search: this.searchLimiter.state() };
  }

  private urlFor(spec: RequestSpec): string {
    const path = spec.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const value = spec.pathParams?.[name];
      if (value === undefined || value === '') throw new Error(`missing path parameter "${name}" for ${spec.path}`);
      return encodeURIComponent(String(value));
    });
    const query = toQueryString(spec.query);
    return `${this.root}/api/${spec.version}${path}${query ? `?${query}` : ''}`;
  }

  private async acquire(search: boolean): Promise<{ general: ReleaseSlot; search?: ReleaseSlot }> {
    this.lastAcquiredAt = this.clock.now();
    this.waitingForSlot += 1;
    try {
      // Search requests are assumed to count against the general window as well (UNCONFIRMED): take a slot in both.
      const searchSlot = search ? await this.searchLimiter.acquire() : undefined;
      return { general: await this.limiter.acquire(), ...(searchSlot && { search: searchSlot }) };
    } finally {
      this.waitingForSlot -= 1;
    }
  }

  /**
   * Frees the request's slots, each told what the server said is left of its window (the one the headers describe) and,
   * when nothing is, when it resets: the server's window used up by our own requests, which the limiter waits for
   * already, or by another process on the token, whose requests it must wait out (the limiter tells them apart). A
   * search waits for a general slot too, so the general window full holds searches back without its own pause.
   */
  private release(slots: { general: ReleaseSlot; search?: ReleaseSlot }, result: AttemptResult | undefined): void {
    const headers = result?.kind === 'response' ? result.headers : undefined;
    const remaining = headers && parseNumberHeader(headers['x-ratelimit-remaining']);
    const resetMs = headers && remaining === 0 ? (parseResetMs(headers['x-ratelimit-reset'], this.now()) ?? this.windowMs) : undefined;
    const searchWindowOnly = headers !== undefined && this.describesSearchWindowOnly(headers, slots.search !== undefined);
    if (searchWindowOnly) {
      slots.search?.(remaining, resetMs);
      slots.general();
    } else {
      slots.search?.();
      slots.general(remaining, resetMs);
    }
  }

  private async send(spec: RequestSpec, url: string, endpoint: string, payload: EncodedBody | undefined): Promise<AttemptResult> {
    const timeoutMs = spec.timeoutMs ?? (spec.form ? this.settings.uploadTimeoutMs : this.settings.timeoutMs);
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, timeoutMs);
    try {
      const response = await sendRequest(url, {
        dispatcher: this.pool,
        method: spec.method,
        body: payload?.data,
        headers: {
          accept: 'application/json',
          'x-api-token': this.#apiToken,
          ...payload?.headers,
        },
        signal: deadline.signal,
      });
      // Read whole, inside the deadline: a connection dropped mid-body is no response too.
      const text = await response.body.text();
      return { kind: 'response', status: response.statusCode, headers: toHeaderMap(response.headers), text };
    } catch (err) {
      if (!timedOut && !isTransportFailure(err)) throw err;
      return {
        kind: 'no_response',
        error: errorFromTransport({ method: spec.method, endpoint, networkCode: timedOut ? undefined : networkCodeOf(err), timedOut, timeoutMs }),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Which window a search response describes is not documented: a limit within the search limit says "search". */
  private describesSearchWindowOnly(headers: HeaderMap, search: boolean): boolean {
    const limit = parseNumberHeader(headers['x-ratelimit-limit']);
    return search && limit !== undefined && limit <= this.searchLimit;
  }

  private observeHeaders(headers: HeaderMap, search: boolean): void {
    const limit = parseNumberHeader(headers['x-ratelimit-limit']);
    const searchWindowOnly = this.describesSearchWindowOnly(headers, search);
    if (limit !== undefined) (searchWindowOnly ? this.searchLimiter : this.limiter).observeLimit(limit);
    const dailyRemaining = parseNumberHeader(headers['x-daily-ratelimit-token-remaining']);
    if (dailyRemaining !== undefined) {
      const dailyLimit = parseNumberHeader(headers['x-daily-ratelimit-token-limit']);
      this.counters.dailyBudget = {
        remaining: dailyRemaining,
        ...(dailyLimit !== undefined && { limit: dailyLimit }),
        observedAt: this.now().toISOString(),
      };
    }
  }

  private reactToRefusal(error: PipedriveError, search: boolean): void {
    if (error.reason === 'burst_limit') {
      const pause = error.retryAfterMs ?? this.windowMs;
      this.limiter.pauseFor(pause);
      if (search) this.searchLimiter.pauseFor(pause);
    } else if (error.reason === 'daily_budget' && error.retryAt) {
      // More requests would only collect more 429s, which is what gets a token blocked.
      this.circuit = { untilMs: error.retryAt.getTime(), cause: error };
    } else if (error.reason === 'abuse_block' && this.settings.abuseBlockCooldownMs > 0) {
      this.circuit = { untilMs: this.now().getTime() + this.settings.abuseBlockCooldownMs, cause: error };
    }
  }

  /**
   * Takes the request's cost from the daily budget, or refuses it (the same daily-budget failure a 429 gives, with
   * the time to come back) when it would dip into the reserve; waits while a probe is out to learn the budget.
   */
  private async admitToBudget(endpoint: string, tokens: number, useReserve: boolean): Promise<BudgetTicket> {
    for (;;) {
      const decision = this.budget.admit(tokens, this.now().getTime(), { useReserve });
      if (decision.kind === 'send') return decision.ticket;
      if (decision.kind === 'wait') {
        await new Promise<void>((resolve) => this.budgetWaiters.push(resolve));
        continue;
      }
      this.counters.refusedLocally += 1;
      this.counters.refusedByBudget += 1;
      const retryAfterMs = Math.max(0, decision.resumeAt.getTime() - this.now().getTime());
      throw new PipedriveError({
        message:
          `Not sent: ${endpoint} costs ${decision.cost} tokens and ${decision.available} are left today above the reserve of ` +
          `${decision.reserve}; the daily budget is looked at again at ${decision.resumeAt.toISOString()}`,
        failureType: 'rate_limited',
        reason: 'daily_budget',
        endpoint,
        retryAfterMs,
        retryAt: decision.resumeAt,
        dailyBudgetExhausted: true,
      });
    }
  }

  private settleBudget(ticket: BudgetTicket, result: AttemptResult | undefined, tokens: number): void {
    if (result?.kind !== 'response') {
      // No answer: the request may have run, so it is taken to have spent its cost.
      this.budget.settle(ticket, { answered: false, spent: tokens }, this.now().getTime());
    } else {
      const { status, headers } = result;
      const remaining = parseNumberHeader(headers['x-daily-ratelimit-token-remaining']);
      const limit = parseNumberHeader(headers['x-daily-ratelimit-token-limit']);
      let resetsAt: Date | undefined;
      if (status === 429 && remaining !== undefined && remaining <= 0) {
        const retryAfter = parseRetryAfterMs(headers['retry-after'], this.now());
        if (retryAfter !== undefined) resetsAt = new Date(this.now().getTime() + retryAfter);
      }
      const refused = status === 429 || (status === 403 && looksLikeHtmlResponse(headers));
      this.budget.settle(
        ticket,
        {
          answered: true,
          spent: refused ? 0 : tokens,
          ...(remaining !== undefined && { remaining }),
          ...(limit !== undefined && { limit }),
          ...(resetsAt && { resetsAt }),
        },
        this.now().getTime(),
      );
    }
    const waiters = this.budgetWaiters;
    this.budgetWaiters = [];
    for (const wake of waiters) wake();
  }

  private refuseWhileCircuitOpen(endpoint: string): void {
    const circuit = this.circuit;
    if (!circuit) return;
    const remainingMs = circuit.untilMs - this.now().getTime();
    if (remainingMs <= 0) {
      this.circuit = undefined;
      return;
    }
    this.counters.refusedLocally += 1;
    const { cause } = circuit;
    throw new PipedriveError({
      message: `Not sent: ${cause.message}`,
      failureType: cause.failureType,
      reason: cause.reason,
      endpoint,
      status: cause.status,
      code: cause.code,
      retryAfterMs: cause.reason === 'daily_budget' ? remainingMs : undefined,
      retryAt: cause.reason === 'daily_budget' ? new Date(circuit.untilMs) : undefined,
      dailyBudgetExhausted: cause.dailyBudgetExhausted,
    });
  }

  /** How long to wait before the client retries by itself, or undefined when the caller must decide. */
  private retryDelay(error: PipedriveError, method: HttpMethod, attempt: number): number | undefined {
    if (attempt > this.settings.maxInternalRetries) return undefined;
    let delay: number;
    if (error.reason === 'burst_limit') {
      // A 429 means the request was refused before it ran, so even a POST can be sent again.
      delay = error.retryAfterMs ?? this.windowMs;
    } else if (error.failureType === 'transient' && IDEMPOTENT_METHODS.has(method)) {
      delay = error.retryAfterMs ?? this.backoffFor(attempt);
    } else {
      return undefined;
    }
    return delay <= this.settings.maxInternalRetryDelayMs ? delay : undefined;
  }

  private backoffFor(attempt: number): number {
    const ceiling = this.settings.retryBaseDelayMs * 2 ** (attempt - 1);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private async backOff(delayMs: number): Promise<void> {
    this.counters.internalRetries += 1;
    await this.clock.sleep(delayMs);
  }

  private record(spec: RequestSpec, endpoint: string, status: number | null, tokens: number, durationMs: number, attempt: number): void {
    const c = this.counters;
    c.requests += 1;
    c.tokens += tokens;
    const key = status === null ? 'no_response' : String(status);
    c.byStatus[key] = (c.byStatus[key] ?? 0) + 1;
    if (status === 429) c.rateLimited += 1;
    if (!this.onRequest) return;
    try {
      this.onRequest({ method: spec.method, endpoint, status, tokens, durationMs, version: spec.version, attempt });
    } catch {
      c.hookErrors += 1;
    }
  }
}

function looksLikeHtmlResponse(headers: HeaderMap): boolean {
  return (headers['content-type'] ?? '').toLowerCase().includes('text/html');
}

type AttemptResult = { kind: 'response'; status: number; headers: HeaderMap; text: string } | { kind: 'no_response'; error: PipedriveError };

interface EncodedBody {
  data: string | Buffer;
  headers: Record<string, string>;
}

function encodeBody(spec: RequestSpec): EncodedBody | undefined {
  if (spec.form) {
    const data = spec.form.getBuffer();
    return { data, headers: { ...spec.form.getHeaders(), 'content-length': String(data.length) } };
  }
  if (spec.body === undefined) return undefined;
  return { data: JSON.stringify(spec.body), headers: { 'content-type': 'application/json' } };
}

function parseSuccessBody(text: string, method: HttpMethod, endpoint: string, status: number): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && (body as { success?: unknown }).success !== false) return body;
  throw new PipedriveError({
    message:
      `Pipedrive answered ${status} on ${endpoint} without a success envelope; check the base URL` +
      (method === 'POST' ? ' (the record may have been created: outcome unknown)' : ''),
    failureType: 'permanent',
    reason: 'bad_response',
    endpoint,
    status,
    outcomeUnknown: method === 'POST',
  });
}

function toHeaderMap(headers: IncomingHttpHeaders): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
    else if (Array.isArray(value)) out[name.toLowerCase()] = value.join(', ');
  }
  return out;
}

/**
 * Whether a failed request failed on the way (connection refused, reset, dropped, DNS), not in the caller's code: a
 * system error (it names its `syscall`) or one of undici's own, short of a bad argument (a bug, rethrown). Duck-typed:
 * a system error may come from another realm than this module's `Error` (Jest's, for one).
 */
function isTransportFailure(err: unknown): boolean {
  if (err instanceof undiciErrors.InvalidArgumentError) return false;
  return err instanceof undiciErrors.UndiciError || typeof propertyOf(err, 'syscall') === 'string';
}

/** The failure's code for ops: the system's (ECONNRESET) where undici wraps one, else its own (UND_ERR_SOCKET). */
function networkCodeOf(err: unknown): string | undefined {
  const code = (e: unknown) => {
    const value = propertyOf(e, 'code');
    return typeof value === 'string' ? value : undefined;
  };
  return code(propertyOf(err, 'cause')) ?? code(err);
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Query values: arrays comma-joined (Pipedrive's `style: form, explode: false`), booleans as true/false, dates ISO. */
export function toQueryString(query: object | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) params.append(key, value.map(String).join(','));
    else if (value instanceof Date) params.append(key, value.toISOString());
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params.append(key, String(value));
    else throw new TypeError(`query parameter "${key}" must be a string, number, boolean, date or array`);
  }
  return params.toString();
}

function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`baseUrl is not a URL; expected e.g. https://acme.pipedrive.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`baseUrl must be http(s), got ${url.protocol}`);
  if (url.search || url.hash || url.username || url.password) throw new Error('baseUrl must not carry a query, fragment or credentials');
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/(api\/)?v\d+$/.test(path)) {
    throw new Error(`baseUrl must be the account root without the API version, e.g. ${url.origin}`);
  }
  return `${url.origin}${path}`;
}

function burstLimitFor(opts: PipedriveClientOptions): number {
  if (opts.burstLimit !== undefined) return opts.burstLimit;
  const plan = opts.plan ?? 'lite';
  const limit = PLAN_BURST_LIMITS[plan];
  if (limit === undefined) throw new Error(`plan must be one of ${Object.keys(PLAN_BURST_LIMITS).join(', ')}; got "${String(plan)}"`);
  return limit;
}

function resolveSettings(opts: PipedriveClientOptions): ResolvedSettings {
  const s: ResolvedSettings = {
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
    uploadTimeoutMs: opts.uploadTimeoutMs ?? DEFAULTS.uploadTimeoutMs,
    maxInternalRetries: opts.maxInternalRetries ?? DEFAULTS.maxInternalRetries,
    maxInternalRetryDelayMs: opts.maxInternalRetryDelayMs ?? DEFAULTS.maxInternalRetryDelayMs,
    retryBaseDelayMs: opts.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
    budgetResetTimeZone: opts.budgetResetTimeZone ?? DEFAULTS.budgetResetTimeZone,
    abuseBlockCooldownMs: opts.abuseBlockCooldownMs ?? DEFAULTS.abuseBlockCooldownMs,
  };
  for (const key of ['timeoutMs', 'uploadTimeoutMs'] as const) {
    if (!(s[key] > 0)) throw new Error(`${key} must be positive, got ${s[key]}`);
  }
  for (const key of ['maxInternalRetries', 'maxInternalRetryDelayMs', 'retryBaseDelayMs', 'abuseBlockCooldownMs'] as const) {
    if (!(s[key] >= 0)) throw new Error(`${key} must be zero or more, got ${s[key]}`);
  }
  if (!isValidTimeZone(s.budgetResetTimeZone)) {
    throw new Error(`budgetResetTimeZone "${s.budgetResetTimeZone}" is not an IANA time zone (e.g. UTC, Europe/Tallinn)`);
  }
  return s;
}
