/**
 * The plan estimator: how many requests and tokens each phase of a migration spends, and how long that takes
 * within Pipedrive's daily token budget and its burst limit (reference/pipedrive-api.md §1). Pure: counts and
 * options in, an estimate out. Token costs come from the specs' `x-token-cost` via `tokenCost`.
 */
import { defaultFieldMap, type FieldMap } from '../mapping';
import {
  CUSTOM_FIELD_ENTITIES,
  DEAL_PRODUCTS_PER_BULK_REQUEST,
  fieldEndpointsOf,
  isDataObjectType,
  LOAD_ORDER,
  OBJECT_TYPES,
  ROLLBACK_ORDER,
  type CustomFieldEntity,
  type DataObjectType,
  type Endpoint,
  type PlanKey,
} from '../object-types/registry';
import { type ApiVersion } from '@dentrix-pipedrive/pipedrive-spec';
import { reserveTokens, type BudgetReserve } from '../pipedrive/daily-budget';
import type { ObjectCounts } from './counts';

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
    activityTypes: map.objects.activityTypes.length,
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
  /** The daily budget less the reserve: what the migration spends per day, and what `days` are counted on. */
  spendablePerDay: number;
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
  if (!Number.isInteger(options.sampleSize) || options.sampleSize < 0)
    throw new PlanInputError(`sampleSize must be a whole number ≥ 0, not ${options.sampleSize}`);
  const rate = options.deltaChangeRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new PlanInputError(`deltaChangeRate must be between 0 and 1, not ${rate}`);
  for (const [name, value] of Object.entries(counts)) {
    if (name === 'dealProductsPerDeal') continue;
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

function readBackOperations(records: TargetRecords): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
  for (const type of SIMPLE_OBJECTS) {
    const object = planKey(type);
    if (records[object] === 0) continue;
    const { endpoints, pageSize } = OBJECT_TYPES[type];
    ops.push(operation(`${object}, listed ${pageSize} per page`, endpoints.list, pages(records[object], pageSize)));
  }
  if (records.dealProducts > 0) {
    const requests = Math.max(pages(records.deals, DEAL_IDS_PER_LIST), pages(records.dealProducts, OBJECT_TYPES.deal_product.pageSize));
    ops.push(operation(`deal products, listed by up to ${DEAL_IDS_PER_LIST} deals`, DEAL_PRODUCT.getMany, requests));
  }
  return ops;
}

/** One list request per object type: the account fingerprint taken before the first write and after a rollback. */
function fingerprintOperations(): OperationEstimate[] {
  return SIMPLE_OBJECTS.map((type) => operation(`${planKey(type)}, fingerprint`, OBJECT_TYPES[type].endpoints.list, 1));
}

function schemaOperations(schema: SchemaSize): OperationEstimate[] {
  const { user, pipeline, stage, activity_type: activityType } = OBJECT_TYPES;
  const ops = [
    operation('users, listed for provider matching', user.endpoints.list, 1),
    operation('current user (account id, fallback owner)', user.endpoints.get, 1),
  ];
  ops.push(...fingerprintOperations());
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    const fields = schema.customFields[entity];
    if (fields === 0) continue;
    // Listed before (find what exists) and after (resolve the new 40-hex keys).
    ops.push(operation(`${entity} fields, listed`, fieldEndpointsOf(entity).list, 2));
    ops.push(operation(`${entity} custom fields, created`, fieldEndpointsOf(entity).create, fields));
  }
  if (schema.pipelines > 0) {
    ops.push(operation('pipelines, listed', pipeline.endpoints.list, 1), operation('pipelines, created', pipeline.endpoints.create, schema.pipelines));
    ops.push(operation('stages, listed', stage.endpoints.list, schema.pipelines), operation('stages, created', stage.endpoints.create, schema.stages));
  }
  if (schema.activityTypes > 0) {
    ops.push(operation('activity types, listed', activityType.endpoints.list, 1));
    ops.push(operation('activity types, created (if missing)', activityType.endpoints.create, schema.activityTypes));
  }
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

function rollbackOperations(records: TargetRecords, perDeal: Record<string, number>, schema: SchemaSize): OperationEstimate[] {
  const ops: OperationEstimate[] = [];
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
  ops.push(...fingerprintOperations());
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

/**
 * Requests, tokens and time per phase for a migration of `counts` into an account on `plan` with `seats`.
 * The sample is a proportional cross-section of `sampleSize` records; the full run loads the rest.
 */
export function estimatePlan(counts: ObjectCounts, options: PlanOptions): PlanEstimate {
  checkOptions(counts, options);
  const { multiplier, burstPer2s } = PIPEDRIVE_PLANS[options.plan];
  const dailyBudget = options.dailyTokenBudget ?? BASE_DAILY_TOKENS * multiplier * options.seats;
  const reserved = options.reserve ? reserveTokens(options.reserve, dailyBudget) : 0;
  if (reserved >= dailyBudget) throw new PlanInputError(`reserve: ${reserved} tokens leaves nothing of a ${dailyBudget}-token daily budget`);
  const spendablePerDay = dailyBudget - reserved;
  const schema = options.schema ?? schemaSizeOf(defaultFieldMap());
  const deltaRate = options.deltaChangeRate ?? 0.02;
  const records = targetRecords(counts, options);
  const total = totalOf(records);
  const share = total === 0 ? 0 : Math.min(1, options.sampleSize / total);
  const sample = mapRecords(records, (n) => Math.min(n, Math.round(n * share)));
  const rest = mapRecords(records, (n, object) => n - sample[object]);
  const sampleDealShare = records.deals === 0 ? 0 : sample.deals / records.deals;

  const phase = (name: PlanPhase, operations: OperationEstimate[]): PhaseEstimate => {
    const requests = operations.reduce((sum, o) => sum + o.requests, 0);
    const tokens = operations.reduce((sum, o) => sum + o.tokens, 0);
    const days = tokens / spendablePerDay;
    const burstHours = ((requests / burstPer2s) * 2) / 3600;
    return { phase: name, title: PHASE_TITLES[name], requests, tokens, days, burstHours, elapsedDays: Math.max(days, burstHours / 24), operations };
  };
  const phases = [
    phase('schema', schemaOperations(schema)),
    phase('sample', [...createOperations(sample, counts.dealProductsPerDeal, sampleDealShare), ...readBackOperations(sample)]),
    phase('full', createOperations(rest, counts.dealProductsPerDeal, 1 - sampleDealShare)),
    phase('verify', readBackOperations(records)),
    phase('delta', deltaOperations(records, deltaRate)),
    phase('rollback', rollbackOperations(records, counts.dealProductsPerDeal, schema)),
  ];
  // Rollback is the contingency, not part of the plan: it stays out of the totals.
  const planned = phases.filter((p) => p.phase !== 'rollback');
  const sum = (field: 'requests' | 'tokens' | 'days' | 'burstHours' | 'elapsedDays'): number => planned.reduce((acc, p) => acc + p[field], 0);
  return {
    plan: options.plan,
    seats: options.seats,
    dailyBudget,
    spendablePerDay,
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
      `reserve: ${reserved.toLocaleString('en-US')} tokens a day left unspent for other integrations and a rollback; days count ${spendablePerDay.toLocaleString('en-US')} tokens a day`,
      `burst limit ${burstPer2s} requests per rolling 2 s per API token; hours at burst assume no pauses`,
      'one create per record (Pipedrive has no batch create); deal products attach in bulk (25 tokens per ≤100) or one by one (5 each), whichever is cheaper per deal',
      `households are families of two or more; new-patient bookings ${options.newPatientBooking === 'skip' ? 'are skipped' : 'become minimal persons'}`,
      `clinical notes ${options.includeNotes === false ? 'excluded' : 'included (upper bound: they move only if approved)'}; non-imaging documents ${options.includeFiles === false ? 'excluded' : 'included (upper bound)'}; imaging never uploads`,
      `delta window: ${(deltaRate * 100).toFixed(1)}% of records created or changed in Dentrix during cutover`,
      'rollback deletes every record created (and the schema) and takes a fingerprint; a rejected sample adds a sample-sized rollback and re-run; recovery searches after lost responses are not counted',
    ],
  };
}
