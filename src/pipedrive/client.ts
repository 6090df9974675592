import FormData from 'form-data';
import { isPipedriveError, PipedriveError } from './errors';
import { collectPages, cursorPages, offsetPages, V1_FILES_MAX_PAGE_SIZE, V1_MAX_PAGE_SIZE, V2_MAX_PAGE_SIZE } from './pagination';
import {
  PipedriveTransport,
  type ApiResponse,
  type ClientUsage,
  type HttpMethod,
  type Pacing,
  type PipedriveClientOptions,
  type RequestSpec,
  type V1Path,
  type V2Path,
} from './transport';
import type {
  ActivityType,
  ActivityTypeInput,
  CurrentUser,
  DealProduct,
  DealProductInput,
  DealProductsBulkInput,
  DealProductUpdate,
  Field,
  FieldInput,
  FieldOption,
  FieldOptionDelete,
  FieldOptionInput,
  FieldSearchHit,
  FileListQuery,
  FileUpload,
  Note,
  NoteInput,
  NoteListQuery,
  NoteUpdate,
  OrgRelationship,
  OrgRelationshipInput,
  PdFile,
  SearchResults,
  User,
  V1Envelope,
  V1Pagination,
  V2Collections,
  V2Envelope,
} from './types';

export type { ClientUsage, Pacing, PipedriveClientOptions, RequestEvent, RequestSpec, HttpMethod, V1Path, V2Path } from './transport';

export type V2Collection = keyof V2Collections;
/** A v2 collection's record, create body and update body, as the pinned spec declares them. */
export type V2Record<C extends V2Collection> = V2Collections[C]['record'];
export type V2CreateBody<C extends V2Collection> = V2Collections[C]['create'];
export type V2UpdateBody<C extends V2Collection> = V2Collections[C]['update'];
export type FieldEntity = 'person' | 'organization' | 'deal' | 'product' | 'activity';
/** Entities whose custom fields can be created through the API (activity fields are read-only). */
export type WritableFieldEntity = Exclude<FieldEntity, 'activity'>;
export type SearchCollection = keyof SearchResults;

export interface SearchParams {
  /** At least 2 characters, or 1 with `exactMatch`. */
  term: string;
  /** Comma-separated subset, e.g. `custom_fields` (only varchar/text/phone/address/double/monetary/varchar_auto fields are searchable). */
  fields?: string;
  /** Whole-value match; still case-insensitive, so confirm hits on the client. */
  exactMatch?: boolean;
  /** One page of up to this many results (default 100, at most 500). */
  limit?: number;
}

export interface FieldSearchParams {
  entityType: 'deal' | 'person' | 'organization' | 'product';
  /** The field's key (40-hex `field_code` for custom fields). */
  field: string;
  term: string;
  /** Case-sensitive. Default `exact`. */
  match?: 'exact' | 'beginning' | 'middle';
  /** One page of up to this many hits (default 100, at most 500). */
  limit?: number;
}

/** Pipedrive's entity-per-request limits for the deal-product batch endpoints. */
export const DEAL_PRODUCTS_BULK_MAX = 100;
export const DEALS_PER_PRODUCT_LISTING_MAX = 100;

const FIELD_PATH = {
  person: '/personFields',
  organization: '/organizationFields',
  deal: '/dealFields',
  product: '/productFields',
  activity: '/activityFields',
} as const satisfies Record<FieldEntity, V2Path>;

/**
 * Pipedrive API client for the migration's activities: v2 for the core entities, fields, deal products and search;
 * v1 only where v2 has nothing (users, activity types, notes, files, organization relationships).
 *
 * One instance per account and process: concurrent callers share its pacing (burst window, search window), its token
 * accounting and its knowledge of the daily budget. Failures are `PipedriveError`s (see errors.ts); the client
 * retries by itself only where that cannot duplicate a write (burst 429s; transient failures of GET/PUT/PATCH/DELETE)
 * and never a POST that may have reached Pipedrive, which comes back with `outcomeUnknown: true`.
 */
export class PipedriveClient {
  private readonly transport: PipedriveTransport;
  private readonly useReserve: boolean;

  /** A new client, or (given a transport) a view that shares another client's pacing and budget. */
  constructor(opts: PipedriveClientOptions | PipedriveTransport, view: { useReserve?: boolean } = {}) {
    this.transport = opts instanceof PipedriveTransport ? opts : new PipedriveTransport(opts);
    this.useReserve = view.useReserve ?? false;
  }

  /**
   * The same client (pacing, token accounting, daily budget all shared) allowed to spend the daily budget's reserve:
   * for rollback, which must not wait for tomorrow while the migration's own share is spent. Close the original,
   * not the view.
   */
  withBudgetReserve(): PipedriveClient {
    return new PipedriveClient(this.transport, { useReserve: true });
  }

  // --- v2 core entities ---
  // Bodies and records are the collection's, from the pinned spec (types.ts). The overloads with a type argument
  // read the answer as the caller's own view of the record, unchecked; they are kept for callers written before the
  // generated types and take the same typed bodies.

  /** Creates one record and returns it (with its new `id`). */
  create<C extends V2Collection>(collection: C, body: V2CreateBody<C>): Promise<V2Record<C>>;
  /** @deprecated The answer as the caller's own view of the record, unchecked: drop the type argument. */
  create<T>(collection: V2Collection, body: V2CreateBody<V2Collection>): Promise<T>;
  async create(collection: V2Collection, body: V2CreateBody<V2Collection>): Promise<unknown> {
    return this.v2Data({ version: 'v2', method: 'POST', path: `/${collection}`, body });
  }

  /** One record, or undefined when Pipedrive answers 404/410 (never existed, or deleted and purged). */
  get<C extends V2Collection>(collection: C, id: number, query?: object): Promise<V2Record<C> | undefined>;
  /** @deprecated The answer as the caller's own view of the record, unchecked: drop the type argument. */
  get<T>(collection: V2Collection, id: number, query?: object): Promise<T | undefined>;
  async get(collection: V2Collection, id: number, query?: object): Promise<unknown> {
    return this.orUndefinedIfGone(() => this.v2Data({ version: 'v2', method: 'GET', path: `/${collection}/{id}`, pathParams: { id: checkId(id) }, query }));
  }

  /** PATCH: only the given keys change. */
  async update<C extends V2Collection>(collection: C, id: number, body: V2UpdateBody<C>): Promise<V2Record<C>> {
    return this.v2Data<V2Record<C>>({ version: 'v2', method: 'PATCH', path: `/${collection}/{id}`, pathParams: { id: checkId(id) }, body });
  }

  /** Soft delete (Pipedrive purges after 30 days). 'not_found' when it is already gone, so rollbacks can repeat. */
  async remove(collection: V2Collection, id: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({ version: 'v2', method: 'DELETE', path: `/${collection}/{id}`, pathParams: { id: checkId(id) } });
  }

  /** Pages of a v2 list (500 per page unless `query.limit` says otherwise), following `next_cursor`. */
  listPages<C extends V2Collection>(collection: C, query?: object): AsyncGenerator<V2Record<C>[]>;
  /** @deprecated The answer as the caller's own view of the record, unchecked: drop the type argument. */
  listPages<T>(collection: V2Collection, query?: object): AsyncGenerator<T[]>;
  listPages(collection: V2Collection, query?: object): AsyncGenerator<unknown[]> {
    return this.v2Pages(`/${collection}`, query);
  }

  listAll<C extends V2Collection>(collection: C, query?: object): Promise<V2Record<C>[]>;
  /** @deprecated The answer as the caller's own view of the record, unchecked: drop the type argument. */
  listAll<T>(collection: V2Collection, query?: object): Promise<T[]>;
  async listAll(collection: V2Collection, query?: object): Promise<unknown[]> {
    return collectPages(this.v2Pages(`/${collection}`, query));
  }

  // --- Search (10 requests per 2 s, 20 tokens each) ---

  /** One page of ranked results. `exact_match` is case-insensitive: confirm a hit on the client before trusting it. */
  async search<C extends SearchCollection>(collection: C, params: SearchParams): Promise<SearchResults[C][]> {
    checkSearchTerm(params.term, params.exactMatch === true, `GET /api/v2/${collection}/search`);
    const data = await this.v2Data<{ items?: SearchResults[C][] | null }>({
      version: 'v2',
      method: 'GET',
      path: `/${collection}/search`,
      query: {
        term: params.term,
        fields: params.fields,
        exact_match: params.exactMatch,
        limit: clampLimit(params.limit ?? 100, V2_MAX_PAGE_SIZE),
      },
    });
    return data?.items ?? [];
  }

  /**
   * `GET /itemSearch/field`: records whose field holds the term (case-sensitive). The spec's example returns
   * `[{id, name}]` while its schema says `[{result_score, item}]`; both are read as hits.
   */
  async searchField(params: FieldSearchParams): Promise<FieldSearchHit[]> {
    const match = params.match ?? 'exact';
    checkSearchTerm(params.term, match === 'exact', 'GET /api/v2/itemSearch/field');
    const data = await this.v2Data<unknown[] | null>({
      version: 'v2',
      method: 'GET',
      path: '/itemSearch/field',
      query: {
        entity_type: params.entityType,
        field: params.field,
        term: params.term,
        match,
        limit: clampLimit(params.limit ?? 100, V2_MAX_PAGE_SIZE),
      },
    });
    return (data ?? []).map(toFieldSearchHit).filter((hit): hit is FieldSearchHit => hit !== undefined);
  }

  // --- Fields (v2) ---

  /** Every field of the entity, system and custom (paginated on the server; collected here). */
  async listFields(entity: FieldEntity): Promise<Field[]> {
    return collectPages(this.v2Pages<Field>(FIELD_PATH[entity]));
  }

  async createField(entity: WritableFieldEntity, body: FieldInput): Promise<Field> {
    return this.v2Data<Field>({ version: 'v2', method: 'POST', path: FIELD_PATH[entity], body });
  }

  /** Marks the field deleted; its values may be lost. 'not_found' when it is already gone. */
  async deleteField(entity: WritableFieldEntity, fieldCode: string): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({
      version: 'v2',
      method: 'DELETE',
      path: `${FIELD_PATH[entity]}/{field_code}`,
      pathParams: { field_code: checkFieldCode(fieldCode) },
    });
  }

  /**
   * Removes one option from an enum/set field; records holding it lose the value. 'not_found' when the field or the
   * option is already gone (Pipedrive fails the whole request for an unknown option id, so look first).
   */
  async deleteFieldOption(entity: WritableFieldEntity, fieldCode: string, optionId: number): Promise<'deleted' | 'not_found'> {
    const pathParams = { field_code: checkFieldCode(fieldCode) };
    let field: Field;
    try {
      field = await this.v2Data<Field>({ version: 'v2', method: 'GET', path: `${FIELD_PATH[entity]}/{field_code}`, pathParams });
    } catch (err) {
      if (err instanceof PipedriveError && err.status === 404) return 'not_found';
      throw err;
    }
    if (!(field.options ?? []).some((o) => Number(o.id) === optionId)) return 'not_found';
    const body: FieldOptionDelete[] = [{ id: optionId }];
    await this.v2Data<unknown>({ version: 'v2', method: 'DELETE', path: `${FIELD_PATH[entity]}/{field_code}/options`, pathParams, body });
    return 'deleted';
  }

  /** Adds options to an enum/set field in one atomic request; returns only the new options (`{id, label}`). */
  async addFieldOptions(entity: WritableFieldEntity, fieldCode: string, labels: string[]): Promise<FieldOption[]> {
    if (labels.length === 0) return [];
    const body: FieldOptionInput[] = labels.map((label) => ({ label }));
    const data = await this.v2Data<FieldOption[] | null>({
      version: 'v2',
      method: 'POST',
      path: `${FIELD_PATH[entity]}/{field_code}/options`,
      pathParams: { field_code: checkFieldCode(fieldCode) },
      body,
    });
    return data ?? [];
  }

  // --- Users (v1) ---

  /** All users in one response (v1 does not paginate it). */
  async listUsers(): Promise<User[]> {
    return (await this.v1Data<User[] | null>({ version: 'v1', method: 'GET', path: '/users' })) ?? [];
  }

  /** The token's own user, with `company_domain`. */
  async me(): Promise<CurrentUser> {
    return this.v1Data<CurrentUser>({ version: 'v1', method: 'GET', path: '/users/me' });
  }

  // --- Activity types (v1) ---

  async listActivityTypes(): Promise<ActivityType[]> {
    return (await this.v1Data<ActivityType[] | null>({ version: 'v1', method: 'GET', path: '/activityTypes' })) ?? [];
  }

  /** The server derives `key_string` (what activities' `type` refers to) from the name. */
  async createActivityType(body: ActivityTypeInput): Promise<ActivityType> {
    return this.v1Data<ActivityType>({ version: 'v1', method: 'POST', path: '/activityTypes', body });
  }

  /** Pipedrive marks the type inactive. 'not_found' when it is already gone. */
  async deleteActivityType(id: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({ version: 'v1', method: 'DELETE', path: '/activityTypes/{id}', pathParams: { id: checkId(id) } });
  }

  // --- Deal products (v2) ---

  /**
   * Attaches many products, 100 per request, in order. Not atomic across chunks: when a later chunk fails the earlier
   * ones are saved, so recover with `listDealProducts(dealId)` before sending again.
   */
  async addDealProducts(dealId: number, items: DealProductInput[]): Promise<DealProduct[]> {
    const added: DealProduct[] = [];
    for (const chunk of chunks(items, DEAL_PRODUCTS_BULK_MAX)) {
      const body: DealProductsBulkInput = { data: chunk };
      const data = await this.v2Data<DealProduct[] | null>({
        version: 'v2',
        method: 'POST',
        path: '/deals/{id}/products/bulk',
        pathParams: { id: checkId(dealId) },
        body,
      });
      added.push(...(data ?? []));
    }
    return added;
  }

  async addDealProduct(dealId: number, item: DealProductInput): Promise<DealProduct> {
    return this.v2Data<DealProduct>({ version: 'v2', method: 'POST', path: '/deals/{id}/products', pathParams: { id: checkId(dealId) }, body: item });
  }

  async updateDealProduct(dealId: number, attachmentId: number, body: DealProductUpdate): Promise<DealProduct> {
    return this.v2Data<DealProduct>({
      version: 'v2',
      method: 'PATCH',
      path: '/deals/{id}/products/{product_attachment_id}',
      pathParams: { id: checkId(dealId), product_attachment_id: checkId(attachmentId) },
      body,
    });
  }

  async listDealProducts(dealId: number): Promise<DealProduct[]> {
    return collectPages(this.v2Pages<DealProduct>('/deals/{id}/products', undefined, { id: checkId(dealId) }));
  }

  /** Products of many deals: `GET /deals/products?deal_ids=`, 100 deals per listing. */
  async listProductsForDeals(dealIds: number[]): Promise<DealProduct[]> {
    const all: DealProduct[] = [];
    for (const chunk of chunks([...new Set(dealIds.map(checkId))], DEALS_PER_PRODUCT_LISTING_MAX)) {
      all.push(...(await collectPages(this.v2Pages<DealProduct>('/deals/products', { deal_ids: chunk }))));
    }
    return all;
  }

  /**
   * Removes the given attachments (`DealProduct.id`), 100 per request, and answers the ids Pipedrive says it deleted
   * (`data.ids`): the others were not attached any more. An empty list sends nothing: Pipedrive would read a missing
   * `ids` as "remove every product of the deal". A deal that is gone (404/410) has nothing left to remove.
   */
  async deleteDealProducts(dealId: number, attachmentIds: number[]): Promise<number[]> {
    const deleted: number[] = [];
    for (const chunk of chunks([...new Set(attachmentIds.map(checkId))], DEAL_PRODUCTS_BULK_MAX)) {
      const answer = await this.orUndefinedIfGone(() =>
        this.v2Data<{ ids?: number[] | null } | null>({
          version: 'v2',
          method: 'DELETE',
          path: '/deals/{id}/products',
          pathParams: { id: checkId(dealId) },
          query: { ids: chunk },
        }),
      );
      deleted.push(...(answer?.ids ?? []));
    }
    return deleted;
  }

  /** One attachment (3 tokens, against 15 for the batch delete). */
  async deleteDealProduct(dealId: number, attachmentId: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({
      version: 'v2',
      method: 'DELETE',
      path: '/deals/{id}/products/{product_attachment_id}',
      pathParams: { id: checkId(dealId), product_attachment_id: checkId(attachmentId) },
    });
  }

  // --- Notes (v1) ---

  /** `add_time` (`YYYY-MM-DD HH:MM:SS`, UTC) may be in the past, which keeps the Dentrix date. */
  async createNote(body: NoteInput): Promise<Note> {
    return this.v1Data<Note>({ version: 'v1', method: 'POST', path: '/notes', body });
  }

  /** Pages of notes matching the filters (500 per page unless `query.limit` says otherwise). */
  listNotes(query: NoteListQuery = {}): AsyncGenerator<Note[]> {
    return this.v1Pages<Note>('/notes', query, V1_MAX_PAGE_SIZE);
  }

  async getNote(id: number): Promise<Note | undefined> {
    return this.orUndefinedIfGone(() => this.v1Data<Note | undefined>({ version: 'v1', method: 'GET', path: '/notes/{id}', pathParams: { id: checkId(id) } }));
  }

  async updateNote(id: number, body: NoteUpdate): Promise<Note> {
    return this.v1Data<Note>({ version: 'v1', method: 'PUT', path: '/notes/{id}', pathParams: { id: checkId(id) }, body });
  }

  async deleteNote(id: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({ version: 'v1', method: 'DELETE', path: '/notes/{id}', pathParams: { id: checkId(id) } });
  }

  // --- Files (v1) ---

  /** Multipart upload attached to one person, deal or organization. */
  async uploadFile(input: FileUpload): Promise<PdFile> {
    const targets = (['person_id', 'deal_id', 'org_id', 'product_id', 'activity_id'] as const).filter((key) => input[key] !== undefined);
    if (targets.length === 0) {
      throw invalidInput('POST /api/v1/files', 'a file must be attached to a person_id, deal_id, org_id, product_id or activity_id');
    }
    const form = new FormData();
    form.append('file', input.content, { filename: input.filename, contentType: input.contentType ?? 'application/octet-stream' });
    for (const key of targets) form.append(key, String(checkId(input[key]!)));
    return this.v1Data<PdFile>({ version: 'v1', method: 'POST', path: '/files', form });
  }

  /** Pages of files (at most 100 per page), of the account or of one person, deal or organization. */
  listFiles(query: FileListQuery = {}): AsyncGenerator<PdFile[]> {
    const { person_id, deal_id, org_id, ...rest } = query;
    const owners = (
      [
        ['/persons/{id}/files', person_id],
        ['/deals/{id}/files', deal_id],
        ['/organizations/{id}/files', org_id],
      ] as const
    ).filter((owner): owner is [(typeof owner)[0], number] => owner[1] !== undefined);
    if (owners.length > 1) throw new TypeError('listFiles takes at most one of person_id, deal_id, org_id');
    const [path, id] = owners[0] ?? (['/files', undefined] as const);
    return this.v1Pages<PdFile>(path, rest, V1_FILES_MAX_PAGE_SIZE, id === undefined ? undefined : { id: checkId(id) });
  }

  async getFile(id: number): Promise<PdFile | undefined> {
    return this.orUndefinedIfGone(() =>
      this.v1Data<PdFile | undefined>({ version: 'v1', method: 'GET', path: '/files/{id}', pathParams: { id: checkId(id) } }),
    );
  }

  async deleteFile(id: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({ version: 'v1', method: 'DELETE', path: '/files/{id}', pathParams: { id: checkId(id) } });
  }

  // --- Organization relationships (v1) ---

  async createOrgRelationship(body: OrgRelationshipInput): Promise<OrgRelationship> {
    return this.v1Data<OrgRelationship>({ version: 'v1', method: 'POST', path: '/organizationRelationships', body });
  }

  /** Every relationship of one organization (v1 returns them in one response). */
  async listOrgRelationships(orgId: number): Promise<OrgRelationship[]> {
    return (
      (await this.v1Data<OrgRelationship[] | null>({
        version: 'v1',
        method: 'GET',
        path: '/organizationRelationships',
        query: { org_id: checkId(orgId) },
      })) ?? []
    );
  }

  async deleteOrgRelationship(id: number): Promise<'deleted' | 'not_found'> {
    return this.deleteOne({ version: 'v1', method: 'DELETE', path: '/organizationRelationships/{id}', pathParams: { id: checkId(id) } });
  }

  // --- Accounting and escape hatch ---

  /** Tokens and requests spent by this client so far, and the last daily-budget headers seen. */
  usage(): ClientUsage {
    return this.transport.usage();
  }

  /** The account's request rate and the round trip observed so far (sizing the batches in flight). */
  pacing(): Pacing {
    return this.transport.pacing();
  }

  /**
   * This many clients on the token, in all processes: this one sends within the `slots` of the burst window it holds
   * (src/runtime/token-shares.ts) and an equal share of the search window.
   */
  allotWindows(clients: number, slots: number): void {
    this.transport.allotWindows(clients, slots);
  }

  /** `wanted` is told when a request waits for room in the burst window beyond the slots this client holds. */
  onWindowWanted(wanted: () => void): void {
    this.transport.onWindowWanted(wanted);
  }

  /** The burst window as this client holds it now (PipedriveTransport.windowState). */
  windowState(): ReturnType<PipedriveTransport['windowState']> {
    return this.transport.windowState();
  }

  /** What this client asked of the token's burst window since the last call: a fraction of it, undefined for more. */
  windowDemand(): number | undefined {
    return this.transport.windowDemand();
  }

  /**
   * Not counted among the token's clients (new, or back after going quiet): no request starts until
   * `allotWindows` counts it; the first request that waits calls `onDemand`.
   */
  standAsideFromWindows(onDemand: () => void): void {
    this.transport.standAsideFromWindows(onDemand);
  }

  /** Whether this client started a request in the last `ms`. */
  activeWithin(ms: number): boolean {
    return this.transport.activeWithin(ms);
  }

  /** The base URL and a hash of the token (never the token): what shares one burst window. */
  tokenKey(): string {
    return this.transport.tokenKey();
  }

  /** Releases the keep-alive sockets this client opened. */
  close(): void {
    this.transport.close();
  }

  /**
   * Any other endpoint, with the same pacing, classification, retries and accounting. `path` is a template below
   * `/api/<version>` (`/deals/{id}/followers`) so that errors and events never carry ids or query values.
   */
  async request(spec: RequestSpec): Promise<ApiResponse> {
    return this.send(spec);
  }

  /** Pages of any v2 list endpoint. */
  v2Pages<T>(path: V2Path, query?: object, pathParams?: Record<string, string | number>): AsyncGenerator<T[]> {
    const pageSize = clampLimit(limitOf(query) ?? V2_MAX_PAGE_SIZE, V2_MAX_PAGE_SIZE);
    return cursorPages<T>(async (cursor) => {
      const { body } = await this.send({
        version: 'v2',
        method: 'GET',
        path,
        pathParams,
        query: { ...query, limit: pageSize, cursor },
      });
      const envelope = body as V2Envelope<T[] | null> | undefined;
      return { items: envelope?.data ?? [], nextCursor: envelope?.additional_data?.next_cursor };
    });
  }

  /** Pages of any v1 list endpoint that uses `start`/`limit`. */
  v1Pages<T>(path: V1Path, query: object = {}, maxPageSize = V1_MAX_PAGE_SIZE, pathParams?: Record<string, string | number>): AsyncGenerator<T[]> {
    const pageSize = clampLimit(limitOf(query) ?? maxPageSize, maxPageSize);
    return offsetPages<T>(async (start) => {
      const { body } = await this.send({
        version: 'v1',
        method: 'GET',
        path,
        pathParams,
        query: { ...query, start, limit: pageSize },
      });
      const envelope = body as V1Envelope<T[] | null> | undefined;
      return { items: envelope?.data ?? [], pagination: v1PaginationOf(envelope?.additional_data) };
    });
  }

  // --- helpers ---

  private send(spec: RequestSpec): Promise<ApiResponse> {
    return this.transport.request(this.useReserve ? { ...spec, useReserve: true } : spec);
  }

  private async v2Data<T>(spec: RequestSpec): Promise<T> {
    const { body } = await this.send(spec);
    return (body as V2Envelope<T> | undefined)?.data as T;
  }

  private async v1Data<T>(spec: RequestSpec): Promise<T> {
    const { body } = await this.send(spec);
    return (body as V1Envelope<T> | undefined)?.data as T;
  }

  private async deleteOne(spec: RequestSpec & { method: Extract<HttpMethod, 'DELETE'> }): Promise<'deleted' | 'not_found'> {
    const result = await this.orUndefinedIfGone(() => this.send(spec));
    return result === undefined ? 'not_found' : 'deleted';
  }

  private async orUndefinedIfGone<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (isPipedriveError(err) && err.reason === 'not_found') return undefined;
      throw err;
    }
  }
}

/** Most v1 lists nest it in `additional_data.pagination`; `/{entity}/{id}/files` puts the same keys at the top. */
function v1PaginationOf(additional: Record<string, unknown> | undefined): V1Pagination | undefined {
  if (!additional) return undefined;
  const nested = additional.pagination;
  if (nested && typeof nested === 'object') return nested as V1Pagination;
  return typeof additional.more_items_in_collection === 'boolean' ? (additional as unknown as V1Pagination) : undefined;
}

function limitOf(query: object | undefined): number | undefined {
  const limit = (query as { limit?: unknown } | undefined)?.limit;
  return typeof limit === 'number' ? limit : undefined;
}

function clampLimit(limit: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(limit)));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function checkId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`expected a positive integer id, got ${String(id)}`);
  return id;
}

function checkFieldCode(fieldCode: string): string {
  if (typeof fieldCode !== 'string' || !/^[A-Za-z0-9_]+$/.test(fieldCode)) throw new TypeError('expected a field code (letters, digits, _)');
  return fieldCode;
}

function checkSearchTerm(term: string, exact: boolean, endpoint: string): void {
  const min = exact ? 1 : 2;
  if (term.trim().length < min) throw invalidInput(endpoint, `the search term needs at least ${min} character(s)${exact ? '' : ' without an exact match'}`);
}

function invalidInput(endpoint: string, why: string): PipedriveError {
  return new PipedriveError({ message: `Not sent to ${endpoint}: ${why}`, failureType: 'permanent', reason: 'invalid_input', endpoint });
}

function toFieldSearchHit(raw: unknown): FieldSearchHit | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const candidate = 'item' in raw && raw.item && typeof raw.item === 'object' ? raw.item : raw;
  const { id, name } = candidate as { id?: unknown; name?: unknown };
  if (typeof id !== 'number') return undefined;
  return typeof name === 'string' ? { id, name } : { id };
}
