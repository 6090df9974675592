import express, { type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { tokenCost } from '@dentrix-pipedrive/pipedrive-spec';
import {
  ApiError,
  CLOUDFLARE_BLOCK_HTML,
  INTERNAL_ERROR_BODY,
  RATE_LIMITED_BODY,
  SERVICE_UNAVAILABLE_BODY,
  UNAUTHORIZED_BODY,
  type ApiVersion,
} from './errors';
import type { Automations } from './automations';
import type { FaultInjector } from './faults';
import type { RequestLogEntry } from './options';
import type { RateLimiter } from './rate-limits';
import type { RouteTable } from './routes';
import type { AccountSettings, RequestContext, RouteDefinition, UploadedFile } from './routes/types';
import { parseParameters, type PipedriveSpecs } from './spec';
import type { AccountState } from './state/account';
import type { UsageCounters } from './usage';

/** Everything a request needs; `state` is replaced on reset, so handlers read it per request. */
export interface SandboxRuntime {
  state: AccountState;
  readonly routes: RouteTable;
  readonly specs: PipedriveSpecs;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  /** Rehearsal account automations that rewrite a field after a create (see automations.ts). */
  readonly automations: Automations;
  readonly usage: UsageCounters;
  readonly tokens: ReadonlySet<string>;
  /** The token owner: every configured token acts as the admin user. */
  readonly tokenUserId: number;
  settings: AccountSettings;
  readonly blockAfterConsecutive429s: number | undefined;
  readonly onRequest: ((entry: RequestLogEntry, body?: unknown) => void) | undefined;
}

const MAX_JSON_BODY = '20mb';
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

const jsonBody = express.json({ limit: MAX_JSON_BODY, type: ['application/json', 'application/*+json'] });
const formBody = express.urlencoded({ limit: MAX_JSON_BODY, extended: false });
const fileUpload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 } }).single('file');

/** `/api/v2/persons` → v2 `/persons`; `/api/v1/users` and `/v1/users` → v1 `/users`. */
export function apiTarget(path: string): { api: ApiVersion; path: string } | undefined {
  const m = /^\/(?:api\/(v1|v2)|(v1))(\/.*)$/.exec(path);
  if (!m) return undefined;
  return { api: (m[1] ?? m[2]) as ApiVersion, path: m[3]! };
}

/** The API token: `x-api-token` header, `Authorization: Bearer`, or the legacy `api_token` query parameter. */
function tokenOf(req: Request): string | undefined {
  const header = req.get('x-api-token');
  if (header) return header.trim();
  const auth = req.get('authorization');
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  if (bearer) return bearer.trim();
  const query = req.query.api_token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

function run(mw: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void mw(req, res, (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve()));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One API request, in Pipedrive's order: route → (injected latency) → auth → rate limits and token charge →
 * (injected drop / 5xx) → body parsing and spec validation → handler → (injected lost response) → answer.
 * Every response carries the rate-limit headers.
 */
export async function handleApiRequest(runtime: SandboxRuntime, req: Request, res: Response): Promise<void> {
  const started = Date.now();
  const target = apiTarget(req.path)!;
  const match = runtime.routes.match(target.api, req.method, target.path);
  const routeKey = match ? `${match.route.method} /api/${target.api}${match.route.path}` : undefined;
  let tokens = 0;
  const finish = (status: RequestLogEntry['status']): void => {
    runtime.usage.record(routeKey, status, tokens);
    const body: unknown = req.body;
    runtime.onRequest?.({ method: req.method, path: req.path, status, tokens, durationMs: Date.now() - started }, body);
  };
  const send = (status: number, body: unknown): void => {
    res.status(status).json(body);
    finish(status);
  };

  const plan = runtime.faults.plan();
  if (plan.latencyMs > 0) await sleep(plan.latencyMs);

  const token = tokenOf(req);
  if (!token || !runtime.tokens.has(token)) {
    res.set(runtime.limiter.passiveHeaders(undefined));
    return send(401, UNAUTHORIZED_BODY);
  }
  if (!match) {
    res.set(runtime.limiter.passiveHeaders(token));
    return send(404, new ApiError(404, `Unknown method ${req.method} ${req.path}`).body(target.api));
  }

  const { route } = match;
  const cost = tokenCost(target.api, route.method, target.path) ?? 0;
  const admission = runtime.limiter.admit(token, cost, route.search === true);
  res.set(admission.headers);
  if (!admission.admitted) {
    const limit = runtime.blockAfterConsecutive429s;
    if (limit !== undefined && admission.consecutive429s > limit) {
      res.status(403).type('html').send(CLOUDFLARE_BLOCK_HTML);
      return finish(403);
    }
    return send(429, RATE_LIMITED_BODY);
  }
  tokens = cost;

  if (plan.dropConnection) {
    req.socket.destroy();
    return finish('dropped');
  }
  if (plan.serverError) return send(plan.serverError, plan.serverError === 500 ? INTERNAL_ERROR_BODY : SERVICE_UNAVAILABLE_BODY);

  let ctx: RequestContext;
  let result;
  try {
    ctx = await requestContext(runtime, req, res, target.api, match.route, match.pathParams);
    result = route.handle(ctx);
  } catch (error) {
    if (error instanceof ApiError) return send(error.status, error.body(target.api));
    runtime.onRequest?.({ method: req.method, path: req.path, status: 500, tokens, durationMs: Date.now() - started, error: describe(error) });
    return send(500, INTERNAL_ERROR_BODY);
  }

  if (route.creates && result.status < 300 && 'body' in result)
    runtime.automations.afterCreate(runtime.state, target.api === 'v2' ? route.path : '', result.body);
  if (route.creates && plan.loseResponse && result.status < 300) {
    // The record is stored; the client never learns its id.
    req.socket.destroy();
    return finish('lost_response');
  }
  if ('raw' in result) {
    res.status(result.status).set(result.headers).send(result.raw);
    return finish(result.status);
  }
  send(result.status, result.body);
}

async function requestContext(
  runtime: SandboxRuntime,
  req: Request,
  res: Response,
  api: ApiVersion,
  route: RouteDefinition,
  pathParams: Record<string, string>,
): Promise<RequestContext> {
  const operation = runtime.specs.operation(api, route.method, route.path);
  if (!operation) throw new Error(`route ${route.method} ${route.path} is not in the ${api} spec`);
  const params = parseParameters(operation, req.query, pathParams);

  let file: UploadedFile | undefined;
  try {
    if (route.multipart) {
      await run(fileUpload, req, res);
      file = (req as Request & { file?: UploadedFile }).file;
    } else {
      await run(jsonBody, req, res);
      if (api === 'v1') await run(formBody, req, res);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, `Could not read the request body: ${message}`);
  }
  const body: unknown = (req.body as unknown) ?? (operation.bodyPointer && ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined);

  if (operation.bodyRequired && body === undefined) throw new ApiError(400, 'Validation failed: body: Required');
  if (operation.bodyPointer && body !== undefined) {
    if (api === 'v2') rejectUnknownKeys(runtime.specs, operation, body);
    // A multipart body is validated with its file part standing in as text.
    const validated = route.multipart ? { ...(body as object), ...(file ? { file: file.originalname } : {}) } : body;
    runtime.specs.validateBody(operation, validated);
    if (route.multipart) Object.assign(body as object, stripFile(validated));
  }

  return {
    api,
    state: runtime.state,
    params,
    body,
    file,
    userId: runtime.tokenUserId,
    settings: runtime.settings,
    now: Date.now(),
    specs: runtime.specs,
    operation,
  };
}

function stripFile(body: unknown): object {
  const { file: _file, ...rest } = body as Record<string, unknown>;
  return rest;
}

/**
 * v2 rejects keys its schema does not list. A custom-field hash at the top level (a v1 habit) gets Pipedrive's own
 * message: custom fields belong inside `custom_fields`.
 */
function rejectUnknownKeys(specs: PipedriveSpecs, operation: Parameters<PipedriveSpecs['bodyProperties']>[0], body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const allowed = specs.bodyProperties(operation);
  if (!allowed) return;
  for (const key of Object.keys(body)) {
    if (allowed.has(key)) continue;
    throw new ApiError(400, `Parameter '${key}' is not allowed for this request`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
