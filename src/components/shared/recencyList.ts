/**
 * `RecencyList`: an intrusive circular doubly linked list with a sentinel, for least recently
 * used (and first in, first out) eviction in O(1): the front is the most recent entry, the
 * back the oldest. Entries carry their own links (`ListNode`), so moving one allocates
 * nothing. Shared by the store family's eviction policies and the storage family's
 * `PageCache`, which may not import each other's folders.
 */

/** An entry a `RecencyList` can hold: its links, null while it is not held. */
export class ListNode {
  prev: ListNode | null = null;
  next: ListNode | null = null;
}

export class RecencyList<N extends ListNode> {
  private readonly head = new ListNode();
  /** Entries held. */
  length = 0;

  constructor() {
    this.head.prev = this.head;
    this.head.next = this.head;
  }

  /** Holds `node` as the most recent entry. */
  pushFront(node: N): void {
    const first = this.head.next!;
    node.prev = this.head;
    node.next = first;
    first.prev = node;
    this.head.next = node;
    this.length++;
  }

  /** Lets go of a held `node`. */
  unlink(node: N): void {
    node.prev!.next = node.next;
    node.next!.prev = node.prev;
    node.prev = null;
    node.next = null;
    this.length--;
  }

  /** Makes a held `node` the most recent. */
  moveToFront(node: N): void {
    if (this.head.next === node) return;
    node.prev!.next = node.next;
    node.next!.prev = node.prev;
    const first = this.head.next!;
    node.prev = this.head;
    node.next = first;
    first.prev = node;
    this.head.next = node;
  }

  /** The oldest entry, still held, or undefined when empty. */
  back(): N | undefined {
    return this.length === 0 ? undefined : (this.head.prev as N);
  }

  /** Lets go of every entry. */
  clear(): void {
    // Unlink every node, so a node kept elsewhere holds no stale neighbours.
    for (let node = this.head.next!; node !== this.head; ) {
      const next = node.next!;
      node.prev = null;
      node.next = null;
      node = next;
    }
    this.head.prev = this.head;
    this.head.next = this.head;
    this.length = 0;
  }
}
