import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import { SPECS_DIR } from '@dentrix-pipedrive/pipedrive-spec';
import { badRequest, type ApiVersion } from './errors';

/**
 * Pipedrive's published OpenAPI specs, read at start: request bodies and parameters are validated against the
 * very schemas Pipedrive publishes. The copies pinned in the spec workspace (`packages/pipedrive-spec/specs/`, see its
 * README), or PIPEDRIVE_SPECS_DIR.
 */
export const SPEC_FILES: Record<ApiVersion, string> = {
  v1: 'pipedrive-openapi-v1.yaml',
  v2: 'pipedrive-openapi-v2.yaml',
};

export function specsDirectory(): string {
  return process.env.PIPEDRIVE_SPECS_DIR ?? SPECS_DIR;
}

/** Parsed specs kept as JSON, named by the hash of the YAML they came from (so any specs folder can use it). */
export const PARSED_SPECS_CACHE = path.join(SPECS_DIR, '..', '.cache', 'parsed-specs');

/**
 * A spec's YAML parsed, through a JSON copy named by the YAML's hash: js-yaml takes about a second for the two specs,
 * JSON.parse a tenth of that, and every process that starts a sandbox reads them (each test file, each sandbox
 * process). The copy is kept only when it reads back as the very document parsed; where it cannot be written (a
 * read-only install), the YAML is parsed each time.
 */
export function parseSpec(text: string): OpenApiDocument {
  const cached = path.join(PARSED_SPECS_CACHE, `${createHash('sha256').update(text).digest('hex')}.json`);
  if (existsSync(cached)) {
    try {
      return JSON.parse(readFileSync(cached, 'utf8')) as OpenApiDocument;
    } catch {
      // Unreadable (damaged on disk): parsed again below and written anew.
    }
  }
  const document = yaml.load(text) as OpenApiDocument;
  try {
    const json = JSON.stringify(document);
    if (isDeepStrictEqual(JSON.parse(json), document)) {
      mkdirSync(PARSED_SPECS_CACHE, { recursive: true });
      // Written aside and renamed: processes starting at once never read half a file.
      const partial = `${cached}.${process.pid}.partial`;
      writeFileSync(partial, json);
      renameSync(partial, cached);
    }
  } catch {
    // Not writable: parse the YAML next time too.
  }
  return document;
}

type JsonSchema = Record<string, unknown>;

export interface SpecParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
  description: string;
}

export interface SpecOperation {
  api: ApiVersion;
  method: string;
  path: string;
  operationId: string;
  parameters: SpecParameter[];
  /** JSON pointer of the JSON (or form) request body schema inside the spec document. */
  bodyPointer: string | undefined;
  bodySchema: JsonSchema | undefined;
  bodyRequired: boolean;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

let cached: PipedriveSpecs | undefined;

export class PipedriveSpecs {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv: Record<ApiVersion, Ajv>;

  private constructor(private readonly documents: Record<ApiVersion, OpenApiDocument>) {
    // v2 is strict about types (no coercion); v1 historically took form fields, so its numbers may come as text.
    this.ajv = { v1: makeAjv(true), v2: makeAjv(false) };
    this.ajv.v1.addSchema(documents.v1, 'v1');
    this.ajv.v2.addSchema(documents.v2, 'v2');
  }

  /** Loads both specs once per process; throws naming the missing file. */
  static load(): PipedriveSpecs {
    if (cached) return cached;
    const dir = specsDirectory();
    const read = (api: ApiVersion): OpenApiDocument => {
      const file = path.join(dir, SPEC_FILES[api]);
      if (!existsSync(file)) {
        throw new Error(`Pipedrive OpenAPI spec not found: ${file}. Set PIPEDRIVE_SPECS_DIR to the folder holding ${SPEC_FILES.v1} and ${SPEC_FILES.v2}.`);
      }
      return parseSpec(readFileSync(file, 'utf8'));
    };
    cached = new PipedriveSpecs({ v1: read('v1'), v2: read('v2') });
    return cached;
  }

  document(api: ApiVersion): OpenApiDocument {
    return this.documents[api];
  }

  operation(api: ApiVersion, method: string, specPath: string): SpecOperation | undefined {
    const pathItem = this.documents[api].paths[specPath];
    const op = pathItem?.[method.toLowerCase()] as Record<string, unknown> | undefined;
    if (!pathItem || !op) return undefined;
    const parameters = [...((pathItem.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])].map((p) => {
      const param = this.resolve(api, p) as Record<string, unknown>;
      return {
        name: String(param.name),
        in: param.in as SpecParameter['in'],
        required: param.required === true,
        schema: (param.schema as JsonSchema | undefined) ?? {},
        description: typeof param.description === 'string' ? param.description : '',
      };
    });
    const requestBody = this.resolve(api, op.requestBody) as { content?: Record<string, { schema?: JsonSchema }>; required?: boolean } | undefined;
    const content = requestBody?.content;
    const contentType = content && ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'].find((t) => content[t]);
    return {
      api,
      method: method.toUpperCase(),
      path: specPath,
      operationId: String(op.operationId),
      parameters,
      bodyPointer: contentType
        ? `#/paths/${pointerEscape(specPath)}/${method.toLowerCase()}/requestBody/content/${pointerEscape(contentType)}/schema`
        : undefined,
      bodySchema: contentType ? content[contentType]!.schema : undefined,
      bodyRequired: requestBody?.required === true,
    };
  }

  /** Validates a request body against the operation's schema; throws a 400 naming the first problem. */
  validateBody(op: SpecOperation, body: unknown): void {
    if (!op.bodyPointer) return;
    const key = `${op.api} ${op.bodyPointer}`;
    let validate = this.validators.get(key);
    if (!validate) {
      // Referenced inside the whole document (registered under the api's name) so the schema's own $refs resolve.
      validate = this.ajv[op.api].compile({ $ref: `${op.api}${op.bodyPointer}` });
      this.validators.set(key, validate);
    }
    if (!validate(body)) throw badRequest(`Validation failed: ${describeError(validate.errors?.[0])}`);
  }

  /** Top-level property names a body may have (allOf parts merged), or undefined if the schema does not say. */
  bodyProperties(op: SpecOperation): Set<string> | undefined {
    if (!op.bodySchema) return undefined;
    const names = new Set<string>();
    const collect = (schema: unknown): void => {
      const s = this.resolve(op.api, schema) as JsonSchema | undefined;
      if (!s) return;
      if (s.properties) for (const name of Object.keys(s.properties)) names.add(name);
      for (const part of (s.allOf as unknown[] | undefined) ?? []) collect(part);
    };
    collect(op.bodySchema);
    return names.size > 0 ? names : undefined;
  }

  private resolve(api: ApiVersion, value: unknown): unknown {
    let current = value;
    for (let depth = 0; depth < 10 && current && typeof current === 'object' && '$ref' in current; depth++) {
      const ref = String(current.$ref);
      current = ref
        .replace(/^#\//, '')
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], this.documents[api]);
    }
    return current;
  }
}

function makeAjv(coerceTypes: boolean): Ajv {
  // The specs carry OpenAPI-only keywords (example, x-token-cost, nullable): not strict about unknown keywords.
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes, validateSchema: false, discriminator: false });
  addFormats(ajv);
  return ajv;
}

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return 'invalid request body';
  const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'body';
  if (error.keyword === 'required') return `${where === 'body' ? '' : `${where}.`}${String(error.params.missingProperty)}: Required`;
  if (error.keyword === 'type') return `${where}: Expected '${String(error.params.type)}'`;
  if (error.keyword === 'enum') return `${where}: Expected one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${error.message ?? 'is invalid'}`;
}

/** Query and path parameters parsed to the types the spec declares. Unknown parameters are ignored, as Pipedrive does. */
export function parseParameters(op: SpecOperation, query: Record<string, unknown>, pathParams: Record<string, string>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const param of op.parameters) {
    if (param.in !== 'query' && param.in !== 'path') continue;
    let raw = param.in === 'path' ? pathParams[param.name] : query[param.name];
    if (Array.isArray(raw)) raw = raw[raw.length - 1];
    if (raw === undefined || raw === '') {
      if (param.required) throw badRequest(`Validation failed: ${param.name}: Required`);
      continue;
    }
    result[param.name] = coerceParameter(param, typeof raw === 'string' ? raw : JSON.stringify(raw));
  }
  return result;
}

function coerceParameter(param: SpecParameter, raw: string): unknown {
  const schema = flattenSchema(param.schema);
  const fail = (expected: string): never => {
    throw badRequest(`Validation failed: ${param.name}: Expected ${expected}`);
  };
  switch (schema.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) fail("'integer'");
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) fail("'number'");
      if (schema.enum && !(schema.enum as unknown[]).includes(n)) fail(`one of ${(schema.enum as unknown[]).join(', ')}`);
      return n;
    }
    case 'boolean': {
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail("'boolean'");
    }
    case 'array': {
      const itemType = flattenSchema((schema.items as JsonSchema | undefined) ?? {}).type;
      return raw.split(',').map((part) => {
        const item = part.trim();
        if (itemType === 'integer' && !/^-?\d+$/.test(item)) fail('an array of integers');
        return itemType === 'integer' || itemType === 'number' ? Number(item) : item;
      });
    }
    default: {
      const allowed = schema.enum as string[] | undefined;
      if (allowed && !allowed.includes(raw)) {
        // Several parameters are "comma-separated string arrays" whose schema lists the single values.
        const commaList = /comma[- ]separated/i.test(param.description);
        if (!commaList || !raw.split(',').every((part) => allowed.includes(part.trim()))) fail(`one of ${allowed.join(', ')}`);
      }
      return raw;
    }
  }
}

function flattenSchema(schema: JsonSchema): JsonSchema {
  if (schema.type !== undefined || !Array.isArray(schema.allOf)) return schema;
  return Object.assign({}, ...(schema.allOf as JsonSchema[]).map(flattenSchema), { ...schema, allOf: undefined }) as JsonSchema;
}
