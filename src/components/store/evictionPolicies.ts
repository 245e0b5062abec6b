/**
 * Cache eviction policies: which entry a full cache gives up for a new one. Each is a small
 * object the cache tells about insertions, accesses (hits and overwrites) and removals, and
 * asks for a victim; the bookkeeping lives in the entries themselves (`PolicyNode`: list links,
 * a heap index, a counter), so a hit moves a few pointers and allocates nothing.
 *
 * | policy | evicts | cost per operation |
 * | --- | --- | --- |
 * | `lru` | the least recently used | O(1): a doubly linked list |
 * | `fifo` | the first inserted (hits change nothing) | O(1) |
 * | `lfu` | the least frequently used, the least recent among equals | O(log n): a binary heap |
 * | `random` | one drawn uniformly from the cache's seeded `eviction` stream | O(1) |
 * | `ttl` | the one expiring soonest, the first inserted among equals | O(log n): a heap |
 * | `slru` | segmented LRU: the LRU of the probation segment (entries hit once are promoted to a protected segment of 80% of capacity, which demotes its own LRU back) | O(1) |
 * | `clock` | second chance: a hand sweeps the entries, clearing reference bits set by hits, and takes the first without one | O(1) amortized |
 *
 * SLRU resists scans: a one-time pass over many keys flushes an LRU cache's hot set, while
 * SLRU only churns its probation segment. CLOCK approximates LRU at a lower cost per hit (a
 * bit set, no list moved); its hand clears the bits as it goes, so a long scan still reaches
 * the hot set.
 *
 * Internal to the store family (a cache takes a policy by name).
 */
import type { RandomStream } from "../../random/randomStream.js";
import { ListNode, RecencyList } from "../shared/recencyList.js";

/** The eviction policies, by name. */
export type EvictionPolicyName = "lru" | "lfu" | "fifo" | "random" | "ttl" | "slru" | "clock";

export const EVICTION_POLICIES: readonly EvictionPolicyName[] = [
  "lru",
  "lfu",
  "fifo",
  "random",
  "ttl",
  "slru",
  "clock",
];

/** What a policy keeps in each cache entry. */
export class PolicyNode extends ListNode {
  /** List neighbours (lru, fifo, slru, clock). */
  declare prev: PolicyNode | null;
  declare next: PolicyNode | null;
  /** lfu: accesses; slru: 1 in the protected segment; clock: the reference bit. */
  mark = 0;
  /** lfu: the sequence number of the last access; ttl: of the insertion (ties). */
  order = 0;
  /** Position in a heap (lfu, ttl) or array (random); -1 when not held. */
  index = -1;
  /** When the entry expires (ns); Infinity for never. The ttl policy orders by it. */
  expiresAtNs = Number.POSITIVE_INFINITY;
}

export interface EvictionPolicy<N extends PolicyNode> {
  readonly name: EvictionPolicyName;
  /** Entries held. */
  readonly size: number;
  /** A new entry. */
  inserted(node: N): void;
  /** A held entry was read or overwritten (its expiry may have moved). */
  accessed(node: N): void;
  /** A held entry left (evicted, deleted, expired). */
  removed(node: N): void;
  /**
   * The entry to evict now, still held (the cache then removes it and calls `removed`);
   * undefined when empty. Call it only to evict: CLOCK's hand clears reference bits as it goes.
   */
  victim(): N | undefined;
  /** Forgets every entry. */
  clear(): void;
}

/** Builds the policy `name` for a cache of `capacity` entries drawing from `stream`. */
export function evictionPolicy<N extends PolicyNode>(
  name: EvictionPolicyName,
  capacity: number,
  stream: RandomStream,
): EvictionPolicy<N> {
  switch (name) {
    case "lru":
      return new ListPolicy<N>("lru", true);
    case "fifo":
      return new ListPolicy<N>("fifo", false);
    case "lfu":
      return new HeapPolicy<N>("lfu", lessFrequent);
    case "ttl":
      return new HeapPolicy<N>("ttl", expiresSooner);
    case "random":
      return new RandomPolicy<N>(stream);
    case "slru":
      return new SegmentedLru<N>(capacity);
    case "clock":
      return new ClockPolicy<N>();
  }
}

/** LRU (an access moves the entry to the front) or FIFO (accesses change nothing). */
class ListPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  private readonly list = new RecencyList<N>();
  constructor(
    readonly name: "lru" | "fifo",
    private readonly moveOnAccess: boolean,
  ) {}
  get size(): number {
    return this.list.length;
  }
  inserted(node: N): void {
    this.list.pushFront(node);
  }
  accessed(node: N): void {
    if (this.moveOnAccess) this.list.moveToFront(node);
  }
  removed(node: N): void {
    this.list.unlink(node);
  }
  victim(): N | undefined {
    return this.list.back() as N | undefined;
  }
  clear(): void {
    this.list.clear();
  }
}

/** Whether `a` should be evicted before `b` under LFU: fewer accesses, then older last access. */
function lessFrequent(a: PolicyNode, b: PolicyNode): boolean {
  return a.mark !== b.mark ? a.mark < b.mark : a.order < b.order;
}

/** Whether `a` expires before `b`, the older insertion first among equals. */
function expiresSooner(a: PolicyNode, b: PolicyNode): boolean {
  return a.expiresAtNs !== b.expiresAtNs ? a.expiresAtNs < b.expiresAtNs : a.order < b.order;
}

/**
 * A binary min-heap of nodes under `before`, each node knowing its index, so an access or a
 * removal repairs the heap from where the node is: O(log n), no search, no allocation.
 */
class HeapPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  private readonly heap: N[] = [];
  private sequence = 0;
  constructor(
    readonly name: "lfu" | "ttl",
    private readonly before: (a: PolicyNode, b: PolicyNode) => boolean,
  ) {}
  get size(): number {
    return this.heap.length;
  }
  inserted(node: N): void {
    node.order = ++this.sequence;
    if (this.name === "lfu") node.mark = 1;
    node.index = this.heap.length;
    this.heap.push(node);
    this.siftUp(node.index);
  }
  accessed(node: N): void {
    if (this.name === "lfu") {
      node.mark++;
      node.order = ++this.sequence;
      this.siftDown(node.index); // its key only grew
    } else {
      // An overwrite may have moved its expiry either way.
      this.siftDown(this.siftUp(node.index));
    }
  }
  removed(node: N): void {
    const heap = this.heap;
    const at = node.index;
    const last = heap.pop()!;
    node.index = -1;
    if (last !== node) {
      heap[at] = last;
      last.index = at;
      this.siftDown(this.siftUp(at));
    }
  }
  victim(): N | undefined {
    return this.heap[0];
  }
  clear(): void {
    for (const node of this.heap) node.index = -1;
    this.heap.length = 0;
  }
  /** Moves the node at `at` up while it goes before its parent; returns where it ends. */
  private siftUp(at: number): number {
    const heap = this.heap;
    const node = heap[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!this.before(node, parent)) break;
      heap[at] = parent;
      parent.index = at;
      at = parentAt;
    }
    heap[at] = node;
    node.index = at;
    return at;
  }
  private siftDown(at: number): void {
    const heap = this.heap;
    const node = heap[at]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, node)) break;
      heap[at] = heap[child]!;
      heap[at]!.index = at;
      at = child;
    }
    heap[at] = node;
    node.index = at;
  }
}

/** A uniformly drawn victim: entries in an array, removed by swapping with the last. */
class RandomPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "random";
  private readonly nodes: N[] = [];
  constructor(private readonly stream: RandomStream) {}
  get size(): number {
    return this.nodes.length;
  }
  inserted(node: N): void {
    node.index = this.nodes.length;
    this.nodes.push(node);
  }
  accessed(): void {}
  removed(node: N): void {
    const nodes = this.nodes;
    const last = nodes.pop()!;
    if (last !== node) {
      nodes[node.index] = last;
      last.index = node.index;
    }
    node.index = -1;
  }
  victim(): N | undefined {
    const nodes = this.nodes;
    return nodes.length === 0 ? undefined : nodes[Math.floor(this.stream.next() * nodes.length)];
  }
  clear(): void {
    for (const node of this.nodes) node.index = -1;
    this.nodes.length = 0;
  }
}

/** Share of an SLRU cache's capacity kept for entries hit at least twice. */
const PROTECTED_SHARE = 0.8;

/**
 * Segmented LRU: new entries enter a probation segment; a hit promotes an entry to the
 * protected segment, whose least recent entry goes back to probation when it is over its share.
 * Victims come from probation first, so a scan of keys seen once never reaches the hot set.
 */
class SegmentedLru<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "slru";
  private readonly probation = new RecencyList<N>();
  private readonly protectedList = new RecencyList<N>();
  private readonly protectedCapacity: number;
  constructor(capacity: number) {
    this.protectedCapacity = Math.max(1, Math.floor(capacity * PROTECTED_SHARE));
  }
  get size(): number {
    return this.probation.length + this.protectedList.length;
  }
  inserted(node: N): void {
    node.mark = 0;
    this.probation.pushFront(node);
  }
  accessed(node: N): void {
    if (node.mark === 1) {
      this.protectedList.moveToFront(node);
      return;
    }
    this.probation.unlink(node);
    node.mark = 1;
    this.protectedList.pushFront(node);
    if (this.protectedList.length > this.protectedCapacity) {
      const demoted = this.protectedList.back()!;
      this.protectedList.unlink(demoted);
      demoted.mark = 0;
      this.probation.pushFront(demoted);
    }
  }
  removed(node: N): void {
    if (node.mark === 1) this.protectedList.unlink(node);
    else this.probation.unlink(node);
  }
  victim(): N | undefined {
    return (this.probation.back() ?? this.protectedList.back()) as N | undefined;
  }
  clear(): void {
    this.probation.clear();
    this.protectedList.clear();
  }
}

/**
 * CLOCK (second chance): entries on a ring with a reference bit set by hits. To evict, the
 * hand clears set bits as it passes and stops at the first clear one. A new entry goes just
 * behind the hand, so it is looked at last.
 */
class ClockPolicy<N extends PolicyNode> implements EvictionPolicy<N> {
  readonly name = "clock";
  private hand: PolicyNode | null = null;
  size = 0;
  inserted(node: N): void {
    node.mark = 0;
    const hand = this.hand;
    if (hand === null) {
      node.prev = node;
      node.next = node;
      this.hand = node;
    } else {
      const behind = hand.prev!;
      node.prev = behind;
      node.next = hand;
      behind.next = node;
      hand.prev = node;
    }
    this.size++;
  }
  accessed(node: N): void {
    node.mark = 1;
  }
  removed(node: N): void {
    if (this.size === 1) {
      this.hand = null;
    } else {
      if (this.hand === node) this.hand = node.next;
      node.prev!.next = node.next;
      node.next!.prev = node.prev;
    }
    node.prev = null;
    node.next = null;
    this.size--;
  }
  victim(): N | undefined {
    let hand = this.hand;
    if (hand === null) return undefined;
    // At most one full turn: after it every bit is clear.
    while (hand.mark === 1) {
      hand.mark = 0;
      hand = hand.next!;
    }
    this.hand = hand;
    return hand as N;
  }
  clear(): void {
    let node = this.hand;
    for (let i = 0; i < this.size && node !== null; i++) {
      const next: PolicyNode | null = node.next;
      node.prev = null;
      node.next = null;
      node = next;
    }
    this.hand = null;
    this.size = 0;
  }
}
