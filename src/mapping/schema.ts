/**
 * What the account must have before records move: every custom field per entity (only those an active rule
 * writes, so unapproved PHI fields are never created), the pipelines with their stages in order, and the activity
 * types. The SCHEMA phase creates or reuses each by name (activity types by key_string: Meeting and Task exist).
 */
import { customFieldOf, isCustomFieldEntity, type CustomFieldType, type FieldMap } from './field-map';
import { applyPhiDecisions, effectiveCustomType, type PhiDecisions } from './phi';
import { CUSTOM_FIELD_ENTITIES, type CustomFieldEntity } from './types';

export interface CustomFieldRequirement {
  name: string;
  field_type: CustomFieldType;
  /** Enum/set option labels, in order. */
  options?: string[];
  /** Whether the engine relies on searching it (exactly-once keys); its type must stay searchable. */
  searchable: boolean;
  /** The rules that write it. */
  rules: string[];
}

export interface SchemaRequirements {
  customFields: Record<CustomFieldEntity, CustomFieldRequirement[]>;
  pipelines: { name: string; stages: string[] }[];
  activityTypes: { name: string; key_string: string; icon_key: string }[];
}

export function schemaRequirements(map: FieldMap, phi: PhiDecisions): SchemaRequirements {
  const plan = applyPhiDecisions(map, phi);
  const customFields = Object.fromEntries(CUSTOM_FIELD_ENTITIES.map((e) => [e, [] as CustomFieldRequirement[]])) as SchemaRequirements['customFields'];

  for (const { rule, treatment } of plan.active) {
    const field = rule.target.field;
    const entity = rule.target.entity;
    if (field.kind !== 'custom' || !isCustomFieldEntity(entity)) continue;
    const def = customFieldOf(map, entity, field.name);
    if (!def) continue;
    const existing = customFields[entity].find((f) => f.name === def.name);
    if (existing) {
      existing.rules.push(rule.id);
      continue;
    }
    const fieldType = effectiveCustomType(def.field_type, treatment);
    const choice = fieldType === 'enum' || fieldType === 'set';
    customFields[entity].push({
      name: def.name,
      field_type: fieldType,
      ...(choice ? { options: [...(def.options ?? [])] } : {}),
      searchable: def.searchable,
      rules: [rule.id],
    });
  }
  // Keep the map's order, which is the order staff see them in the workbook.
  for (const entity of CUSTOM_FIELD_ENTITIES) {
    const order = map.objects.customFields[entity].map((f) => f.name);
    customFields[entity].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }

  const pipelinesInUse = new Set(plan.active.map(({ rule }) => rule.transform.params.pipeline).filter((p): p is string => typeof p === 'string'));
  const activityTypesInUse = new Set(plan.active.filter(({ rule }) => rule.transform.name === 'activity_type').map(({ rule }) => rule.transform.params.type));
  return {
    customFields,
    pipelines: map.objects.pipelines.filter((p) => pipelinesInUse.has(p.name)).map((p) => ({ name: p.name, stages: [...p.stages] })),
    activityTypes: map.objects.activityTypes.filter((t) => activityTypesInUse.has(t.name)).map((t) => ({ ...t })),
  };
}
