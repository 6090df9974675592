/**
 * Headers for a call to a sandbox's `/_sandbox/*` admin API: the admin token from SANDBOX_ADMIN_TOKEN when one is
 * set (a sandbox reachable beyond this machine requires it), none otherwise (a loopback sandbox needs none). The
 * product's side of that API: the worker image has no sandbox (packages/pipedrive-sandbox), only this.
 */
export function sandboxAdminHeaders(token: string | undefined = process.env.SANDBOX_ADMIN_TOKEN): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
