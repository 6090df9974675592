import { startSandbox, type RunningSandbox, type SandboxOptions } from '@dentrix-pipedrive/pipedrive-sandbox';

export const TOKEN = 'sandbox-token';

/** Response bodies are whatever JSON the sandbox sent; tests read them loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** Sent instead of the default token; `null` sends none. */
  token?: string | null;
  headers?: Record<string, string>;
  form?: FormData;
}

/** Calls the sandbox: `path` is the full path, e.g. `/api/v2/persons`. JSON bodies are parsed. */
export async function call<T = Json>(sandbox: RunningSandbox, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const url = new URL(path, sandbox.url);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers['x-api-token'] = token;
  let body: FormData | string | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const parsed = res.headers.get('content-type')?.includes('application/json') ? (JSON.parse(text) as T) : (text as T);
  return { status: res.status, headers: res.headers, body: parsed };
}

export const v2 = (sandbox: RunningSandbox, method: string, path: string, options?: CallOptions) => call(sandbox, method, `/api/v2${path}`, options);
export const v1 = (sandbox: RunningSandbox, method: string, path: string, options?: CallOptions) => call(sandbox, method, `/api/v1${path}`, options);

/** Starts a sandbox on a free port; generous limits unless the test is about limits. */
export function start(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, plan: 'ultimate', seats: 10, burstLimit: 10_000, searchBurstLimit: 10_000, ...options });
}

/** Creates a custom field and returns its key. */
export async function createField(
  sandbox: RunningSandbox,
  entity: 'person' | 'organization' | 'deal' | 'product',
  body: { field_name: string; field_type: string; options?: { label: string }[] },
): Promise<{ field_code: string; options: { id: number; label: string }[] | null }> {
  const res = await v2(sandbox, 'POST', `/${entity}Fields`, { body });
  if (res.status !== 200) throw new Error(`could not create field: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export async function created<T = Json>(response: Promise<ApiResponse>): Promise<T> {
  const res = await response;
  if (res.status >= 300) throw new Error(`expected a success, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data as T;
}
