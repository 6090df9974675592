/**
 * The standard (built-in) Pipedrive fields the mapping writes, per entity, with the kind of value each holds.
 * The kind drives body conversion, read-back and the diff's normalisation.
 */
import type { TargetEntity } from './types';

export type StandardFieldKind =
  | 'text' // short plain text, ≤ 255
  | 'long_text' // plain text without a documented limit (deal-product comments)
  | 'html' // note-like HTML (activity note, note content), ≤ 100 KB
  | 'id' // a Pipedrive id
  | 'number'
  | 'code' // a fixed vocabulary string (deal status, currency, activity type key)
  | 'boolean'
  | 'emails'
  | 'phones'
  | 'prices'
  | 'address' // v2 organization address object, held as its one-line `value`
  | 'date' // YYYY-MM-DD
  | 'time' // HH:MM (UTC for due_time)
  | 'timestamp' // an instant (RFC 3339 in v2, YYYY-MM-DD HH:MM:SS UTC in v1)
  | 'local_path'; // not sent as JSON: the file to upload

const FIELDS = {
  person: { name: 'text', emails: 'emails', phones: 'phones', owner_id: 'id', org_id: 'id', add_time: 'timestamp' },
  organization: { name: 'text', owner_id: 'id', address: 'address', add_time: 'timestamp' },
  deal: {
    title: 'text',
    value: 'number',
    currency: 'code',
    person_id: 'id',
    org_id: 'id',
    owner_id: 'id',
    pipeline_id: 'id',
    stage_id: 'id',
    status: 'code',
    lost_reason: 'text',
  },
  product: { name: 'text', code: 'text', description: 'long_text', prices: 'prices', owner_id: 'id' },
  deal_product: { deal_id: 'id', product_id: 'id', item_price: 'number', quantity: 'number', comments: 'long_text' },
  activity: {
    subject: 'text',
    type: 'code',
    owner_id: 'id',
    person_id: 'id',
    deal_id: 'id',
    due_date: 'date',
    due_time: 'time',
    duration: 'time',
    done: 'boolean',
    busy: 'boolean',
    note: 'html',
  },
  note: { content: 'html', person_id: 'id', add_time: 'timestamp', user_id: 'id' },
  file: { file_path: 'local_path', name: 'text', person_id: 'id' },
} as const satisfies Record<TargetEntity, Record<string, StandardFieldKind>>;

/** Each entity's standard fields and their kinds as literal types: pipedrive-body.ts holds them to the specs' bodies. */
export type StandardFields = typeof FIELDS;
export const STANDARD_FIELDS: Record<TargetEntity, Record<string, StandardFieldKind>> = FIELDS;

/**
 * Fields several rules may write together: their values are joined line by line in map order, and the
 * exactly-once marker is appended last where the entity keeps its source key in that field.
 */
export const COMPOSED_FIELDS: Partial<Record<TargetEntity, Record<string, 'html' | 'text'>>> = {
  activity: { note: 'html' },
  note: { content: 'html' },
  deal_product: { comments: 'text' },
};

export function isComposedField(entity: TargetEntity, name: string): boolean {
  return COMPOSED_FIELDS[entity]?.[name] !== undefined;
}
