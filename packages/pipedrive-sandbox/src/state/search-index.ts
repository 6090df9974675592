/**
 * Value → record-id index for one entity type, per searchable field (a system field such as `name` or `email`,
 * or a custom field key). Values are stored lower-cased, because exact-match search is not case-sensitive.
 * An index for a field is built on the first search that needs it and kept current on every write afterwards,
 * so fields nobody searches cost no memory; a single id is stored bare and becomes a Set on its second id.
 */
type Posting = number | Set<number>;

export type IndexedValues = ReadonlyArray<readonly [fieldKey: string, value: string]>;

export class SearchIndex<T extends { id: number }> {
  private readonly byField = new Map<string, Map<string, Posting>>();

  constructor(
    /** Every (field, value) pair a live record can be found by. */
    private readonly valuesOf: (row: T) => IndexedValues,
    private readonly liveRows: () => Iterable<T>,
  ) {}

  /** Call with the record's values before a change, and after it; deleted records pass `undefined` after. */
  update(before: IndexedValues | undefined, after: IndexedValues | undefined, id: number): void {
    if (this.byField.size === 0) return;
    for (const [field, value] of before ?? []) {
      const index = this.byField.get(field);
      if (index) removePosting(index, value.toLowerCase(), id);
    }
    for (const [field, value] of after ?? []) {
      const index = this.byField.get(field);
      if (index) addPosting(index, value.toLowerCase(), id);
    }
  }

  snapshotValues(row: T): IndexedValues {
    return this.valuesOf(row);
  }

  /** Ids whose value for `field` equals `term`, ignoring case. */
  exact(field: string, term: string): number[] {
    return postingIds(this.fieldIndex(field).get(term.toLowerCase()));
  }

  /** Ids whose value for `field` satisfies `matches` (given the lower-cased value). Scans distinct values. */
  matching(field: string, matches: (lowerValue: string) => boolean): number[] {
    const ids: number[] = [];
    for (const [value, posting] of this.fieldIndex(field)) if (matches(value)) ids.push(...postingIds(posting));
    return ids;
  }

  /** Drops a field's index, e.g. when the custom field is deleted. */
  forget(field: string): void {
    this.byField.delete(field);
  }

  clear(): void {
    this.byField.clear();
  }

  private fieldIndex(field: string): Map<string, Posting> {
    let index = this.byField.get(field);
    if (!index) {
      index = new Map();
      for (const row of this.liveRows()) {
        for (const [f, value] of this.valuesOf(row)) if (f === field) addPosting(index, value.toLowerCase(), row.id);
      }
      this.byField.set(field, index);
    }
    return index;
  }
}

function addPosting(index: Map<string, Posting>, key: string, id: number): void {
  const existing = index.get(key);
  if (existing === undefined) index.set(key, id);
  else if (typeof existing === 'number') {
    if (existing !== id) index.set(key, new Set([existing, id]));
  } else existing.add(id);
}

function removePosting(index: Map<string, Posting>, key: string, id: number): void {
  const existing = index.get(key);
  if (existing === undefined) return;
  if (typeof existing === 'number') {
    if (existing === id) index.delete(key);
    return;
  }
  existing.delete(id);
  if (existing.size === 1) index.set(key, existing.values().next().value!);
  else if (existing.size === 0) index.delete(key);
}

function postingIds(posting: Posting | undefined): number[] {
  if (posting === undefined) return [];
  return typeof posting === 'number' ? [posting] : [...posting];
}
