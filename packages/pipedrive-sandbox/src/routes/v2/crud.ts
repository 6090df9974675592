import { notFound } from '../../errors';
import type { AccountState } from '../../state/account';
import type { SearchIndex } from '../../state/search-index';
import type { EntityTable } from '../../state/table';
import { rfc3339 } from '../../time';
import { bodyObject, idParam, listPage, parseIds } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';

interface SoftDeletable {
  id: number;
  is_deleted: boolean;
  update_time: string;
}

export interface EntityRoutesConfig<R extends SoftDeletable> {
  /** `/persons` */
  collection: string;
  /** "Person": errors read "Person not found". */
  label: string;
  table: (state: AccountState) => EntityTable<R>;
  index?: (state: AccountState) => SearchIndex<R>;
  /** The spec's status for POST: 200, or 201 for products. */
  createStatus: 200 | 201;
  /** Which records a list returns for these parameters (deleted ones only where the endpoint allows it). */
  listFilter: (ctx: RequestContext) => (row: R) => boolean;
  sortValue?: (row: R, field: string) => string | number | null;
  /** Validates a create body and returns the new record for an id. */
  create: (ctx: RequestContext, body: Record<string, unknown>) => (id: number) => R;
  /** Validates an update body and returns the change to apply. */
  update: (ctx: RequestContext, row: R, body: Record<string, unknown>) => (row: R) => void;
  serialize: (ctx: RequestContext, row: R) => unknown;
  /** Side effects of a delete on other records (e.g. a pipeline's stages). */
  afterDelete?: (ctx: RequestContext, row: R) => void;
}

/**
 * The five CRUD routes a v2 entity has. DELETE is a soft delete (`is_deleted: true`; Pipedrive purges after 30
 * days, the sandbox keeps them). GET of a deleted record still answers 200 with `is_deleted: true` — the v2 GET
 * schemas carry `is_deleted`, which would be pointless otherwise — while PATCH and DELETE of it answer 404.
 */
export function entityRoutes<R extends SoftDeletable>(cfg: EntityRoutesConfig<R>): RouteDefinition[] {
  const item = `${cfg.collection}/{id}`;
  const find = (ctx: RequestContext): R => {
    const row = cfg.table(ctx.state).get(idParam(ctx));
    if (!row) throw notFound(cfg.label);
    return row;
  };
  const findLive = (ctx: RequestContext): R => {
    const row = find(ctx);
    if (row.is_deleted) throw notFound(cfg.label);
    return row;
  };
  return [
    {
      api: 'v2',
      method: 'GET',
      path: cfg.collection,
      handle: (ctx) => {
        const page = listPage({
          table: cfg.table(ctx.state),
          params: ctx.params,
          include: cfg.listFilter(ctx),
          sortValue: cfg.sortValue,
          ids: parseIds(ctx.params.ids),
        });
        return ok(
          page.rows.map((row) => cfg.serialize(ctx, row)),
          { next_cursor: page.nextCursor },
        );
      },
    },
    {
      api: 'v2',
      method: 'POST',
      path: cfg.collection,
      creates: true,
      handle: (ctx) => {
        const build = cfg.create(ctx, bodyObject(ctx));
        const row = ctx.state.insert(cfg.table(ctx.state), build, cfg.index?.(ctx.state));
        return ok(cfg.serialize(ctx, row), undefined, cfg.createStatus);
      },
    },
    {
      api: 'v2',
      method: 'GET',
      path: item,
      handle: (ctx) => ok(cfg.serialize(ctx, find(ctx))),
    },
    {
      api: 'v2',
      method: 'PATCH',
      path: item,
      handle: (ctx) => {
        const row = findLive(ctx);
        const apply = cfg.update(ctx, row, bodyObject(ctx));
        ctx.state.change(
          cfg.table(ctx.state),
          row,
          (r) => {
            apply(r);
            r.update_time = rfc3339(ctx.now);
          },
          cfg.index?.(ctx.state),
        );
        return ok(cfg.serialize(ctx, row));
      },
    },
    {
      api: 'v2',
      method: 'DELETE',
      path: item,
      handle: (ctx) => {
        const row = findLive(ctx);
        ctx.state.change(
          cfg.table(ctx.state),
          row,
          (r) => {
            r.is_deleted = true;
            r.update_time = rfc3339(ctx.now);
          },
          cfg.index?.(ctx.state),
        );
        cfg.afterDelete?.(ctx, row);
        return ok({ id: row.id });
      },
    },
  ];
}
