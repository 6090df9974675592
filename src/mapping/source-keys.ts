/**
 * Source keys and where they live in Pipedrive (exactly-once creates).
 *
 * Every target record is keyed by its source (`patient:5`). When a create's response is lost, the engine finds the
 * record again by that key before creating it a second time, so the key is written into the record itself:
 * - person, organization, deal, product: the searchable varchar custom field "Dentrix Source Key"
 *   (persons also carry "Dentrix Patient ID", the bare patient id, searchable by staff);
 * - activity: a marker line `[dentrix:appt:123]` at the end of its `note`;
 * - note: the same marker at the end of its `content`;
 * - deal product: the same marker at the end of its `comments`;
 * - file: a file-name prefix `dentrix-document-123__`.
 */
import { dentrixKeyOf, LOAD_ORDER, SOURCE_KEY_FIELD, type SourceKeyLocation } from '../object-types/registry';
import type { FieldKeys, RecordKind, TargetEntity } from './types';

// Where each object type carries its key is the object-type registry's (`dentrixKey`).
export { SOURCE_KEY_FIELD, type SourceKeyLocation };
export const PATIENT_ID_FIELD = 'Dentrix Patient ID';

export const sourceKeys = {
  patient: (patientId: number) => `patient:${patientId}`,
  household: (guarantorId: number) => `household:${guarantorId}`,
  employer: (employerId: number) => `employer:${employerId}`,
  referral: (referralId: number) => `referral:${referralId}`,
  carrier: (insId: number) => `carrier:${insId}`,
  proccode: (proccodeId: number) => `proccode:${proccodeId}`,
  txcase: (txcaseId: number) => `txcase:${txcaseId}`,
  procedure: (procId: number) => `procedure:${procId}`,
  appt: (appointmentId: number) => `appt:${appointmentId}`,
  recall: (recallId: number) => `recall:${recallId}`,
  clinical_note: (noteId: number) => `clinical_note:${noteId}`,
  document: (documentId: number) => `document:${documentId}`,
  /** A minimal person for a new-patient booking that has no patient record yet. */
  newpatient: (appointmentId: number) => `newpatient:appt:${appointmentId}`,
  provider: (providerId: string) => `provider:${providerId}`,
  /** Schema elements the SCHEMA phase created or reused, resolved like records. */
  pipeline: (name: string) => `pipeline:${name}`,
  stage: (pipeline: string, stage: string) => `stage:${pipeline}:${stage}`,
} as const satisfies Record<RecordKind | 'provider' | 'pipeline' | 'stage', (...args: never[]) => string>;

const SOURCE_KEY_PATTERN = '[a-z_]+(?::[a-z_]+)*:\\d+';
const MARKER = new RegExp(`\\[dentrix:(${SOURCE_KEY_PATTERN})\\]`, 'gu');
/** `dentrix-<key's segments joined by hyphens>-<id>__`: kinds are snake_case, so a hyphen only ever separates segments. */
const FILE_PREFIX = /^dentrix-([a-z_]+(?:-[a-z_]+)*)-(\d+)__/u;

/** The marker written into activity notes, note contents and deal-product comments. */
export function formatMarker(sourceKey: string): string {
  return `[dentrix:${sourceKey}]`;
}

/** The source key in a text's last marker (we append ours last, so text typed above it cannot shadow it). */
export function parseMarker(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  let last: string | undefined;
  for (const match of text.matchAll(MARKER)) last = match[1];
  return last;
}

/** `document:123` + `consent.pdf` → `dentrix-document-123__consent.pdf` (`review:newpatient:appt:5` → `dentrix-review-newpatient-appt-5__…`). */
export function fileNameWithKey(sourceKey: string, originalName: string): string {
  const match = /^([a-z_]+(?::[a-z_]+)*):(\d+)$/u.exec(sourceKey);
  if (!match) throw new Error(`source key ${sourceKey} cannot prefix a file name`);
  return `dentrix-${match[1]!.replaceAll(':', '-')}-${match[2]}__${originalName}`;
}

export function parseFileNameKey(name: string | null | undefined): string | undefined {
  const match = name ? FILE_PREFIX.exec(name) : null;
  return match ? `${match[1]!.replaceAll('-', ':')}:${match[2]}` : undefined;
}

/**
 * A record's review file: the values needing review that no field of the record holds whole (beyond the review
 * field's 65k characters, a note's 100 KB), uploaded as a text file attached to the record. Its ledger row is a `file`
 * row keyed by the record's key under this prefix (`review:patient:12`): not a source record of its own, so
 * reconciliation counts these apart from the documents.
 */
export const REVIEW_FILE_KEY_PREFIX = 'review:';

export function reviewFileKey(sourceKey: string): string {
  return `${REVIEW_FILE_KEY_PREFIX}${sourceKey}`;
}

/** The review file's name in Pipedrive: its key as the prefix, so recovery and read-back find it like a document. */
export function reviewFileName(sourceKey: string): string {
  return fileNameWithKey(reviewFileKey(sourceKey), 'values-needing-review.txt');
}

export const SOURCE_KEY_LOCATIONS = Object.fromEntries(LOAD_ORDER.map((entity) => [entity, dentrixKeyOf(entity)])) as Record<TargetEntity, SourceKeyLocation>;

/**
 * The source key of a record read back from Pipedrive (a v2 GET/list item, or a v1 note/file), or undefined
 * when it carries none. Custom fields are read from `custom_fields[<key>]` (v2) or the top-level key (v1).
 */
export function sourceKeyOf(entity: TargetEntity, apiRecord: Record<string, unknown>, fieldKeys: FieldKeys): string | undefined {
  const location = SOURCE_KEY_LOCATIONS[entity];
  switch (location.in) {
    case 'custom_field': {
      const fromKeyField = customText(apiRecord, fieldKeys[entity]?.[SOURCE_KEY_FIELD]?.key);
      if (fromKeyField) return fromKeyField;
      if (entity !== 'person') return undefined;
      const patientId = customText(apiRecord, fieldKeys.person?.[PATIENT_ID_FIELD]?.key);
      return patientId && /^\d+$/u.test(patientId) ? sourceKeys.patient(Number(patientId)) : undefined;
    }
    case 'marker': {
      const text = apiRecord[location.field];
      return parseMarker(typeof text === 'string' ? text : undefined);
    }
    case 'file_name_prefix': {
      const name = typeof apiRecord.name === 'string' ? apiRecord.name : undefined;
      const fileName = typeof apiRecord.file_name === 'string' ? apiRecord.file_name : undefined;
      return parseFileNameKey(name) ?? parseFileNameKey(fileName);
    }
  }
}

function customText(apiRecord: Record<string, unknown>, key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const custom = apiRecord.custom_fields;
  const value = custom !== null && typeof custom === 'object' && !Array.isArray(custom) ? (custom as Record<string, unknown>)[key] : apiRecord[key];
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}
