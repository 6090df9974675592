import { timingSafeEqual } from 'node:crypto';

/** The header a client may send the sandbox admin token in, instead of `Authorization: Bearer <token>`. */
export const SANDBOX_ADMIN_TOKEN_HEADER = 'x-sandbox-admin-token';

/** Hosts only this machine can reach: a sandbox listening on one of them may leave its admin API open. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/** The admin token a request carries: `Authorization: Bearer <token>` or the x-sandbox-admin-token header. */
export function adminTokenOf(headers: { authorization?: string; [SANDBOX_ADMIN_TOKEN_HEADER]?: string | string[] }): string | undefined {
  const bearer = headers.authorization && /^Bearer\s+(.+)$/i.exec(headers.authorization)?.[1];
  if (bearer) return bearer.trim();
  const header = headers[SANDBOX_ADMIN_TOKEN_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.trim() : undefined;
}

/** Compares in constant time, so the answer's timing does not tell how much of a guessed token was right. */
export function adminTokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
