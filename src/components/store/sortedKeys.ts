/**
 * `SortedKeys`: a store's keys in ascending order, for range scans. A `Map` keeps insertion
 * order, which is deterministic but not sorted, so a scan over it would have to sort on every
 * call; this keeps one sorted array instead, found by binary search. Insertion and removal
 * move the tail of the array (a memmove: cheap up to hundreds of thousands of keys); lookups
 * and the start of a scan are O(log n).
 *
 * Keys compare as JavaScript compares strings (`<`: by UTF-16 code unit), the same on every
 * engine, so a scan's order never depends on a locale.
 *
 * Internal to the store family.
 */
export class SortedKeys {
  private keys: string[] = [];

  get length(): number {
    return this.keys.length;
  }

  /** The index of the first key >= `key` (the length when there is none). */
  lowerBound(key: string): number {
    const keys = this.keys;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keys[middle]! < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Adds `key`, which must not be present. */
  insert(key: string): void {
    const at = this.lowerBound(key);
    if (at === this.keys.length) this.keys.push(key);
    else this.keys.splice(at, 0, key);
  }

  /** Removes `key`; false if it was not present. */
  remove(key: string): boolean {
    const at = this.lowerBound(key);
    if (this.keys[at] !== key) return false;
    if (at === this.keys.length - 1) this.keys.pop();
    else this.keys.splice(at, 1);
    return true;
  }

  /** The key at `index` in ascending order. */
  at(index: number): string | undefined {
    return this.keys[index];
  }

  clear(): void {
    this.keys = [];
  }
}
