/**
 * Values the mapping will keep for review instead of moving them where it maps them (src/mapping/review.ts): counted
 * here, before anything is mapped, by source column, target field and kind, against the default map (an edited map
 * may move more or less; the sample diff and the verification count what the approved map actually kept).
 * - refused: email addresses and phone numbers that do not validate (from the contact checks: one rule for both);
 * - refused as well: values the reader could not read as their column's type (a date that is not a date), kept as
 *   typed in the staged row, for every column a moving rule reads;
 * - shortened: text longer than its target field holds (255 characters for text fields and Pipedrive's short
 *   fields, 65k for long-text ones, 100,000 for a note), counted in the staged rows.
 * Counts and column names only.
 */
import {
  COMPOSED_FIELDS,
  STANDARD_FIELDS,
  customFieldOf,
  defaultFieldMap,
  fieldId,
  transforms,
  type FieldMap,
  type FieldRule,
  type MappedTarget,
  type ReviewKind,
} from '../mapping';
import { overLongValueCount, unreadableValueCounts } from '../store/source-audit';
import type { ContactQuality } from './report';
import type { AuditContext } from './sql';

export const VALUES_FOR_REVIEW_RULE =
  "values the default map cannot put where it maps them are kept on their record for review (Values Needing Review, or the note-like field): invalid emails and phones as typed, values the extract's reader could not read (a date that is not a date) as typed, text beyond Pipedrive's limit";

export interface ValueForReviewGroup {
  table: string;
  column: string;
  /** `<entity> <field>`: where the map puts the column (`person emails`, `organization custom:Phone`). */
  target: string;
  kind: ReviewKind;
  /** For shortened values, the limit in characters. */
  limit?: number;
  values: number;
}

export interface ValuesForReview {
  rule: string;
  total: number;
  byField: ValueForReviewGroup[];
}

const REFUSING = new Set(['emails', 'email', 'phones', 'phone']);
/** Transforms that pass a column's text on as it is (trimmed): its length is the field's. */
const TEXTUAL = new Set(['text', 'name', 'org_name', 'clinical_note_text', 'labelled_lines']);

function targetOf(rule: FieldRule): string {
  return `${rule.target.entity} ${fieldId(rule.target.field as MappedTarget)}`;
}

/** The characters the target holds: the note limit for note-like fields, 255 or 65k for text fields, none otherwise. */
function limitOf(map: FieldMap, rule: FieldRule): number | undefined {
  const field = rule.target.field;
  const entity = rule.target.entity;
  if (field.kind === 'not_migrated') return undefined;
  if (field.kind === 'standard') {
    if (COMPOSED_FIELDS[entity]?.[field.name] === 'html') return transforms.LIMITS.noteBytes;
    return STANDARD_FIELDS[entity][field.name] === 'text' ? transforms.LIMITS.shortText : undefined;
  }
  const type = customFieldOf(map, entity, field.name)?.field_type;
  if (type === 'varchar' || type === 'varchar_auto' || type === 'phone') return transforms.LIMITS.varchar;
  return type === 'text' ? transforms.LIMITS.longTextChars : undefined;
}

export async function valuesForReview(ctx: AuditContext, contacts: ContactQuality, map: FieldMap = defaultFieldMap()): Promise<ValuesForReview> {
  const byField: ValueForReviewGroup[] = [];
  const columnRules = map.rules.filter(
    (r): r is FieldRule & { source: { kind: 'columns'; table: string; columns: string[] } } =>
      r.source.kind === 'columns' && r.target.field.kind !== 'not_migrated',
  );

  const refused = [...contacts.emails.byColumn, ...contacts.phones.byColumn];
  for (const counts of refused) {
    const rule = columnRules.find((r) => REFUSING.has(r.transform.name) && r.source.table === counts.table && r.source.columns.includes(counts.column));
    if (rule && counts.invalid > 0)
      byField.push({ table: counts.table, column: counts.column, target: targetOf(rule), kind: 'refused', values: counts.invalid });
  }

  // Read by several rules (an address's parts), a column is counted once, at its first rule.
  const unreadable = await unreadableValueCounts(ctx.db, ctx);
  for (const rule of columnRules) {
    for (const column of rule.source.columns) {
      const where = `${rule.source.table}.${column}`;
      const values = unreadable.get(where) ?? 0;
      unreadable.delete(where);
      if (values > 0) byField.push({ table: rule.source.table, column, target: targetOf(rule), kind: 'refused', values });
    }
  }

  for (const rule of columnRules) {
    if (!TEXTUAL.has(rule.transform.name)) continue;
    const limit = limitOf(map, rule);
    if (limit === undefined) continue;
    for (const column of rule.source.columns) {
      const values = await overLongValueCount(ctx.db, ctx, rule.source.table, column, limit);
      if (values > 0) byField.push({ table: rule.source.table, column, target: targetOf(rule), kind: 'shortened', limit, values });
    }
  }
  return { rule: VALUES_FOR_REVIEW_RULE, total: byField.reduce((n, g) => n + g.values, 0), byField };
}
