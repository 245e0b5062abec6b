/**
 * `SortedKeys`: a store's keys in ascending order, for range scans. A `Map` keeps insertion
 * order, which is deterministic but not sorted, so a scan over it would have to sort on every
 * call; this keeps the keys sorted as they come and go.
 *
 * The keys live in sorted chunks of at most `2 x CHUNK` keys, found by binary search over each
 * chunk's last key (the layout of Python's sortedcontainers): an insertion or removal searches
 * in O(log n) and moves at most one chunk's tail, so a million keys in random order cost what
 * a few thousand would in one flat array. A scan starts in O(log n) and walks in order.
 *
 * Keys compare as JavaScript compares strings (`<`: by UTF-16 code unit), the same on every
 * engine, so a scan's order never depends on a locale.
 *
 * Internal to the store family.
 */

/** Half the most keys a chunk holds: a full chunk splits into two of this size. */
const CHUNK = 256;

export class SortedKeys {
  private chunks: string[][] = [];
  /** The last (largest) key of each chunk. */
  private lasts: string[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Adds `key`, which must not be present. */
  insert(key: string): void {
    this.count++;
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
      this.lasts.push(key);
      return;
    }
    let c = this.chunkFor(key);
    if (c === chunks.length) c--; // past every key: the last chunk grows
    const chunk = chunks[c]!;
    const at = lowerBound(chunk, key);
    if (at === chunk.length) {
      chunk.push(key);
      this.lasts[c] = key;
    } else {
      chunk.splice(at, 0, key);
    }
    if (chunk.length > 2 * CHUNK) {
      const upper = chunk.splice(CHUNK);
      chunks.splice(c + 1, 0, upper);
      this.lasts.splice(c, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    }
  }

  /** Removes `key`; false if it was not present. */
  remove(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const at = lowerBound(chunk, key);
    if (chunk[at] !== key) return false;
    this.count--;
    if (chunk.length === 1) {
      this.chunks.splice(c, 1);
      this.lasts.splice(c, 1);
      return true;
    }
    chunk.splice(at, 1);
    this.lasts[c] = chunk[chunk.length - 1]!;
    return true;
  }

  /** Keys with `from <= key < to` (`to` undefined: to the end), ascending, at most `limit`. */
  range(from: string, to: string | undefined, limit: number): string[] {
    const found: string[] = [];
    const chunks = this.chunks;
    let c = this.chunkFor(from);
    if (c === chunks.length) return found;
    let at = lowerBound(chunks[c]!, from);
    for (; c < chunks.length; c++, at = 0) {
      const chunk = chunks[c]!;
      for (; at < chunk.length; at++) {
        const key = chunk[at]!;
        if (found.length >= limit || (to !== undefined && !(key < to))) return found;
        found.push(key);
      }
    }
    return found;
  }

  clear(): void {
    this.chunks = [];
    this.lasts = [];
    this.count = 0;
  }

  /** The first chunk whose last key is >= `key` (the chunk count when there is none). */
  private chunkFor(key: string): number {
    return lowerBound(this.lasts, key);
  }
}

/** The index of the first element >= `key` in the ascending `keys`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
