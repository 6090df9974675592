/**
 * One entity type's records, keyed by id. Ids are handed out in increasing order and never reused, so `ids` is
 * sorted and a cursor can be found by binary search instead of scanning a rehearsal's millions of records.
 * Soft-deleted records stay (Pipedrive keeps them 30 days); `isLive` tells them apart.
 */
export class EntityTable<T extends { id: number }> {
  private readonly rows = new Map<number, T>();
  private readonly ids: number[] = [];
  private nextIdValue = 1;

  constructor(private readonly isLiveRow: (row: T) => boolean) {}

  get nextId(): number {
    return this.nextIdValue;
  }

  /** Creates a record with the next id. */
  insert(build: (id: number) => T): T {
    const id = this.nextIdValue++;
    const row = build(id);
    this.rows.set(id, row);
    this.ids.push(id);
    return row;
  }

  /** Puts back a record read from a snapshot; records must arrive in increasing id order. */
  restore(row: T): void {
    const last = this.ids[this.ids.length - 1];
    if (last !== undefined && row.id <= last) throw new Error(`records must be restored in increasing id order (${row.id} after ${last})`);
    this.rows.set(row.id, row);
    this.ids.push(row.id);
    this.nextIdValue = Math.max(this.nextIdValue, row.id + 1);
  }

  /** Keeps ids unique after a restore whose saved counter is behind (a snapshot written while records were added). */
  ensureNextIdAtLeast(value: number): void {
    this.nextIdValue = Math.max(this.nextIdValue, value);
  }

  /** Removes a record for good (used for Pipedrive's hard deletes, such as deal products). */
  remove(id: number): boolean {
    if (!this.rows.delete(id)) return false;
    const index = this.indexOfId(id);
    if (this.ids[index] === id) this.ids.splice(index, 1);
    return true;
  }

  get(id: number): T | undefined {
    return this.rows.get(id);
  }

  getLive(id: number): T | undefined {
    const row = this.rows.get(id);
    return row && this.isLiveRow(row) ? row : undefined;
  }

  isLive(row: T): boolean {
    return this.isLiveRow(row);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Position of the first id >= `id` in id order. */
  indexOfId(id: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every record (deleted too) in id order, optionally starting at a position, in either direction. */
  *scan(fromIndex = 0, direction: 'asc' | 'desc' = 'asc'): IterableIterator<T> {
    if (direction === 'asc') {
      for (let i = fromIndex; i < this.ids.length; i++) yield this.rows.get(this.ids[i]!)!;
    } else {
      for (let i = Math.min(fromIndex, this.ids.length - 1); i >= 0; i--) yield this.rows.get(this.ids[i]!)!;
    }
  }

  *live(): IterableIterator<T> {
    for (const row of this.scan()) if (this.isLiveRow(row)) yield row;
  }

  get length(): number {
    return this.ids.length;
  }
}
