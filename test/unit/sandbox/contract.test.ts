/**
 * Contract test: for every route the sandbox serves, a representative valid request is validated against
 * Pipedrive's official OpenAPI spec, sent, and the sandbox's answer (status and body) validated against the same
 * spec, with openapi-backend (an independent validator: the sandbox's own validation code is not used here).
 * The route table is enumerated, so a served route without a case fails the test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import OpenAPIBackend, { type Document } from 'openapi-backend';
import { sandboxRoutes, SPEC_FILES, specsDirectory, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { call, created, createField, start, v1, v2, type Json } from './helpers';

/*
 * openapi-backend requires @apidevtools/json-schema-ref-parser, which ships as ESM only; jest runs this project as
 * CommonJS and cannot load it. In quick mode with an in-memory document, openapi-backend only calls its `parse()`
 * (dereferencing uses the CommonJS `dereference-json-schema`), and `parse()` of an object returns the object.
 */
jest.mock('@apidevtools/json-schema-ref-parser', () => {
  const passthrough = (doc: unknown): Promise<unknown> => Promise.resolve(doc);
  return { __esModule: true, default: { parse: passthrough, dereference: passthrough, resolve: passthrough } };
});

type Api = 'v1' | 'v2';

interface ContractRequest {
  /** Path relative to the version root, e.g. `/persons/3`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** multipart/form-data fields (the file goes in as `file`). */
  multipart?: { fields: Record<string, string>; fileName: string; content: Buffer };
}

interface Fixture {
  orgA: number;
  orgB: number;
  person: number;
  product: number;
  deal: number;
  dealProduct: number;
  activity: number;
  pipeline: number;
  stage: number;
  note: number;
  file: number;
  fileBytes: Buffer;
  relationship: number;
  activityType: number;
  varcharKey: string;
  enumKey: string;
  enumOptionIds: number[];
  fieldKeys: Record<string, string>;
}

/**
 * Where Pipedrive's published spec contradicts its own examples and documented behaviour, the sandbox follows the
 * live behaviour and this test adjusts the spec, one named adjustment each:
 * - Nullability: the specs mark only some properties `nullable`, yet the live API (and the spec's own examples,
 *   e.g. deal `origin_id: null`, search `organization: null`) returns `null` for unset values such as a person's
 *   `org_id`. Response properties are accepted as null; types, shapes and required keys stay checked.
 * - v1 timestamps: activity types declare `format: date-time`, but the spec's examples and the v1 API send
 *   "YYYY-MM-DD HH:MM:SS". The format is dropped from v1 response schemas.
 * - Product search `item.code` is declared integer; product codes are strings everywhere else in the spec
 *   (POST /products `code: string`, the itemSearch example `"code": "product-code"`).
 */
function adjustSpec(api: Api, doc: Json): Document {
  const visit = (node: unknown, fn: (schema: Record<string, unknown>) => void): void => {
    if (Array.isArray(node)) node.forEach((n) => visit(n, fn));
    else if (node && typeof node === 'object') {
      fn(node as Record<string, unknown>);
      Object.values(node).forEach((v) => visit(v, fn));
    }
  };
  const responseSchemas: unknown[] = [doc.components?.schemas ?? {}];
  for (const pathItem of Object.values(doc.paths as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(pathItem)) if (op && typeof op === 'object' && op.responses) responseSchemas.push(op.responses);
  }
  for (const root of responseSchemas) {
    visit(root, (schema) => {
      if (typeof schema.type === 'string') schema.nullable = true;
      if (api === 'v1' && schema.format === 'date-time') delete schema.format;
    });
  }
  if (api === 'v2') {
    const code = doc.paths['/products/search'].get.responses['200'].content['application/json'].schema;
    visit(code, (schema) => {
      const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
      if (props?.code && props.type && props.visible_to) props.code = { type: 'string', nullable: true };
    });
  }
  return doc as Document;
}

const backends: Partial<Record<Api, OpenAPIBackend>> = {};

async function backend(api: Api): Promise<OpenAPIBackend> {
  if (!backends[api]) {
    const doc = yaml.load(readFileSync(path.join(specsDirectory(), SPEC_FILES[api]), 'utf8')) as Json;
    const instance = new OpenAPIBackend({
      definition: adjustSpec(api, doc),
      quick: true,
      validate: true,
      coerceTypes: true,
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await instance.init();
    backends[api] = instance;
  }
  return backends[api];
}

function decodeFormFields(fields: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));
}

function key(api: Api, method: string, specPath: string): string {
  return `${api} ${method} ${specPath}`;
}

/** One representative valid request per served route. Ordered: deletes come last and delete their own victims. */
function contractCases(sandbox: RunningSandbox): [string, (f: Fixture) => Promise<ContractRequest> | ContractRequest][] {
  const newPerson = async (): Promise<number> => (await created(v2(sandbox, 'POST', '/persons', { body: { name: 'Victim Person' } }))).id;
  const newOrg = async (): Promise<number> => (await created(v2(sandbox, 'POST', '/organizations', { body: { name: 'Victim Org' } }))).id;
  const newDeal = async (): Promise<number> => (await created(v2(sandbox, 'POST', '/deals', { body: { title: 'Victim deal' } }))).id;
  const newField = async (entity: string, type = 'varchar'): Promise<string> =>
    (
      await createField(sandbox, entity as 'person', {
        field_name: `Victim ${type}`,
        field_type: type,
        ...(type === 'enum' ? { options: [{ label: 'One' }, { label: 'Two' }] } : {}),
      })
    ).field_code;
  const entityCases = (
    collection: string,
    fixtureKey: 'person' | 'orgA' | 'deal' | 'activity' | 'product' | 'pipeline' | 'stage',
    createBody: (f: Fixture) => unknown,
    patchBody: unknown,
    victim: () => Promise<number>,
  ) =>
    [
      [key('v2', 'GET', collection), () => ({ path: collection, query: { limit: '2', sort_by: 'id', sort_direction: 'asc' } })],
      [key('v2', 'POST', collection), (f: Fixture) => ({ path: collection, body: createBody(f) })],
      [key('v2', 'GET', `${collection}/{id}`), (f: Fixture) => ({ path: `${collection}/${f[fixtureKey]}` })],
      [key('v2', 'PATCH', `${collection}/{id}`), (f: Fixture) => ({ path: `${collection}/${f[fixtureKey]}`, body: patchBody })],
      [key('v2', 'DELETE', `${collection}/{id}`), async () => ({ path: `${collection}/${await victim()}` })],
    ] as [string, (f: Fixture) => Promise<ContractRequest> | ContractRequest][];

  const fieldCases = (entity: string) => {
    const c = `/${entity}Fields`;
    return [
      [key('v2', 'GET', c), () => ({ path: c, query: { limit: '50' } })],
      [key('v2', 'POST', c), () => ({ path: c, body: { field_name: 'Contract field', field_type: 'enum', options: [{ label: 'A' }, { label: 'B' }] } })],
      [key('v2', 'GET', `${c}/{field_code}`), (f: Fixture) => ({ path: `${c}/${f.fieldKeys[entity]!}`, query: { include_fields: 'ui_visibility' } })],
      [key('v2', 'PATCH', `${c}/{field_code}`), (f: Fixture) => ({ path: `${c}/${f.fieldKeys[entity]!}`, body: { field_name: 'Renamed field' } })],
      [key('v2', 'POST', `${c}/{field_code}/options`), (f: Fixture) => ({ path: `${c}/${f.fieldKeys[entity]!}/options`, body: [{ label: 'New option' }] })],
      [
        key('v2', 'PATCH', `${c}/{field_code}/options`),
        async (f: Fixture) => {
          const field = (await v2(sandbox, 'GET', `${c}/${f.fieldKeys[entity]!}`)).body.data;
          return { path: `${c}/${f.fieldKeys[entity]!}/options`, body: [{ id: field.options[0].id as number, label: 'Relabelled' }] };
        },
      ],
      [
        key('v2', 'DELETE', `${c}/{field_code}/options`),
        async (f: Fixture) => {
          const field = (await v2(sandbox, 'GET', `${c}/${f.fieldKeys[entity]!}`)).body.data;
          return { path: `${c}/${f.fieldKeys[entity]!}/options`, body: [{ id: field.options[1].id as number }] };
        },
      ],
      [key('v2', 'DELETE', `${c}/{field_code}`), async () => ({ path: `${c}/${await newField(entity)}` })],
    ] as [string, (f: Fixture) => Promise<ContractRequest> | ContractRequest][];
  };

  return [
    ...entityCases(
      '/persons',
      'person',
      (f) => ({ name: 'Ada Contract', org_id: f.orgA, emails: [{ value: 'ada@contract.example', primary: true }], custom_fields: { [f.varcharKey]: 'C-1' } }),
      { name: 'Ada Renamed' },
      newPerson,
    ),
    ...entityCases(
      '/organizations',
      'orgA',
      () => ({ name: 'Contract Org', address: { value: '1 Main St' } }),
      { website: 'https://lakeside.example' },
      newOrg,
    ),
    ...entityCases(
      '/deals',
      'deal',
      (f) => ({ title: 'Contract deal', person_id: f.person, value: 120, currency: 'USD', custom_fields: { [f.enumKey]: f.enumOptionIds[0] } }),
      { status: 'won' },
      newDeal,
    ),
    [key('v2', 'GET', '/deals/archived'), () => ({ path: '/deals/archived' })],
    ...entityCases(
      '/activities',
      'activity',
      (f) => ({
        subject: 'Cleaning',
        type: 'meeting',
        due_date: '2026-03-01',
        due_time: '14:30',
        duration: '01:00',
        participants: [{ person_id: f.person, primary: true }],
      }),
      { done: true },
      async () => (await created(v2(sandbox, 'POST', '/activities', { body: { subject: 'Victim' } }))).id,
    ),
    ...entityCases(
      '/products',
      'product',
      () => ({ name: 'D1110 Prophylaxis - adult', code: 'D1110', prices: [{ currency: 'USD', price: 95 }] }),
      { unit: 'visit' },
      async () => (await created(v2(sandbox, 'POST', '/products', { body: { name: 'Victim product' } }))).id,
    ),
    ...entityCases(
      '/pipelines',
      'pipeline',
      () => ({ name: 'Recall pipeline' }),
      { is_deal_probability_enabled: true },
      async () => (await created(v2(sandbox, 'POST', '/pipelines', { body: { name: 'Victim pipeline' } }))).id,
    ),
    ...entityCases(
      '/stages',
      'stage',
      (f) => ({ name: 'Scheduled', pipeline_id: f.pipeline }),
      { days_to_rotten: 30, is_deal_rot_enabled: true },
      async () => (await created(v2(sandbox, 'POST', '/stages', { body: { name: 'Victim stage', pipeline_id: 1 } }))).id,
    ),
    ...fieldCases('person'),
    ...fieldCases('organization'),
    ...fieldCases('deal'),
    ...fieldCases('product'),
    [key('v2', 'GET', '/activityFields'), () => ({ path: '/activityFields' })],
    [key('v2', 'GET', '/activityFields/{field_code}'), () => ({ path: '/activityFields/subject' })],
    [key('v2', 'GET', '/deals/{id}/products'), (f) => ({ path: `/deals/${f.deal}/products` })],
    [key('v2', 'POST', '/deals/{id}/products'), (f) => ({ path: `/deals/${f.deal}/products`, body: { product_id: f.product, item_price: 95, quantity: 1 } })],
    [
      key('v2', 'POST', '/deals/{id}/products/bulk'),
      (f) => ({
        path: `/deals/${f.deal}/products/bulk`,
        body: { data: [{ product_id: f.product, item_price: 50, quantity: 2, discount: 10, discount_type: 'percentage' }] },
      }),
    ],
    [
      key('v2', 'PATCH', '/deals/{id}/products/{product_attachment_id}'),
      (f) => ({ path: `/deals/${f.deal}/products/${f.dealProduct}`, body: { quantity: 3 } }),
    ],
    [key('v2', 'GET', '/deals/products'), (f) => ({ path: '/deals/products', query: { deal_ids: String(f.deal) } })],
    [
      key('v2', 'DELETE', '/deals/{id}/products/{product_attachment_id}'),
      async (f) => {
        const attached = await created(v2(sandbox, 'POST', `/deals/${f.deal}/products`, { body: { product_id: f.product, item_price: 1, quantity: 1 } }));
        return { path: `/deals/${f.deal}/products/${attached.id as number}` };
      },
    ],
    [
      key('v2', 'DELETE', '/deals/{id}/products'),
      async (f) => {
        const attached = await created(v2(sandbox, 'POST', `/deals/${f.deal}/products`, { body: { product_id: f.product, item_price: 1, quantity: 1 } }));
        return { path: `/deals/${f.deal}/products`, query: { ids: String(attached.id) } };
      },
    ],
    [key('v2', 'GET', '/persons/search'), () => ({ path: '/persons/search', query: { term: 'C-1', fields: 'custom_fields', exact_match: 'true' } })],
    [key('v2', 'GET', '/organizations/search'), () => ({ path: '/organizations/search', query: { term: 'Lakeside', fields: 'name' } })],
    [key('v2', 'GET', '/deals/search'), () => ({ path: '/deals/search', query: { term: 'Crown', fields: 'title' } })],
    [key('v2', 'GET', '/products/search'), () => ({ path: '/products/search', query: { term: 'D2740', fields: 'code', exact_match: 'true' } })],
    [key('v2', 'GET', '/itemSearch'), () => ({ path: '/itemSearch', query: { term: 'Lakeside', item_types: 'organization', limit: '10' } })],
    [
      key('v2', 'GET', '/itemSearch/field'),
      (f) => ({ path: '/itemSearch/field', query: { term: 'P-0001', entity_type: 'person', field: f.varcharKey, match: 'exact' } }),
    ],
    [key('v1', 'GET', '/users'), () => ({ path: '/users' })],
    [key('v1', 'GET', '/users/me'), () => ({ path: '/users/me' })],
    [key('v1', 'GET', '/users/{id}'), () => ({ path: '/users/2' })],
    [key('v1', 'GET', '/users/find'), () => ({ path: '/users/find', query: { term: 'dana', search_by_email: '0' } })],
    [key('v1', 'GET', '/activityTypes'), () => ({ path: '/activityTypes' })],
    [key('v1', 'POST', '/activityTypes'), () => ({ path: '/activityTypes', body: { name: 'Recall visit', icon_key: 'calendar', color: '2E86C1' } })],
    [key('v1', 'PUT', '/activityTypes/{id}'), (f) => ({ path: `/activityTypes/${f.activityType}`, body: { name: 'Hygiene recall' } })],
    [key('v1', 'GET', '/notes'), (f) => ({ path: '/notes', query: { person_id: String(f.person), start: '0', limit: '10' } })],
    [
      key('v1', 'POST', '/notes'),
      (f) => ({ path: '/notes', body: { content: '<p>Prefers morning visits</p>', person_id: f.person, add_time: '2019-05-04 10:00:00' } }),
    ],
    [key('v1', 'GET', '/notes/{id}'), (f) => ({ path: `/notes/${f.note}` })],
    [key('v1', 'PUT', '/notes/{id}'), (f) => ({ path: `/notes/${f.note}`, body: { content: '<p>Updated</p>', pinned_to_person_flag: 1 } })],
    [
      key('v1', 'POST', '/files'),
      (f) => ({
        path: '/files',
        multipart: { fields: { person_id: String(f.person) }, fileName: 'xray-bitewing.png', content: Buffer.from('not really a png') },
      }),
    ],
    [key('v1', 'GET', '/files'), () => ({ path: '/files', query: { start: '0', limit: '100' } })],
    [key('v1', 'GET', '/files/{id}'), (f) => ({ path: `/files/${f.file}` })],
    [key('v1', 'GET', '/files/{id}/download'), (f) => ({ path: `/files/${f.file}/download` })],
    [key('v1', 'GET', '/persons/{id}/files'), (f) => ({ path: `/persons/${f.person}/files` })],
    [key('v1', 'GET', '/organizationRelationships'), (f) => ({ path: '/organizationRelationships', query: { org_id: String(f.orgA) } })],
    [
      key('v1', 'POST', '/organizationRelationships'),
      (f) => ({ path: '/organizationRelationships', body: { type: 'related', rel_owner_org_id: f.orgB, rel_linked_org_id: f.orgA } }),
    ],
    [key('v1', 'GET', '/organizationRelationships/{id}'), (f) => ({ path: `/organizationRelationships/${f.relationship}`, query: { org_id: String(f.orgB) } })],
    [key('v1', 'PUT', '/organizationRelationships/{id}'), (f) => ({ path: `/organizationRelationships/${f.relationship}`, body: { type: 'parent' } })],
    [
      key('v1', 'DELETE', '/organizationRelationships/{id}'),
      async (f) => {
        const rel = await created(
          v1(sandbox, 'POST', '/organizationRelationships', { body: { type: 'related', rel_owner_org_id: f.orgA, rel_linked_org_id: f.orgB } }),
        );
        return { path: `/organizationRelationships/${rel.id as number}` };
      },
    ],
    [
      key('v1', 'DELETE', '/notes/{id}'),
      async (f) => ({ path: `/notes/${(await created(v1(sandbox, 'POST', '/notes', { body: { content: 'victim', person_id: f.person } }))).id as number}` }),
    ],
    [
      key('v1', 'DELETE', '/files/{id}'),
      async (f) => {
        const form = new FormData();
        form.set('person_id', String(f.person));
        form.set('file', new Blob([Buffer.from('victim')]), 'victim.txt');
        return { path: `/files/${(await created(call(sandbox, 'POST', '/api/v1/files', { form }))).id as number}` };
      },
    ],
    [
      key('v1', 'DELETE', '/activityTypes/{id}'),
      async () => ({
        path: `/activityTypes/${(await created(v1(sandbox, 'POST', '/activityTypes', { body: { name: 'Victim type', icon_key: 'task' } }))).id as number}`,
      }),
    ],
  ];
}

async function buildFixture(sandbox: RunningSandbox): Promise<Fixture> {
  const varchar = await createField(sandbox, 'person', { field_name: 'Dentrix Patient ID', field_type: 'varchar' });
  const dealEnum = await createField(sandbox, 'deal', {
    field_name: 'Treatment status',
    field_type: 'enum',
    options: [{ label: 'Proposed' }, { label: 'Accepted' }],
  });
  const fieldKeys: Record<string, string> = {};
  for (const entity of ['person', 'organization', 'deal', 'product'] as const) {
    fieldKeys[entity] = (
      await createField(sandbox, entity, { field_name: 'Options field', field_type: 'set', options: [{ label: 'X' }, { label: 'Y' }, { label: 'Z' }] })
    ).field_code;
  }
  const orgA = await created(v2(sandbox, 'POST', '/organizations', { body: { name: 'Lakeside Insurance Co', address: { value: '200 Lake Rd, Austin TX' } } }));
  const orgB = await created(v2(sandbox, 'POST', '/organizations', { body: { name: 'Lakeside Employer LLC' } }));
  const person = await created(
    v2(sandbox, 'POST', '/persons', {
      body: { name: 'Pat Patient', org_id: orgA.id, phones: [{ value: '+1 512 555 0100' }], custom_fields: { [varchar.field_code]: 'P-0001' } },
    }),
  );
  const product = await created(
    v2(sandbox, 'POST', '/products', { body: { name: 'D2740 Crown - porcelain', code: 'D2740', prices: [{ currency: 'USD', price: 1200 }] } }),
  );
  const deal = await created(v2(sandbox, 'POST', '/deals', { body: { title: 'Crown treatment plan', person_id: person.id, org_id: orgA.id } }));
  const dealProduct = await created(
    v2(sandbox, 'POST', `/deals/${deal.id as number}/products`, { body: { product_id: product.id, item_price: 1200, quantity: 1 } }),
  );
  const activity = await created(v2(sandbox, 'POST', '/activities', { body: { subject: 'Exam', type: 'meeting', deal_id: deal.id, person_id: person.id } }));
  const pipeline = await created(v2(sandbox, 'POST', '/pipelines', { body: { name: 'Treatment plans' } }));
  const stage = await created(v2(sandbox, 'POST', '/stages', { body: { name: 'Proposed', pipeline_id: pipeline.id } }));
  const note = await created(v1(sandbox, 'POST', '/notes', { body: { content: 'Allergic to latex', person_id: person.id } }));
  const fileBytes = Buffer.from('%PDF-1.4 consent form');
  const form = new FormData();
  form.set('person_id', String(person.id));
  form.set('file', new Blob([fileBytes]), 'consent.pdf');
  const file = await created(call(sandbox, 'POST', '/api/v1/files', { form }));
  const relationship = await created(
    v1(sandbox, 'POST', '/organizationRelationships', { body: { type: 'parent', rel_owner_org_id: orgA.id, rel_linked_org_id: orgB.id } }),
  );
  const activityType = await created(v1(sandbox, 'POST', '/activityTypes', { body: { name: 'Hygiene', icon_key: 'task' } }));
  return {
    orgA: orgA.id,
    orgB: orgB.id,
    person: person.id,
    product: product.id,
    deal: deal.id,
    dealProduct: dealProduct.id,
    activity: activity.id,
    pipeline: pipeline.id,
    stage: stage.id,
    note: note.id,
    file: file.id,
    fileBytes,
    relationship: relationship.id,
    activityType: activityType.id,
    varcharKey: varchar.field_code,
    enumKey: dealEnum.field_code,
    enumOptionIds: (dealEnum.options ?? []).map((o) => o.id),
    fieldKeys,
  };
}

describe('sandbox contract with the Pipedrive OpenAPI specs', () => {
  let sandbox: RunningSandbox;
  let fixture: Fixture;
  let cases: ReturnType<typeof contractCases>;

  beforeAll(async () => {
    sandbox = await start({ seed: 7 });
    fixture = await buildFixture(sandbox);
    cases = contractCases(sandbox);
    await Promise.all([backend('v1'), backend('v2')]);
  });
  afterAll(() => sandbox.close());

  it('has a contract case for every served route, and no case for a route it does not serve', () => {
    const served = sandboxRoutes().map((r) => key(r.api, r.method, r.path));
    const covered = cases.map(([k]) => k);
    expect(served.filter((k) => !covered.includes(k))).toEqual([]);
    expect(covered.filter((k) => !served.includes(k))).toEqual([]);
    expect(new Set(covered).size).toBe(covered.length);
  });

  it('serves only operations the specs define', async () => {
    for (const route of sandboxRoutes()) {
      const api = await backend(route.api);
      const op = api.matchOperation({ method: route.method.toLowerCase(), path: route.path.replace(/\{[^}]+\}/g, '1'), headers: {}, query: {} });
      expect({ route: key(route.api, route.method, route.path), path: op?.path }).toEqual({
        route: key(route.api, route.method, route.path),
        path: route.path,
      });
    }
  });

  // One test per route, in table order (creates before the deletes that need their own victims).
  const routeKeys = sandboxRoutes().map((r) => key(r.api, r.method, r.path));
  const ordered = [...routeKeys].sort((a, b) => Number(a.includes(' DELETE ')) - Number(b.includes(' DELETE ')));
  it.each(ordered)('%s: request and response follow the spec', async (routeKey) => {
    const [api, method] = routeKey.split(' ') as [Api, string];
    const build = cases.find(([k]) => k === routeKey)?.[1];
    if (!build) throw new Error(`no contract case for ${routeKey}`);
    const request = await build(fixture);
    const backendForApi = await backend(api);
    const operation = backendForApi.matchOperation({ method: method.toLowerCase(), path: request.path, headers: {}, query: {} });
    expect(operation).toBeDefined();

    const contentType = request.multipart ? 'multipart/form-data' : 'application/json';
    const requestCheck = backendForApi.validateRequest(
      {
        method: method.toLowerCase(),
        path: request.path,
        query: request.query ?? {},
        headers: { 'content-type': contentType, 'x-api-token': 'sandbox-token' },
        // Multipart fields travel as text; the spec's types describe the decoded values.
        body: request.multipart ? { ...decodeFormFields(request.multipart.fields), file: request.multipart.fileName } : request.body,
      },
      operation,
    );
    expect(requestCheck.errors ?? []).toEqual([]);

    let form: FormData | undefined;
    if (request.multipart) {
      form = new FormData();
      for (const [k, v] of Object.entries(request.multipart.fields)) form.set(k, v);
      form.set('file', new Blob([request.multipart.content]), request.multipart.fileName);
    }
    const res = await call(sandbox, method, `/api/${api}${request.path}`, { query: request.query, body: request.body, form });
    const documented = Object.keys(operation!.responses ?? {}).find((code) => code.startsWith('2'));
    expect({ status: res.status, body: res.status === Number(documented) ? 'ok' : res.body }).toEqual({ status: Number(documented), body: 'ok' });

    if (routeKey === 'v1 GET /files/{id}/download') {
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(res.body as string)).toEqual(fixture.fileBytes);
      return;
    }
    const responseCheck = backendForApi.validateResponse(res.body, operation!, res.status);
    expect(responseCheck.errors ?? []).toEqual([]);
    expect(res.body.success).toBe(true);
  });
});
