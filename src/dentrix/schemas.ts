import { z } from 'zod';
import { type ColumnSpec, TABLE_COLUMNS } from './columns';
import { DENTRIX_TABLES, type DentrixRowByTable, type DentrixTable, PRIMARY_KEYS } from './types';

/**
 * zod schemas of the coerced rows, one per table, built from the same column catalog the readers coerce with.
 * They are the contract for everything downstream of staging: `parseStagedRow` turns a staged_rows.data value back
 * into a typed row and refuses anything that does not have the reader's shape.
 */
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'not a LocalDate (YYYY-MM-DD)');
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'not a LocalDateTime (YYYY-MM-DDTHH:mm:ss)');
const money = z.number().refine((n) => Number.isFinite(n) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'not whole cents');

function columnSchema(spec: ColumnSpec): z.ZodType {
  switch (spec.kind) {
    case 'text':
      return z.string();
    case 'int': {
      let schema = z.number().int();
      if (spec.min !== undefined) schema = schema.min(spec.min);
      if (spec.max !== undefined) schema = schema.max(spec.max);
      return schema;
    }
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
  for (const [column, spec] of Object.entries(TABLE_COLUMNS[table] as Record<string, ColumnSpec>)) {
    // The primary key is never null in a staged row; every other column may be.
    shape[column] = column === key ? columnSchema(spec) : columnSchema(spec).nullable();
  }
  shape.extra = z.record(z.string(), z.string().nullable()).optional();
  return z.strictObject(shape);
}

export const DENTRIX_ROW_SCHEMAS = Object.fromEntries(DENTRIX_TABLES.map((table) => [table, rowSchema(table)])) as {
  [T in DentrixTable]: z.ZodType<DentrixRowByTable[T]>;
};

/** A staged row's data as the typed row; throws a zod error (paths and reasons, no values) when it is not one. */
export function parseStagedRow<T extends DentrixTable>(table: T, data: unknown): DentrixRowByTable[T] {
  return DENTRIX_ROW_SCHEMAS[table].parse(data, { reportInput: false });
}
