import type { ApiVersion } from '../errors';
import type { SandboxPlan } from '../options';
import type { PipedriveSpecs, SpecOperation } from '../spec';
import type { AccountState } from '../state/account';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Account-level settings handlers need (the plan decides which `visible_to` values are allowed). */
export interface AccountSettings {
  plan: SandboxPlan;
  contactSync: boolean;
  /** Base URL clients reach the sandbox at (file download URLs point under it). */
  baseUrl: string;
}

export interface UploadedFile {
  originalname: string;
  mimetype: string;
  buffer: Buffer;
  size: number;
}

export interface RequestContext {
  api: ApiVersion;
  state: AccountState;
  /** Query and path parameters, typed by the spec. */
  params: Record<string, unknown>;
  body: unknown;
  file: UploadedFile | undefined;
  /** The user the API token belongs to. */
  userId: number;
  settings: AccountSettings;
  /** When the request arrived (ms since epoch). */
  now: number;
  specs: PipedriveSpecs;
  operation: SpecOperation;
}

export type RouteResult = { status: number; body: unknown } | { status: number; raw: Buffer; headers: Record<string, string> };

export interface RouteDefinition {
  api: ApiVersion;
  method: HttpMethod;
  /** Path as the spec writes it, relative to the version root: `/persons/{id}`. */
  path: string;
  /** Creates a record: eligible for the "lost response" fault. */
  creates?: boolean;
  /** Counts against the search burst limit. */
  search?: boolean;
  /** Takes multipart/form-data (file upload). */
  multipart?: boolean;
  handle(ctx: RequestContext): RouteResult;
}

export function ok(data: unknown, additionalData?: unknown, status = 200): RouteResult {
  return { status, body: additionalData === undefined ? { success: true, data } : { success: true, data, additional_data: additionalData } };
}
