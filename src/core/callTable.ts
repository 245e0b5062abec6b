/**
 * `CallTable`: an entity's outstanding calls by request message id, in the order they were
 * made. What a `Map` did, without its cost on the per-call path: a `Map` that sees one insert
 * and one delete per call keeps rehashing its table (about 70 ns and 80 bytes of garbage per
 * call in V8), while message ids only grow, so a sorted array with a moving head finds,
 * adds and removes a call with a few array accesses and no allocation once it has grown.
 *
 * Entries are kept sorted by id; a removed entry is left as a hole (its id stays, so the
 * binary search still works) and the holes at either end are dropped at once. Holes in the
 * middle (calls answered out of order) are squeezed out when the array is full and at least
 * half holes, so the work stays amortized O(1) per call and the memory O(live calls).
 *
 * Not exported from the package.
 */
export class CallTable<T> {
  /** Request ids, ascending, for [head, tail); a hole keeps its id. */
  private ids: number[] = [];
  /** The call of each id, or null for a hole. */
  private items: (T | null)[] = [];
  private head = 0;
  private tail = 0;
  /** Calls in the table. */
  size = 0;

  /** Adds the call of request `id` (ids normally arrive in increasing order). */
  set(id: number, item: T): void {
    if (this.tail > this.head && !(id > this.ids[this.tail - 1]!)) {
      this.insertInOrder(id, item);
      return;
    }
    if (this.tail === this.ids.length && this.size * 2 <= this.tail) {
      this.squeeze();
    }
    if (this.tail === this.ids.length) {
      this.ids.push(id);
      this.items.push(item);
    } else {
      this.ids[this.tail] = id;
      this.items[this.tail] = item;
    }
    this.tail++;
    this.size++;
  }

  /** The call of request `id`, or undefined. */
  get(id: number): T | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.items[i]!;
  }

  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  /** Removes the call of request `id`; false if there is none. */
  delete(id: number): boolean {
    const i = this.indexOf(id);
    if (i < 0) return false;
    const items = this.items;
    items[i] = null;
    if (--this.size === 0) {
      this.head = 0;
      this.tail = 0;
    } else {
      while (items[this.head] === null) this.head++;
      while (items[this.tail - 1] === null) this.tail--;
    }
    return true;
  }

  /** The calls, in the order of their ids (the order they were made). */
  values(): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.tail; i++) {
      const item = this.items[i]!;
      if (item !== null) out.push(item);
    }
    return out;
  }

  private indexOf(id: number): number {
    const ids = this.ids;
    let low = this.head;
    let high = this.tail;
    // Answers mostly come in call order: the oldest call is the usual match.
    if (low < high && ids[low] === id) return low;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ids[mid]! < id) low = mid + 1;
      else high = mid;
    }
    return low < this.tail && ids[low] === id && this.items[low] !== null ? low : -1;
  }

  /** Moves the live entries to the front, dropping the holes. */
  private squeeze(): void {
    const ids = this.ids;
    const items = this.items;
    let to = 0;
    for (let from = this.head; from < this.tail; from++) {
      const item = items[from]!;
      if (item === null) continue;
      ids[to] = ids[from]!;
      items[to] = item;
      to++;
    }
    for (let i = to; i < this.tail; i++) items[i] = null;
    this.head = 0;
    this.tail = to;
  }

  /** The rare out-of-order insert: keeps the ids sorted (replacing a live entry's call). */
  private insertInOrder(id: number, item: T): void {
    const ids = this.ids;
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ids[mid]! < id) low = mid + 1;
      else high = mid;
    }
    if (low < this.tail && ids[low] === id) {
      if (this.items[low] === null) this.size++;
      this.items[low] = item;
      return;
    }
    this.squeeze();
    // After squeezing, find the position again among the live entries.
    let at = 0;
    while (at < this.tail && ids[at]! < id) at++;
    ids.splice(at, 0, id);
    this.items.splice(at, 0, item);
    this.tail++;
    this.size++;
  }
}
