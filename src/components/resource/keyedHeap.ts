/**
 * A binary min-heap of waiting items by a numeric key, ties broken by arrival sequence, so
 * items with equal keys leave in arrival order (a stable priority queue). Items, keys,
 * sequence numbers and arrival times live in four parallel arrays: an item costs array slots,
 * never an object of its own. Shared by `priority` and `deadlineQueue`.
 */
export class KeyedHeap<T> {
  private items: T[] = [];
  private keys: number[] = [];
  private seqs: number[] = [];
  private arrivals: number[] = [];
  private nextSeq = 0;

  get length(): number {
    return this.items.length;
  }

  push(item: T, key: number, arrivalNs: number): void {
    const at = this.items.length;
    this.items.push(item);
    this.keys.push(key);
    this.seqs.push(this.nextSeq++);
    this.arrivals.push(arrivalNs);
    this.siftUp(at);
  }

  /** The item with the smallest key (the oldest among equals); undefined when empty. */
  top(): T | undefined {
    return this.items[0];
  }

  topKey(): number {
    return this.keys[0]!;
  }

  topArrivalNs(): number {
    return this.arrivals[0]!;
  }

  /** Removes the top item (the heap must not be empty). */
  pop(): T {
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  /** Removes `item` wherever it is; false if absent. */
  remove(item: T): boolean {
    const index = this.items.indexOf(item);
    if (index < 0) return false;
    this.removeAt(index);
    return true;
  }

  /** Empties the heap; returns the items in arrival order. */
  clear(): T[] {
    const order = this.seqs.map((_, index) => index).sort((a, b) => this.seqs[a]! - this.seqs[b]!);
    const left = order.map((index) => this.items[index]!);
    this.items = [];
    this.keys = [];
    this.seqs = [];
    this.arrivals = [];
    // Restarting the sequence keeps it far from 2^53 however long the run.
    this.nextSeq = 0;
    return left;
  }

  private removeAt(index: number): void {
    const last = this.items.length - 1;
    if (index !== last) this.move(last, index);
    this.items.pop();
    this.keys.pop();
    this.seqs.pop();
    this.arrivals.pop();
    if (index < last) {
      this.siftDown(index);
      this.siftUp(index);
    }
    if (this.items.length === 0) this.nextSeq = 0;
  }

  private before(a: number, b: number): boolean {
    const keyA = this.keys[a]!;
    const keyB = this.keys[b]!;
    return keyA < keyB || (keyA === keyB && this.seqs[a]! < this.seqs[b]!);
  }

  private move(from: number, to: number): void {
    this.items[to] = this.items[from]!;
    this.keys[to] = this.keys[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.arrivals[to] = this.arrivals[from]!;
  }

  private swap(a: number, b: number): void {
    const item = this.items[a]!;
    const key = this.keys[a]!;
    const seq = this.seqs[a]!;
    const arrival = this.arrivals[a]!;
    this.move(b, a);
    this.items[b] = item;
    this.keys[b] = key;
    this.seqs[b] = seq;
    this.arrivals[b] = arrival;
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(child, parent)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.items.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= length) return;
      const right = left + 1;
      const child = right < length && this.before(right, left) ? right : left;
      if (!this.before(child, parent)) return;
      this.swap(child, parent);
      parent = child;
    }
  }
}
