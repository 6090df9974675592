import { z } from 'zod';
import { type ColumnSpec, TABLE_COLUMNS } from './columns';
import {
  CLAIM_STATUSES,
  DENTRIX_TABLES,
  DOCUMENT_TYPES,
  type DentrixRowByTable,
  type DentrixTable,
  LEDGER_ENTRY_TYPES,
  PRIMARY_KEYS,
  TXCASE_STATUSES,
} from './types';

/**
 * zod schemas of the coerced rows, one per table: the row contract of docs/dentrix-extract-format.md.
 * coerce.ts turns source text into values of the right kind; these schemas then say which values the contract
 * allows (code lists, ranges, patterns). The readers validate every row with them (row-builder.ts), and
 * `parseStagedRow` turns a staged_rows.data value back into a typed row and refuses anything that does not have the
 * reader's shape. Messages name the rule, never the value (it may be PHI).
 */
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'not a LocalDate (YYYY-MM-DD)');
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'not a LocalDateTime (YYYY-MM-DDTHH:mm:ss)');
const money = z.number().refine((n) => Number.isFinite(n) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'not whole cents');

function integer(min?: number, max?: number): z.ZodNumber {
  let schema = z.number().int('not an integer');
  if (min !== undefined) schema = schema.min(min, `below the minimum of ${min}`);
  if (max !== undefined) schema = schema.max(max, `above the maximum of ${max}`);
  return schema;
}

/**
 * One of the contract's code values. Exports differ in case and padding (`Completed`, `COMPLETED `), and everything
 * downstream compares trimmed and case-insensitively, so the contract does too: what it refuses is a value outside
 * the list.
 */
function oneOf(values: readonly string[]): z.ZodType<string> {
  const allowed = new Set(values.map((v) => v.toLowerCase()));
  return z.string().refine((v) => allowed.has(v.trim().toLowerCase()), `not one of the contract's values (${values.join(', ')})`);
}

type ContractRules = { readonly [T in DentrixTable]?: { readonly [C in keyof DentrixRowByTable[T]]?: z.ZodType } };

/** Column rules beyond the column's kind, as the extract format states them. */
const CONTRACT_RULES: ContractRules = {
  provider: {
    provider_id: z.string().max(5, 'longer than 5 characters'),
    provider_type: oneOf(['dentist', 'hygienist', 'specialist', 'assistant']),
  },
  patient: {
    status: integer(1, 4),
    fam_pos: integer(1, 4),
    // Bitmask of 1 (no voice calls), 2 (no SMS/email) and 4 (no mail).
    privacy_flags: integer(0, 7),
  },
  referral: { referral_type: oneOf(['patient', 'doctor', 'marketing', 'other']) },
  appt: { start_hour: integer(0, 23), start_minute: integer(0, 59), length_minutes: integer(0, 24 * 60) },
  recalltype: { interval_months: integer(0), interval_days: integer(0) },
  proccode: { ada_code: z.string().regex(/^\s*D\d{4}\s*$/i, 'not a CDT code (D + 4 digits)') },
  txcase: { status: oneOf(TXCASE_STATUSES) },
  procedure: { status: oneOf(['planned', 'completed', 'existing']) },
  ledger: { entry_type: oneOf(LEDGER_ENTRY_TYPES), claim_status: oneOf(CLAIM_STATUSES) },
  medical_alert: { alert_type: oneOf(['allergy', 'condition', 'medication', 'premedication']) },
  document: {
    doc_type: oneOf(DOCUMENT_TYPES),
    size_bytes: integer(0),
    sha256: z.string().regex(/^\s*[0-9a-f]{64}\s*$/i, 'not a SHA-256 digest (64 hex digits)'),
  },
};

function columnSchema(spec: ColumnSpec): z.ZodType {
  switch (spec.kind) {
    case 'text':
      return z.string();
    case 'int':
      return integer(spec.min, spec.max);
    case 'money':
      return money;
    case 'bool':
      return z.boolean();
    case 'date':
      return localDate;
    case 'datetime':
      return localDateTime;
  }
}

function rowSchema(table: DentrixTable): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  const key = PRIMARY_KEYS[table];
  const rules = (CONTRACT_RULES[table] ?? {}) as Record<string, z.ZodType | undefined>;
  for (const [column, spec] of Object.entries(TABLE_COLUMNS[table] as Record<string, ColumnSpec>)) {
    const schema = rules[column] ?? columnSchema(spec);
    // The primary key is never null in a staged row; every other column may be.
    shape[column] = column === key ? schema : schema.nullable();
  }
  shape.extra = z.record(z.string(), z.string().nullable()).optional();
  shape.unreadable = z.record(z.string(), z.string()).optional();
  // Every row of a two-million-row extract is checked: compiled, a conforming row costs about a microsecond.
  return z.compile(z.strictObject(shape));
}

export const DENTRIX_ROW_SCHEMAS = Object.fromEntries(DENTRIX_TABLES.map((table) => [table, rowSchema(table)])) as {
  [T in DentrixTable]: z.ZodType<DentrixRowByTable[T]>;
};

/** One way a row breaks its table's contract: the column (null when the row as a whole is wrong) and the rule. */
export interface RowContractViolation {
  column: string | null;
  reason: string;
}

/**
 * Checks a coerced row against its table's schema. Returns null when it conforms, else one violation per column
 * (the first rule it breaks). Never quotes a value.
 */
export function rowContractViolations(table: DentrixTable, row: unknown): RowContractViolation[] | null {
  const schema = DENTRIX_ROW_SCHEMAS[table];
  // The fast path only answers yes or no; the issues come from a second, full parse of the rare row that fails.
  if (schema.validate(row)) return null;
  const result = schema.safeParse(row, { reportInput: false });
  if (result.success) return null;
  const violations: RowContractViolation[] = [];
  const seen = new Set<string | null>();
  for (const issue of result.error.issues) {
    const first = issue.path[0];
    const column = typeof first === 'string' && first !== 'extra' && first !== 'unreadable' ? first : null;
    if (issue.code === 'unrecognized_keys') {
      violations.push({ column: null, reason: `columns outside the contract: ${issue.keys.join(', ')}` });
      continue;
    }
    if (seen.has(column)) continue;
    seen.add(column);
    violations.push({ column, reason: column === null ? `row does not have the contract's shape (${issue.message})` : issue.message });
  }
  return violations;
}

/** A staged row's data as the typed row; throws a zod error (paths and reasons, no values) when it is not one. */
export function parseStagedRow<T extends DentrixTable>(table: T, data: unknown): DentrixRowByTable[T] {
  return DENTRIX_ROW_SCHEMAS[table].parse(data, { reportInput: false });
}
