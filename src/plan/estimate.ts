/**
 * The plan estimator: how many requests and tokens each phase of a migration spends, and how long that takes
 * within Pipedrive's daily token budget and its burst limit (reference/pipedrive-api.md §1). Pure: counts and
 * options in, an estimate out. Token costs come from the specs' `x-token-cost` via `tokenCost`.
 */
import { SAMPLE_KEEP, selectSamplePatients } from '../activities/sample-selection';
import { MigrationOptionsSchema } from '../config';
import { defaultFieldMap, type FieldMap } from '../mapping';
import {
  cheapestRead,
  CUSTOM_FIELD_ENTITIES,
  DEAL_PRODUCTS_PER_BULK_REQUEST,
  fieldEndpointsOf,
  isDataObjectType,
  LOAD_ORDER,
  OBJECT_TYPES,
  PIPEDRIVE_DEFAULT_ACTIVITY_TYPES,
  readsOf,
  ROLLBACK_ORDER,
  type CustomFieldEntity,
  type DataObjectType,
  type Endpoint,
  type PlanKey,
} from '../object-types/registry';
import { type ApiVersion } from '@dentrix-pipedrive/pipedrive-spec';
import { reserveTokens, type BudgetReserve } from '../pipedrive/daily-budget';
import type { ObjectCounts, SamplePatient, WorkItemTag } from './counts';

/** Pipedrive plans: daily budget multiplier and API-token burst limit (requests per rolling 2 s). */
export const PIPEDRIVE_PLANS = {
  lite: { multiplier: 1, burstPer2s: 20 },
  growth: { multiplier: 2, burstPer2s: 40 },
  premium: { multiplier: 5, burstPer2s: 100 },
  ultimate: { multiplier: 7, burstPer2s: 120 },
} as const;
export type PipedrivePlan = keyof typeof PIPEDRIVE_PLANS;
export const PIPEDRIVE_PLAN_NAMES = Object.keys(PIPEDRIVE_PLANS) as PipedrivePlan[];

/** Daily budget = 30,000 × plan multiplier × seats. */
export const BASE_DAILY_TOKENS = 30_000;
/** `POST/DELETE /deals/{id}/products` in bulk take at most this many items per request, `GET /deals/products` this many deal ids. */
const DEAL_PRODUCTS_BULK_MAX = DEAL_PRODUCTS_PER_BULK_REQUEST;
const DEAL_IDS_PER_LIST = DEAL_PRODUCTS_PER_BULK_REQUEST;

export const PLAN_PHASES = ['schema', 'sample', 'full', 'verify', 'delta', 'rollback'] as const;
export type PlanPhase = (typeof PLAN_PHASES)[number];

const PHASE_TITLES: Record<PlanPhase, string> = {
  schema: 'schema creation (fields, pipeline, activity types, users, fingerprint)',
  sample: 'sample run (create + read back for the diff)',
  full: 'full run (everything not in the sample)',
  verify: 'verification read-back',
  delta: 'delta window (changes during cutover)',
  rollback: 'rollback (delete everything created, then fingerprint)',
};

export type { CustomFieldEntity };

/** What the SCHEMA phase creates. */
export interface SchemaSize {
  customFields: Record<CustomFieldEntity, number>;
  pipelines: number;
  stages: number;
  activityTypes: number;
}

/** The schema a field map needs, at most (PHI fields the practice does not approve are not created). */
export function schemaSizeOf(map: FieldMap): SchemaSize {
  return {
    customFields: Object.fromEntries(CUSTOM_FIELD_ENTITIES.map((entity) => [entity, map.objects.customFields[entity].length])) as Record<
      CustomFieldEntity,
      number
    >,
    pipelines: map.objects.pipelines.length,
    stages: map.objects.pipelines.reduce((sum, p) => sum + p.stages.length, 0),
    // Pipedrive's own types are there in every account: SCHEMA finds them and creates the others.
    activityTypes: map.objects.activityTypes.filter((t) => !PIPEDRIVE_DEFAULT_ACTIVITY_TYPES.includes(t.key_string)).length,
  };
}

export interface PlanOptions {
  plan: PipedrivePlan;
  seats: number;
  /** Records in the sample run (the design says 200–500). */
  sampleSize: number;
  /** Default: the default field map's schema. */
  schema?: SchemaSize;
  /** New-patient bookings: a minimal person each (default, as the default map) or skipped. */
  newPatientBooking?: 'create_person' | 'skip';
  /** Clinical notes and non-imaging documents move only if approved; default true (an upper bound). */
  includeNotes?: boolean;
  includeFiles?: boolean;
  /** Share of records created or changed in Dentrix during the delta window; default 0.02. */
  deltaChangeRate?: number;
  /** Tokens per day when plan × seats is not the whole story (top-ups), as PIPEDRIVE_DAILY_TOKEN_BUDGET. */
  dailyTokenBudget?: number;
  /** What the migration leaves unspent each day (PIPEDRIVE_BUDGET_RESERVE); days are counted on the rest. Default none. */
  reserve?: BudgetReserve;
  /**
   * Migrations into the same Pipedrive company at the same time, this one included (a DSO moving several practices):
   * the workers split the company's daily budget between those that want it (src/pipedrive/day-shares.ts), so days
   * are counted on an equal part of it. Default 1.
   */
  migrationsOnAccount?: number;
  /** Records per verification batch (the migration's batchSize option); default the option's default. */
  batchSize?: number;
  /**
   * How the account's fingerprint is taken: `api` by listing it (a real account; the default), `sandbox` from the
   * sandbox's admin API, which costs no tokens (a rehearsal).
   */
  fingerprint?: 'api' | 'sandbox';
}

/** Pipedrive records per target object, by the registry's plan names (`organizations`, `dealProducts`, …). */
export type TargetRecords = Record<PlanKey, number>;
type TargetObject = keyof TargetRecords;

export interface OperationEstimate {
  what: string;
  api: ApiVersion;
  method: string;
  path: string;
  requests: number;
  tokensPerRequest: number;
  tokens: number;
}

export interface PhaseEstimate {
  phase: PlanPhase;
  title: string;
  requests: number;
  tokens: number;
  /** Tokens / daily budget. */
  days: number;
  /** Requests at the plan's burst limit, without pauses. */
  burstHours: number;
  /** Whichever limit binds: max(days, burstHours / 24). */
  elapsedDays: number;
  operations: OperationEstimate[];
}

export interface PlanEstimate {
  plan: PipedrivePlan;
  seats: number;
  dailyBudget: number;
  /** The daily budget less the reserve: what the account's migrations spend per day. */
  spendablePerDay: number;
  /** Migrations into the account at the same time, this one included: they split `spendablePerDay` equally. */
  migrationsOnAccount: number;
  /** This migration's part of `spendablePerDay`: what `days` are counted on. */
  ownPerDay: number;
  burstPer2s: number;
  sampleSize: number;
  records: TargetRecords & { total: number };
  sampleRecords: TargetRecords & { total: number };
  phases: PhaseEstimate[];
  /** Schema through delta: the migration as planned. The rollback phase is the contingency and is not included. */
  totals: { requests: number; tokens: number; days: number; burstHours: number; elapsedDays: number };
  assumptions: string[];
}

export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanInputError';
  }
}

function checkOptions(counts: ObjectCounts, options: PlanOptions): void {
  if (!(PIPEDRIVE_PLAN_NAMES as string[]).includes(options.plan)) {
    throw new PlanInputError(`plan "${String(options.plan)}" is not one of ${PIPEDRIVE_PLAN_NAMES.join(', ')}`);
  }
  if (!Number.isInteger(options.seats) || options.seats < 1) throw new PlanInputError(`seats must be a whole number of at least 1, not ${options.seats}`);
  const sharing = options.migrationsOnAccount;
  if (sharing !== undefined && !(Number.isInteger(sharing) && sharing >= 1))
    throw new PlanInputError(`migrationsOnAccount must be a whole number of at least 1 (this migration included), not ${sharing}`);
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1))
    throw new PlanInputError(`batchSize must be a whole number of at least 1, not ${options.batchSize}`);
  if (!Number.isInteger(options.sampleSize) || options.sampleSize < 0)
    throw new PlanInputError(`sampleSize must be a whole number ≥ 0, not ${options.sampleSize}`);
  const rate = options.deltaChangeRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new PlanInputError(`deltaChangeRate must be between 0 and 1, not ${rate}`);
  for (const [name, value] of Object.entries(counts)) {
    if (name === 'dealProductsPerDeal' || name === 'patients' || name === 'workItems') continue;
    if (!Number.isInteger(value) || (value as number) < 0) throw new PlanInputError(`count ${name} must be a whole number ≥ 0, not ${String(value)}`);
  }
  const histogramItems = Object.entries(counts.dealProductsPerDeal).reduce((sum, [n, deals]) => sum + Number(n) * deals, 0);
  if (histogramItems !== counts.dealProducts) {
    throw new PlanInputError(`dealProductsPerDeal describes ${histogramItems} deal products but dealProducts is ${counts.dealProducts}`);
  }
}

/** Requests to one endpoint: its cost is the registry's (the specs' `x-token-cost`). */
function operation(what: string, endpoint: Endpoint, requests: number): OperationEstimate {
  const { api, method, path, tokens: tokensPerRequest } = endpoint;
  const whole = Math.ceil(requests);
  return { what, api, method, path, requests: whole, tokensPerRequest, tokens: whole * tokensPerRequest };
}

const pages = (records: number, pageSize: number): number => (records === 0 ? 0 : Math.ceil(records / pageSize));

/** Objects created one request per record; deal products (attached per deal, in bulk or singly) are counted apart. */
const SIMPLE_OBJECTS = LOAD_ORDER.filter((t) => !('bulkCreate' in OBJECT_TYPES[t].endpoints));
const DEAL_PRODUCT = OBJECT_TYPES.deal_product.endpoints;
const planKey = (t: DataObjectType): TargetObject => OBJECT_TYPES[t].planKey;

/** Attaching n products to one deal: single attaches (5 each) or bulk (25 per ≤100), the cheaper; a tie goes to fewer requests. */
export function dealProductAttach(n: number): { mode: 'single' | 'bulk'; requests: number; tokens: number } {
  const single = { mode: 'single' as const, requests: n, tokens: n * DEAL_PRODUCT.create.tokens };
  const bulkRequests = Math.ceil(n / DEAL_PRODUCTS_BULK_MAX);
  const bulk = { mode: 'bulk' as const, requests: bulkRequests, tokens: bulkRequests * DEAL_PRODUCT.bulkCreate.tokens };
  return bulk.tokens < single.tokens || (bulk.tokens === single.tokens && bulk.requests < single.requests) ? bulk : single;
}

/** Removing n products from one deal: single deletes (3 each) or bulk (15 per ≤100), the cheaper. */
export function dealProductRemoval(n: number): { mode: 'single' | 'bulk'; requests: number; tokens: number } {
  const single = { mode: 'single' as const, requests: n, tokens: n * DEAL_PRODUCT.delete.tokens };
  const bulkRequests = Math.ceil(n / DEAL_PRODUCTS_BULK_MAX);
  const bulk = { mode: 'bulk' as const, requests: bulkRequests, tokens: bulkRequests * DEAL_PRODUCT.bulkDelete.tokens };
  return bulk.tokens < single.tokens || (bulk.tokens === single.tokens && bulk.requests < single.requests) ? bulk : single;
}

/** Deal-product operations over every deal of the histogram, scaled by `share` (the part of the deals a run handles). */
function dealProductOperations(perDeal: Record<string, number>, share: number, removal: boolean): OperationEstimate[] {
  const byMode = { single: 0, bulk: 0 };
  for (const [n, deals] of Object.entries(perDeal)) {
    const choice = removal ? dealProductRemoval(Number(n)) : dealProductAttach(Number(n));
    byMode[choice.mode] += choice.requests * deals * share;
  }
  const ops: OperationEstimate[] = [];
  if (removal) {
    if (byMode.single > 0) ops.push(operation('deal products, removed one by one', DEAL_PRODUCT.delete, byMode.single));
    if (byMode.bulk > 0) ops.push(operation('deal products, removed in bulk', DEAL_PRODUCT.bulkDelete, byMode.bulk));
  } else {
    if (byMode.single > 0) ops.push(operation('deal products, attached one by one', DEAL_PRODUCT.create, byMode.single));
    if (byMode.bulk > 0) ops.push(operation('deal products, attached in bulk', DEAL_PRODUCT.bulkCreate, byMode.bulk));
  }
  return ops;
}

function createOperations(records: TargetRecords, perDeal: Record<string, number>, dealShare: number): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
  for (const type of SIMPLE_OBJECTS) {
    const object = planKey(type);
    if (records[object] === 0) continue;
    ops.push(operation(`${object}, created`, OBJECT_TYPES[type].endpoints.create, records[object]));
  }
  if (records.dealProducts > 0) ops.push(...dealProductOperations(perDeal, dealShare, false));
  return ops;
}

/** The review files of records with values longer than their fields hold: uploaded, read back one by one, deleted by a rollback. */
function reviewFileOperations(n: number | undefined, action: 'create' | 'get' | 'delete'): OperationEstimate[] {
  if (!n) return [];
  const label = { create: 'uploaded', get: 'read one by one', delete: 'deleted' }[action];
  return [operation(`review files, ${label}`, OBJECT_TYPES.file.endpoints[action], n)];
}

/** Sizes of the batches `n` records are verified in: `batchSize` each, the last one the rest. */
function batchSizes(n: number, batchSize: number): number[] {
  const sizes: number[] = [];
  for (let left = n; left > 0; left -= batchSize) sizes.push(Math.min(left, batchSize));
  return sizes;
}

/**
 * One read-back pass (the sample's diff, or the verification): each batch reads its records by the registry's cheapest
 * read for it (`cheapestRead`, as `readBack` chooses), an account listing once for the pass's batches (pages of what the
 * account holds: `account`), deal products by up to 100 deals a batch.
 */
function readBackOperations(records: TargetRecords, account: TargetRecords, batchSize: number, workItems: Partial<TargetRecords> = {}): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
  for (const type of SIMPLE_OBJECTS) {
    const object = planKey(type);
    const n = records[object];
    if (n === 0) continue;
    // Batches are of the pass's work items (documents include imaging, which never uploads); the pass is all of them.
    const pass = Math.max(n, workItems[object] ?? n);
    const reads = readsOf(type);
    const by = { listing: 0, ids: 0, get: 0, byPerson: 0 };
    for (const items of batchSizes(pass, batchSize)) {
      const b = Math.max(1, Math.round((items * n) / pass));
      // A note's or file's person: at most one each.
      const method = cheapestRead(reads, { records: b, persons: b, passRecords: pass }).method;
      if (method === 'account_listing') by.listing = pages(Math.max(account[object], n), reads.listing!.pageSize);
      else if (method === 'ids') by.ids += pages(b, reads.ids!.per);
      else if (method === 'get_each') by.get += b;
      else by.byPerson += b;
    }
    if (by.listing > 0) ops.push(operation(`${object}, listed ${reads.listing!.pageSize} per page`, reads.listing!.endpoint, by.listing));
    if (by.ids > 0) ops.push(operation(`${object}, read by ids, ${reads.ids!.per} a request`, reads.ids!.endpoint, by.ids));
    if (by.get > 0) ops.push(operation(`${object}, read one by one`, reads.get!, by.get));
    if (by.byPerson > 0) ops.push(operation(`${object}, listed per person`, reads.byPerson!, by.byPerson));
  }
  if (records.dealProducts > 0) {
    // A batch's deal products are read by their deals, up to 100 deals a request.
    const dealsPerProduct = records.deals === 0 ? 1 : Math.min(1, records.deals / records.dealProducts);
    const requests = batchSizes(records.dealProducts, batchSize).reduce((sum, b) => sum + pages(Math.ceil(b * dealsPerProduct), DEAL_IDS_PER_LIST), 0);
    ops.push(operation(`deal products, listed by up to ${DEAL_IDS_PER_LIST} deals a batch`, DEAL_PRODUCT.getMany, requests));
  }
  return ops;
}

/**
 * The full run's checks of the id-map entries the sample wrote: each full-run batch holding sample records reads them
 * back (`liveRecords`, the cheapest read for that batch alone) before relying on them. Which batches hold them follows
 * from the work items' staging order.
 */
function sampleCheckOperations(held: Partial<Record<TargetObject, boolean[]>>, batchSize: number): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
  for (const type of LOAD_ORDER) {
    const object = planKey(type);
    const inSample = held[object];
    if (!inSample) continue;
    const by = { listing: 0, ids: 0, get: 0 };
    for (let from = 0; from < inSample.length; from += batchSize) {
      const k = inSample.slice(from, from + batchSize).filter(Boolean).length;
      if (k === 0) continue;
      if (type === 'deal_product') {
        by.ids += 1;
        continue;
      }
      const reads = readsOf(type);
      const method = cheapestRead(reads, { records: k }).method;
      if (method === 'account_listing') by.listing += 1;
      else if (method === 'ids') by.ids += pages(k, reads.ids!.per);
      else by.get += k;
    }
    if (type === 'deal_product') {
      if (by.ids > 0) ops.push(operation("deal products of the sample's deals, checked", DEAL_PRODUCT.getMany, by.ids));
      continue;
    }
    const reads = readsOf(type);
    const what = `${object} of the sample, checked`;
    if (by.listing > 0) ops.push(operation(`${what} (a listing)`, reads.listing!.endpoint, by.listing));
    if (by.ids > 0) ops.push(operation(`${what} (by ids)`, reads.ids!.endpoint, by.ids));
    if (by.get > 0) ops.push(operation(`${what} (one by one)`, reads.get!, by.get));
  }
  return ops;
}

/** Which of each type's work items (staging order) the sample holds, for the chosen patients. */
function heldBySample(
  workItems: NonNullable<ObjectCounts['workItems']>,
  chosen: readonly SamplePatient[],
  bookings: number,
): Partial<Record<TargetObject, boolean[]>> {
  const patients = new Set(chosen.map((p) => p.patientId));
  const families = new Set(chosen.filter((p) => p.familySize >= 2).map((p) => p.guarantorId));
  const employers = new Set(chosen.map((p) => p.employerId));
  const referrals = new Set(chosen.map((p) => p.referralId));
  const carriers = new Set(chosen.flatMap((p) => p.carrierIds));
  const codes = new Set(chosen.flatMap((p) => p.plans.flat()));
  const holds = (t: WorkItemTag): boolean => {
    if (t.skipped) return false;
    switch (t.of) {
      case 'patient':
        return patients.has(t.id) && t.keptIfChosen !== false;
      case 'family':
        return families.has(t.id);
      case 'employer':
        return employers.has(t.id);
      case 'referral':
        return referrals.has(t.id);
      case 'carrier':
        return carriers.has(t.id);
      case 'code':
        return codes.has(t.id);
      case 'booking':
        return t.id < bookings;
    }
  };
  return Object.fromEntries(Object.entries(workItems).map(([object, tags]) => [object, tags.map(holds)]));
}

/** One list request per object type: the account fingerprint taken before the first write and after a rollback. */
function fingerprintOperations(how: 'api' | 'sandbox'): OperationEstimate[] {
  // The sandbox's admin API answers it without a token.
  if (how === 'sandbox') return [];
  return SIMPLE_OBJECTS.map((type) => operation(`${planKey(type)}, fingerprint`, OBJECT_TYPES[type].endpoints.list, 1));
}

/** A write phase first checks the token still answers for the migration's account (DESIGN §5.8). */
const accountCheck = (): OperationEstimate => operation('account check (the token still answers for the account)', OBJECT_TYPES.user.endpoints.get, 1);

function schemaOperations(schema: SchemaSize, fingerprint: 'api' | 'sandbox'): OperationEstimate[] {
  const { user, pipeline, stage, activity_type: activityType } = OBJECT_TYPES;
  // MAPPING_REVIEW reads the account's users twice: owners matched when the gate opens, providers resolved on approval.
  const ops = [
    operation('users, listed for owner matching and provider resolution', user.endpoints.list, 2),
    operation('current user (account id, fallback owner), with each listing', user.endpoints.get, 2),
    accountCheck(),
  ];
  ops.push(...fingerprintOperations(fingerprint));
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    const fields = schema.customFields[entity];
    if (fields === 0) continue;
    // Listed once to find what exists; a new field's key comes back with its create.
    ops.push(operation(`${entity} fields, listed`, fieldEndpointsOf(entity).list, 1));
    ops.push(operation(`${entity} custom fields, created`, fieldEndpointsOf(entity).create, fields));
  }
  if (schema.pipelines > 0) {
    ops.push(operation('pipelines, listed', pipeline.endpoints.list, 1), operation('pipelines, created', pipeline.endpoints.create, schema.pipelines));
    ops.push(operation('stages, listed', stage.endpoints.list, schema.pipelines), operation('stages, created', stage.endpoints.create, schema.stages));
  }
  ops.push(operation('activity types, listed', activityType.endpoints.list, 1));
  if (schema.activityTypes > 0) ops.push(operation('activity types, created', activityType.endpoints.create, schema.activityTypes));
  return ops;
}

function deltaOperations(records: TargetRecords, rate: number): OperationEstimate[] {
  const changed = mapRecords(records, (n) => Math.ceil(n * rate));
  const ops: OperationEstimate[] = [];
  for (const type of SIMPLE_OBJECTS) {
    const object = planKey(type);
    if (changed[object] === 0) continue;
    // A change is a create or an update; both cost the same on v2 (5) and on v1 notes (10). Files are uploaded anew.
    ops.push(operation(`${object}, created or updated`, OBJECT_TYPES[type].endpoints.create, changed[object]));
  }
  // Procedures added to a plan during the window attach to an existing deal, one at a time.
  if (changed.dealProducts > 0) ops.push(operation('deal products, attached', DEAL_PRODUCT.create, changed.dealProducts));
  return ops;
}

function rollbackOperations(records: TargetRecords, perDeal: Record<string, number>, schema: SchemaSize, fingerprint: 'api' | 'sandbox'): OperationEstimate[] {
  const ops: OperationEstimate[] = [accountCheck()];
  // The exact reverse of the load order: children before the records they point at.
  for (const type of ROLLBACK_ORDER.filter(isDataObjectType)) {
    const object = planKey(type);
    if (records[object] === 0) continue;
    if (SIMPLE_OBJECTS.includes(type)) ops.push(operation(`${object}, deleted`, OBJECT_TYPES[type].endpoints.delete, records[object]));
    else ops.push(...dealProductOperations(perDeal, 1, true));
  }
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    if (schema.customFields[entity] > 0) ops.push(operation(`${entity} custom fields, deleted`, fieldEndpointsOf(entity).delete, schema.customFields[entity]));
  }
  if (schema.stages > 0) ops.push(operation('stages, deleted', OBJECT_TYPES.stage.endpoints.delete, schema.stages));
  if (schema.pipelines > 0) ops.push(operation('pipelines, deleted', OBJECT_TYPES.pipeline.endpoints.delete, schema.pipelines));
  ops.push(...rollbackProofOperations(records, schema), ...fingerprintOperations(fingerprint));
  return ops;
}

/**
 * The rollback's proof: every deleted id read back gone by the type's cheapest read (an account listing that finds
 * nothing is one page; `ids` 100 a request), deal products by their deals, every entity's fields, the pipelines, stages
 * and activity types listed once.
 */
function rollbackProofOperations(records: TargetRecords, schema: SchemaSize): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
  for (const type of SIMPLE_OBJECTS) {
    const n = records[planKey(type)];
    if (n === 0) continue;
    const reads = readsOf(type);
    const method = cheapestRead(reads, { records: n }).method;
    const what = `${planKey(type)}, proven gone`;
    if (method === 'account_listing') ops.push(operation(what, reads.listing!.endpoint, 1));
    else if (method === 'ids') ops.push(operation(what, reads.ids!.endpoint, pages(n, reads.ids!.per)));
    else ops.push(operation(what, reads.get!, n));
  }
  if (records.dealProducts > 0) ops.push(operation('deal products, proven gone', DEAL_PRODUCT.getMany, pages(records.deals, DEAL_IDS_PER_LIST)));
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    if (schema.customFields[entity] > 0) ops.push(operation(`${entity} fields, proven gone`, fieldEndpointsOf(entity).list, 1));
  }
  if (schema.pipelines > 0) {
    ops.push(
      operation('pipelines, proven gone', OBJECT_TYPES.pipeline.endpoints.list, 1),
      operation('stages, proven gone', OBJECT_TYPES.stage.endpoints.list, 1),
    );
  }
  if (schema.activityTypes > 0) ops.push(operation('activity types, proven gone', OBJECT_TYPES.activity_type.endpoints.list, 1));
  return ops;
}

function mapRecords(records: TargetRecords, f: (n: number, object: TargetObject) => number): TargetRecords {
  return Object.fromEntries(Object.entries(records).map(([object, n]) => [object, f(n, object as TargetObject)])) as unknown as TargetRecords;
}

const totalOf = (records: TargetRecords): number => Object.values(records).reduce((sum, n) => sum + n, 0);

/** What the extract becomes, per target object, given the options. */
export function targetRecords(counts: ObjectCounts, options: Pick<PlanOptions, 'newPatientBooking' | 'includeNotes' | 'includeFiles'> = {}): TargetRecords {
  return {
    organizations: counts.households + counts.employers + counts.referralSources + counts.carriers,
    products: counts.products,
    persons: counts.persons + (options.newPatientBooking === 'skip' ? 0 : counts.newPatientPersons),
    deals: counts.deals,
    dealProducts: counts.dealProducts,
    activities: counts.appointments + counts.recalls,
    notes: options.includeNotes === false ? 0 : counts.notes,
    files: options.includeFiles === false ? 0 : counts.files,
  };
}

interface SampleRecords {
  records: TargetRecords;
  /** The sample's deals by how many products each has. */
  perDeal: Record<string, number>;
  /** Its work items where they differ from its records (documents, imaging included). */
  workItems: Partial<TargetRecords>;
  /** Which of the full run's work items it holds, when the counts say their order. */
  held: Partial<Record<TargetObject, boolean[]>>;
}

/** Without the patients (counts made by hand): a proportional cross-section of `sampleSize` records. */
function proportionalSample(counts: ObjectCounts, records: TargetRecords, sampleSize: number): SampleRecords {
  const total = totalOf(records);
  const share = total === 0 ? 0 : Math.min(1, sampleSize / total);
  const sample = mapRecords(records, (n) => Math.min(n, Math.round(n * share)));
  const dealShare = records.deals === 0 ? 0 : sample.deals / records.deals;
  const perDeal = Object.fromEntries(Object.entries(counts.dealProductsPerDeal).map(([n, deals]) => [n, deals * dealShare]));
  return { records: sample, perDeal, workItems: {}, held: {} };
}

/**
 * The sample the migration will choose (sample-selection.ts, the SAMPLE phase's own selection: families whole, across
 * strata) and what its members bring (as src/store/sample-members.ts takes them): the chosen patients' persons, their
 * households, employers, referral sources and carriers, the codes of their plans' procedures, their plans with those
 * procedures, recalls and kept appointments, notes and documents, and a few new-patient bookings.
 */
function sampleOfPatients(counts: ObjectCounts, patients: SamplePatient[], options: PlanOptions): SampleRecords {
  const chosen = selectSamplePatients(patients, options.sampleSize) as SamplePatient[];
  const distinct = (ids: (number | null)[]): number => new Set(ids.filter((id) => id !== null)).size;
  const households = distinct(chosen.filter((p) => p.familySize >= 2).map((p) => p.guarantorId));
  const plans = chosen.flatMap((p) => p.plans);
  const perDeal: Record<string, number> = {};
  for (const plan of plans) if (plan.length > 0) perDeal[plan.length] = (perDeal[plan.length] ?? 0) + 1;
  const bookings = options.newPatientBooking === 'skip' ? 0 : Math.min(counts.newPatientPersons, SAMPLE_KEEP.newPatientBookings);
  const sum = (f: (p: SamplePatient) => number): number => chosen.reduce((n, p) => n + f(p), 0);
  const records: TargetRecords = {
    organizations:
      households + distinct(chosen.map((p) => p.employerId)) + distinct(chosen.map((p) => p.referralId)) + distinct(chosen.flatMap((p) => p.carrierIds)),
    products: distinct(plans.flat().filter((code) => code >= 0)),
    persons: chosen.length + bookings,
    deals: plans.length,
    dealProducts: plans.reduce((n, plan) => n + plan.length, 0),
    activities: sum((p) => p.activities) + Math.min(counts.newPatientPersons, SAMPLE_KEEP.newPatientBookings),
    notes: options.includeNotes === false ? 0 : sum((p) => p.notes),
    files: options.includeFiles === false ? 0 : sum((p) => p.files),
  };
  const workItems = { files: options.includeFiles === false ? 0 : sum((p) => p.documents) };
  return { records, perDeal, workItems, held: counts.workItems ? heldBySample(counts.workItems, chosen, bookings) : {} };
}

/**
 * Requests, tokens and time per phase for a migration of `counts` into an account on `plan` with `seats`.
 * The sample is the one the SAMPLE phase would choose when the counts carry the patients (an extract's do), else a
 * proportional cross-section of `sampleSize` records; the full run loads the rest.
 */
export function estimatePlan(counts: ObjectCounts, options: PlanOptions): PlanEstimate {
  checkOptions(counts, options);
  const { multiplier, burstPer2s } = PIPEDRIVE_PLANS[options.plan];
  const dailyBudget = options.dailyTokenBudget ?? BASE_DAILY_TOKENS * multiplier * options.seats;
  const reserved = options.reserve ? reserveTokens(options.reserve, dailyBudget) : 0;
  if (reserved >= dailyBudget) throw new PlanInputError(`reserve: ${reserved} tokens leaves nothing of a ${dailyBudget}-token daily budget`);
  const spendablePerDay = dailyBudget - reserved;
  const migrationsOnAccount = options.migrationsOnAccount ?? 1;
  // The fair split gives each of n migrations that all want the budget an equal part; one that wants less leaves more
  // to the others, so an equal part is what this one can count on.
  const ownPerDay = spendablePerDay / migrationsOnAccount;
  const schema = options.schema ?? schemaSizeOf(defaultFieldMap());
  const deltaRate = options.deltaChangeRate ?? 0.02;
  const batchSize = options.batchSize ?? MigrationOptionsSchema.shape.batchSize.parse(undefined);
  const fingerprint = options.fingerprint ?? 'api';
  const records = targetRecords(counts, options);
  const total = totalOf(records);
  const chosen = counts.patients ? sampleOfPatients(counts, counts.patients, options) : proportionalSample(counts, records, options.sampleSize);
  const sample = chosen.records;
  const rest = mapRecords(records, (n, object) => n - sample[object]);
  const restPerDeal: Record<string, number> = { ...counts.dealProductsPerDeal };
  for (const [n, deals] of Object.entries(chosen.perDeal)) restPerDeal[n] = (restPerDeal[n] ?? 0) - deals;

  const phase = (name: PlanPhase, operations: OperationEstimate[]): PhaseEstimate => {
    const requests = operations.reduce((sum, o) => sum + o.requests, 0);
    const tokens = operations.reduce((sum, o) => sum + o.tokens, 0);
    const days = tokens / ownPerDay;
    const burstHours = ((requests / burstPer2s) * 2) / 3600;
    return { phase: name, title: PHASE_TITLES[name], requests, tokens, days, burstHours, elapsedDays: Math.max(days, burstHours / 24), operations };
  };
  const phases = [
    phase('schema', schemaOperations(schema, fingerprint)),
    phase('sample', [accountCheck(), ...createOperations(sample, chosen.perDeal, 1), ...readBackOperations(sample, sample, batchSize, chosen.workItems)]),
    // Review files are rare (a value longer than any field holds): counted with the full run, which loads most records.
    phase('full', [
      ...createOperations(rest, restPerDeal, 1),
      ...reviewFileOperations(counts.reviewFiles, 'create'),
      ...sampleCheckOperations(chosen.held, batchSize),
    ]),
    // The end fingerprint (after the delta window) is counted with the verification.
    phase('verify', [
      ...readBackOperations(records, records, batchSize, { files: records.files === 0 ? 0 : counts.files + counts.imagingDocuments }),
      ...reviewFileOperations(counts.reviewFiles, 'get'),
      ...fingerprintOperations(fingerprint),
    ]),
    phase('delta', deltaOperations(records, deltaRate)),
    phase('rollback', [...reviewFileOperations(counts.reviewFiles, 'delete'), ...rollbackOperations(records, counts.dealProductsPerDeal, schema, fingerprint)]),
  ];
  // Rollback is the contingency, not part of the plan: it stays out of the totals.
  const planned = phases.filter((p) => p.phase !== 'rollback');
  const sum = (field: 'requests' | 'tokens' | 'days' | 'burstHours' | 'elapsedDays'): number => planned.reduce((acc, p) => acc + p[field], 0);
  return {
    plan: options.plan,
    seats: options.seats,
    dailyBudget,
    spendablePerDay,
    migrationsOnAccount,
    ownPerDay,
    burstPer2s,
    sampleSize: options.sampleSize,
    records: { ...records, total },
    sampleRecords: { ...sample, total: totalOf(sample) },
    phases,
    totals: { requests: sum('requests'), tokens: sum('tokens'), days: sum('days'), burstHours: sum('burstHours'), elapsedDays: sum('elapsedDays') },
    assumptions: [
      options.dailyTokenBudget
        ? `daily budget = ${dailyBudget.toLocaleString('en-US')} tokens (configured), shared with every other integration of the account`
        : `daily budget = ${BASE_DAILY_TOKENS.toLocaleString('en-US')} × ${multiplier} (${options.plan}) × ${options.seats} seats = ${dailyBudget.toLocaleString('en-US')} tokens, shared with every other integration of the account`,
      `reserve: ${reserved.toLocaleString('en-US')} tokens a day left unspent for other integrations and a rollback; ` +
        (migrationsOnAccount > 1 ? `the rest split equally between ${migrationsOnAccount} migrations into the account at once: ` : '') +
        `days count ${Math.floor(ownPerDay).toLocaleString('en-US')} tokens a day`,
      `burst limit ${burstPer2s} requests per rolling 2 s per API token; hours at burst assume no pauses`,
      'one create per record (Pipedrive has no batch create); deal products attach in bulk (25 tokens per ≤100) or one by one (5 each), whichever is cheaper per deal',
      `households are families of two or more; new-patient bookings ${options.newPatientBooking === 'skip' ? 'are skipped' : 'become minimal persons'}`,
      `clinical notes ${options.includeNotes === false ? 'excluded' : 'included (upper bound: they move only if approved)'}; non-imaging documents ${options.includeFiles === false ? 'excluded' : 'included (upper bound)'}; imaging never uploads`,
      `delta window: ${(deltaRate * 100).toFixed(1)}% of records created or changed in Dentrix during cutover`,
      counts.patients
        ? `sample: the patients the SAMPLE phase would choose (whole families across strata, up to ${options.sampleSize} records) and what they bring`
        : `sample: a proportional cross-section of ${options.sampleSize} records`,
      `reads back in batches of ${batchSize} by the cheapest read for each (the registry's), an account listing once per pass; the fingerprint ${fingerprint === 'sandbox' ? "from the sandbox's admin API (no tokens)" : 'by listing the account'}`,
      "rollback deletes every record created (and the schema), proves each gone and takes a fingerprint; a rejected sample adds a sample-sized rollback and re-run; recovery searches after lost responses and the full run's id-map checks of the sample's records are not counted",
    ],
  };
}
