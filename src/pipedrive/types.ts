/**
 * The request bodies and records the product uses, named from the types generated out of Pipedrive's pinned OpenAPI
 * specs (`packages/pipedrive-spec/generated/v1.ts` and `v2.ts`, made by `npm run gen:types` from its `specs/`): a body is
 * the operation's `requestBody`, a record the `data` of its 200/201 answer. v2 for the core entities, fields, deal
 * products and search; v1 for users, activity types, notes, files and organization relationships.
 *
 * Written here by hand, because the specs do not say it:
 * - what the answers always carry but the specs leave optional: records' ids (`WithId`), deal products' deal and
 *   product ids, field options' numeric `id` and `label`, search hits' `item.id`, users' name and email;
 * - what the product sends beyond the spec's schema: v1 PUT clears a note's link with null (`NoteUpdate`), the field
 *   map names an activity type's icon freely (Pipedrive refuses an unknown one), and product prices (the schema
 *   declares no properties for them; its description names currency, price, cost and direct cost);
 * - the multipart file upload (`FileUpload`), the response envelopes and v1 pagination (inlined per operation in the
 *   specs), and `FieldSearchHit` (the spec's schema and example of `/itemSearch/field` disagree).
 *
 * v2 timestamps are RFC 3339 (`2021-01-01T00:00:00Z`); v1 timestamps are `YYYY-MM-DD HH:MM:SS` in UTC.
 */
import type { paths as V1Paths } from '@dentrix-pipedrive/pipedrive-spec/generated/v1';
import type { paths as V2Paths } from '@dentrix-pipedrive/pipedrive-spec/generated/v2';

export type { V1Paths, V2Paths };

// --- Reading the generated types ---

type Verb = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** An operation's JSON request body. */
type JsonBody<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The `data` of an operation's successful JSON answer (200, or 201 for the creates that say so). */
type OkData<Op> = Op extends { responses: { 200: { content: { 'application/json': infer R } } } }
  ? DataOf<R>
  : Op extends { responses: { 201: { content: { 'application/json': infer R } } } }
    ? DataOf<R>
    : never;
type DataOf<R> = R extends { data?: infer D } ? NonNullable<D> : never;
/** One element of a list answer. */
type Item<T> = T extends readonly (infer I)[] ? I : never;

export type V2Body<P extends keyof V2Paths, M extends Verb> = JsonBody<V2Paths[P][M]>;
export type V2Data<P extends keyof V2Paths, M extends Verb> = OkData<V2Paths[P][M]>;
export type V1Body<P extends keyof V1Paths, M extends Verb> = JsonBody<V1Paths[P][M]>;
export type V1Data<P extends keyof V1Paths, M extends Verb> = OkData<V1Paths[P][M]>;
/** An operation's query parameters. */
export type V1Query<P extends keyof V1Paths, M extends Verb> = NonNullable<V1Paths[P][M] extends { parameters: { query?: infer Q } } ? Q : never>;

/** Pipedrive answers every record with its id; the specs leave every response property optional. */
export type WithId<T> = T & { id: number };
/** `T` with the keys `K` made required and non-null. */
type Requiring<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

// --- Persons, organizations, deals, activities, products (v2) ---

export type Person = WithId<V2Data<'/persons/{id}', 'get'>>;
export type PersonInput = V2Body<'/persons', 'post'>;
export type PersonUpdate = V2Body<'/persons/{id}', 'patch'>;

export type Organization = WithId<V2Data<'/organizations/{id}', 'get'>>;
export type OrganizationInput = V2Body<'/organizations', 'post'>;
export type OrganizationUpdate = V2Body<'/organizations/{id}', 'patch'>;

export type Deal = WithId<V2Data<'/deals/{id}', 'get'>>;
export type DealInput = V2Body<'/deals', 'post'>;
export type DealUpdate = V2Body<'/deals/{id}', 'patch'>;

export type Activity = WithId<V2Data<'/activities/{id}', 'get'>>;
export type ActivityInput = V2Body<'/activities', 'post'>;
export type ActivityUpdate = V2Body<'/activities/{id}', 'patch'>;

export type Product = WithId<V2Data<'/products/{id}', 'get'>>;
/** A price of a product, one per currency. The spec's schema declares `prices` items without properties; its description names these. */
export interface ProductPrice {
  currency: string;
  price: number;
  cost?: number;
  direct_cost?: number;
}
type WithPrices<T> = Omit<T, 'prices'> & { prices?: ProductPrice[] };
export type ProductInput = WithPrices<V2Body<'/products', 'post'>>;
/** An update replaces the whole `prices` array. */
export type ProductUpdate = WithPrices<V2Body<'/products/{id}', 'patch'>>;

// --- Pipelines and stages (v2) ---

export type Pipeline = WithId<V2Data<'/pipelines/{id}', 'get'>>;
export type PipelineInput = V2Body<'/pipelines', 'post'>;
export type PipelineUpdate = V2Body<'/pipelines/{id}', 'patch'>;

export type Stage = WithId<V2Data<'/stages/{id}', 'get'>>;
export type StageInput = V2Body<'/stages', 'post'>;
export type StageUpdate = V2Body<'/stages/{id}', 'patch'>;

/** The v2 collections the client reads and writes generically (`create`, `get`, `update`, `remove`, `listPages`). */
export interface V2Collections {
  persons: { record: Person; create: PersonInput; update: PersonUpdate };
  organizations: { record: Organization; create: OrganizationInput; update: OrganizationUpdate };
  deals: { record: Deal; create: DealInput; update: DealUpdate };
  activities: { record: Activity; create: ActivityInput; update: ActivityUpdate };
  products: { record: Product; create: ProductInput; update: ProductUpdate };
  pipelines: { record: Pipeline; create: PipelineInput; update: PipelineUpdate };
  stages: { record: Stage; create: StageInput; update: StageUpdate };
}

// --- Deal products (v2) ---

/** A product attached to a deal; `id` is the attachment id (`product_attachment_id`), not the product id. */
export type DealProduct = Requiring<WithId<Item<V2Data<'/deals/{id}/products', 'get'>>>, 'deal_id' | 'product_id'>;
export type DealProductInput = V2Body<'/deals/{id}/products', 'post'>;
export type DealProductUpdate = V2Body<'/deals/{id}/products/{product_attachment_id}', 'patch'>;
/** `POST /deals/{id}/products/bulk`: at most 100 items per request. */
export type DealProductsBulkInput = V2Body<'/deals/{id}/products/bulk', 'post'>;

// --- Fields (v2) ---

/**
 * An option of an enum/set field. The field listing types option ids as `number | string` and leaves id and label
 * optional; Pipedrive answers numeric ids and labels, as the options endpoint's own answer declares.
 */
export type FieldOption = Item<V2Data<'/personFields/{field_code}/options', 'post'>> & Omit<NonNullable<Item<GeneratedField['options']>>, 'id' | 'label'>;
type GeneratedField = Item<V2Data<'/personFields', 'get'>>;
/** A field of any entity (the four entities' field schemas are the same); `field_code` is 40-hex for custom fields. */
export type Field = Omit<GeneratedField, 'options'> & { options?: FieldOption[] | null };
/** `POST /{entity}Fields`. */
export type FieldInput = V2Body<'/personFields', 'post'>;
export type FieldOptionInput = Item<V2Body<'/personFields/{field_code}/options', 'post'>>;
export type FieldOptionDelete = Item<V2Body<'/personFields/{field_code}/options', 'delete'>>;

// --- Search (v2) ---

type SearchHits<P extends keyof V2Paths> = NonNullable<V2Data<P, 'get'> extends { items?: infer I } ? I : never>;
/** One ranked hit; Pipedrive always answers the hit's item with its id (the spec leaves both optional). */
type Hit<H> = Omit<H, 'item'> & { item: WithId<NonNullable<H extends { item?: infer I } ? I : never>> };
export interface SearchResults {
  persons: Hit<Item<SearchHits<'/persons/search'>>>;
  organizations: Hit<Item<SearchHits<'/organizations/search'>>>;
  deals: Hit<Item<SearchHits<'/deals/search'>>>;
  products: Hit<Item<SearchHits<'/products/search'>>>;
}

/** One hit of `GET /itemSearch/field` (the spec's example shape; its schema shows `{result_score, item}`, which is normalised to this). */
export interface FieldSearchHit {
  id: number;
  name?: string;
}

// --- Users and activity types (v1) ---

/** Every Pipedrive user has a name and logs in with an email (the spec leaves both optional). */
export type User = Requiring<WithId<Item<V1Data<'/users', 'get'>>>, 'name' | 'email'>;
/** The token's own user, with `company_domain`. */
export type CurrentUser = WithId<V1Data<'/users/me', 'get'>>;

export type ActivityType = WithId<Item<V1Data<'/activityTypes', 'get'>>>;
type GeneratedActivityTypeInput = V1Body<'/activityTypes', 'post'>;
/** The field map names the icon freely (`icon_key` is a string there): Pipedrive refuses one it does not know. */
export type ActivityTypeInput = Omit<GeneratedActivityTypeInput, 'icon_key'> & { icon_key: GeneratedActivityTypeInput['icon_key'] | (string & {}) };

// --- Notes (v1) ---

export type Note = WithId<V1Data<'/notes/{id}', 'get'>>;
export type NoteInput = V1Body<'/notes', 'post'>;
/** `PUT /notes/{id}`. The product clears a note's link or author with null, which the spec does not declare. */
export type NoteUpdate = { [K in keyof V1Body<'/notes/{id}', 'put'>]?: V1Body<'/notes/{id}', 'put'>[K] | null };
/** `GET /notes`; `limit` is the page size, at most 500 (default here: 500); the client pages with `start`. */
export type NoteListQuery = Omit<V1Query<'/notes', 'get'>, 'start'>;

// --- Files (v1) ---

/** Named `PdFile` so it does not shadow the DOM/Node `File`. */
export type PdFile = WithId<V1Data<'/files/{id}', 'get'>>;

/** A multipart upload (`POST /files`): the bytes, the name, and the one record it is attached to. */
export interface FileUpload {
  content: Buffer;
  filename: string;
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
  person_id?: number;
  deal_id?: number;
  org_id?: number;
  product_id?: number;
  activity_id?: number;
}

export interface FileListQuery extends Omit<V1Query<'/files', 'get'>, 'start'> {
  /** List one record's files (`GET /v1/persons/{id}/files` etc.) instead of the whole account's; give at most one. */
  person_id?: number;
  deal_id?: number;
  org_id?: number;
}

// --- Organization relationships (v1) ---

export type OrgRelationship = WithId<V1Data<'/organizationRelationships/{id}', 'get'>>;
export type OrgRelationshipInput = V1Body<'/organizationRelationships', 'post'>;

// --- Envelopes ---

export interface V2Envelope<T> {
  success: boolean;
  data: T;
  additional_data?: { next_cursor?: string | null } & Record<string, unknown>;
}

export interface V1Pagination {
  start: number;
  limit: number;
  more_items_in_collection: boolean;
  next_start?: number;
}

export interface V1Envelope<T> {
  success: boolean;
  data: T;
  additional_data?: { pagination?: V1Pagination } & Record<string, unknown>;
}
