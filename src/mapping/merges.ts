/**
 * Duplicate patients merged at MAPPING_REVIEW. The Data Quality Report lists probable duplicate pairs; ops decide per
 * pair (the workbook's Duplicates sheet; the default keeps both). A merged pair loads as one Person, the survivor: the
 * duplicate's person is skipped as merged, every record that links to the duplicate (appointments, recalls, treatment
 * plans, notes, documents) links to the survivor instead, and the survivor carries the duplicate's Dentrix id.
 *
 * Decisions name patients by their Dentrix ids only: they go into the store, the audit log and error messages.
 * Pure: no I/O.
 */
import { z } from 'zod';
import { REVIEW_FIELD, comparable, keptOnRecord, reviewFileOf, reviewNeedle, reviewText, strings } from './review';
import { PATIENT_ID_FIELD, SOURCE_KEY_FIELD, sourceKeys } from './source-keys';
import { LIMITS, truncateChars } from './transforms/text';
import { fieldId, type ContactEntry, type FieldValue, type LogicalRecord, type RefKey, type ReviewValue } from './types';

export const MERGED_IDS_FIELD = 'Merged Dentrix IDs';

export const DuplicateMergesSchema = z
  .object({
    merge: z.array(z.object({ survivor: z.number().int().positive(), duplicate: z.number().int().positive() }).strict()).default([]),
  })
  .strict();
/** The merges of one map version: each duplicate patient's chart into its survivor's, by Dentrix patient id. */
export type DuplicateMerges = z.infer<typeof DuplicateMergesSchema>;

/** The default: every probable pair stays two Persons. */
export const NO_MERGES: DuplicateMerges = { merge: [] };

/** The merges of a stored map version (`{ map, phi, duplicates }`); none when it has none or they do not parse. */
export function storedMerges(document: object | undefined): DuplicateMerges {
  const parsed = DuplicateMergesSchema.safeParse((document as { duplicates?: unknown } | undefined)?.duplicates ?? NO_MERGES);
  return parsed.success ? parsed.data : NO_MERGES;
}

/**
 * What is wrong with a set of merges on its own (ids only): a patient merged into itself, a patient merged away
 * twice, a chain (a survivor that is itself merged away). A survivor may take several duplicates (three charts of
 * one patient).
 */
export function mergeProblems(merges: DuplicateMerges): string[] {
  const problems: string[] = [];
  const mergedAway = new Map<number, number>();
  for (const m of merges.merge) {
    if (m.survivor === m.duplicate) problems.push(`patient ${m.duplicate} is merged into itself`);
    const earlier = mergedAway.get(m.duplicate);
    if (earlier !== undefined && earlier !== m.survivor) problems.push(`patient ${m.duplicate} is in two merges (into ${earlier} and into ${m.survivor})`);
    else if (earlier === m.survivor) problems.push(`patient ${m.duplicate} is merged into ${m.survivor} twice`);
    mergedAway.set(m.duplicate, m.survivor);
  }
  for (const m of merges.merge) {
    const next = mergedAway.get(m.survivor);
    if (next !== undefined && m.survivor !== m.duplicate)
      problems.push(`merge chain: patient ${m.duplicate} is merged into ${m.survivor}, which is itself merged into ${next}`);
  }
  return problems;
}

/** The merges as lookups: survivor of each duplicate, duplicates of each survivor (ascending). */
export interface MergePlan {
  survivorOf: ReadonlyMap<number, number>;
  duplicatesOf: ReadonlyMap<number, readonly number[]>;
}

export function mergePlan(merges: DuplicateMerges): MergePlan {
  const problems = mergeProblems(merges);
  if (problems.length > 0) throw new Error(`duplicate merges are not valid: ${problems.join('; ')}`);
  const survivorOf = new Map<number, number>();
  const duplicatesOf = new Map<number, number[]>();
  for (const m of merges.merge) {
    survivorOf.set(m.duplicate, m.survivor);
    duplicatesOf.set(
      m.survivor,
      [...(duplicatesOf.get(m.survivor) ?? []), m.duplicate].sort((a, b) => a - b),
    );
  }
  return { survivorOf, duplicatesOf };
}

const PATIENT_KEY = /^patient:(\d+)$/u;

/** The survivor's person key for a merged duplicate's (`patient:12` → `patient:5`); undefined for any other key. */
export function survivorKeyOf(plan: MergePlan | undefined, personSourceKey: string): string | undefined {
  const id = PATIENT_KEY.exec(personSourceKey)?.[1];
  const survivor = id === undefined ? undefined : plan?.survivorOf.get(Number(id));
  return survivor === undefined ? undefined : sourceKeys.patient(survivor);
}

/** A reference to a merged duplicate's person points at the survivor's; every other reference is unchanged. */
export function redirectRef(plan: MergePlan | undefined, ref: RefKey): RefKey {
  if (ref.objectType !== 'person') return ref;
  const survivor = survivorKeyOf(plan, ref.sourceKey);
  return survivor === undefined ? ref : { objectType: 'person', sourceKey: survivor };
}

/** Why a merged duplicate has no Person of its own (ids only). */
export function mergedSkipReason(survivor: number): string {
  return `merged into ${sourceKeys.patient(survivor)} (duplicate decision at MAPPING_REVIEW)`;
}

/** What a map version does with the probable duplicates, for the CLI and the approved-map report (ids only). */
export function mergeStatement(merges: DuplicateMerges): string {
  return merges.merge.length > 0
    ? `Duplicates merged: ${merges.merge.map((m) => `patient ${m.duplicate} into ${m.survivor}`).join(', ')}. Every other probable pair stays two Persons.`
    : 'No duplicates merged: every probable pair stays two Persons.';
}

/**
 * The survivor's Person with the duplicates' contact details added: the survivor's own emails and phones first (its
 * primary stays primary), then each duplicate's that the survivor lacks, never primary. Every other field is the
 * survivor's. A duplicate's email clears the survivor's "Email Missing" flag.
 */
export function withDuplicateContacts(survivor: LogicalRecord, duplicates: readonly LogicalRecord[]): LogicalRecord {
  const fields = { ...survivor.fields };
  for (const name of ['emails', 'phones'] as const) {
    const own = contactsOf(fields[name]);
    const seen = new Set(own.map((c) => c.value.toLowerCase()));
    const added: ContactEntry[] = [];
    for (const d of duplicates) {
      for (const c of contactsOf(d.fields[name])) {
        if (seen.has(c.value.toLowerCase())) continue;
        seen.add(c.value.toLowerCase());
        added.push({ ...c, primary: false });
      }
    }
    if (added.length > 0) fields[name] = [...own, ...added];
  }
  const custom = { ...survivor.custom };
  if (custom[EMAIL_MISSING_FIELD] === 'Yes' && contactsOf(fields.emails).length > 0) custom[EMAIL_MISSING_FIELD] = null;
  return { ...survivor, fields, custom };
}

const EMAIL_MISSING_FIELD = 'Email Missing';

/**
 * Fields a merge does not keep for review: the contacts (merged above), the ids and flags the survivor sets itself
 * (its keys, the merged ids, Email Missing), the Pipedrive creation time.
 */
const NOT_KEPT_FROM_DUPLICATES = new Set([
  'emails',
  'phones',
  'add_time',
  ...[SOURCE_KEY_FIELD, PATIENT_ID_FIELD, MERGED_IDS_FIELD, EMAIL_MISSING_FIELD].map((name) => fieldId({ kind: 'custom', name })),
]);

/**
 * The survivor of a merge with what its duplicates held: their emails and phones (withDuplicateContacts), and every
 * other text value of theirs the survivor's same field does not hold (a name spelled otherwise, another address, the
 * duplicate's chart number, its own values needing review), kept for review on the survivor's review field as
 * `<field> (merged from patient:12): <value>`, so nothing of a merged chart is dropped silently. The survivor's fields
 * keep the survivor's values. Without a review field on the map (or past its limit) a value goes to the survivor's
 * review file, as every value no field holds whole does (reviewFileOf).
 */
export function mergeDuplicates(
  survivor: { record: LogicalRecord; review?: ReviewValue[] },
  duplicates: readonly { sourceKey: string; record: LogicalRecord }[],
): { record: LogicalRecord; review: ReviewValue[]; reviewFile?: string } {
  const record = withDuplicateContacts(
    survivor.record,
    duplicates.map((d) => d.record),
  );
  const merged: ReviewValue[] = [];
  for (const d of duplicates) {
    for (const { target, value } of fieldEntries(d.record)) {
      const field = fieldId(target);
      // A standard field's number is a link or a setting (owner, organization, visibility), not a source value.
      if (NOT_KEPT_FROM_DUPLICATES.has(field) || (typeof value === 'number' && target.kind === 'standard')) continue;
      const own = new Set(strings(fieldValue(record, target)).map(comparable));
      for (const text of strings(value)) {
        if (comparable(text) === '' || own.has(comparable(text))) continue;
        own.add(comparable(text));
        merged.push({ ruleId: 'person.merge', field, kind: 'merged', value: text, kept: false, from: d.sourceKey });
      }
    }
  }
  if (merged.length === 0) return { record, review: survivor.review ?? [] };
  if (REVIEW_FIELD in record.custom) {
    const own = record.custom[REVIEW_FIELD];
    const text = [typeof own === 'string' ? own : '', reviewText(merged, null) ?? ''].filter((t) => t !== '').join('\n');
    record.custom = { ...record.custom, [REVIEW_FIELD]: truncateChars(text, LIMITS.longTextChars).text };
  }
  for (const v of merged) v.kept = keptOnRecord(record, reviewNeedle(v));
  const review = [...(survivor.review ?? []), ...merged];
  const reviewFile = reviewFileOf(review);
  return { record, review, ...(reviewFile === undefined ? {} : { reviewFile }) };
}

type FieldTarget = { kind: 'standard' | 'custom'; name: string };

function fieldEntries(record: LogicalRecord): { target: FieldTarget; value: FieldValue }[] {
  return [
    ...Object.entries(record.fields).map(([name, value]) => ({ target: { kind: 'standard' as const, name }, value })),
    ...Object.entries(record.custom).map(([name, value]) => ({ target: { kind: 'custom' as const, name }, value })),
  ];
}

function fieldValue(record: LogicalRecord, target: FieldTarget): FieldValue | undefined {
  return target.kind === 'custom' ? record.custom[target.name] : record.fields[target.name];
}

function contactsOf(value: FieldValue | undefined): ContactEntry[] {
  return Array.isArray(value) ? (value as unknown[]).filter((c): c is ContactEntry => typeof c === 'object' && c !== null && 'value' in c) : [];
}

/** Patients with the charts merged with them: a sample that takes one chart of a merged pair takes the other too. */
export function withMergePartners(patientIds: readonly number[], plan: MergePlan): number[] {
  const out = new Set(patientIds);
  for (const id of patientIds) {
    const survivor = plan.survivorOf.get(id) ?? id;
    out.add(survivor);
    for (const d of plan.duplicatesOf.get(survivor) ?? []) out.add(d);
  }
  return [...out];
}
