/**
 * A field map checked as a whole: beyond its shape (field-map.ts), every rule against the transforms, derived sources,
 * standard fields and custom fields it names. parseFieldMap is the one way an edited or proposed map comes in.
 */
import { isDataObjectType, loadedBefore } from '../object-types/registry';
import { SINGLE_ROW_TABLES } from './bundles';
import { derivedKinds } from './derived';
import { customFieldOf, FieldMapShape, isCustomFieldEntity, SEARCHABLE_FIELD_TYPES, STRING_FIELD_TYPES, type CustomFieldDef, type FieldMap } from './field-map';
import { transformParams } from './rule-transforms';
import { PATIENT_ID_FIELD, SOURCE_KEY_FIELD } from './source-keys';
import { STANDARD_FIELDS, isComposedField } from './standard-fields';
import { CUSTOM_FIELD_ENTITIES, RECORD_KINDS, RECORD_KIND_NAMES, type RecordKind } from './types';

export const FieldMapSchema = FieldMapShape.superRefine((map, ctx) => {
  for (const problem of mapProblems(map)) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

export class FieldMapError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'FieldMapError';
  }
}

/** Parse a map (e.g. an edited JSON file); throws FieldMapError listing every problem by path. */
export function parseFieldMap(input: unknown): FieldMap {
  const result = FieldMapSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(map)'}: ${issue.message}`);
  throw new FieldMapError(`field map is not valid: ${issues.length} problem(s)\n${issues.join('\n')}`, issues);
}

// ---------------------------------------------------------------------------------------------------------------
// Validation beyond shapes

interface MapProblem {
  path: (string | number)[];
  message: string;
}

function mapProblems(map: FieldMap): MapProblem[] {
  const problems: MapProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });

  for (const entity of CUSTOM_FIELD_ENTITIES) {
    const seen = new Set<string>();
    map.objects.customFields[entity].forEach((field, i) => {
      const path = ['objects', 'customFields', entity, i];
      if (seen.has(field.name)) add(path, `duplicate custom field ${entity}.${field.name}`);
      seen.add(field.name);
      const hasOptions = (field.options?.length ?? 0) > 0 || field.optionsFrom !== undefined;
      if ((field.field_type === 'enum' || field.field_type === 'set') && !hasOptions) add(path, `${field.name}: ${field.field_type} field needs options`);
      if (field.field_type !== 'enum' && field.field_type !== 'set' && (field.options || field.optionsFrom))
        add(path, `${field.name}: only enum and set fields take options`);
      if (field.options && new Set(field.options.map((o) => o.toLowerCase())).size !== field.options.length) add(path, `${field.name}: duplicate options`);
      if (field.searchable && !SEARCHABLE_FIELD_TYPES.includes(field.field_type))
        add(path, `${field.name}: Pipedrive cannot search ${field.field_type} fields`);
    });
    const keyField = map.objects.customFields[entity].find((f) => f.name === SOURCE_KEY_FIELD);
    if (!keyField || keyField.field_type !== 'varchar' || !keyField.searchable) {
      add(['objects', 'customFields', entity], `${entity} needs a searchable varchar "${SOURCE_KEY_FIELD}" field (exactly-once key)`);
    }
  }
  const patientIdField = map.objects.customFields.person.find((f) => f.name === PATIENT_ID_FIELD);
  if (!patientIdField || patientIdField.field_type !== 'varchar' || !patientIdField.searchable) {
    add(['objects', 'customFields', 'person'], `person needs a searchable varchar "${PATIENT_ID_FIELD}" field`);
  }

  map.objects.pipelines.forEach((pipeline, i) => {
    const path = ['objects', 'pipelines', i];
    if (new Set(pipeline.stages).size !== pipeline.stages.length) add(path, `${pipeline.name}: duplicate stages`);
    for (const [status, mapping] of Object.entries(pipeline.statusMap)) {
      if (!pipeline.stages.includes(mapping.stage)) add([...path, 'statusMap', status], `stage ${mapping.stage} is not a stage of ${pipeline.name}`);
      if (mapping.lostReason !== undefined && mapping.status !== 'lost') add([...path, 'statusMap', status], 'lostReason only applies to lost');
    }
  });
  const activityTypeNames = map.objects.activityTypes.map((t) => t.name);
  if (new Set(activityTypeNames).size !== activityTypeNames.length) add(['objects', 'activityTypes'], 'duplicate activity types');

  const ids = new Set<string>();
  const targets = new Map<string, string>();
  const sourceKeyRules = new Set<RecordKind>();
  map.rules.forEach((rule, i) => {
    const path = ['rules', i];
    const problem = (message: string) => add(path, `${rule.id}: ${message}`);
    if (ids.has(rule.id)) problem('duplicate rule id');
    ids.add(rule.id);
    if (!rule.id.startsWith(`${rule.kind}.`)) problem(`rule id must start with its kind (${rule.kind}.)`);

    const entity = RECORD_KINDS[rule.kind].entity;
    if (rule.target.entity !== entity) problem(`${rule.kind} records become ${entity}, not ${rule.target.entity}`);
    const field = rule.target.field;
    const mapped = field.kind !== 'not_migrated';

    if (rule.source.kind === 'columns' && mapped && !SINGLE_ROW_TABLES[rule.kind].includes(rule.source.table)) {
      problem(`a ${rule.kind} record has no single ${rule.source.table} row to read columns from (use a derived source)`);
    }
    if (rule.source.kind === 'derived' && !derivedKinds(rule.source.name).includes(rule.kind)) {
      problem(`derived source ${rule.source.name} does not apply to ${rule.kind} records`);
    }
    const params = transformParams(rule.transform.name).safeParse(rule.transform.params);
    if (!params.success)
      problem(`transform ${rule.transform.name} parameters: ${params.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    // Waves load at the same time (registry loadsAfter): a link to a type that does not load before this one would
    // find no Pipedrive id.
    const linked = rule.transform.name === 'ref' && params.success ? (params.data as { objectType?: string }).objectType : undefined;
    if (linked && isDataObjectType(linked) && isDataObjectType(entity) && !loadedBefore(entity).has(linked)) {
      problem(`links to ${linked}, which does not load before ${entity} (the registry's loadsAfter): the link would never resolve`);
    }
    if (mapped === (rule.transform.name === 'not_migrated')) problem('not_migrated targets and only they use the not_migrated transform');

    let customType: CustomFieldDef['field_type'] | undefined;
    if (field.kind === 'standard' && STANDARD_FIELDS[entity][field.name] === undefined) problem(`${field.name} is not a standard ${entity} field we write`);
    if (field.kind === 'custom') {
      const def = customFieldOf(map, entity, field.name);
      if (!def) problem(`custom field ${entity}.${field.name} is not defined in objects.customFields`);
      customType = def?.field_type;
    }
    if (mapped) {
      const targetKey = `${rule.kind}|${field.kind}|${field.name}`;
      const composed = field.kind === 'standard' && isComposedField(entity, field.name);
      if (targets.has(targetKey) && !composed) problem(`${field.kind} field ${field.name} is already written by ${targets.get(targetKey)}`);
      targets.set(targetKey, rule.id);
      if (field.kind === 'custom' && field.name === SOURCE_KEY_FIELD && rule.transform.name === 'source_key') sourceKeyRules.add(rule.kind);
    }

    if (rule.phi === 'phi' && rule.deidentify === undefined) problem('a PHI rule needs a default de-identification');
    if (rule.phi !== 'phi' && rule.deidentify !== undefined) problem('only PHI rules take a de-identification');
    if (rule.phi === 'never' && mapped) problem('a field that never moves must target not_migrated');
    if (rule.deidentify === 'year_only' && customType !== 'date') problem('year_only applies to date fields only');
    if (rule.deidentify === 'mask') {
      if (customType === undefined || !STRING_FIELD_TYPES.includes(customType)) problem('mask applies to text custom fields only');
    }
  });

  for (const kind of RECORD_KIND_NAMES) {
    const entity = RECORD_KINDS[kind].entity;
    if (isCustomFieldEntity(entity) && !sourceKeyRules.has(kind)) {
      add(['rules'], `${kind} records need a rule writing "${SOURCE_KEY_FIELD}" with the source_key transform`);
    }
  }
  return problems;
}
