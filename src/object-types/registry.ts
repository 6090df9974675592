/**
 * The one registry of the object types a migration writes, reads or resolves in Pipedrive. Everything the engine knows
 * about a type is here, once: its place in the dependency order (rollback runs in the exact reverse), whether it is
 * schema or data, its API version and endpoints (with the token costs the pinned specs declare), where its Dentrix
 * key is written, and the client operations that create, update, read, delete and recover it. Phases, the plan, the
 * audit log, rollback and recovery read it; nothing else lists object types or endpoints.
 *
 * Pure: no I/O at import. The operations take the client as an argument; the client is imported as a type only.
 */
import type { PipedriveClient, SearchCollection, V2Collection, WritableFieldEntity } from '../pipedrive/client';
import type { DealProductInput, NoteInput } from '../pipedrive/types';
import { V1_FILES_MAX_PAGE_SIZE, V1_MAX_PAGE_SIZE, V2_MAX_PAGE_SIZE } from '../pipedrive/pagination';
import { tokenCost, type ApiVersion } from '@dentrix-pipedrive/pipedrive-spec';
import { sharedListing } from './shared-listing';

// ---------------------------------------------------------------------------------------------------------------
// Endpoints

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One API operation: its path template below `/api/<version>`, its spec token cost and its audit-log label. */
export interface Endpoint {
  api: ApiVersion;
  method: HttpVerb;
  path: string;
  tokens: number;
  /** `POST /api/v2/persons`: how the audit log names it. */
  label: string;
}

/** Every endpoint the registry declares, for the test that each one is in the spec table. */
const DECLARED: Endpoint[] = [];

/** An endpoint, its cost looked up in the table generated from the pinned specs: a path the specs lack fails here. */
function endpoint(api: ApiVersion, method: HttpVerb, path: string): Endpoint {
  const tokens = tokenCost(api, method, path);
  if (tokens === undefined) throw new Error(`object-type registry: ${method} /api/${api}${path} is not in Pipedrive's specs (packages/pipedrive-spec)`);
  const e: Endpoint = { api, method, path, tokens, label: `${method} /api/${api}${path}` };
  DECLARED.push(e);
  return e;
}

export function declaredEndpoints(): readonly Endpoint[] {
  return DECLARED;
}

/** The endpoints a type may have; which ones it has is its entry's business. */
export interface Endpoints {
  create?: Endpoint;
  /** Many records in one request (deal products, ≤100 per request). */
  bulkCreate?: Endpoint;
  update?: Endpoint;
  /** Read one by id. */
  get?: Endpoint;
  /** Read many by a list of ids (v2 `ids=`, or deal products by `deal_ids=`). */
  getMany?: Endpoint;
  list?: Endpoint;
  /** The records of one person (v1 files). */
  listByPerson?: Endpoint;
  delete?: Endpoint;
  bulkDelete?: Endpoint;
  search?: Endpoint;
}

function v2CollectionEndpoints(collection: V2Collection): Required<Pick<Endpoints, 'create' | 'update' | 'get' | 'getMany' | 'list' | 'delete'>> {
  const list = endpoint('v2', 'GET', `/${collection}`);
  return {
    create: endpoint('v2', 'POST', `/${collection}`),
    update: endpoint('v2', 'PATCH', `/${collection}/{id}`),
    get: endpoint('v2', 'GET', `/${collection}/{id}`),
    getMany: list,
    list,
    delete: endpoint('v2', 'DELETE', `/${collection}/{id}`),
  };
}

/** The field endpoints of an entity whose custom fields the API lets us create. */
export interface FieldEndpoints {
  list: Endpoint;
  create: Endpoint;
  get: Endpoint;
  delete: Endpoint;
  addOptions: Endpoint;
  deleteOptions: Endpoint;
}

function fieldEndpoints(entity: WritableFieldEntity): FieldEndpoints {
  const base = `/${entity}Fields`;
  return {
    list: endpoint('v2', 'GET', base),
    create: endpoint('v2', 'POST', base),
    get: endpoint('v2', 'GET', `${base}/{field_code}`),
    delete: endpoint('v2', 'DELETE', `${base}/{field_code}`),
    addOptions: endpoint('v2', 'POST', `${base}/{field_code}/options`),
    deleteOptions: endpoint('v2', 'DELETE', `${base}/{field_code}/options`),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Where a record carries its Dentrix key (exactly-once creates, DESIGN §5.1)

export const SOURCE_KEY_FIELD = 'Dentrix Source Key';

export type SourceKeyLocation =
  { in: 'custom_field'; field: typeof SOURCE_KEY_FIELD } | { in: 'marker'; field: 'note' | 'content' | 'comments' } | { in: 'file_name_prefix'; field: 'name' };

// ---------------------------------------------------------------------------------------------------------------
// Operations

type ApiRecord = Record<string, unknown>;
export type DeleteOutcome = 'deleted' | 'not_found';

/** Where to look for a record whose create had an unknown outcome. */
export interface RecoveryQuery {
  sourceKey: string;
  /** ISO time (no milliseconds) some minutes before the attempt: records touched since then are the candidates. */
  since: string;
  personId?: number;
  dealId?: number;
}

/** One read of a recovery scan: what it cost, the records it returned (with their ledger ids). */
export interface RecoveryPage {
  tokens: number;
  candidates: { id: string; record: ApiRecord }[];
  /** The candidates must have been written at or after the attempt (lists that cannot filter by time say no). */
  checkWrittenSince: boolean;
}

/**
 * What a create needs: the request body, and the logical record's standard fields (a deal product's deal id). The body
 * is the type's `PipedriveBody` (mapping/pipedrive-body.ts: the spec's body type), held here as `object` because
 * the entity names come from this registry (naming them here would be circular); each operation takes it back as its
 * own spec type.
 */
export interface CreateInput {
  body: object;
  fields: Record<string, unknown>;
}

/** The client operations of a data type. Ids are ledger ids (`12`, or `<dealId>/<attachmentId>` for deal products). */
export interface DataOps {
  /** Sends one create and returns the ledger id. */
  create(client: PipedriveClient, input: CreateInput): Promise<string>;
  /** Absent when Pipedrive cannot update the record in place (files). */
  update?(client: PipedriveClient, id: string, body: object): Promise<void>;
  /** The record as it is now (a before-image), or undefined when it is gone. */
  read(client: PipedriveClient, id: string): Promise<ApiRecord | undefined>;
  /**
   * Reads many back with the type's cheapest reads for the job (`cheapestRead`): an account listing shared by the
   * batches of one pass, `ids` lists, one GET each, or one listing per person (`personIds`, the persons they belong to).
   * A record that is gone is not in the answer (a person that is gone answers 404 to its v1 listing): missing, not an
   * error.
   */
  readBack(client: PipedriveClient, ids: string[], personIds: number[], pass?: ReadPass, meter?: ReadMeter): Promise<Map<string, ApiRecord>>;
  /**
   * Those of these records still live in the account, by ledger id, read with the cheapest reads the type has for
   * them (`cheapestRead`: v2 lists by `ids`, 100 per request, or one GET each below ten; deal products by 100 deals;
   * notes and files one GET each, 2 tokens, or an account listing when it costs less), and the spec tokens the reads
   * cost. Asked before a load relies on the id map.
   */
  liveRecords(client: PipedriveClient, ids: string[]): Promise<LiveRecords>;
  /** Deletes one created record; 'not_found' when it is already gone (a rollback treats that as done). */
  delete(client: PipedriveClient, id: string): Promise<DeleteOutcome>;
  /** Records that hang off a parent (deal products of a deal): deleted per parent, in bulk when that is cheaper. */
  deleteByParent?: ParentDelete;
  /** The reads that find a record by its Dentrix key after a lost response, in the order they are tried. */
  recover(client: PipedriveClient, q: RecoveryQuery): AsyncGenerator<RecoveryPage>;
}

/** The live records found by ledger id, and what reading them cost (spec tokens). */
export interface LiveRecords {
  records: Map<string, ApiRecord>;
  tokens: number;
}

/** Deleting the children of one parent: bulk requests (per `bulkMax`) or single deletes, nothing read first. */
export interface ParentDelete {
  parentOf(id: string): number;
  /** Bulk pays above this many children (up to it, single deletes cost no more). */
  bulkAbove: number;
  bulkMax: number;
  /** Deletes these children and answers the ledger ids it deleted: the others were already gone. */
  remove(client: PipedriveClient, parent: number, ids: string[], bulk: boolean): Promise<Set<string>>;
}

/** How a rollback confirms a created record is gone (and reads back a restored one). */
export type RollbackCheck =
  /** v2 list by `ids`, 100 per request. */
  | 'list_by_ids'
  /** Deal products of up to 100 deals per request. */
  | 'deal_products'
  /** v1: an account listing while cheaper than one GET per id, else a GET per id. */
  | 'list_or_get'
  /** The whole (small) collection. */
  | 'list_all'
  /** The entity's field listing. */
  | 'fields';

/** Operations of a schema type a rollback removes. */
export interface SchemaOps {
  delete(client: PipedriveClient, id: string): Promise<DeleteOutcome>;
  /** Every live element (pipelines, stages, activity types), a page at a time. */
  listAll?(client: PipedriveClient): AsyncGenerator<ApiRecord[]>;
}

/** A typed API record read as a plain one (what key matching, diffing and the proof take). */
const plain = <T extends object>(record: T): ApiRecord => record as unknown as ApiRecord;
const plainOrNone = <T extends object>(record: T | undefined): ApiRecord | undefined => (record === undefined ? undefined : plain(record));
const plainAll = <T extends object>(records: readonly T[]): ApiRecord[] => records.map(plain);

/** v2 lists take at most 100 `ids` a request. */
const V2_IDS_PER_REQUEST = 100;

const chunk = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
const pageOf = (records: ApiRecord[], idOf = (r: ApiRecord) => String(r.id)) => records.map((record) => ({ id: idOf(record), record }));

/** Live: not soft-deleted (v2 `is_deleted`, v1 `active_flag`). */
const isLive = (r: ApiRecord | undefined): r is ApiRecord => r !== undefined && r.is_deleted !== true && r.active_flag !== false;

/** A listing of a parent that is gone (404) holds nothing: what reads back and presence checks take it as. */
async function unlessGone<T>(read: () => Promise<T>, none: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as { status?: number }).status === 404) return none;
    throw err;
  }
}

/** The live ones of these records, read the cheapest way for this batch alone (`readBack` without a pass). */
async function liveByCheapest(client: PipedriveClient, ops: ReadOps, ids: string[]): Promise<LiveRecords> {
  const meter: ReadMeter = { requests: 0, tokens: 0 };
  const read = await readBackCheapest(client, ops, ids, [], undefined, meter);
  const records = new Map<string, ApiRecord>();
  for (const [id, r] of read) if (isLive(r)) records.set(id, r);
  return { records, tokens: meter.tokens };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading records back: the cheapest reads by the specs' token costs. The one place a read is chosen.

/** How a batch of records is read back. */
export type ReadMethod = 'account_listing' | 'ids' | 'get_each' | 'by_person';

/** The reads a data type has (endpoints and their spec costs), and how much one request takes. */
export interface TypeReads {
  /** Every record of the account, `pageSize` a page. */
  listing?: { endpoint: Endpoint; pageSize: number };
  /** By a list of ids (v2 `ids=`), `per` a request. */
  ids?: { endpoint: Endpoint; per: number };
  /** One record by id. */
  get?: Endpoint;
  /** One listing per person (v1 notes and files; one page each). */
  byPerson?: Endpoint;
}

/** One read-back job: a batch's records, the persons they belong to, and the pass it is part of. */
export interface ReadJob {
  records: number;
  persons?: number;
  /** Records of the type the whole pass reads (its batches share one account listing); absent: the batch alone. */
  passRecords?: number;
}

/** A pass of read-backs (a verification of one run): its batches share one account listing per type. */
export interface ReadPass {
  /** Names the pass, e.g. `<migration>/<run kind>`. */
  key: string;
  /** Records of the type the pass reads in all. */
  records: number;
}

const pagesOf = (n: number, size: number): number => Math.ceil(n / size);

/**
 * What each read the type has would cost for the whole pass (spec tokens): an account listing once, in pages of its
 * maximum (as many as the pass's records fill; an account holding more costs more, which the listing's cap catches),
 * the batch's other reads scaled from the batch to the pass.
 */
export function readCosts(reads: TypeReads, job: ReadJob): Partial<Record<ReadMethod, number>> {
  const n = job.records;
  const pass = Math.max(job.passRecords ?? n, n);
  const scale = n === 0 ? 0 : pass / n;
  const costs: Partial<Record<ReadMethod, number>> = {};
  if (reads.ids) costs.ids = pagesOf(n, reads.ids.per) * reads.ids.endpoint.tokens * scale;
  if (reads.get) costs.get_each = n * reads.get.tokens * scale;
  if (reads.byPerson && job.persons !== undefined && job.persons > 0) costs.by_person = job.persons * reads.byPerson.tokens * scale;
  if (reads.listing) costs.account_listing = Math.max(1, pagesOf(pass, reads.listing.pageSize)) * reads.listing.endpoint.tokens;
  return costs;
}

/** The cheapest read for the job (ties go to the targeted reads, listed first), and what the pass would cost. */
export function cheapestRead(reads: TypeReads, job: ReadJob, without: readonly ReadMethod[] = []): { method: ReadMethod; passTokens: number } {
  let best: { method: ReadMethod; passTokens: number } | undefined;
  for (const [method, passTokens] of Object.entries(readCosts(reads, job)) as [ReadMethod, number][]) {
    if (without.includes(method)) continue;
    if (!best || passTokens < best.passTokens) best = { method, passTokens };
  }
  if (!best) throw new Error('object-type registry: a type with no read for this job');
  return best;
}

/** How one type's records are read by each method (the registry entry's reads, bound to its client calls). */
interface ReadOps {
  name: string;
  reads: TypeReads;
  listPages(client: PipedriveClient): AsyncGenerator<ApiRecord[]>;
  byIds?(client: PipedriveClient, ids: string[]): Promise<ApiRecord[]>;
  getOne?(client: PipedriveClient, id: string): Promise<ApiRecord | undefined>;
  byPerson?(client: PipedriveClient, personId: number): AsyncGenerator<ApiRecord[]>;
  /** Told each read method used (metered reads). */
  used?(method: ReadMethod): void;
}

/**
 * The account's records of a type, page by page, given up (undefined) once the pages cost more than `cap` tokens: the
 * account holds more than the job's other reads would cost to read.
 */
async function listAccount(client: PipedriveClient, ops: ReadOps, cap: number): Promise<Map<string, ApiRecord> | undefined> {
  const listed = new Map<string, ApiRecord>();
  let spent = 0;
  for await (const page of ops.listPages(client)) {
    spent += ops.reads.listing!.endpoint.tokens;
    for (const r of page) listed.set(String(r.id), r);
    if (spent >= cap) {
      // A last page that ends the listing still counts; one that does not means more pages than the cap.
      if (page.length === ops.reads.listing!.pageSize) return undefined;
    }
  }
  return listed;
}

/** Reads these records by one targeted method. */
async function readTargeted(client: PipedriveClient, ops: ReadOps, method: ReadMethod, ids: string[], personIds: number[]): Promise<Map<string, ApiRecord>> {
  const found = new Map<string, ApiRecord>();
  if (method === 'ids') {
    for (const group of chunk(ids, ops.reads.ids!.per)) for (const r of await ops.byIds!(client, group)) found.set(String(r.id), r);
  } else if (method === 'get_each') {
    for (const id of ids) {
      const r = await ops.getOne!(client, id);
      if (r) found.set(id, r);
    }
  } else if (method === 'by_person') {
    for (const personId of personIds) {
      await unlessGone(async () => {
        for await (const page of ops.byPerson!(client, personId)) for (const r of page) found.set(String(r.id), r);
      }, undefined);
    }
  } else throw new Error(`object-type registry: ${ops.name} cannot be read by ${method}`);
  return found;
}

/**
 * Reads records back the cheapest way (`cheapestRead`). An account listing is shared by the pass's batches (one per
 * worker while it is fresh) and capped at what the cheapest other read would cost the pass; records a shared listing
 * does not hold (created after it, or gone) are read by id.
 */
async function readBackCheapest(
  client: PipedriveClient,
  unmetered: ReadOps,
  ids: string[],
  personIds: number[],
  pass: ReadPass | undefined,
  meter: ReadMeter | undefined,
): Promise<Map<string, ApiRecord>> {
  if (ids.length === 0) return new Map();
  const ops = meter ? metered(unmetered, meter) : unmetered;
  const job: ReadJob = { records: ids.length, persons: personIds.length, ...(pass ? { passRecords: pass.records } : {}) };
  const choice = cheapestRead(ops.reads, job);
  let listed: Map<string, ApiRecord> | undefined;
  if (choice.method === 'account_listing') {
    const otherwise = cheapestRead(ops.reads, job, ['account_listing']);
    ops.used?.('account_listing');
    const list = () => listAccount(client, ops, otherwise.passTokens);
    listed = await (pass ? sharedListing(client, `${pass.key}/${ops.name}`, list) : list());
    if (!listed) return readWithMisses(client, ops, otherwise.method, ids, personIds);
  } else return readWithMisses(client, ops, choice.method, ids, personIds);
  // A listing taken now holds every live record: what it lacks is gone. One shared by a pass may predate a record.
  return pass ? readMisses(client, ops, ids, listed) : new Map(ids.flatMap((id) => (listed.has(id) ? [[id, listed.get(id)!] as const] : [])));
}

/** Counts what the reads send: requests and their spec tokens. */
export interface ReadMeter {
  requests: number;
  tokens: number;
  /** The reads used, in order (a listing given up, then the reads by id). */
  methods?: ReadMethod[];
}

function metered(ops: ReadOps, meter: ReadMeter): ReadOps {
  const spend = (e: Endpoint) => {
    meter.requests++;
    meter.tokens += e.tokens;
  };
  async function* pages(e: Endpoint, from: AsyncGenerator<ApiRecord[]>): AsyncGenerator<ApiRecord[]> {
    // Counted as each page is asked for: a page that fails was still sent.
    for (;;) {
      spend(e);
      const next = await from.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const r = ops.reads;
  return {
    ...ops,
    used: (method) => meter.methods?.push(method),
    listPages: (client) => pages(r.listing!.endpoint, ops.listPages(client)),
    ...(ops.byIds && { byIds: (client, ids) => (spend(r.ids!.endpoint), ops.byIds!(client, ids)) }),
    ...(ops.getOne && { getOne: (client, id) => (spend(r.get!), ops.getOne!(client, id)) }),
    ...(ops.byPerson && { byPerson: (client, personId) => pages(r.byPerson!, ops.byPerson!(client, personId)) }),
  };
}

/** One targeted read; after a listing per person, what it did not hold (a note of no person) is read by id. */
async function readWithMisses(client: PipedriveClient, ops: ReadOps, method: ReadMethod, ids: string[], personIds: number[]): Promise<Map<string, ApiRecord>> {
  ops.used?.(method);
  const found = await readTargeted(client, ops, method, ids, personIds);
  return method === 'by_person' ? readMisses(client, ops, ids, found) : found;
}

/** The records a listing holds, and those it does not read by id (the cheaper of `ids` lists and one GET each). */
async function readMisses(client: PipedriveClient, ops: ReadOps, ids: string[], listed: Map<string, ApiRecord>): Promise<Map<string, ApiRecord>> {
  const found = new Map<string, ApiRecord>();
  const misses: string[] = [];
  for (const id of ids) {
    const r = listed.get(id);
    if (r) found.set(id, r);
    else misses.push(id);
  }
  if (misses.length > 0) {
    const byId = cheapestRead(ops.reads, { records: misses.length }, ['account_listing', 'by_person']);
    ops.used?.(byId.method);
    for (const [id, r] of await readTargeted(client, ops, byId.method, misses, [])) found.set(id, r);
  }
  return found;
}

/** Ledger ids: a plain number, `<dealId>/<attachmentId>` for deal products, `<entity>/<field_code>` for custom fields. */
export function composeDealProductId(dealId: number, attachmentId: number): string {
  return `${dealId}/${attachmentId}`;
}

export function composeFieldId(entity: string, fieldCode: string): string {
  return `${entity}/${fieldCode}`;
}

export function composeFieldOptionId(entity: string, fieldCode: string, optionId: number): string {
  return `${entity}/${fieldCode}/${optionId}`;
}

function splitDealProductId(id: string): [number, number] {
  const [dealId, attachmentId] = id.split('/').map(Number);
  return [dealId!, attachmentId!];
}

/** How recovery looks for a v2 record: search by key first (where Pipedrive can), then a list walk. */
interface V2Recovery {
  search?: SearchCollection;
  /** The list takes `updated_since` (products' does not: the catalog is walked whole). */
  updatedSince: boolean;
  /** The list takes `person_id`, narrowing the walk to the record's person. */
  byPerson: boolean;
  /** Listed candidates must also have been written since the attempt. */
  checkWrittenSince: boolean;
}

/** The reads of a v2 collection: an account listing of 500 a page, `ids` 100 a request, one GET each. */
export function v2Reads(e: Endpoints): TypeReads {
  return { listing: { endpoint: e.list!, pageSize: V2_MAX_PAGE_SIZE }, ids: { endpoint: e.getMany!, per: V2_IDS_PER_REQUEST }, get: e.get! };
}

function v2ReadOps(collection: V2Collection, e: Endpoints): ReadOps {
  return {
    name: collection,
    reads: v2Reads(e),
    listPages: (client) => client.listPages<ApiRecord>(collection, { limit: V2_MAX_PAGE_SIZE }),
    byIds: (client, ids) => client.listAll<ApiRecord>(collection, { ids: ids.join(','), limit: V2_IDS_PER_REQUEST }),
    getOne: (client, id) => client.get<ApiRecord>(collection, Number(id)),
  };
}

function v2DataOps(collection: V2Collection, e: Endpoints, how: V2Recovery): DataOps {
  return {
    create: async (client, { body }) => String((await client.create<{ id: number }>(collection, body)).id),
    update: async (client, id, body) => void (await client.update(collection, Number(id), body)),
    read: (client, id) => client.get<ApiRecord>(collection, Number(id)),
    readBack: (client, ids, personIds, pass?, meter?) => readBackCheapest(client, v2ReadOps(collection, e), ids, personIds, pass, meter),
    // The spec: ids that do not exist (or are deleted) are left out of a list by `ids`.
    liveRecords: (client, ids) => liveByCheapest(client, v2ReadOps(collection, e), ids),
    delete: (client, id) => client.remove(collection, Number(id)),
    recover: async function* (client, q) {
      if (how.search) {
        const hits = await client.search(how.search, { term: q.sourceKey, fields: 'custom_fields', exactMatch: true, limit: 10 });
        yield { tokens: e.search!.tokens, candidates: [], checkWrittenSince: true };
        for (const hit of hits) {
          const record = await client.get<ApiRecord>(collection, hit.item.id);
          yield { tokens: e.get!.tokens, candidates: record ? pageOf([record]) : [], checkWrittenSince: true };
        }
      }
      // Not indexed yet, or search missed it: walk what changed since the attempt.
      const query: Record<string, unknown> = how.updatedSince ? { updated_since: q.since } : {};
      if (how.byPerson && q.personId) query.person_id = q.personId;
      for await (const page of client.listPages<ApiRecord>(collection, { ...query, limit: V2_MAX_PAGE_SIZE })) {
        yield { tokens: e.list!.tokens, candidates: pageOf(page), checkWrittenSince: how.checkWrittenSince };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The registry

interface Common {
  /** Dependency order: a type is loaded after every type of lower rank and rolled back before it. */
  rank: number;
  kind: 'schema' | 'data';
  api: ApiVersion;
  endpoints: Endpoints;
  /** Position in the API-listing fingerprint (DESIGN §5.3): changing it changes every recorded fingerprint. */
  fingerprintOrder?: number;
  /** A field map's `ref` transform may link a record to one of these (resolved through the id map). */
  refTarget?: boolean;
}

export interface DataTypeEntry extends Common {
  kind: 'data';
  /**
   * The data types whose Pipedrive ids its records link to (a deal's person, a note's deal): it loads once they are
   * loaded, and types with nothing between them load at the same time (loadWaves). Each must have a lower rank.
   */
  loadsAfter: readonly string[];
  /** Its name in the plan estimate's record counts. */
  planKey: string;
  /** Rows per page of its list endpoint. */
  pageSize: number;
  dentrixKey: SourceKeyLocation;
  /** Entities whose custom fields the API lets us create; `order` is the order the SCHEMA phase and the fingerprint use. */
  customFields?: FieldEndpoints & { order: number };
  /** The v2 collection its generic endpoints take, when it is one. */
  collection?: V2Collection;
  rollbackCheck: RollbackCheck;
  ops: DataOps;
}

export interface SchemaTypeEntry extends Common {
  kind: 'schema';
  collection?: V2Collection;
  /** Absent for what the migration only resolves (users): never created, never deleted. */
  rollbackCheck?: RollbackCheck;
  ops?: SchemaOps;
  /** Custom fields and their options: endpoints per entity, found from the ledger id or source key. */
  perEntity?: (entity: WritableFieldEntity) => Endpoints;
}

const organizationEndpoints = { ...v2CollectionEndpoints('organizations'), search: endpoint('v2', 'GET', '/organizations/search') };
const productEndpoints = { ...v2CollectionEndpoints('products'), search: endpoint('v2', 'GET', '/products/search') };
const personEndpoints = { ...v2CollectionEndpoints('persons'), search: endpoint('v2', 'GET', '/persons/search') };
const dealEndpoints = { ...v2CollectionEndpoints('deals'), search: endpoint('v2', 'GET', '/deals/search') };
const activityEndpoints = v2CollectionEndpoints('activities');
/** Pipedrive takes at most this many deal products per bulk request (attach or delete), and deal ids per listing. */
export const DEAL_PRODUCTS_PER_BULK_REQUEST = 100;

const dealProductEndpoints = {
  create: endpoint('v2', 'POST', '/deals/{id}/products'),
  bulkCreate: endpoint('v2', 'POST', '/deals/{id}/products/bulk'),
  update: endpoint('v2', 'PATCH', '/deals/{id}/products/{product_attachment_id}'),
  getMany: endpoint('v2', 'GET', '/deals/products'),
  list: endpoint('v2', 'GET', '/deals/{id}/products'),
  delete: endpoint('v2', 'DELETE', '/deals/{id}/products/{product_attachment_id}'),
  bulkDelete: endpoint('v2', 'DELETE', '/deals/{id}/products'),
};
const noteEndpoints = {
  create: endpoint('v1', 'POST', '/notes'),
  update: endpoint('v1', 'PUT', '/notes/{id}'),
  get: endpoint('v1', 'GET', '/notes/{id}'),
  list: endpoint('v1', 'GET', '/notes'),
  delete: endpoint('v1', 'DELETE', '/notes/{id}'),
};
const fileEndpoints = {
  create: endpoint('v1', 'POST', '/files'),
  get: endpoint('v1', 'GET', '/files/{id}'),
  list: endpoint('v1', 'GET', '/files'),
  listByPerson: endpoint('v1', 'GET', '/persons/{id}/files'),
  delete: endpoint('v1', 'DELETE', '/files/{id}'),
};

/** v1 notes: an account listing of 500 a page (20 tokens), one GET each (2), or one listing per person (20). */
export const NOTE_READS: TypeReads = {
  listing: { endpoint: noteEndpoints.list, pageSize: V1_MAX_PAGE_SIZE },
  get: noteEndpoints.get,
  byPerson: noteEndpoints.list,
};
const noteReadOps = v1ReadOps(
  'notes',
  NOTE_READS,
  V1_MAX_PAGE_SIZE,
  (client, query) => client.listNotes(query),
  (client, id) => client.getNote(id),
);
/** v1 files: an account listing of 100 a page (20 tokens), one GET each (2), or one listing per person (20). */
export const FILE_READS: TypeReads = {
  listing: { endpoint: fileEndpoints.list, pageSize: V1_FILES_MAX_PAGE_SIZE },
  get: fileEndpoints.get,
  byPerson: fileEndpoints.listByPerson,
};
const fileReadOps = v1ReadOps(
  'files',
  FILE_READS,
  V1_FILES_MAX_PAGE_SIZE,
  (client, query) => client.listFiles(query),
  (client, id) => client.getFile(id),
);

/** A v1 type's reads (notes, files): its account listing and per-person listings, `limit` a page, and one GET each. */
function v1ReadOps<T extends object>(
  name: string,
  reads: TypeReads,
  limit: number,
  list: (client: PipedriveClient, query: { limit: number; person_id?: number }) => AsyncGenerator<T[]>,
  get: (client: PipedriveClient, id: number) => Promise<T | undefined>,
): ReadOps {
  return {
    name,
    reads,
    listPages: (client) => mapPages(list(client, { limit })),
    getOne: async (client, id) => plainOrNone(await get(client, Number(id))),
    byPerson: (client, personId) => mapPages(list(client, { person_id: personId, limit })),
  };
}

async function* mapPages<T extends object>(pages: AsyncGenerator<T[]>): AsyncGenerator<ApiRecord[]> {
  for await (const page of pages) yield plainAll(page);
}

const searchedByKey = (search: SearchCollection): V2Recovery => ({ search, updatedSince: true, byPerson: false, checkWrittenSince: true });

export const OBJECT_TYPES = {
  /** Providers resolve to the account's users by e-mail: read, never created. */
  user: {
    rank: -1,
    kind: 'schema',
    api: 'v1',
    refTarget: true,
    endpoints: { list: endpoint('v1', 'GET', '/users'), get: endpoint('v1', 'GET', '/users/me') },
  },
  activity_type: {
    rank: 0,
    kind: 'schema',
    api: 'v1',
    endpoints: {
      create: endpoint('v1', 'POST', '/activityTypes'),
      update: endpoint('v1', 'PUT', '/activityTypes/{id}'),
      list: endpoint('v1', 'GET', '/activityTypes'),
      delete: endpoint('v1', 'DELETE', '/activityTypes/{id}'),
    },
    rollbackCheck: 'list_all',
    ops: {
      delete: (client, id) => client.deleteActivityType(Number(id)),
      listAll: async function* (client) {
        yield plainAll(await client.listActivityTypes());
      },
    },
  },
  pipeline: {
    rank: 1,
    kind: 'schema',
    api: 'v2',
    collection: 'pipelines',
    endpoints: v2CollectionEndpoints('pipelines'),
    fingerprintOrder: 5,
    rollbackCheck: 'list_all',
    ops: {
      delete: (client, id) => client.remove('pipelines', Number(id)),
      listAll: (client) => client.listPages<ApiRecord>('pipelines', { limit: V2_MAX_PAGE_SIZE }),
    },
  },
  stage: {
    rank: 2,
    kind: 'schema',
    api: 'v2',
    collection: 'stages',
    endpoints: v2CollectionEndpoints('stages'),
    fingerprintOrder: 6,
    rollbackCheck: 'list_all',
    ops: {
      delete: (client, id) => client.remove('stages', Number(id)),
      listAll: (client) => client.listPages<ApiRecord>('stages', { limit: V2_MAX_PAGE_SIZE }),
    },
  },
  /** Ledger id `<entity>/<field_code>`, source key `field:<entity>:<name>`. */
  custom_field: {
    rank: 3,
    kind: 'schema',
    api: 'v2',
    endpoints: {},
    perEntity: (entity) => {
      const f = fieldsOf(entity);
      return { create: f.create, get: f.get, list: f.list, delete: f.delete };
    },
    rollbackCheck: 'fields',
    ops: {
      delete: (client, id) => {
        const [entity, fieldCode] = id.split('/') as [WritableFieldEntity, string];
        return client.deleteField(entity, fieldCode);
      },
    },
  },
  /** An option this migration added to a field (one it found by name, or its own from an earlier approval). Ledger id `<entity>/<field_code>/<option id>`. */
  field_option: {
    rank: 4,
    kind: 'schema',
    api: 'v2',
    endpoints: {},
    perEntity: (entity) => {
      const f = fieldsOf(entity);
      return { create: f.addOptions, get: f.get, list: f.list, delete: f.deleteOptions };
    },
    rollbackCheck: 'fields',
    ops: {
      delete: (client, id) => {
        const [entity, fieldCode, optionId] = id.split('/') as [WritableFieldEntity, string, string];
        return client.deleteFieldOption(entity, fieldCode, Number(optionId));
      },
    },
  },
  organization: {
    refTarget: true,
    rank: 10,
    kind: 'data',
    loadsAfter: [],
    api: 'v2',
    collection: 'organizations',
    planKey: 'organizations',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: organizationEndpoints,
    fingerprintOrder: 1,
    dentrixKey: { in: 'custom_field', field: SOURCE_KEY_FIELD },
    customFields: { ...fieldEndpoints('organization'), order: 1 },
    rollbackCheck: 'list_by_ids',
    ops: v2DataOps('organizations', organizationEndpoints, searchedByKey('organizations')),
  },
  /** CDT codes; a product the account already sells is reused, never created or deleted. */
  product: {
    refTarget: true,
    rank: 20,
    kind: 'data',
    loadsAfter: [],
    api: 'v2',
    collection: 'products',
    planKey: 'products',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: productEndpoints,
    fingerprintOrder: 4,
    dentrixKey: { in: 'custom_field', field: SOURCE_KEY_FIELD },
    customFields: { ...fieldEndpoints('product'), order: 3 },
    rollbackCheck: 'list_by_ids',
    // The products list has no `updated_since`: recovery walks the whole catalog (it is small).
    ops: v2DataOps('products', productEndpoints, { ...searchedByKey('products'), updatedSince: false }),
  },
  person: {
    refTarget: true,
    rank: 30,
    kind: 'data',
    loadsAfter: ['organization'],
    api: 'v2',
    collection: 'persons',
    planKey: 'persons',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: personEndpoints,
    fingerprintOrder: 0,
    dentrixKey: { in: 'custom_field', field: SOURCE_KEY_FIELD },
    customFields: { ...fieldEndpoints('person'), order: 0 },
    rollbackCheck: 'list_by_ids',
    ops: v2DataOps('persons', personEndpoints, searchedByKey('persons')),
  },
  deal: {
    refTarget: true,
    rank: 40,
    kind: 'data',
    loadsAfter: ['person', 'organization'],
    api: 'v2',
    collection: 'deals',
    planKey: 'deals',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: dealEndpoints,
    fingerprintOrder: 2,
    dentrixKey: { in: 'custom_field', field: SOURCE_KEY_FIELD },
    customFields: { ...fieldEndpoints('deal'), order: 2 },
    rollbackCheck: 'list_by_ids',
    ops: v2DataOps('deals', dealEndpoints, searchedByKey('deals')),
  },
  deal_product: {
    rank: 50,
    kind: 'data',
    loadsAfter: ['deal', 'product'],
    api: 'v2',
    planKey: 'dealProducts',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: dealProductEndpoints,
    dentrixKey: { in: 'marker', field: 'comments' },
    rollbackCheck: 'deal_products',
    ops: {
      create: async (client, { body, fields }) => {
        const dealId = fields.deal_id as number;
        const attached = await client.addDealProduct(dealId, body as DealProductInput);
        return composeDealProductId(dealId, attached.id);
      },
      update: async (client, id, body) => {
        const [dealId, attachmentId] = splitDealProductId(id);
        await client.updateDealProduct(dealId, attachmentId, body);
      },
      read: async (client, id) => {
        const [dealId, attachmentId] = splitDealProductId(id);
        return plainOrNone((await unlessGone(() => client.listDealProducts(dealId), [])).find((p) => p.id === attachmentId));
      },
      readBack: async (client, ids) => {
        const found = new Map<string, ApiRecord>();
        const deals = [...new Set(ids.map((id) => splitDealProductId(id)[0]))];
        for (const group of chunk(deals, 100)) {
          for (const p of await client.listProductsForDeals(group)) found.set(composeDealProductId(p.deal_id, p.id), { ...plain(p) });
        }
        return found;
      },
      liveRecords: async (client, ids) => {
        // A deal that is gone lists no products: its attachments count as gone too.
        const wanted = new Set(ids);
        const deals = [...new Set(ids.map((id) => splitDealProductId(id)[0]))];
        const records = new Map<string, ApiRecord>();
        for (const group of chunk(deals, 100)) {
          for (const p of await client.listProductsForDeals(group)) {
            const id = composeDealProductId(p.deal_id, p.id);
            if (wanted.has(id)) records.set(id, plain(p));
          }
        }
        return { records, tokens: chunk(deals, 100).length * dealProductEndpoints.getMany.tokens };
      },
      // One attachment, without reading the deal first: a 404 says it is already gone (3 tokens either way).
      delete: async (client, id) => {
        const [dealId, attachmentId] = splitDealProductId(id);
        return client.deleteDealProduct(dealId, attachmentId);
      },
      deleteByParent: {
        parentOf: (id) => splitDealProductId(id)[0],
        // One bulk delete (15 tokens, ≤100) beats single deletes (3 each) above 5.
        bulkAbove: Math.floor(dealProductEndpoints.bulkDelete.tokens / dealProductEndpoints.delete.tokens),
        bulkMax: DEAL_PRODUCTS_PER_BULK_REQUEST,
        // Nothing is read first: the bulk answer names the attachments it deleted, a single delete answers 404 for one
        // already gone, and a deal that is gone answers 404 for all of them.
        remove: async (client, dealId, ids, bulk) => {
          const attachments = ids.map((id) => splitDealProductId(id)[1]);
          if (bulk) return new Set((await client.deleteDealProducts(dealId, attachments)).map((a) => composeDealProductId(dealId, a)));
          const deleted = new Set<string>();
          for (const a of attachments) if ((await client.deleteDealProduct(dealId, a)) === 'deleted') deleted.add(composeDealProductId(dealId, a));
          return deleted;
        },
      },
      recover: async function* (client, q) {
        const dealId = q.dealId;
        if (!dealId) return;
        const attached = plainAll(await client.listDealProducts(dealId));
        yield {
          tokens: dealProductEndpoints.list.tokens,
          candidates: pageOf(attached, (r) => composeDealProductId(dealId, r.id as number)),
          checkWrittenSince: false,
        };
      },
    },
  },
  /** Appointments and recalls. */
  activity: {
    rank: 60,
    kind: 'data',
    loadsAfter: ['person', 'deal'],
    api: 'v2',
    collection: 'activities',
    planKey: 'activities',
    pageSize: V2_MAX_PAGE_SIZE,
    endpoints: activityEndpoints,
    fingerprintOrder: 3,
    dentrixKey: { in: 'marker', field: 'note' },
    rollbackCheck: 'list_by_ids',
    // Activities carry their key in a note marker (not searchable): the person's activities changed since the attempt.
    ops: v2DataOps('activities', activityEndpoints, { updatedSince: true, byPerson: true, checkWrittenSince: false }),
  },
  note: {
    rank: 70,
    kind: 'data',
    loadsAfter: ['person', 'deal'],
    api: 'v1',
    planKey: 'notes',
    pageSize: V1_MAX_PAGE_SIZE,
    endpoints: noteEndpoints,
    dentrixKey: { in: 'marker', field: 'content' },
    rollbackCheck: 'list_or_get',
    ops: {
      create: async (client, { body }) => String((await client.createNote(body as NoteInput)).id),
      update: async (client, id, body) => void (await client.updateNote(Number(id), body)),
      read: async (client, id) => plainOrNone(await client.getNote(Number(id))),
      readBack: (client, ids, personIds, pass?, meter?) => readBackCheapest(client, noteReadOps, ids, personIds, pass, meter),
      liveRecords: (client, ids) => liveByCheapest(client, noteReadOps, ids),
      delete: (client, id) => client.deleteNote(Number(id)),
      recover: async function* (client, q) {
        // v1 takes `YYYY-MM-DD HH:MM:SS`.
        const query: Record<string, unknown> = { updated_since: q.since.replace('T', ' ').replace('Z', ''), limit: V1_MAX_PAGE_SIZE };
        if (q.personId) query.person_id = q.personId;
        for await (const page of client.listNotes(query)) {
          yield { tokens: noteEndpoints.list.tokens, candidates: pageOf(plainAll(page)), checkWrittenSince: false };
        }
      },
    },
  },
  /** Non-imaging documents, uploaded as files. */
  file: {
    rank: 80,
    kind: 'data',
    loadsAfter: ['person'],
    api: 'v1',
    planKey: 'files',
    pageSize: V1_FILES_MAX_PAGE_SIZE,
    endpoints: fileEndpoints,
    dentrixKey: { in: 'file_name_prefix', field: 'name' },
    rollbackCheck: 'list_or_get',
    ops: {
      create: async (client, { body }) => {
        // Exactly the bytes the load read and checked before the pending mark (one read: what was checked moves).
        // A document is attached to its person; a review file to the record it belongs to (reviewFileLink).
        const { file, ...link } = body as Partial<FileLink> & { file: { name: string; content?: Buffer } };
        if (!file.content) throw new FileNotCheckedError();
        return String((await client.uploadFile({ content: file.content, filename: file.name, ...link })).id);
      },
      read: async (client, id) => plainOrNone(await client.getFile(Number(id))),
      // A person that is gone answers 404 to its file listing ("Person not found"): its files are missing, which the diff reports.
      readBack: (client, ids, personIds, pass?, meter?) => readBackCheapest(client, fileReadOps, ids, personIds, pass, meter),
      liveRecords: (client, ids) => liveByCheapest(client, fileReadOps, ids),
      delete: (client, id) => client.deleteFile(Number(id)),
      recover: async function* (client, q) {
        const tokens = (q.personId ? fileEndpoints.listByPerson : fileEndpoints.list).tokens;
        for await (const page of client.listFiles(q.personId ? { person_id: q.personId } : {})) {
          yield { tokens, candidates: pageOf(plainAll(page)), checkWrittenSince: false };
        }
      },
    },
  },
} as const satisfies Record<string, DataTypeEntry | SchemaTypeEntry>;

/** What a file is attached to in Pipedrive (POST /v1/files takes one of these). */
export type FileLinkKey = 'person_id' | 'deal_id' | 'org_id' | 'product_id' | 'activity_id';
export type FileLink = { [K in FileLinkKey]: Record<K, number> }[FileLinkKey];

/**
 * Where a record's review file is attached: the record itself where Pipedrive attaches files to its type, else the
 * record it belongs to (a note's person, deal or organization; a deal product's deal; a document's person).
 * Undefined when there is none to attach it to.
 */
export function reviewFileLink(entity: DataObjectType, pipedriveId: string, fields: Record<string, unknown>): FileLink | undefined {
  const id = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined);
  const own = id(Number(pipedriveId));
  const first = (...links: [FileLinkKey, unknown][]): FileLink | undefined => {
    for (const [key, value] of links) if (id(value) !== undefined) return { [key]: id(value) } as FileLink;
    return undefined;
  };
  switch (entity) {
    case 'person':
      return first(['person_id', own]);
    case 'organization':
      return first(['org_id', own]);
    case 'deal':
      return first(['deal_id', own]);
    case 'product':
      return first(['product_id', own]);
    case 'activity':
      return first(['activity_id', own]);
    case 'note':
      return first(['person_id', fields.person_id], ['deal_id', fields.deal_id], ['org_id', fields.org_id]);
    case 'deal_product':
      return first(['deal_id', fields.deal_id]);
    case 'file':
      return first(['person_id', fields.person_id]);
  }
}

/** A document file reached the upload without the load's read and check (a bug, not bad data). */
export class FileNotCheckedError extends Error {
  constructor() {
    super('a document file reached the upload unchecked: documentFile reads and checks it before the create');
    this.name = 'FileNotCheckedError';
  }
}

export type ObjectType = keyof typeof OBJECT_TYPES;
type EntryOf<T extends ObjectType> = (typeof OBJECT_TYPES)[T];
/** The Pipedrive records a migration writes (one per source record). */
export type DataObjectType = { [T in ObjectType]: EntryOf<T>['kind'] extends 'data' ? T : never }[ObjectType];
/** Entities whose custom fields the API lets us create (activities have none: activityFields is read-only). */
export type CustomFieldEntity = { [T in DataObjectType]: EntryOf<T> extends { customFields: object } ? T : never }[DataObjectType];
export type PlanKey = EntryOf<DataObjectType>['planKey'];
export type RefTarget = { [T in ObjectType]: EntryOf<T> extends { refTarget: true } ? T : never }[ObjectType];

const ALL_TYPES = Object.keys(OBJECT_TYPES) as ObjectType[];
const byRank = (a: ObjectType, b: ObjectType) => OBJECT_TYPES[a].rank - OBJECT_TYPES[b].rank;

/** Every object type in dependency order, schema types first. */
export const OBJECT_TYPE_ORDER: readonly ObjectType[] = [...ALL_TYPES].sort(byRank);
/** The records a migration writes, in load (dependency) order. */
export const LOAD_ORDER = OBJECT_TYPE_ORDER.filter((t): t is DataObjectType => OBJECT_TYPES[t].kind === 'data') as readonly DataObjectType[];
/**
 * The run's object types in waves: every type of a wave loads at the same time, once every type it loads after (its
 * `loadsAfter`, among the run's types) is in an earlier wave. Load order within a wave and across waves is LOAD_ORDER's.
 */
export function loadWaves(objectTypes: readonly DataObjectType[]): DataObjectType[][] {
  const graph = loadGraph(objectTypes);
  const waveOf = new Map<DataObjectType, number>();
  for (const t of LOAD_ORDER.filter((t) => t in graph)) waveOf.set(t, Math.max(-1, ...graph[t]!.map((d) => waveOf.get(d)!)) + 1);
  const waves: DataObjectType[][] = [];
  for (const [t, wave] of waveOf) (waves[wave] ??= []).push(t);
  return waves;
}
/**
 * The run's types, each with the run's types it loads after (its `loadsAfter` among them): a type loads once those
 * have loaded, and waits for no other.
 */
export function loadGraph(objectTypes: readonly DataObjectType[]): Partial<Record<DataObjectType, DataObjectType[]>> {
  const inRun = new Set(objectTypes);
  return Object.fromEntries(
    LOAD_ORDER.filter((t) => inRun.has(t)).map((t) => [
      t,
      (OBJECT_TYPES[t] as DataTypeEntry).loadsAfter.filter((d): d is DataObjectType => inRun.has(d as DataObjectType)),
    ]),
  );
}
/** Every data type that is loaded before `t` (its `loadsAfter`, theirs, and so on): what its records may link to. */
export function loadedBefore(t: DataObjectType): Set<DataObjectType> {
  const before = new Set<DataObjectType>();
  const visit = (u: DataObjectType) => {
    for (const d of (OBJECT_TYPES[u] as DataTypeEntry).loadsAfter as readonly DataObjectType[]) {
      if (!before.has(d)) {
        before.add(d);
        visit(d);
      }
    }
  };
  visit(t);
  return before;
}
/** Rollback undoes in the exact reverse of the load order: children before the records they point at, the schema last. */
export const ROLLBACK_ORDER: readonly ObjectType[] = [...OBJECT_TYPE_ORDER].reverse();
/** What a field map's `ref` transform may point at, in dependency order. */
export const REF_TARGETS = OBJECT_TYPE_ORDER.filter((t): t is RefTarget => (OBJECT_TYPES[t] as Common).refTarget === true);

/** Entities whose custom fields the migration creates, in the order the SCHEMA phase creates them. */
export const CUSTOM_FIELD_ENTITIES = LOAD_ORDER.filter((t): t is CustomFieldEntity => 'customFields' in OBJECT_TYPES[t]).sort(
  (a, b) => fieldsOf(a).order - fieldsOf(b).order,
) as readonly CustomFieldEntity[];

function fieldsOf(entity: WritableFieldEntity): FieldEndpoints & { order: number } {
  const fields = (OBJECT_TYPES[entity] as DataTypeEntry).customFields;
  if (!fields) throw new Error(`${entity} takes no custom fields`);
  return fields;
}

export function isObjectType(name: string): name is ObjectType {
  return Object.prototype.hasOwnProperty.call(OBJECT_TYPES, name);
}

export function isDataObjectType(name: string): name is DataObjectType {
  return isObjectType(name) && OBJECT_TYPES[name].kind === 'data';
}

export function isCustomFieldEntity(name: string): name is CustomFieldEntity {
  return isDataObjectType(name) && 'customFields' in OBJECT_TYPES[name];
}

/** A type's entry; an unknown name is a programming error. */
export function objectType(name: string): DataTypeEntry | SchemaTypeEntry {
  if (!isObjectType(name)) throw new Error(`unknown object type "${name}"`);
  return OBJECT_TYPES[name];
}

export function dataObjectType(name: string): DataTypeEntry {
  if (!isDataObjectType(name)) throw new Error(`"${name}" is not an object type the migration writes records of`);
  return OBJECT_TYPES[name];
}

/** The custom-field endpoints of an entity. */
export function fieldEndpointsOf(entity: CustomFieldEntity): FieldEndpoints {
  return fieldsOf(entity);
}

/** The reads a data type's records have (what `readBack` chooses among): v1 notes' and files' own, else v2's. */
export function readsOf(type: DataObjectType): TypeReads {
  if (type === 'note') return NOTE_READS;
  if (type === 'file') return FILE_READS;
  return v2Reads(OBJECT_TYPES[type].endpoints);
}

/** Pipedrive's own activity types, which every account has (the SCHEMA phase creates only the map's others). */
export const PIPEDRIVE_DEFAULT_ACTIVITY_TYPES: readonly string[] = ['call', 'meeting', 'task', 'deadline', 'email', 'lunch'];

/** The v2 collections of the API-listing fingerprint, in its order. */
export function fingerprintCollections(): V2Collection[] {
  return OBJECT_TYPE_ORDER.map((t) => OBJECT_TYPES[t] as Common & { collection?: V2Collection })
    .filter((e): e is Common & { collection: V2Collection; fingerprintOrder: number } => e.fingerprintOrder !== undefined && e.collection !== undefined)
    .sort((a, b) => a.fingerprintOrder - b.fingerprintOrder)
    .map((e) => e.collection);
}

export function dentrixKeyOf(entity: DataObjectType): SourceKeyLocation {
  return OBJECT_TYPES[entity].dentrixKey;
}

// ---------------------------------------------------------------------------------------------------------------
// The audit log's view: which request a write was

export type WriteAction = 'create' | 'update' | 'delete' | 'bulk_create';

const ACTION_ENDPOINT: Record<WriteAction, keyof Endpoints> = { create: 'create', bulk_create: 'bulkCreate', update: 'update', delete: 'delete' };

/**
 * The custom-field entity of a schema row: from its ledger id (`person/<code>[/<option>]`) or, while it is pending
 * and has none, from its source key (`field:person:<name>`, `option:person:<name>:<label>`).
 */
export function fieldEntityOf(ref: { pipedriveId?: string | null; sourceKey?: string | null }): CustomFieldEntity {
  const entity = ref.pipedriveId ? ref.pipedriveId.split('/')[0] : ref.sourceKey?.split(':')[1];
  if (!entity || !isCustomFieldEntity(entity))
    throw new Error(`cannot tell the entity of a custom field from ${ref.pipedriveId ?? ref.sourceKey ?? 'nothing'}`);
  return entity;
}

/** The endpoint a write of this type is sent to. Custom fields and options are per entity: name the row. */
export function endpointFor(name: string, action: WriteAction, ref: { pipedriveId?: string | null; sourceKey?: string | null } = {}): Endpoint {
  const entry = objectType(name);
  const endpoints = 'perEntity' in entry && entry.perEntity ? entry.perEntity(fieldEntityOf(ref)) : entry.endpoints;
  const e = endpoints[ACTION_ENDPOINT[action]];
  if (!e) throw new Error(`object type "${name}" has no ${action} endpoint`);
  return e;
}

/** The audit log's method, endpoint label and spec token cost of one write. */
export function writeOperation(
  name: string,
  action: WriteAction,
  ref: { pipedriveId?: string | null; sourceKey?: string | null } = {},
): { method: string; endpoint: string; tokens: number } {
  const e = endpointFor(name, action, ref);
  return { method: e.method, endpoint: e.label, tokens: e.tokens };
}
