import type { AuditDb } from '../store/source-audit';
import type { KeyList } from './report';

export type { AuditDb };

/** What every section of the audit gets. */
export interface AuditContext {
  db: AuditDb;
  migrationId: string;
  /** Longest list of keys any section writes; counts are always complete. */
  maxListed: number;
  now: Date;
}

/** Collects keys up to a limit while counting all of them. */
export class KeyCollector {
  private readonly keys: string[] = [];
  private total = 0;

  constructor(private readonly limit: number) {}

  add(key: string): void {
    this.total += 1;
    if (this.keys.length < this.limit) this.keys.push(key);
  }

  get count(): number {
    return this.total;
  }

  toList(): KeyList {
    return { count: this.total, keys: [...this.keys], truncated: this.total > this.keys.length };
  }
}

export function keyList(count: number, keys: string[]): KeyList {
  return { count, keys, truncated: count > keys.length };
}

/** Money sums come back as float8: round them to cents for the report. */
export function cents(value: number | null | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}
