import { z } from 'zod';
import type { AccountState } from './state/account';
import type { SearchIndex } from './state/search-index';
import type { EntityTable } from './state/table';

type AnyRow = { id: number } & Record<string, unknown>;

/**
 * Account automations, for rehearsals and tests: a real Pipedrive account can carry workflow automations that
 * rewrite a field right after a record is created ("when an activity is added, update its subject"). A migration
 * must catch that in the sample's field-level diff before the full run. The sandbox emulates the simplest such
 * rule: append a text to one string field of every n-th record created through the v2 API.
 */
export const AutomationRuleSchema = z
  .object({
    entity: z.enum(['activity', 'person', 'organization', 'deal', 'product']),
    /** A top-level string field of the stored record, e.g. `subject` or `title`. */
    field: z.string().regex(/^[a-z_]+$/u),
    append: z.string().min(1).max(200),
    /** Every n-th created record of the entity (1: all of them). */
    every: z.number().int().positive().default(1),
  })
  .strict();
export type AutomationRule = z.infer<typeof AutomationRuleSchema>;
export const AutomationsUpdateSchema = z.object({ rules: z.array(AutomationRuleSchema).max(20) }).strict();

const COLLECTIONS: Record<string, AutomationRule['entity']> = {
  '/activities': 'activity',
  '/persons': 'person',
  '/organizations': 'organization',
  '/deals': 'deal',
  '/products': 'product',
};

export class Automations {
  private rules: AutomationRule[] = [];
  private created = new Map<AutomationRule['entity'], number>();

  get current(): AutomationRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  set(rules: AutomationRule[]): void {
    this.rules = rules.map((r) => AutomationRuleSchema.parse(r));
    this.created.clear();
  }

  /** Runs after a successful v2 create, as Pipedrive's automations do: the create's response shows the record before. */
  afterCreate(state: AccountState, routePath: string, body: unknown): void {
    if (this.rules.length === 0) return;
    const entity = COLLECTIONS[routePath];
    const id = (body as { data?: { id?: unknown } } | undefined)?.data?.id;
    if (!entity || typeof id !== 'number') return;
    const n = (this.created.get(entity) ?? 0) + 1;
    this.created.set(entity, n);
    for (const rule of this.rules) {
      if (rule.entity !== entity || n % rule.every !== 0) continue;
      const { table, index } = tableOf(state, entity) as unknown as { table: EntityTable<AnyRow>; index: SearchIndex<AnyRow> | undefined };
      const row = table.get(id);
      if (!row || typeof row[rule.field] !== 'string') continue;
      state.change(table, row, (r) => void (r[rule.field] = `${r[rule.field] as string}${rule.append}`), index);
    }
  }
}

function tableOf(state: AccountState, entity: AutomationRule['entity']) {
  switch (entity) {
    case 'activity':
      return { table: state.activities, index: undefined };
    case 'person':
      return { table: state.persons, index: state.searchIndexes.person };
    case 'organization':
      return { table: state.organizations, index: state.searchIndexes.organization };
    case 'deal':
      return { table: state.deals, index: state.searchIndexes.deal };
    case 'product':
      return { table: state.products, index: state.searchIndexes.product };
  }
}
