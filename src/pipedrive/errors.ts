import { DateTime, IANAZone } from 'luxon';

/**
 * How a failed request should be handled by the caller:
 * - permanent: the request was refused or cannot succeed as sent; retrying the same request cannot help.
 * - rate_limited: Pipedrive said "not now"; retry after `retryAfterMs` (a daily-budget 429 means "not before the reset").
 * - transient: a server error, a dropped connection or a timeout; retrying may help (mind `outcomeUnknown` for POSTs).
 */
export type FailureType = 'permanent' | 'rate_limited' | 'transient';

/** Finer-grained cause, for ops messages, metrics and tests. */
export type FailureReason =
  | 'validation' // 400, 422
  | 'auth' // 401
  | 'account' // 402: the company account is not open
  | 'forbidden' // 403 JSON: permissions, plan caps (`feature_capping_*`), unsupported visible_to
  | 'abuse_block' // 403 HTML: Cloudflare block after sustained traffic despite 429s
  | 'not_found' // 404, 410
  | 'unsupported' // 405, 415, 501
  | 'client_error' // any other 4xx
  | 'burst_limit' // 429 within the rolling 2-second window
  | 'daily_budget' // 429 with the daily token budget spent
  | 'server_error' // 5xx
  | 'timeout'
  | 'network'
  | 'bad_response' // a 2xx that is not a Pipedrive success envelope
  | 'invalid_input'; // refused by the client before sending

export interface PipedriveErrorInit {
  message: string;
  failureType: FailureType;
  reason: FailureReason;
  endpoint: string;
  status?: number;
  code?: string;
  retryAfterMs?: number;
  retryAt?: Date;
  dailyBudgetExhausted?: boolean;
  outcomeUnknown?: boolean;
  networkCode?: string;
}

/**
 * A failed Pipedrive request. Safe to log and to put into a Temporal failure: the message names the endpoint
 * template (never query values), the status, Pipedrive's error code and, at most, Pipedrive's error text with quoted
 * values, e-mail addresses, dates and long numbers redacted. It never carries request or response bodies, the API
 * token, or the underlying HTTP client error (whose request holds both).
 */
export class PipedriveError extends Error {
  override readonly name = 'PipedriveError';
  readonly failureType: FailureType;
  readonly reason: FailureReason;
  /** Method and path template, e.g. `DELETE /api/v2/persons/{id}`. */
  readonly endpoint: string;
  /** HTTP status; undefined when no response arrived. */
  readonly status?: number;
  /** Pipedrive's machine code from the body, e.g. `ERR_SCHEMA_VALIDATION_FAILED`, `feature_capping_deals_limit`. */
  readonly code?: string;
  /** How long to wait before retrying, when Pipedrive said so (or the budget reset is known). */
  readonly retryAfterMs?: number;
  /** `retryAfterMs` as a point in time, taken when the response arrived. */
  readonly retryAt?: Date;
  /** A 429 because the company's daily token budget is spent: every request fails until `retryAt`. */
  readonly dailyBudgetExhausted: boolean;
  /** A POST may have reached Pipedrive and been applied: recover (find the record) before creating again. */
  readonly outcomeUnknown: boolean;
  /** Node's error code for a failed connection (`ECONNRESET`, `ECONNREFUSED`, …). */
  readonly networkCode?: string;

  constructor(init: PipedriveErrorInit) {
    super(init.message);
    this.failureType = init.failureType;
    this.reason = init.reason;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
    this.retryAt = init.retryAt;
    this.dailyBudgetExhausted = init.dailyBudgetExhausted ?? false;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.networkCode = init.networkCode;
  }
}

export function isPipedriveError(err: unknown): err is PipedriveError {
  return err instanceof PipedriveError;
}

// --- PHI-safe error text ---

const FIELD_CODE = /^[0-9a-f]{40}$/;
/** Parameter names Pipedrive's validation messages quote (`custom_fields`, `owner_id`): snake_case with an underscore. */
const PARAMETER_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const TYPE_WORDS = new Set(['number', 'string', 'boolean', 'integer', 'array', 'object', 'null']);

function isSafeQuotedValue(value: string): boolean {
  return FIELD_CODE.test(value) || PARAMETER_NAME.test(value) || TYPE_WORDS.has(value);
}

/**
 * Pipedrive's error text can echo the values that were sent (`Expected 'number' … got 'Jane Doe'`), and those can
 * be patient data. This keeps the text's shape and removes the values: quoted segments (except field codes, snake_case
 * parameter names and JSON type names), e-mail addresses, dates and numbers of 7+ digits (phones, SSNs, MRNs).
 * Unquoted free text cannot be told apart from the message itself; the length cap limits what could slip through.
 */
export function redactErrorText(text: string, maxLength = 300): string {
  let out = redactQuoted(text.replace(/\s+/g, ' ').trim());
  out = out.replace(/[^\s@'"`]+@[^\s@'"`]+\.[^\s@'"`]+/g, '[email]');
  out = out.replace(/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g, '[date]');
  out = out.replace(/\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g, '[date]');
  // Whole tokens only, so digits inside a 40-hex field code stay as they are.
  out = out.replace(/(?<![\p{L}\p{N}])\+?\d[\d\s().-]*\d(?![\p{L}\p{N}])/gu, (run) => (run.replace(/\D/g, '').length >= 7 ? '[number]' : run));
  if (out.length > maxLength) out = `${out.slice(0, maxLength - 1)}…`;
  return out;
}

const REDACTED = '[redacted]';
const CLOSING_QUOTE: Record<string, string> = { "'": "'", '"': '"', '`': '`', '‘': '’', '“': '”' };
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * Replaces the inside of each quoted segment. A quote opens only after a non-letter (so the apostrophe in "doesn't"
 * is not one) and closes before a non-letter (so "'O'Brien'" is one segment); an unclosed quote runs to the end.
 */
function redactQuoted(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const close = CLOSING_QUOTE[ch];
    if (close === undefined || (i > 0 && WORD_CHAR.test(text[i - 1]!))) {
      out += ch;
      i += 1;
      continue;
    }
    let end = text.indexOf(close, i + 1);
    while (end !== -1 && end + 1 < text.length && WORD_CHAR.test(text[end + 1]!)) end = text.indexOf(close, end + 1);
    if (end === -1) return `${out}${ch}${REDACTED}`;
    const inner = text.slice(i + 1, end);
    out += `${ch}${isSafeQuotedValue(inner) ? inner : REDACTED}${close}`;
    i = end + 1;
  }
  return out;
}

// --- Classification ---

/** Response headers, lower-cased names. */
export type HeaderMap = Record<string, string | undefined>;

export interface ResponseFailureInput {
  method: string;
  endpoint: string;
  status: number;
  headers: HeaderMap;
  /** Raw response text; only Pipedrive's `error` and `code` are taken from it, redacted. */
  body: string;
  /** Wall clock when the response arrived. */
  now: Date;
  budgetResetTimeZone: string;
}

const DEFAULT_BURST_RETRY_MS = 2000;

/** Turns a non-2xx response into a classified, PHI-safe error. */
export function errorFromResponse(input: ResponseFailureInput): PipedriveError {
  const { method, endpoint, status, headers, now } = input;
  const isPost = method.toUpperCase() === 'POST';
  const html = looksLikeHtml(headers['content-type'], input.body);
  const { error: errorText, code } = html ? {} : parsePipedriveErrorBody(input.body);
  const detail = errorText ? `: ${redactErrorText(errorText)}` : html ? ' (HTML page, not JSON)' : '';
  const label = `${status}${code ? ` ${code}` : ''}`;

  if (status === 429) {
    const dailyRemaining = parseNumberHeader(headers['x-daily-ratelimit-token-remaining']);
    const retryAfter = parseRetryAfterMs(headers['retry-after'], now);
    if (dailyRemaining !== undefined && dailyRemaining <= 0) {
      const retryAfterMs = retryAfter ?? msUntilNextMidnight(now, input.budgetResetTimeZone);
      const retryAt = new Date(now.getTime() + retryAfterMs);
      return new PipedriveError({
        message:
          `Pipedrive's daily token budget is spent (429 on ${endpoint}); every request fails until it resets ` +
          `at about ${retryAt.toISOString()}${retryAfter === undefined ? ` (midnight ${input.budgetResetTimeZone}, assumed)` : ''}`,
        failureType: 'rate_limited',
        reason: 'daily_budget',
        endpoint,
        status,
        code,
        retryAfterMs,
        retryAt,
        dailyBudgetExhausted: true,
      });
    }
    const retryAfterMs = retryAfter ?? parseResetMs(headers['x-ratelimit-reset'], now) ?? DEFAULT_BURST_RETRY_MS;
    return new PipedriveError({
      message: `Pipedrive burst rate limit (429 on ${endpoint}); retry in ${(retryAfterMs / 1000).toFixed(1)} s`,
      failureType: 'rate_limited',
      reason: 'burst_limit',
      endpoint,
      status,
      code,
      retryAfterMs,
      retryAt: new Date(now.getTime() + retryAfterMs),
    });
  }

  if (status === 403 && html) {
    return new PipedriveError({
      message:
        `Pipedrive blocked this API token (403 HTML page from Cloudflare on ${endpoint}), which follows sustained ` +
        'traffic after 429s. Stop every worker that uses this token and wait before resuming (Pipedrive does not document how long ' +
        'the block lasts); each further request can extend it.',
      failureType: 'permanent',
      reason: 'abuse_block',
      endpoint,
      status,
    });
  }

  if (status >= 500) {
    const unsupported = status === 501;
    const retryAfterMs = parseRetryAfterMs(headers['retry-after'], now);
    return new PipedriveError({
      message:
        `Pipedrive ${unsupported ? 'does not implement' : 'server error on'} ${endpoint} (${label})${detail}` +
        (isPost && !unsupported ? '; the record may have been created (outcome unknown)' : ''),
      failureType: unsupported ? 'permanent' : 'transient',
      reason: unsupported ? 'unsupported' : 'server_error',
      endpoint,
      status,
      code,
      retryAfterMs,
      retryAt: retryAfterMs === undefined ? undefined : new Date(now.getTime() + retryAfterMs),
      outcomeUnknown: isPost && !unsupported,
    });
  }

  if (status === 408) {
    return new PipedriveError({
      message: `Pipedrive timed out reading the request on ${endpoint} (408)`,
      failureType: 'transient',
      reason: 'timeout',
      endpoint,
      status,
      code,
    });
  }

  const reason = clientErrorReason(status);
  return new PipedriveError({
    message: `Pipedrive refused ${endpoint} (${label})${detail}${permanentHint(reason)}`,
    failureType: 'permanent',
    reason,
    endpoint,
    status,
    code,
  });
}

function clientErrorReason(status: number): FailureReason {
  switch (status) {
    case 400:
    case 422:
      return 'validation';
    case 401:
      return 'auth';
    case 402:
      return 'account';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'not_found';
    case 405:
    case 415:
      return 'unsupported';
    default:
      return 'client_error';
  }
}

function permanentHint(reason: FailureReason): string {
  switch (reason) {
    case 'auth':
      return '; check the API token (it may have been regenerated)';
    case 'account':
      return '; the Pipedrive company account is not open (trial ended or payment missing)';
    default:
      return '';
  }
}

export interface TransportFailureInput {
  method: string;
  endpoint: string;
  /** Node's error code, if any (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, …). */
  networkCode?: string;
  timedOut: boolean;
  timeoutMs: number;
}

/** Errors raised before any connection exists: the request cannot have reached Pipedrive. */
// A connection never made (undici's UND_ERR_CONNECT_TIMEOUT included) sent nothing.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL', 'UND_ERR_CONNECT_TIMEOUT']);

/** Turns a request that got no HTTP response (timeout, refused, reset, dropped) into a classified error. */
export function errorFromTransport(input: TransportFailureInput): PipedriveError {
  const isPost = input.method.toUpperCase() === 'POST';
  const certainlyNotSent = !input.timedOut && input.networkCode !== undefined && NOT_SENT_CODES.has(input.networkCode);
  const outcomeUnknown = isPost && !certainlyNotSent;
  const unknownNote = outcomeUnknown ? '; the record may have been created (outcome unknown)' : '';
  if (input.timedOut) {
    return new PipedriveError({
      message: `No response from Pipedrive within ${input.timeoutMs} ms on ${input.endpoint}${unknownNote}`,
      failureType: 'transient',
      reason: 'timeout',
      endpoint: input.endpoint,
      outcomeUnknown,
    });
  }
  const code = input.networkCode ?? 'unknown error';
  return new PipedriveError({
    message: `Connection to Pipedrive failed (${code}) on ${input.endpoint}${unknownNote}`,
    failureType: 'transient',
    reason: 'network',
    endpoint: input.endpoint,
    outcomeUnknown,
    networkCode: input.networkCode,
  });
}

// --- Headers and bodies ---

function looksLikeHtml(contentType: string | undefined, body: string): boolean {
  if (contentType?.toLowerCase().includes('text/html')) return true;
  return /^\s*</.test(body);
}

const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Pipedrive's `error` text and machine `code`, if the body is a Pipedrive error envelope. Nothing else is read. */
export function parsePipedriveErrorBody(body: string): { error?: string; code?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const { error, code } = parsed as { error?: unknown; code?: unknown };
  return {
    error: typeof error === 'string' && error.trim() ? error : undefined,
    code: typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined,
  };
}

export function parseNumberHeader(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** `Retry-After`: delay in seconds (fractions accepted) or an HTTP date. */
export function parseRetryAfterMs(value: string | undefined, now: Date): number | undefined {
  const seconds = parseNumberHeader(value);
  if (seconds !== undefined) return Math.max(0, Math.round(seconds * 1000));
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * `x-ratelimit-reset`: documented only by example (`2`), read as seconds until the window resets. A value that can
 * only be an epoch timestamp (seconds) is read as one.
 */
export function parseResetMs(value: string | undefined, now: Date): number | undefined {
  const n = parseNumberHeader(value);
  if (n === undefined || n < 0) return undefined;
  if (n > 1_000_000_000) return Math.max(0, Math.round(n * 1000 - now.getTime()));
  return Math.round(n * 1000);
}

/** Milliseconds from `now` to the next midnight in `timeZone` (IANA name), DST-aware. */
export function msUntilNextMidnight(now: Date, timeZone: string): number {
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  if (!local.isValid) throw new Error(`invalid time zone "${timeZone}"`);
  return local.plus({ days: 1 }).startOf('day').toMillis() - now.getTime();
}

export function isValidTimeZone(timeZone: string): boolean {
  return IANAZone.isValidZone(timeZone);
}

// --- Temporal-facing details ---

/** A plain, PHI-free object for `ApplicationFailure` details, logs and metrics. */
export interface FailureDetails {
  errorName: string;
  message: string;
  failureType?: FailureType;
  reason?: FailureReason;
  status?: number;
  code?: string;
  endpoint?: string;
  retryAfterMs?: number;
  /** ISO-8601. */
  retryAt?: string;
  networkCode?: string;
  dailyBudgetExhausted: boolean;
  outcomeUnknown: boolean;
}

/**
 * What an activity may put into an `ApplicationFailure` (type, message, details, `nextRetryDelay`). For errors that
 * are not `PipedriveError`s only the class name is kept: their messages may quote record data.
 */
export function toFailureDetails(err: unknown): FailureDetails {
  if (err instanceof PipedriveError) {
    return {
      errorName: err.name,
      message: err.message,
      failureType: err.failureType,
      reason: err.reason,
      ...(err.status !== undefined && { status: err.status }),
      ...(err.code !== undefined && { code: err.code }),
      endpoint: err.endpoint,
      ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }),
      ...(err.retryAt !== undefined && { retryAt: err.retryAt.toISOString() }),
      ...(err.networkCode !== undefined && { networkCode: err.networkCode }),
      dailyBudgetExhausted: err.dailyBudgetExhausted,
      outcomeUnknown: err.outcomeUnknown,
    };
  }
  const errorName = err instanceof Error ? err.name : typeof err;
  return {
    errorName,
    message: `${errorName} outside the Pipedrive client (message withheld: it may quote record data)`,
    dailyBudgetExhausted: false,
    outcomeUnknown: false,
  };
}
