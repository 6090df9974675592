import { createHash } from 'node:crypto';
import path from 'node:path';
import { ApiError, badRequest, notFound } from '../../errors';
import type { FileRecord } from '../../state/records';
import { v1Timestamp } from '../../time';
import { requireLive, type LiveLookup } from '../common';
import { ok, type RequestContext, type RouteDefinition } from '../types';
import { parseV1Sort, v1ListPage, v1TablePage } from './pagination';

/** GET /files and the per-entity file lists allow at most 100 per page (the spec). */
const FILES_MAX_LIMIT = 100;
const LINK_KEYS = ['deal_id', 'person_id', 'org_id', 'product_id', 'activity_id', 'lead_id', 'project_id'] as const;
const SORTABLE = ['id', 'user_id', 'deal_id', 'person_id', 'org_id', 'product_id', 'add_time', 'update_time', 'file_name', 'file_type', 'file_size'];

/**
 * v1 files. POST takes multipart/form-data; the bytes are kept (and persisted) so that download returns exactly
 * what was uploaded. DELETE hides the file (active_flag false).
 */
export function fileRoutes(): RouteDefinition[] {
  const find = (ctx: RequestContext): FileRecord => {
    const file = ctx.state.files.getLive(ctx.params.id as number);
    if (!file) throw new ApiError(404, 'File not found');
    return file;
  };
  return [
    {
      api: 'v1',
      method: 'POST',
      path: '/files',
      creates: true,
      multipart: true,
      handle: (ctx) => {
        const upload = ctx.file;
        if (!upload) throw badRequest('No file was uploaded (multipart field "file").');
        const body = (ctx.body ?? {}) as Record<string, unknown>;
        const links = fileLinks(ctx, body);
        if (!LINK_KEYS.some((k) => links[k] !== null)) {
          throw badRequest('File must be attached to a deal, person, organization, product, activity, lead or project.');
        }
        const sha256 = createHash('sha256').update(upload.buffer).digest('hex');
        const ext = path.extname(upload.originalname);
        const time = v1Timestamp(ctx.now);
        const file = ctx.state.insert(ctx.state.files, (id) => ({
          id,
          user_id: ctx.userId,
          ...links,
          add_time: time,
          update_time: time,
          name: upload.originalname,
          // Pipedrive stores a unique name: the original base name plus a hash.
          file_name: `${path.basename(upload.originalname, ext)}_${sha256.slice(0, 40)}${ext}`,
          file_type: fileType(ext),
          file_size: upload.size,
          mime_type: upload.mimetype || 'application/octet-stream',
          sha256,
          active_flag: true,
          description: '',
        }));
        ctx.state.fileContents.set(file.id, upload.buffer);
        return ok(serializeFile(ctx, file));
      },
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/files',
      handle: (ctx) => {
        const sort = parseV1Sort(ctx.params.sort, SORTABLE);
        const page =
          !sort || (sort.field === 'id' && sort.direction === 'asc')
            ? v1TablePage(ctx.state.files, ctx.params, (f) => f.active_flag, 'all', FILES_MAX_LIMIT)
            : v1ListPage(sortFiles([...ctx.state.files.live()], sort), ctx.params, FILES_MAX_LIMIT);
        return ok(
          page.rows.map((f) => serializeFile(ctx, f)),
          { pagination: page.pagination },
        );
      },
    },
    { api: 'v1', method: 'GET', path: '/files/{id}', handle: (ctx) => ok(serializeFile(ctx, find(ctx))) },
    {
      api: 'v1',
      method: 'GET',
      path: '/files/{id}/download',
      handle: (ctx) => {
        const file = find(ctx);
        const bytes = ctx.state.fileContents.get(file.id) ?? Buffer.alloc(0);
        return {
          status: 200,
          raw: bytes,
          headers: {
            'content-type': 'application/octet-stream',
            'content-disposition': `attachment; filename="${file.name.replace(/["\\\r\n]/g, '_')}"`,
          },
        };
      },
    },
    {
      api: 'v1',
      method: 'DELETE',
      path: '/files/{id}',
      handle: (ctx) => {
        const file = find(ctx);
        ctx.state.change(ctx.state.files, file, (f) => {
          f.active_flag = false;
          f.update_time = v1Timestamp(ctx.now);
        });
        return ok({ id: file.id });
      },
    },
    {
      api: 'v1',
      method: 'GET',
      path: '/persons/{id}/files',
      handle: (ctx) => {
        const personId = ctx.params.id as number;
        if (!ctx.state.persons.get(personId)) throw notFound('Person');
        const sort = parseV1Sort(ctx.params.sort, SORTABLE);
        const all = sortFiles(
          [...ctx.state.files.live()].filter((f) => f.person_id === personId),
          sort,
        );
        const page = v1ListPage(all, ctx.params, FILES_MAX_LIMIT);
        // The spec puts start/limit/more_items_in_collection directly in additional_data, the pagination docs
        // under additional_data.pagination: both are sent so clients written to either read it.
        return ok(
          page.rows.map((f) => serializeFile(ctx, f)),
          { ...page.pagination, pagination: page.pagination },
        );
      },
    },
  ];
}

function sortFiles(files: FileRecord[], sort: { field: string; direction: 'asc' | 'desc' } | undefined): FileRecord[] {
  if (!sort) return files;
  const sign = sort.direction === 'asc' ? 1 : -1;
  const key = (f: FileRecord): string | number => (f as unknown as Record<string, string | number | null>)[sort.field] ?? '';
  return files.sort((a, b) => sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
}

function fileLinks(ctx: RequestContext, body: Record<string, unknown>): Pick<FileRecord, (typeof LINK_KEYS)[number]> {
  const ref = (key: string, table: LiveLookup, label: string): number | null =>
    body[key] === undefined || body[key] === null || body[key] === '' ? null : requireLive(table, body[key], key, label);
  return {
    deal_id: ref('deal_id', ctx.state.deals, 'Deal'),
    person_id: ref('person_id', ctx.state.persons, 'Person'),
    org_id: ref('org_id', ctx.state.organizations, 'Organization'),
    product_id: ref('product_id', ctx.state.products, 'Product'),
    activity_id: ref('activity_id', ctx.state.activities, 'Activity'),
    lead_id: typeof body.lead_id === 'string' && body.lead_id !== '' ? body.lead_id : null,
    project_id: typeof body.project_id === 'number' ? body.project_id : null,
  };
}

function fileType(ext: string): string {
  const e = ext.toLowerCase().replace('.', '');
  if (['jpg', 'jpeg', 'png', 'gif', 'bmp', 'tif', 'tiff', 'webp', 'heic'].includes(e)) return 'img';
  if (e === 'pdf') return 'pdf';
  if (['doc', 'docx', 'odt', 'rtf'].includes(e)) return 'doc';
  if (['xls', 'xlsx', 'ods', 'csv'].includes(e)) return 'xls';
  if (['ppt', 'pptx', 'odp'].includes(e)) return 'ppt';
  if (e === 'txt') return 'text';
  return 'other';
}

export function serializeFile(ctx: RequestContext, f: FileRecord): Record<string, unknown> {
  const { state } = ctx;
  const name = (table: { get(id: number): { name?: string; title?: string } | undefined }, id: number | null): string =>
    id === null ? '' : (table.get(id)?.name ?? table.get(id)?.title ?? '');
  return {
    id: f.id,
    user_id: f.user_id,
    deal_id: f.deal_id,
    person_id: f.person_id,
    org_id: f.org_id,
    product_id: f.product_id,
    activity_id: f.activity_id,
    lead_id: f.lead_id,
    project_id: f.project_id,
    log_id: null,
    add_time: f.add_time,
    update_time: f.update_time,
    file_name: f.file_name,
    file_type: f.file_type,
    file_size: f.file_size,
    active_flag: f.active_flag,
    inline_flag: false,
    remote_location: 's3',
    remote_id: f.file_name,
    cid: '',
    s3_bucket: '',
    mail_message_id: '',
    mail_template_id: '',
    deal_name: name(state.deals, f.deal_id),
    person_name: name(state.persons, f.person_id),
    org_name: name(state.organizations, f.org_id),
    product_name: name(state.products, f.product_id),
    lead_name: '',
    project_name: '',
    url: `${ctx.settings.baseUrl}/api/v1/files/${f.id}/download`,
    name: f.name,
    description: f.description,
  };
}
