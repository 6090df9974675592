import { type ColumnSpec, TABLE_COLUMNS } from './columns';
import { type CoercionContext, coerceValue } from './coerce';
import { ExtractFormatError } from './errors';
import { KeySet } from './key-set';
import { NEVER_STORED_COLUMNS } from './never-stored';
import type { RawRecord } from './csv-records';
import { rowContractViolations } from './schemas';
import { type DentrixRowByTable, type DentrixTable, PRIMARY_KEYS, type ReadResult, type RowIssue, type TableIssue } from './types';

const NOT_UTF8 = 'text is not valid UTF-8: decoded as Windows-1252';

interface Slot {
  column: string;
  spec: ColumnSpec;
  index: number; // position in the source record, -1 when the header lacks the column
}

/**
 * Turns one table's raw records (text from CSV or the SQL mirror's COPY output) into typed rows, the same way for
 * both sources: header matched case-insensitively and in any order, extra columns kept, each cell coerced, the
 * key checked for presence and uniqueness. Every problem becomes an issue with table, key, column and reason.
 */
export class RowBuilder<T extends DentrixTable> {
  readonly tableIssues: TableIssue[] = [];
  /** Fields decoded as Windows-1252 so far (summarised as one table issue by the reader). */
  nonUtf8Fields = 0;
  private readonly slots: Slot[];
  private readonly keySlot: Slot;
  private readonly extras: { name: string; index: number }[] = [];
  private readonly headerLength: number;
  private readonly seenKeys = new KeySet();
  private readonly neverStored: ReadonlySet<string>;

  constructor(
    readonly table: T,
    header: RawRecord,
    private readonly ctx: CoercionContext,
  ) {
    this.headerLength = header.values.length;
    this.neverStored = new Set(NEVER_STORED_COLUMNS[table] ?? []);
    if (header.nonUtf8) {
      this.tableIssues.push({ table, column: null, reason: `header ${NOT_UTF8}`, severity: 'warning' });
    }
    const positions = new Map<string, number>();
    header.values.forEach((raw, index) => {
      const name = raw
        .replace(/^\uFEFF/, '')
        .trim()
        .toLowerCase();
      if (positions.has(name)) {
        this.tableIssues.push({
          table,
          column: name,
          reason: 'column appears twice in the header: the first one is read',
          severity: 'warning',
        });
        return;
      }
      positions.set(name, index);
    });
    const specs = TABLE_COLUMNS[table] as Record<string, ColumnSpec>;
    this.slots = Object.entries(specs).map(([column, spec]) => ({ column, spec, index: positions.get(column) ?? -1 }));
    for (const [name, index] of positions) {
      if (!(name in specs)) this.extras.push({ name, index });
    }
    const keyColumn = PRIMARY_KEYS[table];
    this.keySlot = this.slots.find((slot) => slot.column === keyColumn)!;
    if (this.keySlot.index < 0) {
      throw new ExtractFormatError(`Dentrix table "${table}" has no "${keyColumn}" column: no row can be identified`, table);
    }
    for (const slot of this.slots) {
      if (slot.index < 0) {
        this.tableIssues.push({
          table,
          column: slot.column,
          reason: 'column missing from the table: null in every row',
          severity: 'warning',
        });
      }
    }
  }

  build(record: RawRecord): ReadResult<T> {
    const { table } = this;
    const { values, line } = record;
    const keyResult = coerceValue(values[this.keySlot.index], this.keySlot.spec, this.ctx);
    const key = keyResult.ok && keyResult.value !== null ? String(keyResult.value) : null;
    const reject = (reason: string, column: string | null): ReadResult<T> => ({
      kind: 'rejected',
      table,
      issue: { table, key, column, reason, line, severity: 'rejected' },
      line,
    });

    if (values.length !== this.headerLength) {
      return reject(`record has ${values.length} fields, the header has ${this.headerLength}`, null);
    }
    if (!keyResult.ok) return reject(`primary key unreadable: ${keyResult.reason}`, this.keySlot.column);
    if (keyResult.value === null || key === null) return reject('primary key missing', this.keySlot.column);

    const warnings: RowIssue[] = [];
    const warn = (column: string, reason: string): void => {
      warnings.push({ table, key, column, reason, line, severity: 'warning' });
    };
    const row: Record<string, unknown> = {};
    const unreadable: Record<string, string> = {};
    // A value set to null is kept as typed, for review on the record (nothing dropped silently); never-migrate
    // values are not kept at all (they are never stored).
    const keepUnreadable = (column: string, raw: unknown): void => {
      const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
      if (text !== '' && !this.neverStored.has(column)) unreadable[column] = text;
    };
    for (const slot of this.slots) {
      if (slot.index < 0) {
        row[slot.column] = null;
        continue;
      }
      const result = slot === this.keySlot ? keyResult : coerceValue(values[slot.index], slot.spec, this.ctx);
      if (result.ok) {
        row[slot.column] = slot.spec.kind === 'text' ? this.cleanText(result.value as string | null, slot.column, warn) : result.value;
      } else {
        warn(slot.column, `${result.reason}: set to null`);
        row[slot.column] = null;
        keepUnreadable(slot.column, values[slot.index]);
      }
    }
    if (this.extras.length > 0) {
      const extra: Record<string, string | null> = {};
      for (const { name, index } of this.extras) {
        const value = values[index];
        extra[name] = value === undefined || value === '' ? null : this.cleanText(value, name, warn);
      }
      row.extra = extra;
    }
    // The row contract (schemas.ts): a value of the right kind that the contract does not allow (a code outside its
    // list, a number out of range, a malformed CDT code) is set to null with a warning, as a value that cannot be
    // coerced is; a key that breaks it, or a row without the contract's shape, is rejected.
    const violations = rowContractViolations(table, row);
    if (violations) {
      for (const violation of violations) {
        if (violation.column === null || violation.column === this.keySlot.column || !(violation.column in row)) {
          const prefix = violation.column === this.keySlot.column ? 'primary key breaks the contract' : 'row breaks the contract';
          return reject(`${prefix}: ${violation.reason}`, violation.column);
        }
      }
      for (const violation of violations) {
        warn(violation.column!, `${violation.reason}: set to null`);
        keepUnreadable(violation.column!, row[violation.column!]);
        row[violation.column!] = null;
      }
    }
    if (Object.keys(unreadable).length > 0) row.unreadable = unreadable;
    // After the contract: a row rejected for its key does not claim that key.
    if (!this.seenKeys.add(keyResult.value as number | string)) {
      return reject('duplicate primary key: an earlier row has the same key', this.keySlot.column);
    }
    if (record.nonUtf8) {
      this.nonUtf8Fields += record.nonUtf8.length;
      for (const index of record.nonUtf8) warn(this.columnAt(index), NOT_UTF8);
    }
    return { kind: 'row', table, key, row: row as unknown as DentrixRowByTable[T], warnings, line };
  }

  /** A record csv-parse could not split into fields at all. */
  malformed(line: number, code: string): ReadResult<T> {
    const issue: RowIssue = {
      table: this.table,
      key: null,
      column: null,
      reason: `malformed CSV record (${code})`,
      line,
      severity: 'rejected',
    };
    return { kind: 'rejected', table: this.table, issue, line };
  }

  private columnAt(index: number): string {
    return this.slots.find((slot) => slot.index === index)?.column ?? this.extras.find((e) => e.index === index)?.name ?? `#${index + 1}`;
  }

  // PostgreSQL text and jsonb cannot hold NUL characters, and no Dentrix field means one: drop them, say so.
  private cleanText(value: string | null, column: string, warn: (column: string, reason: string) => void): string | null {
    if (value === null || !value.includes('\u0000')) return value;
    warn(column, 'NUL characters removed');
    const cleaned = value.replaceAll('\u0000', '');
    return cleaned === '' ? null : cleaned;
  }
}
