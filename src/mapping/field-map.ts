/**
 * The field map as data: versioned, zod-validated, reviewed by the practice before anything is written.
 *
 * A map is { format, version, objects, options, rules }:
 * - `objects`: the practice-independent target definitions (custom fields per entity, the Treatment Plans
 *   pipeline with its stages and status value map, activity types, how providers resolve to users);
 * - `options`: the mapping choices an operator may change (new-patient bookings, broken/cancelled
 *   appointments, appointment status vocabularies, image archive URL, phone region);
 * - `rules`: one row per source → target mapping, including what deliberately does not move (`not_migrated`),
 *   each with a named transform, a PHI classification and a one-line rationale.
 *
 * This module is the map's shape and types; the checks across its parts and parseFieldMap are in map-validation.ts,
 * the default map in default-map.ts. It names transforms and derived sources through transform-names.ts and
 * derived-names.ts, never their implementations, which depend on its types (test/unit/mapping/import-cycles.test.ts).
 */
import { z } from 'zod';
import { DENTRIX_TABLES } from '../dentrix/types';
import { DERIVED_SOURCE_NAMES } from './derived-names';
import { TRANSFORM_NAMES } from './transform-names';
import { CUSTOM_FIELD_ENTITIES, LOAD_ORDER, RECORD_KIND_NAMES, type CustomFieldEntity, type RecordKind, type TargetEntity } from './types';

export const FIELD_MAP_FORMAT = 'dentrix-pipedrive-map/1';

export const CUSTOM_FIELD_TYPES = [
  'varchar',
  'varchar_auto',
  'text',
  'double',
  'monetary',
  'date',
  'enum',
  'set',
  'user',
  'org',
  'people',
  'phone',
  'address',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
/** Pipedrive searches custom fields of these types only; exactly-once keys need one of them. */
export const SEARCHABLE_FIELD_TYPES: readonly CustomFieldType[] = ['address', 'varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone'];
/** Types whose values are plain strings, so masking applies. */
export const STRING_FIELD_TYPES: readonly CustomFieldType[] = ['varchar', 'varchar_auto', 'text', 'phone', 'address'];

const DentrixTableSchema = z.enum(DENTRIX_TABLES);
const TargetEntitySchema = z.enum(LOAD_ORDER);
const RecordKindSchema = z.enum(RECORD_KIND_NAMES as [RecordKind, ...RecordKind[]]);

export const CustomFieldDefSchema = z
  .object({
    name: z.string().min(1).max(255),
    field_type: z.enum(CUSTOM_FIELD_TYPES),
    options: z.array(z.string().min(1).max(255)).optional(),
    /** Options also taken from the practice's own lookup table (e.g. recall type names), see `withSourceOptions`. */
    optionsFrom: z
      .object({ table: DentrixTableSchema, column: z.string().min(1) })
      .strict()
      .optional(),
    searchable: z.boolean().default(false),
  })
  .strict();
export type CustomFieldDef = z.infer<typeof CustomFieldDefSchema>;

export const StageMappingSchema = z
  .object({ stage: z.string().min(1), status: z.enum(['open', 'won', 'lost']), lostReason: z.string().min(1).optional() })
  .strict();

export const PipelineDefSchema = z
  .object({
    name: z.string().min(1),
    /** Stage names in pipeline order. */
    stages: z.array(z.string().min(1)).min(1),
    /** Source status → stage and deal status (case- and space-insensitive keys). */
    statusMap: z.record(z.string(), StageMappingSchema),
  })
  .strict();
export type PipelineDef = z.infer<typeof PipelineDefSchema>;

export const ActivityTypeDefSchema = z.object({ name: z.string().min(1), key_string: z.string().min(1), icon_key: z.string().min(1) }).strict();

export const ObjectsSchema = z
  .object({
    customFields: z
      .object({
        person: z.array(CustomFieldDefSchema),
        organization: z.array(CustomFieldDefSchema),
        deal: z.array(CustomFieldDefSchema),
        product: z.array(CustomFieldDefSchema),
      })
      .strict(),
    pipelines: z.array(PipelineDefSchema),
    activityTypes: z.array(ActivityTypeDefSchema),
    /** Providers become users by email (the engine resolves them); unmatched ones own nothing: the fallback owner does. */
    users: z
      .object({
        sourceTable: z.literal('provider'),
        matchBy: z.literal('email'),
        caseInsensitive: z.boolean(),
        fallback: z.literal('fallback_owner'),
        rationale: z.string().min(1),
      })
      .strict(),
  })
  .strict();

export const MapOptionsSchema = z
  .object({
    /** Bookings with no patient record: a minimal person keyed newpatient:appt:<id>, or skip booking and person. */
    newPatientBooking: z.enum(['create_person', 'skip']),
    /** Broken and cancelled appointments: open with a status line, done with a status line, or skipped. */
    brokenCancelledAppointments: z.enum(['open_with_marker', 'done_with_marker', 'skip']),
    /** appt_status descriptions per class (case-insensitive); anything else counts as scheduled. */
    appointmentStatuses: z
      .object({ completed: z.array(z.string().min(1)), broken: z.array(z.string().min(1)), cancelled: z.array(z.string().min(1)) })
      .strict(),
    /** Base URL of the practice's image archive; the per-person link is <base>/<patient_id>. */
    imageArchiveBaseUrl: z.url().nullable(),
    /** Region for phone numbers typed without a country code. */
    phoneRegion: z.string().regex(/^[A-Z]{2}$/u),
  })
  .strict();
export type MapOptions = z.infer<typeof MapOptionsSchema>;

const SourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('columns'), table: DentrixTableSchema, columns: z.array(z.string().min(1)).min(1) }).strict(),
  z.object({ kind: z.literal('derived'), name: z.enum(DERIVED_SOURCE_NAMES) }).strict(),
  z.object({ kind: z.literal('constant') }).strict(),
]);
export type RuleSource = z.infer<typeof SourceSchema>;

const TargetFieldSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('standard'), name: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('custom'), name: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('not_migrated') }).strict(),
]);

export const PHI_CLASSES = ['none', 'phi', 'never'] as const;
export type PhiClass = (typeof PHI_CLASSES)[number];

export const FieldRuleSchema = z
  .object({
    /** `<kind>.<name>`; PHI decisions name rules by this id. */
    id: z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/u),
    kind: RecordKindSchema,
    source: SourceSchema,
    target: z.object({ entity: TargetEntitySchema, field: TargetFieldSchema }).strict(),
    transform: z.object({ name: z.enum(TRANSFORM_NAMES), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
    phi: z.enum(PHI_CLASSES),
    /** For PHI: the de-identification proposed when the practice approves the field. */
    deidentify: z.enum(['mask', 'year_only', 'drop']).optional(),
    /** Without this rule's value the record is pointless: if PHI excludes it, the record is skipped by rule. */
    essential: z.boolean().default(false),
    rationale: z.string().min(1),
  })
  .strict();
export type FieldRule = z.infer<typeof FieldRuleSchema>;
export type MappedTarget = Extract<FieldRule['target']['field'], { kind: 'standard' | 'custom' }>;

/** The map's shape; FieldMapSchema (map-validation.ts) adds the checks across its parts. */
export const FieldMapShape = z
  .object({
    format: z.literal(FIELD_MAP_FORMAT),
    /** Bumped on every edit; the approved version is the one the run uses. */
    version: z.number().int().positive(),
    objects: ObjectsSchema,
    options: MapOptionsSchema,
    rules: z.array(FieldRuleSchema).min(1),
  })
  .strict();
export type FieldMap = z.infer<typeof FieldMapShape>;

export function customFieldOf(map: FieldMap, entity: TargetEntity, name: string): CustomFieldDef | undefined {
  if (!isCustomFieldEntity(entity)) return undefined;
  return map.objects.customFields[entity].find((f) => f.name === name);
}

export function isCustomFieldEntity(entity: TargetEntity): entity is CustomFieldEntity {
  return (CUSTOM_FIELD_ENTITIES as readonly string[]).includes(entity);
}

/** The address a provider is matched to a Pipedrive user by (objects.users: email, case-insensitive). */
export function providerMatchEmail(provider: { email: string | null }): string | null {
  const email = provider.email?.trim().toLowerCase();
  return email ? email : null;
}

/**
 * The map with enum/set options extended by the practice's own lookup values (fields with `optionsFrom`, e.g.
 * Recall Type ← recalltype.name). Pure: the engine passes the staged lookup rows when it proposes the map.
 */
export function withSourceOptions(map: FieldMap, rowsByTable: Partial<Record<string, readonly object[]>>): FieldMap {
  const extend = (field: CustomFieldDef): CustomFieldDef => {
    if (!field.optionsFrom) return field;
    const fromSource = (rowsByTable[field.optionsFrom.table] ?? [])
      .map((row) => (row as Record<string, unknown>)[field.optionsFrom!.column])
      .filter((v): v is string => typeof v === 'string')
      .map((v) => v.trim().replace(/\s+/gu, ' '))
      .filter((v) => v !== '' && v.length <= 255);
    const options = [...(field.options ?? [])];
    for (const label of fromSource) {
      if (!options.some((o) => o.toLowerCase() === label.toLowerCase())) options.push(label);
    }
    return { ...field, options };
  };
  const customFields = Object.fromEntries(
    CUSTOM_FIELD_ENTITIES.map((entity) => [entity, map.objects.customFields[entity].map(extend)]),
  ) as FieldMap['objects']['customFields'];
  return { ...map, objects: { ...map.objects, customFields } };
}
