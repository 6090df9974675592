/**
 * The primary keys seen so far in one table, to reject duplicates. Dentrix ids are dense integers, so they are
 * kept as bits in 1 KiB pages (two million ids ≈ 250 KiB) instead of a Set that would grow by tens of bytes a row;
 * text keys (provider ids) are few and go in a plain Set.
 */
const PAGE_BITS = 8192;

export class KeySet {
  private readonly pages = new Map<number, Uint8Array>();
  private readonly texts = new Set<string>();

  /** Adds the key; returns false when it was already there. */
  add(key: number | string): boolean {
    if (typeof key === 'string') {
      if (this.texts.has(key)) return false;
      this.texts.add(key);
      return true;
    }
    const pageIndex = Math.floor(key / PAGE_BITS);
    const bit = key - pageIndex * PAGE_BITS;
    let page = this.pages.get(pageIndex);
    if (!page) {
      page = new Uint8Array(PAGE_BITS / 8);
      this.pages.set(pageIndex, page);
    }
    const byte = bit >> 3;
    const mask = 1 << (bit & 7);
    const current = page[byte] ?? 0;
    if (current & mask) return false;
    page[byte] = current | mask;
    return true;
  }
}
