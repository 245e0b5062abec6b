/**
 * `WaitingLine`: what waits for a worker (a server's requests, a pool's tasks), taken oldest
 * first (FIFO) or newest first (LIFO). FIFO takes from a moving head instead of `shift()`,
 * which would copy the whole array on every take: under overload a line holds tens of
 * thousands of entries, and a take happens on every completion.
 */
export class WaitingLine<T> {
  /** Entries in arrival order; [head, length) are live. */
  private items: T[] = [];
  private head = 0;

  constructor(readonly lifo: boolean) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The entry `take()` would return; undefined when empty. */
  peek(): T | undefined {
    if (this.length === 0) return undefined;
    return this.lifo ? this.items[this.items.length - 1] : this.items[this.head];
  }

  /** Removes and returns the next entry; call only when `length > 0`. */
  take(): T {
    let next: T;
    if (this.lifo) {
      next = this.items.pop()!;
    } else {
      next = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      // Compact once the dead prefix dominates, so memory stays proportional to the length.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return next;
  }

  /** Empties the line and returns what was in it, in arrival order (a crash loses it all). */
  clear(): T[] {
    const left = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return left;
  }
}
