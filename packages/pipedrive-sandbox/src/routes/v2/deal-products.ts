import { badRequest, notFound } from '../../errors';
import type { DealProductRecord, DealRecord } from '../../state/records';
import { isValidDate, rfc3339 } from '../../time';
import { asText, decodeCursor, encodeCursor, has, idParam, pageLimit, parseIds } from '../common';
import { ok, type RequestContext, type RouteDefinition, type RouteResult } from '../types';
import { recalculateDealValue } from './deals';
import { billingFields } from './products';

const BULK_MAX = 100;
const DELETE_MAX = 100;
const DEAL_IDS_MAX = 100;

/**
 * Products attached to deals. POST answers 201 (single and bulk, ≤100 items). Removing an attachment is a hard
 * delete. The deal's value follows the sum of its enabled attachments, as in Pipedrive.
 */
export function dealProductRoutes(): RouteDefinition[] {
  return [
    {
      api: 'v2',
      method: 'GET',
      path: '/deals/{id}/products',
      handle: (ctx) => page(ctx, ctx.state.dealProductsOf(liveDeal(ctx).id)),
    },
    {
      api: 'v2',
      method: 'POST',
      path: '/deals/{id}/products',
      creates: true,
      handle: (ctx) => {
        const deal = liveDeal(ctx);
        const build = attachment(ctx, deal, ctx.body as Record<string, unknown>);
        const row = ctx.state.insert(ctx.state.dealProducts, build);
        recalculateDealValue(ctx.state, deal.id, ctx.now);
        return ok(row, undefined, 201);
      },
    },
    {
      api: 'v2',
      method: 'POST',
      path: '/deals/{id}/products/bulk',
      creates: true,
      handle: (ctx) => {
        const deal = liveDeal(ctx);
        const items = (ctx.body as { data: Record<string, unknown>[] }).data;
        if (items.length === 0) throw badRequest('Validation failed: data: At least one product is required');
        if (items.length > BULK_MAX) throw badRequest(`Validation failed: data: A maximum of ${BULK_MAX} products is allowed`);
        // Validate every item before storing any: the bulk call succeeds or fails as a whole.
        const builds = items.map((item, i) => attachment(ctx, deal, item, `data.${i}.`, i));
        const rows = builds.map((build) => ctx.state.insert(ctx.state.dealProducts, build));
        recalculateDealValue(ctx.state, deal.id, ctx.now);
        return ok(rows, undefined, 201);
      },
    },
    {
      api: 'v2',
      method: 'PATCH',
      path: '/deals/{id}/products/{product_attachment_id}',
      handle: (ctx) => {
        const deal = liveDeal(ctx);
        const row = attached(ctx, deal);
        const body = (ctx.body ?? {}) as Record<string, unknown>;
        const product = body.product_id === undefined ? undefined : linkableProduct(ctx, body.product_id, 'product_id');
        const numbers = amounts(body, '');
        const billing = billingFields(body, { frequency: row.billing_frequency, cycles: row.billing_frequency_cycles });
        const startDate = billingStartDate(body.billing_start_date, '');
        ctx.state.change(ctx.state.dealProducts, row, (dp) => {
          if (product) Object.assign(dp, { product_id: product.id, name: product.name });
          Object.assign(dp, numbers);
          for (const key of ['comments', 'product_variation_id'] as const)
            if (has(body, key)) (dp as unknown as Record<string, unknown>)[key] = body[key] ?? null;
          if (body.discount_type !== undefined) dp.discount_type = body.discount_type as DealProductRecord['discount_type'];
          if (body.tax_method !== undefined) dp.tax_method = body.tax_method as DealProductRecord['tax_method'];
          if (body.is_enabled !== undefined) dp.is_enabled = body.is_enabled === true;
          dp.billing_frequency = billing.frequency;
          dp.billing_frequency_cycles = billing.cycles;
          if (startDate !== undefined) dp.billing_start_date = startDate;
          dp.sum = lineSum(dp);
          dp.update_time = rfc3339(ctx.now);
        });
        recalculateDealValue(ctx.state, deal.id, ctx.now);
        return ok(row);
      },
    },
    {
      api: 'v2',
      method: 'DELETE',
      path: '/deals/{id}/products/{product_attachment_id}',
      handle: (ctx) => {
        const deal = liveDeal(ctx);
        const row = attached(ctx, deal);
        ctx.state.removeDealProduct(row);
        recalculateDealValue(ctx.state, deal.id, ctx.now);
        return ok({ id: row.id });
      },
    },
    {
      api: 'v2',
      method: 'DELETE',
      path: '/deals/{id}/products',
      handle: (ctx) => {
        const deal = liveDeal(ctx);
        const ids = parseIds(ctx.params.ids, 'ids', DELETE_MAX);
        const all = ctx.state.dealProductsOf(deal.id);
        // Without ids, up to 100 attachments go; more_items_in_collection says whether some are left.
        const doomed = ids ? all.filter((dp) => ids.includes(dp.id)) : all.slice(0, DELETE_MAX);
        for (const dp of doomed) ctx.state.removeDealProduct(dp);
        recalculateDealValue(ctx.state, deal.id, ctx.now);
        return ok({ ids: doomed.map((dp) => dp.id) }, { more_items_in_collection: ctx.state.dealProductsOf(deal.id).length > 0 && !ids });
      },
    },
    {
      api: 'v2',
      method: 'GET',
      path: '/deals/products',
      handle: (ctx) => {
        const dealIds = ctx.params.deal_ids as number[];
        if (dealIds.length > DEAL_IDS_MAX) throw badRequest(`Validation failed: deal_ids: A maximum of ${DEAL_IDS_MAX} deal ids is allowed`);
        const rows = [...new Set(dealIds)].flatMap((id) => (ctx.state.deals.getLive(id) ? ctx.state.dealProductsOf(id) : []));
        return page(ctx, rows);
      },
    },
  ];
}

function liveDeal(ctx: RequestContext): DealRecord {
  const deal = ctx.state.deals.getLive(idParam(ctx));
  if (!deal) throw notFound('Deal');
  return deal;
}

function attached(ctx: RequestContext, deal: DealRecord): DealProductRecord {
  const row = ctx.state.dealProducts.get(ctx.params.product_attachment_id as number);
  if (!row || row.deal_id !== deal.id) throw notFound('Deal product');
  return row;
}

function linkableProduct(ctx: RequestContext, id: unknown, param: string) {
  const product = typeof id === 'number' ? ctx.state.products.getLive(id) : undefined;
  if (!product) throw badRequest(`Validation failed: ${param}: Product with id ${asText(id)} not found`);
  if (!product.is_linkable) throw badRequest(`Validation failed: ${param}: Product ${product.id} cannot be added to deals (is_linkable is false)`);
  return product;
}

function attachment(ctx: RequestContext, deal: DealRecord, body: Record<string, unknown>, prefix = '', offset = 0): (id: number) => DealProductRecord {
  const product = linkableProduct(ctx, body.product_id, `${prefix}product_id`);
  const numbers = amounts(body, prefix);
  const billing = billingFields(body, { frequency: 'one-time', cycles: null });
  const startDate = billingStartDate(body.billing_start_date, prefix) ?? null;
  const now = rfc3339(ctx.now);
  const orderNr = Math.max(0, ...ctx.state.dealProductsOf(deal.id).map((dp) => dp.order_nr)) + 1 + offset;
  return (id) => {
    const row: DealProductRecord = {
      id,
      deal_id: deal.id,
      product_id: product.id,
      name: product.name,
      product_variation_id: (body.product_variation_id as number | null | undefined) ?? null,
      order_nr: orderNr,
      add_time: now,
      update_time: now,
      comments: (body.comments as string | undefined) ?? null,
      currency: deal.currency,
      discount: numbers.discount ?? 0,
      discount_type: (body.discount_type as DealProductRecord['discount_type'] | undefined) ?? 'percentage',
      quantity: numbers.quantity!,
      item_price: numbers.item_price!,
      tax: numbers.tax ?? 0,
      tax_method: (body.tax_method as DealProductRecord['tax_method'] | undefined) ?? 'inclusive',
      is_enabled: body.is_enabled !== false,
      billing_frequency: billing.frequency,
      billing_frequency_cycles: billing.cycles,
      billing_start_date: startDate,
      sum: 0,
    };
    row.sum = lineSum(row);
    return row;
  };
}

function amounts(body: Record<string, unknown>, prefix: string): Partial<Pick<DealProductRecord, 'item_price' | 'quantity' | 'discount' | 'tax'>> {
  const result: Partial<Pick<DealProductRecord, 'item_price' | 'quantity' | 'discount' | 'tax'>> = {};
  for (const key of ['item_price', 'quantity', 'discount', 'tax'] as const) {
    if (body[key] === undefined) continue;
    const value = body[key] as number;
    if (value < 0) throw badRequest(`Validation failed: ${prefix}${key}: Must not be negative`);
    result[key] = value;
  }
  return result;
}

function billingStartDate(value: unknown, prefix: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || !isValidDate(value)) throw badRequest(`Validation failed: ${prefix}billing_start_date: Expected a date (YYYY-MM-DD)`);
  return value;
}

/** Line total: price × quantity, less the discount, plus tax when it is charged on top (exclusive). */
function lineSum(dp: DealProductRecord): number {
  const gross = dp.item_price * dp.quantity;
  const discounted = dp.discount_type === 'percentage' ? gross * (1 - dp.discount / 100) : gross - dp.discount;
  const total = dp.tax_method === 'exclusive' ? discounted * (1 + dp.tax / 100) : discounted;
  return Math.round(total * 100) / 100;
}

/** Cursor pages over an in-memory list sorted by the requested field. */
function page(ctx: RequestContext, rows: DealProductRecord[]): RouteResult {
  const field = (ctx.params.sort_by as string | undefined) ?? 'id';
  const direction = (ctx.params.sort_direction as 'asc' | 'desc' | undefined) ?? 'asc';
  const limit = pageLimit(ctx.params);
  const value = (dp: DealProductRecord): string | number => (dp as unknown as Record<string, string | number>)[field] ?? 0;
  const sign = direction === 'asc' ? 1 : -1;
  const sorted = [...rows].sort((a, b) => sign * (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.id - b.id));
  let start = 0;
  if (typeof ctx.params.cursor === 'string') {
    const cursor = decodeCursor(ctx.params.cursor, field, direction);
    start = sorted.findIndex((dp) => sign * (value(dp) < cursor.fieldValue! ? -1 : value(dp) > cursor.fieldValue! ? 1 : dp.id - cursor.id) >= 0);
    if (start < 0) start = sorted.length;
  }
  const slice = sorted.slice(start, start + limit);
  const next = sorted[start + limit];
  return ok(slice, { next_cursor: next ? encodeCursor({ field, fieldValue: value(next), sortDirection: direction, id: next.id }) : null });
}
