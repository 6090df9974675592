import { badRequest } from '../../errors';
import { BILLING_FREQUENCIES, type BillingFrequency, type ProductPrice, type ProductRecord } from '../../state/records';
import { rfc3339 } from '../../time';
import { asText, checkVisibleTo, defaultVisibleTo, has, inUpdatedWindow, nonEmptyString, requireUser, updatedWindow } from '../common';
import { applyCustomFields, customFieldOutput, serializeCustomFields } from '../custom-fields';
import type { RequestContext, RouteDefinition } from '../types';
import { entityRoutes } from './crud';

/** v2 products (POST answers 201). One price per currency; without `prices`, price 0 in the user's currency. */
export function productRoutes(): RouteDefinition[] {
  return entityRoutes<ProductRecord>({
    collection: '/products',
    label: 'Product',
    table: (s) => s.products,
    index: (s) => s.searchIndexes.product,
    createStatus: 201,
    listFilter: (ctx) => {
      const ownerId = ctx.params.owner_id as number | undefined;
      const window = updatedWindow(ctx.params);
      return (p) => !p.is_deleted && (ownerId === undefined || p.owner_id === ownerId) && inUpdatedWindow(p.update_time, window);
    },
    sortValue: (p, field) => (field === 'update_time' ? p.update_time : field === 'add_time' ? p.add_time : field === 'name' ? p.name.toLowerCase() : null),
    create: (ctx, body) => {
      const name = nonEmptyString(body.name, 'name');
      const ownerId = requireUser(ctx.state, body.owner_id ?? ctx.userId, 'owner_id');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings) ?? defaultVisibleTo(ctx.settings);
      const billing = billingFields(body, { frequency: 'one-time', cycles: null });
      const customFields = applyCustomFields(ctx.state, 'product', {}, body.custom_fields);
      const now = rfc3339(ctx.now);
      return (id) => ({
        id,
        name,
        code: (body.code as string | undefined) ?? null,
        unit: (body.unit as string | undefined) ?? null,
        tax: (body.tax as number | undefined) ?? 0,
        is_deleted: false,
        is_linkable: body.is_linkable !== false,
        visible_to: visibleTo,
        owner_id: ownerId,
        add_time: now,
        update_time: now,
        description: (body.description as string | undefined) ?? null,
        category: body.category === undefined || body.category === null ? null : asText(body.category),
        billing_frequency: billing.frequency,
        billing_frequency_cycles: billing.cycles,
        prices: prices(ctx, id, body.prices) ?? [defaultPrice(ctx, id)],
        custom_fields: customFields,
      });
    },
    update: (ctx, row, body) => {
      const name = has(body, 'name') ? nonEmptyString(body.name, 'name') : undefined;
      const ownerId = body.owner_id === undefined ? undefined : requireUser(ctx.state, body.owner_id, 'owner_id');
      const visibleTo = checkVisibleTo(body.visible_to, ctx.settings);
      const billing = billingFields(body, { frequency: row.billing_frequency, cycles: row.billing_frequency_cycles });
      // Updating prices replaces the whole array (migration guide).
      const newPrices = prices(ctx, row.id, body.prices);
      const customFields = applyCustomFields(ctx.state, 'product', row.custom_fields, body.custom_fields);
      return (p) => {
        if (name !== undefined) p.name = name;
        if (ownerId !== undefined) p.owner_id = ownerId;
        if (visibleTo !== undefined) p.visible_to = visibleTo;
        for (const key of ['code', 'unit', 'description'] as const) if (has(body, key)) p[key] = (body[key] as string | null) ?? null;
        if (body.tax !== undefined) p.tax = body.tax as number;
        if (body.is_linkable !== undefined) p.is_linkable = body.is_linkable === true;
        if (has(body, 'category')) p.category = body.category === null ? null : asText(body.category);
        p.billing_frequency = billing.frequency;
        p.billing_frequency_cycles = billing.cycles;
        if (newPrices) p.prices = newPrices;
        p.custom_fields = customFields;
      };
    },
    serialize: (ctx, p) => serializeProduct(ctx, p),
  });
}

export function serializeProduct(ctx: RequestContext, p: ProductRecord): Record<string, unknown> {
  const { custom_fields, ...plain } = p;
  return { ...plain, custom_fields: serializeCustomFields(ctx.state, 'product', custom_fields, customFieldOutput(ctx.params)) };
}

function defaultPrice(ctx: RequestContext, productId: number): ProductPrice {
  const currency = ctx.state.users.get(ctx.userId)?.default_currency ?? ctx.state.company.default_currency;
  return { product_id: productId, price: 0, currency, cost: 0, direct_cost: null, notes: '' };
}

function prices(ctx: RequestContext, productId: number, value: unknown): ProductPrice[] | undefined {
  if (value === undefined) return undefined;
  const seen = new Set<string>();
  return (value as Record<string, unknown>[]).map((p, i) => {
    const where = `prices.${i}`;
    if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency))
      throw badRequest(`Validation failed: ${where}.currency: Expected a 3-letter currency code`);
    if (seen.has(p.currency)) throw badRequest(`Validation failed: ${where}.currency: Only one price per currency is allowed`);
    seen.add(p.currency);
    for (const key of ['price', 'cost', 'direct_cost'] as const) {
      if (p[key] !== undefined && p[key] !== null && typeof p[key] !== 'number') throw badRequest(`Validation failed: ${where}.${key}: Expected 'number'`);
    }
    if (typeof p.price !== 'number') throw badRequest(`Validation failed: ${where}.price: Required`);
    return {
      product_id: productId,
      price: p.price,
      currency: p.currency,
      cost: (p.cost as number | undefined) ?? 0,
      direct_cost: (p.direct_cost as number | null | undefined) ?? null,
      notes: typeof p.notes === 'string' ? p.notes : '',
    };
  });
}

/**
 * billing_frequency_cycles: null for one-time, required for weekly, otherwise null (indefinitely) or 1..208.
 * The same rules hold for deal products.
 */
export function billingFields(
  body: Record<string, unknown>,
  current: { frequency: BillingFrequency; cycles: number | null },
): { frequency: BillingFrequency; cycles: number | null } {
  const frequency = (body.billing_frequency as BillingFrequency | undefined) ?? current.frequency;
  if (!BILLING_FREQUENCIES.includes(frequency)) throw badRequest(`Validation failed: billing_frequency: Expected one of ${BILLING_FREQUENCIES.join(', ')}`);
  const cycles = has(body, 'billing_frequency_cycles')
    ? ((body.billing_frequency_cycles as number | null) ?? null)
    : frequency === 'one-time'
      ? null
      : current.cycles;
  if (frequency === 'one-time' && cycles !== null)
    throw badRequest('Validation failed: billing_frequency_cycles: Must be null when billing_frequency is one-time');
  if (frequency === 'weekly' && cycles === null)
    throw badRequest('Validation failed: billing_frequency_cycles: Cannot be null when billing_frequency is weekly');
  if (cycles !== null && (!Number.isInteger(cycles) || cycles < 1 || cycles > 208)) {
    throw badRequest('Validation failed: billing_frequency_cycles: Must be a positive integer up to 208');
  }
  return { frequency, cycles };
}
