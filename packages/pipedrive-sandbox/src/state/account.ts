import { customFieldKey } from '../random';
import {
  FIELD_ENTITIES,
  type ActivityRecord,
  type ActivityTypeRecord,
  type DealProductRecord,
  type DealRecord,
  type FieldEntity,
  type FieldRecord,
  type FileRecord,
  type NoteRecord,
  type OrganizationRecord,
  type OrganizationRelationshipRecord,
  type PersonRecord,
  type PipelineRecord,
  type ProductRecord,
  type StageRecord,
  type UserRecord,
} from './records';
import { SearchIndex, type IndexedValues } from './search-index';
import { SEARCHABLE_FIELD_TYPES } from './system-fields';
import { EntityTable } from './table';

export interface Company {
  id: number;
  name: string;
  domain: string;
  country: string;
  industry: string;
  default_currency: string;
  timezone_name: string;
  locale: string;
}

export type SearchableEntity = 'person' | 'organization' | 'deal' | 'product';

/**
 * The whole Pipedrive account the sandbox emulates. Every write goes through `insert`/`change` so that search
 * indexes stay current and persistence learns that something changed.
 */
export class AccountState {
  readonly users = new EntityTable<UserRecord>((u) => u.active_flag);
  readonly activityTypes = new EntityTable<ActivityTypeRecord>((t) => t.active_flag);
  readonly pipelines = new EntityTable<PipelineRecord>((p) => !p.is_deleted);
  readonly stages = new EntityTable<StageRecord>((s) => !s.is_deleted);
  readonly organizations = new EntityTable<OrganizationRecord>((o) => !o.is_deleted);
  readonly persons = new EntityTable<PersonRecord>((p) => !p.is_deleted);
  readonly products = new EntityTable<ProductRecord>((p) => !p.is_deleted);
  readonly deals = new EntityTable<DealRecord>((d) => !d.is_deleted);
  readonly dealProducts = new EntityTable<DealProductRecord>(() => true);
  readonly activities = new EntityTable<ActivityRecord>((a) => !a.is_deleted);
  readonly notes = new EntityTable<NoteRecord>((n) => n.active_flag);
  readonly files = new EntityTable<FileRecord>((f) => f.active_flag);
  readonly organizationRelationships = new EntityTable<OrganizationRelationshipRecord>((r) => r.active_flag);
  readonly fields: Record<FieldEntity, EntityTable<FieldRecord>> = {
    person: new EntityTable<FieldRecord>((f) => !f.is_deleted),
    organization: new EntityTable<FieldRecord>((f) => !f.is_deleted),
    deal: new EntityTable<FieldRecord>((f) => !f.is_deleted),
    product: new EntityTable<FieldRecord>((f) => !f.is_deleted),
    activity: new EntityTable<FieldRecord>((f) => !f.is_deleted),
  };
  /** File bytes by file id. */
  readonly fileContents = new Map<number, Buffer>();

  private readonly fieldsByCode: Record<FieldEntity, Map<string, FieldRecord>> = {
    person: new Map(),
    organization: new Map(),
    deal: new Map(),
    product: new Map(),
    activity: new Map(),
  };
  private readonly dealProductIdsByDeal = new Map<number, Set<number>>();

  readonly searchIndexes: { [E in SearchableEntity]: SearchIndex<EntityRow<E>> };

  /** Account-wide counter: Pipedrive's option ids are numbers unique within the account. */
  nextOptionId = 1;
  /** How many custom-field keys have been generated (drives seeded key generation). */
  fieldKeySequence = 0;

  private changeListener: (() => void) | undefined;
  /** people_count per organization, recomputed only after persons changed. */
  private peopleCounts: Map<number, number> | undefined;

  constructor(
    public company: Company,
    readonly keySeed: number | undefined,
  ) {
    this.searchIndexes = {
      person: new SearchIndex<PersonRecord>(
        (p) => [
          ['name', p.name],
          ...p.emails.map((e) => ['email', e.value] as const),
          ...p.phones.map((e) => ['phone', e.value] as const),
          ...this.customSearchValues('person', p.custom_fields),
        ],
        () => this.persons.live(),
      ),
      organization: new SearchIndex<OrganizationRecord>(
        (o) => [
          ['name', o.name],
          ...(o.address?.value ? [['address', o.address.value] as const] : []),
          ...this.customSearchValues('organization', o.custom_fields),
        ],
        () => this.organizations.live(),
      ),
      deal: new SearchIndex<DealRecord>(
        (d) => [['title', d.title], ...this.customSearchValues('deal', d.custom_fields)],
        () => this.deals.live(),
      ),
      product: new SearchIndex<ProductRecord>(
        (p) => [['name', p.name], ...(p.code ? [['code', p.code] as const] : []), ...this.customSearchValues('product', p.custom_fields)],
        () => this.products.live(),
      ),
    };
  }

  onChange(listener: () => void): void {
    this.changeListener = listener;
  }

  markChanged(): void {
    this.changeListener?.();
  }

  /** Live persons linked to an organization. */
  peopleCount(orgId: number): number {
    if (!this.peopleCounts) {
      this.peopleCounts = new Map();
      for (const p of this.persons.live()) if (p.org_id !== null) this.peopleCounts.set(p.org_id, (this.peopleCounts.get(p.org_id) ?? 0) + 1);
    }
    return this.peopleCounts.get(orgId) ?? 0;
  }

  /** Creates a record; searchable entities are added to their search index. */
  insert<T extends { id: number }>(table: EntityTable<T>, build: (id: number) => T, index?: SearchIndex<T>): T {
    const row = table.insert(build);
    if (index && table.isLive(row)) index.update(undefined, index.snapshotValues(row), row.id);
    this.afterInsert(table, row);
    if (table === (this.persons as unknown)) this.peopleCounts = undefined;
    this.markChanged();
    return row;
  }

  /** Applies `mutate` to a record, keeping its search index current (a record that stops being live leaves it). */
  change<T extends { id: number }>(table: EntityTable<T>, row: T, mutate: (row: T) => void, index?: SearchIndex<T>): T {
    const before = index && table.isLive(row) ? index.snapshotValues(row) : undefined;
    mutate(row);
    if (index) index.update(before, table.isLive(row) ? index.snapshotValues(row) : undefined, row.id);
    if (table === (this.persons as unknown)) this.peopleCounts = undefined;
    this.markChanged();
    return row;
  }

  removeDealProduct(row: DealProductRecord): void {
    this.dealProducts.remove(row.id);
    this.dealProductIdsByDeal.get(row.deal_id)?.delete(row.id);
    this.markChanged();
  }

  /** Deal products of one deal, in id order. */
  dealProductsOf(dealId: number): DealProductRecord[] {
    const ids = [...(this.dealProductIdsByDeal.get(dealId) ?? [])].sort((a, b) => a - b);
    return ids.map((id) => this.dealProducts.get(id)!).filter(Boolean);
  }

  field(entity: FieldEntity, code: string): FieldRecord | undefined {
    const field = this.fieldsByCode[entity].get(code);
    return field && !field.is_deleted ? field : undefined;
  }

  /** Live custom fields of an entity, in creation order. */
  customFields(entity: FieldEntity): FieldRecord[] {
    const result: FieldRecord[] = [];
    for (const f of this.fields[entity].live()) if (f.is_custom_field) result.push(f);
    return result;
  }

  newFieldKey(): string {
    this.fieldKeySequence += 1;
    let key = customFieldKey(this.keySeed, this.fieldKeySequence);
    while (FIELD_ENTITIES.some((e) => this.fieldsByCode[e].has(key))) {
      this.fieldKeySequence += 1;
      key = customFieldKey(this.keySeed, this.fieldKeySequence);
    }
    return key;
  }

  allocateOptionId(): number {
    return this.nextOptionId++;
  }

  /** Registers a restored record's derived lookups (field codes, deal-product membership). */
  afterInsert<T extends { id: number }>(table: EntityTable<T>, row: T): void {
    for (const entity of FIELD_ENTITIES) {
      if (table === (this.fields[entity] as unknown)) {
        const field = row as unknown as FieldRecord;
        this.fieldsByCode[entity].set(field.field_code, field);
        return;
      }
    }
    if (table === (this.dealProducts as unknown)) {
      const dp = row as unknown as DealProductRecord;
      let set = this.dealProductIdsByDeal.get(dp.deal_id);
      if (!set) this.dealProductIdsByDeal.set(dp.deal_id, (set = new Set()));
      set.add(dp.id);
    }
  }

  private customSearchValues(entity: FieldEntity, values: Record<string, unknown>): IndexedValues {
    const result: (readonly [string, string])[] = [];
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined) continue;
      const field = this.field(entity, key);
      if (!field || !SEARCHABLE_FIELD_TYPES.has(field.field_type)) continue;
      const text = searchableText(value);
      if (text !== undefined) result.push([key, text]);
    }
    return result;
  }
}

/** The text search matches for a custom-field value: scalars as text, composite values by their `value`. */
function searchableText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && 'value' in value) {
    const inner = value.value;
    if (typeof inner === 'string' || typeof inner === 'number') return String(inner);
  }
  return undefined;
}

export type EntityRow<E extends SearchableEntity> = E extends 'person'
  ? PersonRecord
  : E extends 'organization'
    ? OrganizationRecord
    : E extends 'deal'
      ? DealRecord
      : ProductRecord;

/** Tables in dependency order: snapshots, persistence and the fingerprint walk them in this order. */
export function accountTables(state: AccountState): [string, EntityTable<{ id: number }>][] {
  return [
    ['users', state.users],
    ['activityTypes', state.activityTypes],
    ['pipelines', state.pipelines],
    ['stages', state.stages],
    ['personFields', state.fields.person],
    ['organizationFields', state.fields.organization],
    ['dealFields', state.fields.deal],
    ['productFields', state.fields.product],
    ['activityFields', state.fields.activity],
    ['organizations', state.organizations],
    ['organizationRelationships', state.organizationRelationships],
    ['products', state.products],
    ['persons', state.persons],
    ['deals', state.deals],
    ['dealProducts', state.dealProducts],
    ['activities', state.activities],
    ['notes', state.notes],
    ['files', state.files],
  ] as unknown as [string, EntityTable<{ id: number }>][];
}
