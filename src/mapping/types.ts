/**
 * The vocabulary of the mapping layer: target entities, record kinds, logical records and build outcomes.
 *
 * A *logical record* is what one source record becomes in Pipedrive, independent of the account: standard
 * fields by their API name, custom fields by their *field name* (enum/set values as option labels, org links as
 * Pipedrive ids). `pipedrive-body.ts` turns it into a request body once the account's 40-hex keys are known.
 */
import type { DentrixTable } from '../dentrix/types';
import type { DataObjectType } from '../object-types/registry';

// The object types, their order and which take custom fields are the object-type registry's (one place).
export { CUSTOM_FIELD_ENTITIES, LOAD_ORDER, type CustomFieldEntity } from '../object-types/registry';
/** Pipedrive objects we write (one per source record): the registry's data types. */
export type TargetEntity = DataObjectType;

/**
 * What kind of source record drives a target record. The kind is also the prefix of its source key
 * (`patient:5`, `household:12`, `newpatient:appt:7`), so one entity can have several kinds
 * (organizations come from guarantors, employers, referral sources and insurance carriers).
 */
export const RECORD_KINDS = {
  household: { entity: 'organization', table: 'patient' },
  employer: { entity: 'organization', table: 'employer' },
  referral: { entity: 'organization', table: 'referral' },
  carrier: { entity: 'organization', table: 'inscarrier' },
  proccode: { entity: 'product', table: 'proccode' },
  patient: { entity: 'person', table: 'patient' },
  newpatient: { entity: 'person', table: 'appt' },
  txcase: { entity: 'deal', table: 'txcase' },
  procedure: { entity: 'deal_product', table: 'procedure' },
  appt: { entity: 'activity', table: 'appt' },
  recall: { entity: 'activity', table: 'recall' },
  clinical_note: { entity: 'note', table: 'clinical_note' },
  document: { entity: 'file', table: 'document' },
} as const satisfies Record<string, { entity: TargetEntity; table: DentrixTable }>;
export type RecordKind = keyof typeof RECORD_KINDS;
export const RECORD_KIND_NAMES = Object.keys(RECORD_KINDS) as RecordKind[];

export function kindsOf(entity: TargetEntity): RecordKind[] {
  return RECORD_KIND_NAMES.filter((kind) => RECORD_KINDS[kind].entity === entity);
}

/** Object types a record can point at; `pipeline` and `stage` are schema elements the SCHEMA phase created. */
export type RefObjectType = 'user' | 'organization' | 'person' | 'deal' | 'product' | 'pipeline' | 'stage';

/** A Pipedrive id a record needs before it can be built: resolved by the engine from its id map. */
export interface RefKey {
  objectType: RefObjectType;
  sourceKey: string;
}

export interface ContactEntry {
  value: string;
  label: string;
  primary: boolean;
}

export interface MonetaryValue {
  value: number;
  currency: string;
}

export interface PriceEntry {
  currency: string;
  price: number;
}

export type FieldValue = null | string | number | boolean | string[] | MonetaryValue | ContactEntry[] | PriceEntry[];

export interface LogicalRecord {
  entity: TargetEntity;
  /** Standard fields by API name (`name`, `emails`, `owner_id`, `due_date`, ...). */
  fields: Record<string, FieldValue>;
  /** Custom fields by field name (`Birth Date`), enum/set values as option labels. */
  custom: Record<string, FieldValue>;
  /**
   * Field ids (see `fieldId`) whose value we cut to Pipedrive's limit and whose rest no field of the record could keep:
   * the diff reports them as truncation. (A cut whose rest is on the review line is checked by the source side.)
   */
  truncated: string[];
}

/** How the diff and reports name a field: standard fields by API name, custom fields as `custom:<name>`. */
export function fieldId(field: { kind: 'standard' | 'custom'; name: string }): string {
  return field.kind === 'custom' ? `custom:${field.name}` : field.name;
}

export const WARNING_CODES = [
  'invalid_phone_dropped',
  'invalid_email_dropped',
  'fallback_owner',
  'unresolved_optional_reference',
  'dst_gap_shifted',
  'dst_overlap_earlier_offset',
  'truncated',
  'unmapped_value',
  'invalid_value_dropped',
  'image_archive_url_missing',
  'fee_defaulted',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** A problem that did not stop the record. Reasons never carry source values (they may be PHI). */
export interface BuildWarning {
  ruleId: string;
  column: string | null;
  code: WarningCode;
  reason: string;
}

export const REVIEW_KINDS = ['refused', 'shortened', 'merged'] as const;
/**
 * refused: the transform did not accept the value (its field is left empty); shortened: cut to Pipedrive's limit;
 * merged: a merged duplicate's value its survivor holds otherwise (the survivor's field keeps the survivor's).
 */
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/** A source value kept for review on its record (review.ts): the value itself is PHI, never in logs or errors. */
export interface ReviewValue {
  /** The rule (or composed field) the value came through. */
  ruleId: string;
  /** The target field, as the diff names it (`emails`, `custom:Preferred Name`, `content`). */
  field: string;
  kind: ReviewKind;
  /** Refused: the value as typed; shortened: the part cut off (the field holds the rest). After the rule's de-identification. */
  value: string;
  /** Whether the built record holds that value whole somewhere (its review field, another field). */
  kept: boolean;
  /** Not on the record whole, so in the record's review file (`reviewFile` of its build outcome). */
  inReviewFile?: boolean;
  /** Merged: the source key of the duplicate the value came from (`patient:12`). */
  from?: string;
}

export type BuildOutcome =
  | {
      kind: 'record';
      entity: TargetEntity;
      sourceKey: string;
      record: LogicalRecord;
      /** The Pipedrive ids this record was built with (owners, organizations, persons, deals, products, stages). */
      refs: RefKey[];
      warnings: BuildWarning[];
      /** Source values refused or shortened on the way, each kept on the record where it fits. */
      review?: ReviewValue[];
      /**
       * The review lines of the values no field of the record holds whole (the review field is full, a note is over
       * 100 KB), each whole: the text of the file attached to the record (source-keys.ts, reviewFileKey). PHI.
       */
      reviewFile?: string;
    }
  | { kind: 'skip'; entity: TargetEntity; sourceKey: string; reason: string }
  | { kind: 'reject'; entity: TargetEntity; sourceKey: string; column: string | null; reason: string };

/**
 * The account's custom fields as resolved by name in the SCHEMA phase: `{ person: { 'Birth Date': {key, type} } }`.
 * `type` is the account's field_type, which wins over the map's when they differ.
 */
export type FieldKeys = Partial<Record<TargetEntity, Record<string, { key: string; type: string; options?: { id: number; label: string }[] }>>>;
