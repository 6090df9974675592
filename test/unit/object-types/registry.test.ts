import fs from 'node:fs';
import path from 'node:path';
import {
  CUSTOM_FIELD_ENTITIES,
  LOAD_ORDER,
  OBJECT_TYPE_ORDER,
  OBJECT_TYPES,
  ROLLBACK_ORDER,
  declaredEndpoints,
  fieldEndpointsOf,
  loadGraph,
  loadWaves,
  loadedBefore,
  writeOperation,
  type Endpoint,
} from '../../../src/object-types/registry';
import { tokenCostEntries } from '@dentrix-pipedrive/pipedrive-spec';

const SRC = path.resolve(__dirname, '../../../src');
const REGISTRY = path.join(SRC, 'object-types', 'registry.ts');

/** Every endpoint reachable from the registry's entries (per-entity ones included). */
function endpointsIn(value: unknown, seen = new Set<unknown>()): Endpoint[] {
  if (!value || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const v = value as Record<string, unknown>;
  if (typeof v.label === 'string' && typeof v.path === 'string' && typeof v.method === 'string') return [v as unknown as Endpoint];
  return Object.values(v).flatMap((child) => endpointsIn(child, seen));
}

describe('the object-type registry', () => {
  it('loads in waves of types that link only to earlier waves, each after the types it loads after', () => {
    expect(loadWaves(LOAD_ORDER)).toEqual([['organization', 'product'], ['person'], ['deal', 'file'], ['deal_product', 'activity', 'note']]);
    for (const t of LOAD_ORDER) {
      const deps = OBJECT_TYPES[t].loadsAfter as readonly string[];
      // A lower rank for every dependency: the rollback's reverse order still deletes children before parents.
      for (const d of deps) expect(OBJECT_TYPES[d as (typeof LOAD_ORDER)[number]].rank).toBeLessThan(OBJECT_TYPES[t].rank);
    }
    expect([...loadedBefore('deal_product')].sort()).toEqual(['deal', 'organization', 'person', 'product']);
    // A run without deals: notes need only persons, which load in the second wave.
    expect(loadWaves(['organization', 'person', 'note'])).toEqual([['organization'], ['person'], ['note']]);
    expect(loadWaves(['note', 'product'])).toEqual([['product', 'note']]);
  });

  it('gives each type of a run the types it loads after among the run’s (the graph the full run walks)', () => {
    expect(loadGraph(LOAD_ORDER)).toEqual({
      organization: [],
      product: [],
      person: ['organization'],
      deal: ['person', 'organization'],
      deal_product: ['deal', 'product'],
      activity: ['person', 'deal'],
      note: ['person', 'deal'],
      file: ['person'],
    });
    // Types outside the run are not waited for: notes of a run without deals wait for persons only.
    expect(loadGraph(['note', 'person'])).toEqual({ person: [], note: ['person'] });
  });

  it('loads in dependency order, schema types below data', () => {
    expect(LOAD_ORDER).toEqual(['organization', 'product', 'person', 'deal', 'deal_product', 'activity', 'note', 'file']);
    const ranks = LOAD_ORDER.map((t) => OBJECT_TYPES[t].rank);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(OBJECT_TYPE_ORDER.map((t) => OBJECT_TYPES[t].rank)).size).toBe(OBJECT_TYPE_ORDER.length); // no ties
    const schema = OBJECT_TYPE_ORDER.filter((t) => OBJECT_TYPES[t].kind === 'schema');
    expect(schema).toEqual(['user', 'activity_type', 'pipeline', 'stage', 'custom_field', 'field_option']);
    const highestSchema = Math.max(...schema.map((t) => OBJECT_TYPES[t].rank));
    expect(LOAD_ORDER.every((t) => OBJECT_TYPES[t].rank > highestSchema)).toBe(true);
    expect(OBJECT_TYPE_ORDER).toEqual([...schema, ...LOAD_ORDER]);
  });

  it('rolls back in the exact reverse', () => {
    expect(ROLLBACK_ORDER).toEqual([...OBJECT_TYPE_ORDER].reverse());
    expect(ROLLBACK_ORDER.filter((t) => (LOAD_ORDER as readonly string[]).includes(t))).toEqual([...LOAD_ORDER].reverse());
    expect(ROLLBACK_ORDER.slice(-6)).toEqual(['field_option', 'custom_field', 'stage', 'pipeline', 'activity_type', 'user']);
  });

  it('declares only endpoints the pinned specs have, at their spec cost (a typo fails here)', () => {
    const table = new Map(tokenCostEntries().map((e) => [`${e.api} ${e.method} ${e.path}`, e.tokens]));
    const reachable = [
      ...endpointsIn(OBJECT_TYPES),
      ...CUSTOM_FIELD_ENTITIES.flatMap((entity) => (['custom_field', 'field_option'] as const).flatMap((t) => endpointsIn(OBJECT_TYPES[t].perEntity(entity)))),
    ];
    expect(reachable.length).toBeGreaterThan(40);
    for (const e of [...reachable, ...declaredEndpoints()]) {
      expect({ endpoint: e.label, tokens: table.get(`${e.api} ${e.method} ${e.path}`) }).toEqual({ endpoint: e.label, tokens: e.tokens });
      expect(e.label).toBe(`${e.method} /api/${e.api}${e.path}`);
    }
    // What the audit log books for a few writes, as the specs price them.
    expect(writeOperation('custom_field', 'create', { sourceKey: 'field:person:Birth Date' }).tokens).toBe(5);
    expect(writeOperation('activity_type', 'create')).toEqual({ method: 'POST', endpoint: 'POST /api/v1/activityTypes', tokens: 10 });
    expect(OBJECT_TYPES.deal_product.endpoints.bulkDelete).toMatchObject({ label: 'DELETE /api/v2/deals/{id}/products', tokens: 15 });
    expect(writeOperation('note', 'update')).toEqual({ method: 'PUT', endpoint: 'PUT /api/v1/notes/{id}', tokens: 10 });
    expect(writeOperation('person', 'update')).toEqual({ method: 'PATCH', endpoint: 'PATCH /api/v2/persons/{id}', tokens: 5 });
  });

  it('labels each custom-field write and delete with its own entity', () => {
    expect([...CUSTOM_FIELD_ENTITIES].sort()).toEqual(['deal', 'organization', 'person', 'product']);
    for (const entity of CUSTOM_FIELD_ENTITIES) {
      const fields = `/api/v2/${entity}Fields`;
      expect(fieldEndpointsOf(entity).create.label).toBe(`POST ${fields}`);
      // A created field (ledger id) and a pending one (only its source key) are named alike.
      expect(writeOperation('custom_field', 'delete', { pipedriveId: `${entity}/abc123` }).endpoint).toBe(`DELETE ${fields}/{field_code}`);
      expect(writeOperation('custom_field', 'delete', { pipedriveId: null, sourceKey: `field:${entity}:Dentrix Source Key` }).endpoint).toBe(
        `DELETE ${fields}/{field_code}`,
      );
      expect(writeOperation('custom_field', 'create', { sourceKey: `field:${entity}:Dentrix Source Key` }).endpoint).toBe(`POST ${fields}`);
      expect(writeOperation('field_option', 'delete', { pipedriveId: `${entity}/abc123/7` }).endpoint).toBe(`DELETE ${fields}/{field_code}/options`);
      expect(writeOperation('field_option', 'create', { sourceKey: `option:${entity}:Carrier:Delta` }).endpoint).toBe(`POST ${fields}/{field_code}/options`);
    }
    expect(() => writeOperation('custom_field', 'delete', {})).toThrow(/entity/u);
  });

  it('is the only place under src/ that lists object types', () => {
    // Array literals naming three or more of the object types the migration writes. The sandbox (which emulates
    // Pipedrive and keeps Pipedrive's own entity lists on purpose apart from the client's registry) and the code
    // generated from the specs are workspaces of their own under packages/, outside src/.
    const names = new Set<string>(LOAD_ORDER);
    const skipped: string[] = [];
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (skipped.includes(full)) continue;
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts') && full !== REGISTRY) {
          const text = fs.readFileSync(full, 'utf8');
          for (const m of text.matchAll(/\[[^[\]]*\]/gu)) {
            const quoted = new Set([...m[0].matchAll(/['"`]([a-z_]+)['"`]/gu)].map((q) => q[1]!).filter((q) => names.has(q)));
            if (quoted.size >= 3) offenders.push(`${path.relative(SRC, full)}:${text.slice(0, m.index).split('\n').length}`);
          }
        }
      }
    };
    walk(SRC);
    expect(offenders).toEqual([]);
  });
});
