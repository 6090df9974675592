import {
  errorFromResponse,
  errorFromTransport,
  msUntilNextMidnight,
  PipedriveError,
  redactErrorText,
  toFailureDetails,
  type ResponseFailureInput,
} from '../../../src/pipedrive/errors';

describe('redactErrorText', () => {
  it.each([
    [
      "custom_fields: Expected 'number' as value for single option field, got 'Jane Doe'",
      "custom_fields: Expected 'number' as value for single option field, got '[redacted]'",
    ],
    [
      "Parameter 'dcf558aac1ae4e8c4f849ba5e668430d8df9be12' is not allowed for this request",
      "Parameter 'dcf558aac1ae4e8c4f849ba5e668430d8df9be12' is not allowed for this request",
    ],
    ['Value "O\'Brien, Mary" is invalid for "owner_id"', 'Value "[redacted]" is invalid for "owner_id"'],
    ["Person 'O'Brien' doesn't exist", "Person '[redacted]' doesn't exist"],
    ['Invalid email jane.doe@example.com for person', 'Invalid email [email] for person'],
    ['birthday 1984-02-29 is in the future', 'birthday [date] is in the future'],
    ['birthday 02/29/1984 is in the future', 'birthday [date] is in the future'],
    ['phone +1 (555) 123-4567 is not valid', 'phone [number] is not valid'],
    ['SSN 123456789 rejected', 'SSN [number] rejected'],
    ['Expected at most 255 characters', 'Expected at most 255 characters'],
    ["value 'Jane Doe, born in 1984", "value '[redacted]"],
    ['Validation failed:\n  name:   required', 'Validation failed: name: required'],
  ])('%j → %j', (input, expected) => {
    expect(redactErrorText(input)).toBe(expected);
  });

  it('caps the length', () => {
    const out = redactErrorText('x'.repeat(1000), 50);
    expect(out).toHaveLength(50);
    expect(out.endsWith('…')).toBe(true);
  });

  it('keeps digits inside an unquoted field code', () => {
    const code = '1234567aac1ae4e8c4f849ba5e668430d8df9be1';
    expect(redactErrorText(`unknown key ${code}`)).toBe(`unknown key ${code}`);
  });
});

describe('errorFromResponse', () => {
  const base: ResponseFailureInput = {
    method: 'POST',
    endpoint: 'POST /api/v2/persons',
    status: 400,
    headers: {},
    body: '',
    now: new Date('2025-03-10T22:30:00Z'),
    budgetResetTimeZone: 'UTC',
  };
  const json = (body: object) => JSON.stringify({ success: false, ...body });

  it('reads a v2 validation error: permanent, with the code, values redacted, no body', () => {
    const err = errorFromResponse({
      ...base,
      body: json({ error: "Validation failed: name: got 'Jane Doe'", code: 'ERR_SCHEMA_VALIDATION_FAILED', data: { name: 'Jane Doe' } }),
    });
    expect(err).toMatchObject({
      failureType: 'permanent',
      reason: 'validation',
      status: 400,
      code: 'ERR_SCHEMA_VALIDATION_FAILED',
      outcomeUnknown: false,
    });
    expect(err.message).toContain('POST /api/v2/persons');
    expect(err.message).toContain('ERR_SCHEMA_VALIDATION_FAILED');
    expect(err.message).not.toContain('Jane');
  });

  it.each([
    [401, 'auth'],
    [402, 'account'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [405, 'unsupported'],
    [410, 'not_found'],
    [415, 'unsupported'],
    [422, 'validation'],
    [409, 'client_error'],
  ])('%d is permanent (%s)', (status, reason) => {
    expect(errorFromResponse({ ...base, status, body: json({ error: 'nope' }) })).toMatchObject({ failureType: 'permanent', reason });
  });

  it('keeps a plan-cap code on a JSON 403', () => {
    const err = errorFromResponse({ ...base, status: 403, body: json({ error: 'Deal limit reached', code: 'feature_capping_deals_limit' }) });
    expect(err).toMatchObject({ failureType: 'permanent', reason: 'forbidden', code: 'feature_capping_deals_limit' });
  });

  it('drops a code that is not a plain identifier', () => {
    const err = errorFromResponse({ ...base, body: json({ error: 'x', code: 'Jane Doe <jane@example.com>' }) });
    expect(err.code).toBeUndefined();
  });

  it('recognises the Cloudflare 403 HTML block and tells ops to stop', () => {
    const err = errorFromResponse({
      ...base,
      status: 403,
      headers: { 'content-type': 'text/html; charset=UTF-8' },
      body: '<!DOCTYPE html><html><title>Attention Required! | Cloudflare</title></html>',
    });
    expect(err).toMatchObject({ failureType: 'permanent', reason: 'abuse_block', status: 403 });
    expect(err.message).toMatch(/Stop every worker/);
    expect(err.message).not.toContain('<');
  });

  it('burst 429: retry-after first, then x-ratelimit-reset, then 2 s', () => {
    expect(errorFromResponse({ ...base, status: 429, headers: { 'retry-after': '3', 'x-ratelimit-reset': '1' } }).retryAfterMs).toBe(3000);
    expect(errorFromResponse({ ...base, status: 429, headers: { 'x-ratelimit-reset': '1' } }).retryAfterMs).toBe(1000);
    const fallback = errorFromResponse({ ...base, status: 429 });
    expect(fallback).toMatchObject({ failureType: 'rate_limited', reason: 'burst_limit', retryAfterMs: 2000, dailyBudgetExhausted: false });
    expect(fallback.retryAt?.toISOString()).toBe('2025-03-10T22:30:02.000Z');
  });

  it('daily 429 without retry-after waits until the next midnight of the configured zone', () => {
    const headers = { 'x-daily-ratelimit-token-remaining': '0' };
    const utc = errorFromResponse({ ...base, status: 429, headers });
    expect(utc).toMatchObject({ failureType: 'rate_limited', reason: 'daily_budget', dailyBudgetExhausted: true, retryAfterMs: 90 * 60_000 });
    expect(utc.retryAt?.toISOString()).toBe('2025-03-11T00:00:00.000Z');
    // 18:30 EDT (DST began on 9 March 2025): midnight in New York is 04:00 UTC.
    const ny = errorFromResponse({ ...base, status: 429, headers, budgetResetTimeZone: 'America/New_York' });
    expect(ny.retryAt?.toISOString()).toBe('2025-03-11T04:00:00.000Z');
  });

  it('daily 429 with retry-after uses it', () => {
    const err = errorFromResponse({ ...base, status: 429, headers: { 'x-daily-ratelimit-token-remaining': '0', 'retry-after': '3600' } });
    expect(err).toMatchObject({ dailyBudgetExhausted: true, retryAfterMs: 3_600_000 });
  });

  it('5xx is transient; on POST the outcome is unknown, on GET it is not', () => {
    const post = errorFromResponse({ ...base, status: 502, body: json({ error: 'Internal Server Error', code: 'ERR_UNKNOWN' }) });
    expect(post).toMatchObject({ failureType: 'transient', reason: 'server_error', outcomeUnknown: true, code: 'ERR_UNKNOWN' });
    const get = errorFromResponse({ ...base, method: 'GET', endpoint: 'GET /api/v2/persons/{id}', status: 503 });
    expect(get).toMatchObject({ failureType: 'transient', outcomeUnknown: false });
  });

  it('501 is permanent: retrying cannot make Pipedrive implement it', () => {
    expect(errorFromResponse({ ...base, status: 501 })).toMatchObject({ failureType: 'permanent', reason: 'unsupported', outcomeUnknown: false });
  });
});

describe('errorFromTransport', () => {
  it('a POST that timed out or lost its connection has an unknown outcome', () => {
    const t = errorFromTransport({ method: 'POST', endpoint: 'POST /api/v2/deals', timedOut: true, timeoutMs: 100 });
    expect(t).toMatchObject({ failureType: 'transient', reason: 'timeout', outcomeUnknown: true });
    const reset = errorFromTransport({ method: 'POST', endpoint: 'POST /api/v2/deals', networkCode: 'ECONNRESET', timedOut: false, timeoutMs: 100 });
    expect(reset).toMatchObject({ failureType: 'transient', reason: 'network', outcomeUnknown: true, networkCode: 'ECONNRESET' });
  });

  it('a POST whose connection was refused, or never made in time, never reached Pipedrive', () => {
    for (const networkCode of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']) {
      const err = errorFromTransport({ method: 'POST', endpoint: 'POST /api/v2/deals', networkCode, timedOut: false, timeoutMs: 100 });
      expect(err.outcomeUnknown).toBe(false);
    }
    // The socket closed after the request went out: undici's own code, an unknown outcome.
    const closed = errorFromTransport({ method: 'POST', endpoint: 'POST /api/v2/deals', networkCode: 'UND_ERR_SOCKET', timedOut: false, timeoutMs: 100 });
    expect(closed.outcomeUnknown).toBe(true);
  });

  it('idempotent methods never report an unknown outcome', () => {
    const err = errorFromTransport({ method: 'DELETE', endpoint: 'DELETE /api/v2/deals/{id}', timedOut: true, timeoutMs: 100 });
    expect(err.outcomeUnknown).toBe(false);
  });
});

describe('msUntilNextMidnight', () => {
  it('is DST-aware: the night clocks go back has 25 hours', () => {
    // 2025-10-26 00:00 Europe/Tallinn (EEST, +03:00) is 2025-10-25T21:00Z; the next midnight (EET, +02:00) is 22:00Z next day.
    expect(msUntilNextMidnight(new Date('2025-10-25T21:00:00Z'), 'Europe/Tallinn')).toBe(25 * 3_600_000);
  });
});

describe('toFailureDetails', () => {
  it('gives a plain, JSON-stable object with no undefined values', () => {
    const err = new PipedriveError({
      message: 'Pipedrive burst rate limit',
      failureType: 'rate_limited',
      reason: 'burst_limit',
      endpoint: 'GET /api/v2/persons',
      status: 429,
      retryAfterMs: 1500,
      retryAt: new Date('2025-01-01T00:00:01.500Z'),
    });
    const details = toFailureDetails(err);
    expect(details).toEqual({
      errorName: 'PipedriveError',
      message: 'Pipedrive burst rate limit',
      failureType: 'rate_limited',
      reason: 'burst_limit',
      status: 429,
      endpoint: 'GET /api/v2/persons',
      retryAfterMs: 1500,
      retryAt: '2025-01-01T00:00:01.500Z',
      dailyBudgetExhausted: false,
      outcomeUnknown: false,
    });
    expect(JSON.parse(JSON.stringify(details))).toEqual(details);
  });

  it('withholds the message of errors from elsewhere, which may quote patient data', () => {
    const details = toFailureDetails(new TypeError('cannot map birth date 1984-02-29 of Jane Doe'));
    expect(details.errorName).toBe('TypeError');
    expect(JSON.stringify(details)).not.toMatch(/Jane|1984/);
  });
});
