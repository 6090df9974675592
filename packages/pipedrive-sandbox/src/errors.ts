/**
 * Pipedrive's error envelopes. Every body has `success: false` and an `error` message. v1 adds `error_info`,
 * `data: null` and `additional_data: null` (core-api-concepts-responses); v2 schema validation failures carry
 * `code: "ERR_SCHEMA_VALIDATION_FAILED"` (pipedrive/client-nodejs#651) and v2 404s follow the spec's 404 example.
 */
export const ERROR_INFO = 'Please check developers.pipedrive.com for more information about Pipedrive API.';

export type ApiVersion = 'v1' | 'v2';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }

  body(api: ApiVersion): Record<string, unknown> {
    if (this.code !== undefined) return { success: false, error: this.message, code: this.code };
    if (api === 'v2' && this.status === 400) {
      return { success: false, error: this.message, code: 'ERR_SCHEMA_VALIDATION_FAILED' };
    }
    return { success: false, error: this.message, error_info: ERROR_INFO, data: null, additional_data: null };
  }
}

/** 400 from request validation; the message is what Pipedrive's validator would say about the request. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, message);
}

export function notFound(entityLabel: string): ApiError {
  return new ApiError(404, `${entityLabel} not found`);
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, message);
}

export const UNAUTHORIZED_BODY = { success: false, error: 'unauthorized access', errorCode: 401, error_info: ERROR_INFO };
export const RATE_LIMITED_BODY = {
  success: false,
  error: 'Rate limit exceeded',
  error_info: ERROR_INFO,
  data: null,
  additional_data: null,
};
export const INTERNAL_ERROR_BODY = { success: false, error: 'Internal Server Error', code: 'ERR_UNKNOWN' };
export const SERVICE_UNAVAILABLE_BODY = { success: false, error: 'Service Unavailable', code: 'ERR_UNKNOWN' };

/** What Cloudflare serves to api_token traffic that keeps going after 429s: HTML, not JSON. */
export const CLOUDFLARE_BLOCK_HTML = `<!DOCTYPE html>
<html lang="en-US">
<head><title>Access denied | api.pipedrive.com used Cloudflare to restrict access</title></head>
<body>
<h1>Error 1015</h1>
<h2>You are being rate limited</h2>
<p>The owner of this website (api.pipedrive.com) has banned you temporarily from accessing this website.</p>
<p>Cloudflare Ray ID: sandbox &bull; Performance &amp; security by Cloudflare</p>
</body>
</html>
`;
