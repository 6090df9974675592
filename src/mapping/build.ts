/**
 * Builders: one source bundle + a BuildContext → a logical record, a skip by rule, or a reject with a reason.
 * Every builder is driven by the map's rules for the bundle's kind, so an approved edit to the map (a field
 * dropped, renamed, re-optioned; a status re-mapped) changes the output without code changes.
 * Pure: no I/O, no clock; references come from `ctx.resolveRef`.
 */
import {
  sourceKeyOfBundle,
  rowOf,
  type ActivityBundle,
  type BundleByEntity,
  type DealBundle,
  type DealProductBundle,
  type DocumentBundle,
  type FileBundle,
  type NoteBundle,
  type OrganizationBundle,
  type PersonBundle,
  type ProductBundle,
  type SourceBundle,
} from './bundles';
import { effectiveOptions, type BuildContext } from './context';
import { computeDerived, isImagingDocument } from './derived';
import { defaultFieldMap } from './default-map';
import { customFieldOf, type FieldMap, type FieldRule, type MapOptions, type MappedTarget } from './field-map';
import { mergedSkipReason } from './merges';
import { applyPhiDecisions, applyTreatment, effectiveCustomType } from './phi';
import { keptOnRecord, reviewFileOf, reviewNeedle, reviewText } from './review';
import { applyTransform, transformRefs, type RuleResult } from './rule-transforms';
import { SOURCE_KEY_LOCATIONS, formatMarker, sourceKeys } from './source-keys';
import { COMPOSED_FIELDS, STANDARD_FIELDS } from './standard-fields';
import { LIMITS, composeHtml, composeText, truncateChars } from './transforms/text';
import {
  RECORD_KINDS,
  fieldId,
  type BuildOutcome,
  type BuildWarning,
  type FieldValue,
  type LogicalRecord,
  type RefKey,
  type ReviewValue,
  type TargetEntity,
} from './types';

export { LOAD_ORDER } from './types';

/** Build the record of any bundle; `entity` must be the bundle kind's entity. */
export function buildRecord<E extends TargetEntity>(entity: E, bundle: BundleByEntity[E], ctx: BuildContext): BuildOutcome {
  if (RECORD_KINDS[bundle.kind].entity !== entity) throw new Error(`${bundle.kind} bundles build ${RECORD_KINDS[bundle.kind].entity} records, not ${entity}`);
  return build(bundle, ctx);
}

export const buildOrganization = (bundle: OrganizationBundle, ctx: BuildContext) => buildRecord('organization', bundle, ctx);
export const buildProduct = (bundle: ProductBundle, ctx: BuildContext) => buildRecord('product', bundle, ctx);
export const buildPerson = (bundle: PersonBundle, ctx: BuildContext) => buildRecord('person', bundle, ctx);
export const buildDeal = (bundle: DealBundle, ctx: BuildContext) => buildRecord('deal', bundle, ctx);
export const buildDealProduct = (bundle: DealProductBundle, ctx: BuildContext) => buildRecord('deal_product', bundle, ctx);
export const buildActivity = (bundle: ActivityBundle, ctx: BuildContext) => buildRecord('activity', bundle, ctx);
export const buildNote = (bundle: NoteBundle, ctx: BuildContext) => buildRecord('note', bundle, ctx);
export const buildFile = (bundle: FileBundle, ctx: BuildContext) => buildRecord('file', bundle, ctx);

function build(source: SourceBundle, ctx: BuildContext): BuildOutcome {
  let bundle = source;
  const kind = bundle.kind;
  const entity = RECORD_KINDS[kind].entity;
  const sourceKey = sourceKeyOfBundle(bundle);
  const options = effectiveOptions(ctx);
  const plan = applyPhiDecisions(ctx.map, ctx.phi);

  const gate = recordGate(bundle, options);
  if (gate !== undefined) return { kind: 'skip', entity, sourceKey, reason: gate };
  if (bundle.kind === 'patient') {
    const survivor = ctx.merges?.survivorOf.get(bundle.patient.patient_id);
    if (survivor !== undefined) return { kind: 'skip', entity, sourceKey, reason: mergedSkipReason(survivor) };
    const merged = ctx.merges?.duplicatesOf.get(bundle.patient.patient_id);
    if (merged) bundle = { ...bundle, mergedPatientIds: merged };
  }
  const missingEssential = plan.excluded.find((rule) => rule.kind === kind && rule.essential);
  if (missingEssential) {
    return { kind: 'skip', entity, sourceKey, reason: `${missingEssential.id} is PHI not approved for transfer` };
  }

  const record: LogicalRecord = { entity, fields: {}, custom: {}, truncated: [] };
  const warnings: BuildWarning[] = [];
  const refs: RefKey[] = [];
  const composedParts = new Map<string, string[]>();
  const review: ReviewValue[] = [];
  let reviewTarget: MappedTarget | undefined;
  let reject: { column: string | null; reason: string } | undefined;

  for (const { rule, treatment } of plan.active) {
    if (rule.kind !== kind) continue;
    const result = applyRule(rule, bundle, ctx, options, sourceKey);
    if (result.skip !== undefined) return { kind: 'skip', entity, sourceKey, reason: result.skip };
    reject ??= result.reject;
    for (const warning of result.warnings ?? []) warnings.push({ ruleId: rule.id, ...warning });
    for (const ref of result.refs ?? []) if (!refs.some((r) => r.objectType === ref.objectType && r.sourceKey === ref.sourceKey)) refs.push(ref);

    const field = rule.target.field;
    if (field.kind === 'not_migrated') continue;
    if (rule.transform.name === 'kept_for_review') {
      reviewTarget = field;
      continue;
    }
    // Refused by the transform, or by the reader before it (a date that is not a date reaches the rule as null).
    for (const refused of [...(result.refused ?? []), ...unreadableValues(rule, bundle)]) {
      // A de-identified rule's refused value is kept de-identified too (or not at all).
      const kept = applyTreatment(refused, treatment);
      if (typeof kept === 'string' && kept.trim() !== '') review.push({ ruleId: rule.id, field: fieldId(field), kind: 'refused', value: kept, kept: false });
    }
    const value = applyTreatment(result.value, treatment);
    if (field.kind === 'standard' && COMPOSED_FIELDS[entity]?.[field.name] !== undefined) {
      const parts = composedParts.get(field.name) ?? [];
      if (typeof value === 'string' && value !== '') parts.push(value);
      composedParts.set(field.name, parts);
      continue;
    }
    const limited = limitLength(value, lengthLimit(ctx.map, entity, field, treatment));
    if (limited.truncated) {
      record.truncated.push(fieldId(field));
      warnings.push({ ruleId: rule.id, column: null, code: 'truncated', reason: `${fieldId(field)} cut to Pipedrive's limit: the rest kept for review` });
      review.push({ ruleId: rule.id, field: fieldId(field), kind: 'shortened', value: limited.rest, kept: false });
    }
    if (field.kind === 'custom') record.custom[field.name] = limited.value;
    else record.fields[field.name] = limited.value;
  }
  if (reject) return { kind: 'reject', entity, sourceKey, column: reject.column, reason: reject.reason };

  placeReview(record, review, composedParts, ctx.map, reviewTarget);
  composeFields(record, composedParts, sourceKey, warnings, review);
  for (const v of review) v.kept = keptOnRecord(record, reviewNeedle(v));
  const reviewFile = reviewFileOf(review);
  // A field whose cut-off rest is on its review line, or in the review file, holds what it should: the source-side
  // check verifies the rest.
  record.truncated = record.truncated.filter((id) => !review.some((v) => v.kind === 'shortened' && v.field === id && (v.kept || v.inReviewFile)));
  return { kind: 'record', entity, sourceKey, record, refs, warnings, review, ...(reviewFile === undefined ? {} : { reviewFile }) };
}

/**
 * Puts the record's refused and shortened values where they stay on it: the field of the kind's `kept_for_review`
 * rule (the review field; always written, null when empty, so an update clears it), else a last part of the entity's
 * note-like field. A value another field already holds whole (an invalid phone in Phones Needing Review) is not repeated.
 */
function placeReview(
  record: LogicalRecord,
  review: ReviewValue[],
  composedParts: Map<string, string[]>,
  map: FieldMap,
  target: MappedTarget | undefined,
): void {
  const pending = review.filter((v) => v.kind === 'shortened' || !keptOnRecord(record, v.value, [...composedParts.values()].flat()));
  if (target !== undefined) {
    const text = reviewText(pending, lengthLimit(map, record.entity, target, 'none'));
    if (target.kind === 'custom') record.custom[target.name] = text;
    else record.fields[target.name] = text;
    return;
  }
  const noteField = Object.keys(COMPOSED_FIELDS[record.entity] ?? {})[0];
  if (noteField === undefined || pending.length === 0) return;
  const parts = composedParts.get(noteField) ?? [];
  parts.push(`Values needing review:\n${reviewText(pending, null)}`);
  composedParts.set(noteField, parts);
}

/** Rows that are this entity's by table but not by rule: skipped with the rule as reason. */
function recordGate(bundle: SourceBundle, options: MapOptions): string | undefined {
  switch (bundle.kind) {
    case 'household':
      if (bundle.guarantor.guar_id !== bundle.guarantor.patient_id) return 'patient is not a guarantor (guar_id differs from patient_id)';
      // The seed links families of two or more under one organization; a patient alone is just a person.
      return bundle.members.length < 2 ? 'single-person family: no household organization' : undefined;
    case 'newpatient':
      if (bundle.appt.patient_id !== null) return 'booking has a patient record: the appointment links to that patient';
      return options.newPatientBooking === 'skip' ? 'new-patient booking without a patient record (option newPatientBooking = skip)' : undefined;
    case 'procedure':
      return bundle.procedure.txcase_id === null ? 'procedure is not part of a treatment plan' : undefined;
    case 'document':
      return isImagingDocument(bundle.document.doc_type)
        ? 'imaging stays in the image archive: listed in the image manifest, linked by Image Archive Link'
        : undefined;
    default:
      return undefined;
  }
}

function ruleValues(rule: FieldRule, bundle: SourceBundle, options: MapOptions): unknown[] {
  const source = rule.source;
  switch (source.kind) {
    case 'columns': {
      const row = rowOf(bundle, source.table);
      if (row === undefined) throw new Error(`rule ${rule.id} reads ${source.table}, which a ${bundle.kind} bundle does not hold`);
      // Practice-specific columns (and contract columns an extract renamed) are kept by the readers in row.extra.
      const extra = (row?.extra ?? null) as Record<string, unknown> | null;
      return source.columns.map((column) => row?.[column] ?? extra?.[column.toLowerCase()] ?? null);
    }
    case 'derived':
      return [computeDerived(source.name, bundle, options)];
    case 'constant':
      return [];
  }
}

/** The rule's source values the reader could not read as their type and set to null, as typed (row.unreadable). */
function unreadableValues(rule: FieldRule, bundle: SourceBundle): string[] {
  if (rule.source.kind !== 'columns') return [];
  const unreadable = (rowOf(bundle, rule.source.table)?.unreadable ?? {}) as Record<string, string>;
  return rule.source.columns.flatMap((column) => (unreadable[column] === undefined ? [] : [unreadable[column]]));
}

function applyRule(rule: FieldRule, bundle: SourceBundle, ctx: BuildContext, options: MapOptions, sourceKey: string): RuleResult {
  const columns = rule.source.kind === 'columns' ? rule.source.columns : [];
  return applyTransform(rule.transform.name, rule.transform.params, {
    values: ruleValues(rule, bundle, options),
    columns,
    env: { ctx, options, sourceKey, bundle },
  });
}

function lengthLimit(
  map: FieldMap,
  entity: TargetEntity,
  field: { kind: 'standard' | 'custom'; name: string },
  treatment: 'none' | 'mask' | 'year_only',
): number | null {
  if (field.kind === 'standard') return STANDARD_FIELDS[entity][field.name] === 'text' ? LIMITS.shortText : null;
  const declared = customFieldOf(map, entity, field.name)?.field_type;
  if (declared === undefined) return null;
  const type = effectiveCustomType(declared, treatment);
  if (type === 'varchar' || type === 'varchar_auto' || type === 'phone') return LIMITS.varchar;
  if (type === 'text') return LIMITS.longTextChars;
  return null;
}

/** The value cut to the limit, and the rest that was cut off (kept for review, so field and review hold it whole). */
function limitLength(value: FieldValue, limit: number | null): { value: FieldValue; truncated: boolean; rest: string } {
  if (limit === null || typeof value !== 'string') return { value, truncated: false, rest: '' };
  const cut = truncateChars(value, limit);
  // The cut text is a prefix of the value made of whole code points: the rest starts where it ends.
  return { value: cut.text, truncated: cut.truncated, rest: cut.truncated ? value.slice(cut.text.length).trim() : '' };
}

/** Join the parts of composed fields; append the exactly-once marker where the entity keeps its key in one. */
function composeFields(record: LogicalRecord, parts: Map<string, string[]>, sourceKey: string, warnings: BuildWarning[], review: ReviewValue[]): void {
  const composed = COMPOSED_FIELDS[record.entity] ?? {};
  const location = SOURCE_KEY_LOCATIONS[record.entity];
  for (const [name, format] of Object.entries(composed)) {
    const markerHere = location.in === 'marker' && location.field === name;
    const fieldParts = parts.get(name);
    if (fieldParts === undefined && !markerHere) continue;
    const marker = markerHere ? formatMarker(sourceKey) : '';
    const result = format === 'html' ? composeHtml(fieldParts ?? [], marker, LIMITS.noteBytes) : composeText(fieldParts ?? [], marker, null);
    record.fields[name] = result.text === '' ? null : result.text;
    if (result.truncated) {
      record.truncated.push(name);
      warnings.push({ ruleId: `${record.entity}.${name}`, column: null, code: 'truncated', reason: `${name} cut to Pipedrive's 100 KB limit` });
      // Nothing on the record holds more than this field: the whole text is counted as shortened and not kept.
      review.push({ ruleId: `${record.entity}.${name}`, field: name, kind: 'shortened', value: (fieldParts ?? []).join('\n'), kept: false });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// References

let cachedDefaultMap: FieldMap | undefined;

/**
 * The Pipedrive ids a bundle's record needs (owners, households, employers, persons, deals, products, the
 * pipeline and stage), so the engine can resolve them before building. Ignores PHI: reference rules are not PHI.
 */
export function referencesOf<E extends TargetEntity>(entity: E, bundle: BundleByEntity[E], map?: FieldMap, options?: Partial<MapOptions>): RefKey[] {
  if (RECORD_KINDS[bundle.kind].entity !== entity) throw new Error(`${bundle.kind} bundles build ${RECORD_KINDS[bundle.kind].entity} records, not ${entity}`);
  const theMap = map ?? (cachedDefaultMap ??= defaultFieldMap());
  const mapOptions = effectiveOptions({ map: theMap, options });
  const refs: RefKey[] = [];
  for (const rule of theMap.rules) {
    if (rule.kind !== bundle.kind || rule.target.field.kind === 'not_migrated') continue;
    const found = transformRefs(rule.transform.name, rule.transform.params, {
      readValues: () => ruleValues(rule, bundle, mapOptions),
      options: mapOptions,
      map: theMap,
    });
    for (const ref of found) if (!refs.some((r) => r.objectType === ref.objectType && r.sourceKey === ref.sourceKey)) refs.push(ref);
  }
  return refs;
}

// ---------------------------------------------------------------------------------------------------------------
// Image manifest

export interface ImageManifestEntry {
  documentKey: string;
  personSourceKey: string | null;
  docType: string;
  /** Relative to the extract folder, with forward slashes. */
  filePath: string | null;
  sha256: string | null;
  sizeBytes: number | null;
  /** The person's Image Archive Link, when a base URL is configured. */
  archiveUrl: string | null;
}

/** The manifest entry of an imaging document (undefined for documents that move as files). */
export function imageManifestEntry(bundle: DocumentBundle, options: Pick<MapOptions, 'imageArchiveBaseUrl'>): ImageManifestEntry | undefined {
  const document = bundle.document;
  if (!isImagingDocument(document.doc_type)) return undefined;
  const patientId = document.patient_id;
  const base = options.imageArchiveBaseUrl?.replace(/\/+$/u, '');
  return {
    documentKey: sourceKeys.document(document.document_id),
    personSourceKey: patientId === null ? null : sourceKeys.patient(patientId),
    docType: document.doc_type!.trim().toLowerCase(),
    filePath: document.file_path?.replace(/\\/gu, '/') ?? null,
    sha256: document.sha256,
    sizeBytes: document.size_bytes,
    archiveUrl: base && patientId !== null ? `${base}/${patientId}` : null,
  };
}
