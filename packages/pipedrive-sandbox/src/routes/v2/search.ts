import { badRequest } from '../../errors';
import type { AccountState, SearchableEntity } from '../../state/account';
import type { DealRecord, OrganizationRecord, PersonRecord, ProductRecord } from '../../state/records';
import type { SearchIndex } from '../../state/search-index';
import { SEARCHABLE_FIELD_TYPES } from '../../state/system-fields';
import { asText, pageLimit } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';

const ITEM_SEARCH_MAX_LIMIT = 100;

/** Which searchable fields each entity has, and the search index key a `fields` value maps to. */
const SEARCH_FIELDS: Record<SearchableEntity, Record<string, string[] | 'custom' | 'notes'>> = {
  person: { name: ['name'], email: ['email'], phone: ['phone'], custom_fields: 'custom', notes: 'notes' },
  organization: { name: ['name'], address: ['address'], custom_fields: 'custom', notes: 'notes' },
  deal: { title: ['title'], custom_fields: 'custom', notes: 'notes' },
  product: { name: ['name'], code: ['code'], custom_fields: 'custom' },
};

interface Hit {
  id: number;
  score: number;
  customValues: string[];
  notes: string[];
}

/**
 * Search. Matching goes through per-field value indexes (built on first use, then kept current), so an exact
 * lookup of a custom field value — how a migration finds a record by its source id — costs a map lookup.
 * `exact_match` compares whole values ignoring case; otherwise a value matches when it contains the term.
 */
export function searchRoutes(): RouteDefinition[] {
  const entitySearch = (path: string, entity: SearchableEntity): RouteDefinition => ({
    api: 'v2',
    method: 'GET',
    path,
    search: true,
    handle: (ctx) => {
      const term = searchTerm(ctx.params.term, ctx.params.exact_match === true);
      const hits = searchEntity(ctx, entity, term, ctx.params.exact_match === true, fieldList(ctx.params.fields)).filter((hit) =>
        entityFilter(ctx, entity)(hit.id),
      );
      const { slice, nextCursor } = offsetPage(ctx, hits, pageLimit(ctx.params));
      return ok({ items: slice.map((hit) => ({ result_score: hit.score, item: searchItem(ctx.state, entity, hit) })) }, { next_cursor: nextCursor });
    },
  });

  return [
    entitySearch('/persons/search', 'person'),
    entitySearch('/organizations/search', 'organization'),
    entitySearch('/deals/search', 'deal'),
    entitySearch('/products/search', 'product'),
    {
      api: 'v2',
      method: 'GET',
      path: '/itemSearch',
      search: true,
      handle: (ctx) => {
        const exact = ctx.params.exact_match === true;
        const term = searchTerm(ctx.params.term, exact);
        const types = typeof ctx.params.item_types === 'string' ? ctx.params.item_types.split(',').map((t) => t.trim()) : undefined;
        const fields = fieldList(ctx.params.fields);
        const results: { type: string; hit: Hit }[] = [];
        for (const entity of ['deal', 'person', 'organization', 'product'] as const) {
          if (types && !types.includes(entity)) continue;
          const relevant = fields?.filter((f) => f in SEARCH_FIELDS[entity]);
          if (fields && relevant?.length === 0) continue;
          for (const hit of searchEntity(ctx, entity, term, exact, relevant)) results.push({ type: entity, hit });
        }
        if ((!types || types.includes('file')) && (!fields || fields.includes('name'))) {
          for (const file of ctx.state.files.live()) {
            if (matches(file.name.toLowerCase(), term.toLowerCase(), exact))
              results.push({ type: 'file', hit: { id: file.id, score: exact ? 1 : 0.5, customValues: [], notes: [] } });
          }
        }
        results.sort((a, b) => b.hit.score - a.hit.score || a.type.localeCompare(b.type) || a.hit.id - b.hit.id);
        const { slice, nextCursor } = offsetPage(ctx, results, pageLimit(ctx.params, ITEM_SEARCH_MAX_LIMIT));
        const items = slice.map(({ type, hit }) => ({
          result_score: hit.score,
          item: type === 'file' ? fileItem(ctx, hit.id) : searchItem(ctx.state, type as SearchableEntity, hit),
        }));
        return ok({ items, related_items: [] }, { next_cursor: nextCursor });
      },
    },
    {
      api: 'v2',
      method: 'GET',
      path: '/itemSearch/field',
      search: true,
      handle: (ctx) => {
        const match = (ctx.params.match as 'exact' | 'beginning' | 'middle' | undefined) ?? 'exact';
        const term = searchTerm(ctx.params.term, match === 'exact');
        const entityType = ctx.params.entity_type as string;
        const field = ctx.params.field as string;
        if (!(entityType in SEARCH_FIELDS)) return ok([], { next_cursor: null });
        const entity = entityType as SearchableEntity;
        const system = Object.values(SEARCH_FIELDS[entity]).some((keys) => Array.isArray(keys) && keys.includes(field));
        const custom = ctx.state.field(entity, field);
        if (!system && !(custom?.is_custom_field && SEARCHABLE_FIELD_TYPES.has(custom.field_type))) {
          throw badRequest(`Validation failed: field: Field '${field}' is not searchable`);
        }
        // Case-sensitive, unlike the other searches: the lower-cased index narrows, the real value decides.
        const index = ctx.state.searchIndexes[entity] as unknown as SearchIndex<{ id: number }>;
        const lower = term.toLowerCase();
        const candidates =
          match === 'exact' ? index.exact(field, term) : index.matching(field, (v) => (match === 'beginning' ? v.startsWith(lower) : v.includes(lower)));
        const table = tableOf(ctx.state, entity);
        const ids = candidates
          .filter((id) => {
            const row = table.getLive(id);
            if (!row) return false;
            return index
              .snapshotValues(row)
              .some(([f, v]) => f === field && (match === 'exact' ? v === term : match === 'beginning' ? v.startsWith(term) : v.includes(term)));
          })
          .sort((a, b) => a - b);
        const { slice, nextCursor } = offsetPage(ctx, ids, pageLimit(ctx.params));
        return ok(
          slice.map((id) => ({ id, name: displayName(table.get(id)!) })),
          { next_cursor: nextCursor },
        );
      },
    },
  ];
}

function searchTerm(raw: unknown, exact: boolean): string {
  const term = asText(raw ?? '').trim();
  if (term.length < (exact ? 1 : 2)) {
    throw badRequest(`Validation failed: term: Must be at least ${exact ? 1 : 2} character${exact ? '' : 's'} long`);
  }
  return term;
}

function fieldList(raw: unknown): string[] | undefined {
  return typeof raw === 'string'
    ? raw
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
    : undefined;
}

function matches(lowerValue: string, lowerTerm: string, exact: boolean): boolean {
  return exact ? lowerValue === lowerTerm : lowerValue.includes(lowerTerm);
}

function searchEntity(ctx: RequestContext, entity: SearchableEntity, term: string, exact: boolean, fields: string[] | undefined): Hit[] {
  const index = ctx.state.searchIndexes[entity] as unknown as SearchIndex<{ id: number }>;
  const lower = term.toLowerCase();
  const hits = new Map<number, Hit>();
  const hit = (id: number, score: number): Hit => {
    let h = hits.get(id);
    if (!h) hits.set(id, (h = { id, score, customValues: [], notes: [] }));
    h.score = Math.max(h.score, score);
    return h;
  };
  const lookup = (key: string): { id: number; score: number }[] => {
    if (exact) return index.exact(key, term).map((id) => ({ id, score: 1 }));
    return index.matching(key, (v) => v.includes(lower)).map((id) => ({ id, score: 0.5 }));
  };
  const table = tableOf(ctx.state, entity);
  for (const [name, keys] of Object.entries(SEARCH_FIELDS[entity])) {
    if (fields && !fields.includes(name)) continue;
    if (keys === 'custom') {
      for (const field of ctx.state.customFields(entity)) {
        if (!SEARCHABLE_FIELD_TYPES.has(field.field_type)) continue;
        for (const { id, score } of lookup(field.field_code)) {
          const row = table.getLive(id);
          const value = row && index.snapshotValues(row).find(([f]) => f === field.field_code)?.[1];
          if (value !== undefined) hit(id, score).customValues.push(value);
        }
      }
    } else if (keys === 'notes') {
      const link = entity === 'person' ? 'person_id' : entity === 'organization' ? 'org_id' : 'deal_id';
      for (const note of ctx.state.notes.live()) {
        const target = note[link];
        if (target === null || !matches(note.content.toLowerCase(), lower, exact)) continue;
        if (table.getLive(target)) hit(target, exact ? 1 : 0.5).notes.push(note.content);
      }
    } else {
      for (const key of keys) for (const { id, score } of lookup(key)) if (table.getLive(id)) hit(id, score);
    }
  }
  return [...hits.values()].sort((a, b) => b.score - a.score || a.id - b.id);
}

/** The endpoint-specific filters: persons by organization, deals by person, organization and status. */
function entityFilter(ctx: RequestContext, entity: SearchableEntity): (id: number) => boolean {
  const p = ctx.params as Record<string, number | string | undefined>;
  if (entity === 'person' && p.organization_id !== undefined) return (id) => ctx.state.persons.get(id)?.org_id === p.organization_id;
  if (entity === 'deal') {
    return (id) => {
      const d = ctx.state.deals.get(id)!;
      return (
        (p.person_id === undefined || d.person_id === p.person_id) &&
        (p.organization_id === undefined || d.org_id === p.organization_id) &&
        (p.status === undefined || d.status === p.status)
      );
    };
  }
  return () => true;
}

function tableOf(state: AccountState, entity: SearchableEntity) {
  return { person: state.persons, organization: state.organizations, deal: state.deals, product: state.products }[entity] as unknown as {
    get(id: number): { id: number } | undefined;
    getLive(id: number): { id: number } | undefined;
  };
}

function displayName(row: { id: number }): string {
  const r = row as { name?: string; title?: string };
  return r.name ?? r.title ?? '';
}

function organizationRef(state: AccountState, id: number | null) {
  const org = id === null ? undefined : state.organizations.get(id);
  return org ? { id: org.id, name: org.name, address: org.address?.value ?? null } : null;
}

function searchItem(state: AccountState, entity: SearchableEntity, hit: Hit): Record<string, unknown> {
  switch (entity) {
    case 'person': {
      const p = state.persons.get(hit.id) as PersonRecord;
      return {
        id: p.id,
        type: 'person',
        name: p.name,
        phones: p.phones.map((x) => x.value),
        emails: p.emails.map((x) => x.value),
        visible_to: p.visible_to,
        owner: { id: p.owner_id },
        organization: organizationRef(state, p.org_id),
        custom_fields: hit.customValues,
        notes: hit.notes,
      };
    }
    case 'organization': {
      const o = state.organizations.get(hit.id) as OrganizationRecord;
      return {
        id: o.id,
        type: 'organization',
        name: o.name,
        address: o.address?.value ?? null,
        visible_to: o.visible_to,
        owner: { id: o.owner_id },
        custom_fields: hit.customValues,
        notes: hit.notes,
      };
    }
    case 'deal': {
      const d = state.deals.get(hit.id) as DealRecord;
      const stage = state.stages.get(d.stage_id);
      const person = d.person_id === null ? undefined : state.persons.get(d.person_id);
      return {
        id: d.id,
        type: 'deal',
        title: d.title,
        value: d.value,
        currency: d.currency,
        status: d.status,
        visible_to: d.visible_to,
        owner: { id: d.owner_id },
        stage: stage ? { id: stage.id, name: stage.name } : null,
        person: person ? { id: person.id, name: person.name } : null,
        organization: organizationRef(state, d.org_id),
        custom_fields: hit.customValues,
        notes: hit.notes,
        is_archived: d.is_archived,
      };
    }
    case 'product': {
      const p = state.products.get(hit.id) as ProductRecord;
      return {
        id: p.id,
        type: 'product',
        name: p.name,
        code: p.code,
        visible_to: p.visible_to,
        owner: { id: p.owner_id },
        custom_fields: hit.customValues,
      };
    }
  }
}

function fileItem(ctx: RequestContext, id: number): Record<string, unknown> {
  const f = ctx.state.files.get(id)!;
  return { id: f.id, type: 'file', name: f.name, url: `/files/${f.id}/download` };
}

/** Search results are ranked, so their cursor is an offset into the ranking. */
function offsetPage<T>(ctx: RequestContext, all: T[], limit: number): { slice: T[]; nextCursor: string | null } {
  let offset = 0;
  if (typeof ctx.params.cursor === 'string') {
    try {
      offset = (JSON.parse(Buffer.from(ctx.params.cursor, 'base64url').toString('utf8')) as { offset: number }).offset;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw badRequest('Validation failed: cursor: Invalid cursor');
  }
  const slice = all.slice(offset, offset + limit);
  const nextCursor = offset + limit < all.length ? Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url') : null;
  return { slice, nextCursor };
}
