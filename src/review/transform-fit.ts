/**
 * Whether a transform's output fits a destination field: the map's schema checks each transform's parameters but
 * not that, say, a `date` transform writes into a date field rather than a monetary one (that would only fail at
 * load time, record by record). Used to validate edited workbook rows and LLM suggestions. Pure.
 */
import {
  CUSTOM_FIELD_TYPES,
  STANDARD_FIELDS,
  type CustomFieldType,
  type FieldRule,
  type StandardFieldKind,
  type TargetEntity,
  type TransformName,
} from '../mapping';

export type TransformOutput =
  'text' | 'date' | 'time' | 'timestamp' | 'number' | 'monetary' | 'boolean' | 'labels' | 'id' | 'emails' | 'phones' | 'prices' | 'path' | 'nothing';

const OUTPUTS: Record<TransformName, TransformOutput> = {
  not_migrated: 'nothing',
  text: 'text',
  constant: 'text', // refined by the constant's type below
  source_key: 'text',
  person_name: 'text',
  name: 'text',
  booking_name: 'text',
  household_name: 'text',
  org_name: 'text',
  carrier_name: 'text',
  product_name: 'text',
  plan_title: 'text',
  emails: 'emails',
  email: 'text',
  missing_email_flag: 'text',
  phones: 'phones',
  phone: 'text',
  invalid_phones: 'text',
  address: 'text',
  ref: 'id',
  appointment_person: 'id',
  pipeline: 'id',
  plan_stage: 'id',
  plan_status: 'text',
  plan_lost_reason: 'text',
  value_map: 'text',
  bit_flags: 'labels',
  date: 'date',
  local_date_to_utc: 'timestamp',
  local_datetime_to_utc: 'timestamp', // refined by its format below
  duration: 'time',
  money: 'number',
  monetary: 'monetary',
  currency: 'text',
  prices: 'prices',
  procedure_price: 'number',
  ledger_sum: 'monetary',
  labels: 'labels',
  join: 'text',
  alert_list: 'text',
  clinical_narrative: 'text',
  image_archive_link: 'text',
  appointment_done: 'boolean',
  appointment_busy: 'boolean',
  appointment_status_line: 'text',
  activity_type: 'text',
  subject: 'text',
  labelled_lines: 'text',
  clinical_note_text: 'text',
  tooth_surfaces: 'text',
  file_path: 'path',
  document_file_name: 'text',
  cdt_code: 'text',
  recall_due_date: 'date',
  kept_for_review: 'text',
};

export function transformOutput(transform: FieldRule['transform']): TransformOutput {
  if (transform.name === 'constant') {
    const value = transform.params.value;
    return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text';
  }
  if (transform.name === 'local_datetime_to_utc') {
    const format = transform.params.format;
    return format === 'due_date' ? 'date' : format === 'due_time' ? 'time' : 'timestamp';
  }
  return OUTPUTS[transform.name];
}

const CUSTOM_ACCEPTS: Record<CustomFieldType, readonly TransformOutput[]> = {
  varchar: ['text', 'date', 'number', 'monetary', 'labels', 'timestamp'],
  varchar_auto: ['text', 'date', 'number', 'monetary', 'labels', 'timestamp'],
  text: ['text', 'date', 'number', 'monetary', 'labels', 'timestamp'],
  phone: ['text'],
  address: ['text'],
  date: ['date'],
  double: ['number', 'monetary'],
  monetary: ['monetary'],
  enum: ['text'],
  set: ['text', 'labels'],
  org: ['id'],
  user: ['id'],
  people: ['id'],
};

const STANDARD_ACCEPTS: Record<StandardFieldKind, readonly TransformOutput[]> = {
  text: ['text', 'date'],
  long_text: ['text', 'date'],
  html: ['text', 'date'],
  id: ['id'],
  number: ['number'],
  code: ['text'],
  boolean: ['boolean'],
  emails: ['emails'],
  phones: ['phones'],
  prices: ['prices'],
  address: ['text'],
  date: ['date'],
  time: ['time'],
  timestamp: ['timestamp'],
  local_path: ['path'],
};

export function isCustomFieldType(value: string): value is CustomFieldType {
  return (CUSTOM_FIELD_TYPES as readonly string[]).includes(value);
}

/** Why a transform cannot write into a custom field of this type (null when it can). */
export function customFieldMisfit(transform: FieldRule['transform'], fieldType: CustomFieldType, options: readonly string[] | undefined): string | null {
  const output = transformOutput(transform);
  if (!CUSTOM_ACCEPTS[fieldType].includes(output)) return `transform ${transform.name} writes ${output}, which a ${fieldType} field cannot hold`;
  if (fieldType === 'enum' || fieldType === 'set') {
    const labels = labelsWritten(transform);
    const allowed = new Set((options ?? []).map((o) => o.trim().toLowerCase()));
    const missing = labels.filter((l) => !allowed.has(l.trim().toLowerCase()));
    // Labels from a lookup table (optionsFrom) are added when the map is proposed: only literal labels are checked.
    if (missing.length > 0) return `transform ${transform.name} writes ${missing.length} label(s) that are not options of the ${fieldType} field`;
  }
  return null;
}

/** Why a transform cannot write into a standard field (null when it can). */
export function standardFieldMisfit(transform: FieldRule['transform'], entity: TargetEntity, field: string): string | null {
  const kind = STANDARD_FIELDS[entity][field];
  if (kind === undefined) return `${field} is not a standard ${entity} field we write`;
  const output = transformOutput(transform);
  return STANDARD_ACCEPTS[kind].includes(output)
    ? null
    : `transform ${transform.name} writes ${output}, which the ${kind} field ${entity}.${field} cannot hold`;
}

/** The literal option labels a transform writes (value-map targets, bit-flag labels, a constant, a flag label). */
function labelsWritten(transform: FieldRule['transform']): string[] {
  const p = transform.params;
  switch (transform.name) {
    case 'value_map':
    case 'bit_flags': {
      const record = (transform.name === 'value_map' ? p.map : p.flags) as Record<string, unknown> | undefined;
      return Object.values(record ?? {}).filter((v): v is string => typeof v === 'string');
    }
    case 'constant':
      return typeof p.value === 'string' ? [p.value] : [];
    case 'missing_email_flag':
      return typeof p.label === 'string' ? [p.label] : [];
    default:
      return [];
  }
}
