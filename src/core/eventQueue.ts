/**
 * The pending-event set: a binary min-heap ordered by (time, seq), and nothing else.
 *
 * This is the hot path of every simulation, so it is written for speed:
 * - the heap keeps its keys inline in typed arrays (time, seq, slot), so a sift touches three
 *   contiguous arrays and never dereferences an object;
 * - an event's other fields (type, target, payload, owner, flags) live in parallel "slot"
 *   arrays, recycled through a free list, so scheduling an event allocates nothing once the
 *   arrays have grown to the working-set size;
 * - cancellation is lazy: a cancelled event stays in the heap, flagged, and is skipped when it
 *   reaches the top. Cancelling is O(1) and needs no position index to maintain on every swap.
 *
 * `seq` is one counter per queue (so per simulation) and grows with every push, so two events
 * at the same time run in the order they were scheduled: FIFO ties, deterministic by
 * construction.
 *
 * An event is addressed from outside by a token (`slot + generation * SLOT_SPACE`): the
 * generation changes each time a slot is recycled, so a stale token never cancels a newer
 * event that happens to reuse the slot.
 */
import type { Entity } from "./entity.js";

/** Event kinds the simulation loop dispatches on (small integers, so the switch is a jump). */
export const EventType = {
  /** Deliver a `Message` (payload) to an entity (target). */
  Deliver: 0,
  /** Resume a process (target) with a value (payload). */
  Resume: 1,
  /** Throw an error (payload) into a process (target) at its `yield`. */
  Throw: 2,
  /** Call a function (target) with one argument (payload). */
  Callback: 3,
  /** Resume a process in a numeric sleep: target = its generator, payload = its pid. */
  ResumeFast: 4,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Flag bits of a slot. */
const LIVE = 1;
const DAEMON = 2;
const CANCELLED = 4;

/** Slots are addressed with 26 bits: at most 67,108,864 pending events at once. */
const SLOT_BITS = 26;
const SLOT_SPACE = 2 ** SLOT_BITS;
/** Generations wrap at 2^27 so a token (gen * 2^26 + slot) stays below 2^53. */
const GEN_MASK = 2 ** 27 - 1;
/** The most events that may be pending at once. */
export const MAX_PENDING_EVENTS = SLOT_SPACE;

const INITIAL_CAPACITY = 1024;

export class EventQueue {
  /** Number of entries in the heap, including cancelled ones not yet popped. */
  size = 0;
  /** Pending events that are neither daemon nor cancelled: while > 0 a run has work to do. */
  liveNonDaemon = 0;

  // Heap, in heap order.
  private heapTime: Float64Array;
  private heapSeq: Float64Array;
  private heapSlot: Int32Array;

  // Slots, indexed by slot number. Public for the loop in simulation.ts, which reads them
  // directly after `pop()` to avoid a call per field.
  slotType: Uint8Array;
  slotFlags: Uint8Array;
  private slotGen: Uint32Array;
  slotTarget: unknown[];
  slotPayload: unknown[];
  slotOwner: (Entity | null)[];

  private freeSlots: Int32Array;
  private freeTop = 0;
  private slotHighWater = 0;
  private capacity: number;
  private nextSeq = 0;
  /** Most events pending at once before `onLimit` is told (the runaway guard). */
  private pendingLimit = MAX_PENDING_EVENTS;
  /** Where `push` must look up: the capacity, or the pending limit if lower. */
  private slotCeiling: number;
  /**
   * Told when a push would take the pending events past `pendingLimit`, with their number;
   * expected to throw (the simulation fails the run). Without it the queue throws a RangeError.
   */
  onLimit: ((pending: number) => void) | null = null;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    const capacity = Math.max(16, initialCapacity);
    this.capacity = capacity;
    this.slotCeiling = capacity;
    this.heapTime = new Float64Array(capacity);
    this.heapSeq = new Float64Array(capacity);
    this.heapSlot = new Int32Array(capacity);
    this.slotType = new Uint8Array(capacity);
    this.slotFlags = new Uint8Array(capacity);
    this.slotGen = new Uint32Array(capacity);
    // Filled with null (not holes) so V8 keeps them as packed element arrays.
    this.slotTarget = new Array<unknown>(capacity).fill(null);
    this.slotPayload = new Array<unknown>(capacity).fill(null);
    this.slotOwner = new Array<Entity | null>(capacity).fill(null);
    this.freeSlots = new Int32Array(capacity);
  }

  /** Time (ns) of the earliest entry, cancelled or not; only valid when `size > 0`. */
  peekTime(): number {
    return this.heapTime[0]!;
  }

  /**
   * Sets the most events that may be pending at once (cancelled ones still in the heap
   * included), capped at `MAX_PENDING_EVENTS`. Checked only when the queue needs a slot it
   * has never used, so it costs nothing per event.
   */
  setPendingLimit(limit: number): void {
    this.pendingLimit = Math.min(limit, MAX_PENDING_EVENTS);
    this.slotCeiling = Math.min(this.capacity, this.pendingLimit);
  }

  /** Total number of events ever pushed (the next sequence number). */
  get pushed(): number {
    return this.nextSeq;
  }

  /**
   * Schedules an event and returns its token. `timeNs` must already be validated by the
   * caller (an integer not before the current time).
   */
  push(
    timeNs: number,
    type: EventType,
    target: unknown,
    payload: unknown,
    owner: Entity | null,
    daemon: boolean,
  ): number {
    let slot: number;
    if (this.freeTop > 0) {
      slot = this.freeSlots[--this.freeTop]!;
    } else {
      // The free list is empty, so every slot up to the high-water mark holds a pending event:
      // this one compare both grows the arrays and guards the pending limit.
      if (this.slotHighWater === this.slotCeiling) this.growOrStop();
      slot = this.slotHighWater++;
    }
    this.slotType[slot] = type;
    this.slotFlags[slot] = daemon ? LIVE | DAEMON : LIVE;
    this.slotTarget[slot] = target;
    this.slotPayload[slot] = payload;
    this.slotOwner[slot] = owner;
    if (!daemon) this.liveNonDaemon++;

    // Sift up with a hole: move parents down until the new key fits, then write it once.
    const seq = this.nextSeq++;
    const heapTime = this.heapTime;
    const heapSeq = this.heapSeq;
    const heapSlot = this.heapSlot;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = heapTime[parent]!;
      // seq only grows, so a new event never sorts before an equal-time older one.
      if (parentTime <= timeNs) break;
      heapTime[i] = parentTime;
      heapSeq[i] = heapSeq[parent]!;
      heapSlot[i] = heapSlot[parent]!;
      i = parent;
    }
    heapTime[i] = timeNs;
    heapSeq[i] = seq;
    heapSlot[i] = slot;
    // SLOT_SPACE written out: V8 folds a literal, but loads a module constant (a heap number,
    // being computed) from the module context and checks it on every push.
    return this.slotGen[slot]! * 67108864 + slot;
  }

  /**
   * Removes the earliest entry and returns its slot. The caller reads the slot arrays and must
   * then call `release(slot)`. Only valid when `size > 0`.
   */
  pop(): number {
    const heapTime = this.heapTime;
    const heapSeq = this.heapSeq;
    const heapSlot = this.heapSlot;
    const top = heapSlot[0]!;
    const size = --this.size;
    if (size > 0) {
      // Sift the last entry down from the root, again with a hole.
      const time = heapTime[size]!;
      const seq = heapSeq[size]!;
      const slot = heapSlot[size]!;
      const half = size >> 1;
      let i = 0;
      while (i < half) {
        let child = 2 * i + 1;
        let childTime = heapTime[child]!;
        let childSeq = heapSeq[child]!;
        const right = child + 1;
        if (right < size) {
          const rightTime = heapTime[right]!;
          if (rightTime < childTime || (rightTime === childTime && heapSeq[right]! < childSeq)) {
            child = right;
            childTime = rightTime;
            childSeq = heapSeq[right]!;
          }
        }
        if (childTime > time || (childTime === time && childSeq > seq)) break;
        heapTime[i] = childTime;
        heapSeq[i] = childSeq;
        heapSlot[i] = heapSlot[child]!;
        i = child;
      }
      heapTime[i] = time;
      heapSeq[i] = seq;
      heapSlot[i] = slot;
    }
    return top;
  }

  /** True if the slot popped last was cancelled (and must simply be released). */
  isCancelled(slot: number): boolean {
    return (this.slotFlags[slot]! & CANCELLED) !== 0;
  }

  isDaemon(slot: number): boolean {
    return (this.slotFlags[slot]! & DAEMON) !== 0;
  }

  /** Returns a popped slot to the free list and drops its references for the GC. */
  release(slot: number): void {
    this.slotFlags[slot] = 0;
    this.slotGen[slot] = (this.slotGen[slot]! + 1) & GEN_MASK;
    this.slotTarget[slot] = null;
    this.slotPayload[slot] = null;
    this.slotOwner[slot] = null;
    this.freeSlots[this.freeTop++] = slot;
  }

  /**
   * Cancels a pending event by token. Returns false if it already ran, was already cancelled,
   * or the token is stale. The entry stays in the heap until it reaches the top.
   */
  cancel(token: number): boolean {
    const slot = this.pendingSlot(token);
    if (slot < 0) return false;
    this.markCancelled(slot, this.slotFlags[slot]!);
    return true;
  }

  /** True if the token names an event that is still pending (not run, not cancelled). */
  isPending(token: number): boolean {
    return this.pendingSlot(token) >= 0;
  }

  /** The slot of a pending event's token, or -1 if it ran, was cancelled, or is stale. */
  private pendingSlot(token: number): number {
    if (!(token >= 0)) return -1;
    const slot = token % SLOT_SPACE;
    if (slot >= this.slotHighWater) return -1;
    if ((token - slot) / SLOT_SPACE !== this.slotGen[slot]) return -1;
    const flags = this.slotFlags[slot]!;
    return (flags & LIVE) !== 0 && (flags & CANCELLED) === 0 ? slot : -1;
  }

  // --- Held events (a paused entity's): out of the heap, still pending -------------------

  /** Slot of the earliest entry, cancelled or not; only valid when `size > 0`. */
  peekSlot(): number {
    return this.heapSlot[0]!;
  }

  /**
   * Puts a slot taken out with `pop()` and kept (held) back into the heap at (`timeNs`,
   * `seq`), with its token unchanged, so whoever holds the token can still cancel it. A slot
   * cancelled while held is released instead. `seq` may be below every sequence number given
   * out (negative): the event then runs before any other event at `timeNs`.
   */
  reinsert(slot: number, timeNs: number, seq: number): void {
    if ((this.slotFlags[slot]! & CANCELLED) !== 0) {
      this.release(slot);
      return;
    }
    const heapTime = this.heapTime;
    const heapSeq = this.heapSeq;
    const heapSlot = this.heapSlot;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = heapTime[parent]!;
      if (parentTime < timeNs || (parentTime === timeNs && heapSeq[parent]! < seq)) break;
      heapTime[i] = parentTime;
      heapSeq[i] = heapSeq[parent]!;
      heapSlot[i] = heapSlot[parent]!;
      i = parent;
    }
    heapTime[i] = timeNs;
    heapSeq[i] = seq;
    heapSlot[i] = slot;
  }

  /** Cancels (if it is not already) and releases a held slot: it will never run. */
  discard(slot: number): void {
    const flags = this.slotFlags[slot]!;
    if ((flags & CANCELLED) === 0) this.markCancelled(slot, flags);
    this.release(slot);
  }

  /**
   * Cancels every pending event owned by `owner` whose type is not `Deliver` (messages already
   * on the wire still arrive). O(pending); used when an entity crashes, which is rare.
   */
  cancelOwnedBy(owner: Entity): number {
    let cancelled = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = this.heapSlot[i]!;
      const flags = this.slotFlags[slot]!;
      if (
        (flags & CANCELLED) === 0 &&
        this.slotOwner[slot] === owner &&
        this.slotType[slot] !== EventType.Deliver
      ) {
        this.markCancelled(slot, flags);
        cancelled++;
      }
    }
    return cancelled;
  }

  /**
   * Calls `visit` with the type, target, payload and owner of every pending event (not the
   * cancelled ones). O(pending): for diagnostics, such as naming what fills a runaway queue.
   */
  forEachPending(
    visit: (type: EventType, target: unknown, payload: unknown, owner: Entity | null) => void,
  ): void {
    for (let i = 0; i < this.size; i++) {
      const slot = this.heapSlot[i]!;
      if ((this.slotFlags[slot]! & CANCELLED) !== 0) continue;
      visit(
        this.slotType[slot] as EventType,
        this.slotTarget[slot],
        this.slotPayload[slot],
        this.slotOwner[slot]!,
      );
    }
  }

  private markCancelled(slot: number, flags: number): void {
    this.slotFlags[slot] = flags | CANCELLED;
    if ((flags & DAEMON) === 0) this.liveNonDaemon--;
    // Drop references now: a cancelled timer may sit in the heap for a long simulated time.
    this.slotTarget[slot] = null;
    this.slotPayload[slot] = null;
  }

  private growOrStop(): void {
    if (this.slotHighWater >= this.pendingLimit) {
      this.onLimit?.(this.size);
      throw new RangeError(
        this.pendingLimit === MAX_PENDING_EVENTS
          ? `EventQueue: more than ${MAX_PENDING_EVENTS} events pending at once; a model that needs more is probably leaking timers`
          : `EventQueue: more than ${this.pendingLimit} events pending at once (the pending limit)`,
      );
    }
    this.grow();
    this.slotCeiling = Math.min(this.capacity, this.pendingLimit);
  }

  /** Doubles the arrays; `growOrStop` has checked the limit (at most `MAX_PENDING_EVENTS`). */
  private grow(): void {
    const capacity = Math.min(this.capacity * 2, MAX_PENDING_EVENTS);
    this.heapTime = growFloat64(this.heapTime, capacity);
    this.heapSeq = growFloat64(this.heapSeq, capacity);
    this.heapSlot = growInt32(this.heapSlot, capacity);
    this.freeSlots = growInt32(this.freeSlots, capacity);
    const slotType = new Uint8Array(capacity);
    slotType.set(this.slotType);
    this.slotType = slotType;
    const slotFlags = new Uint8Array(capacity);
    slotFlags.set(this.slotFlags);
    this.slotFlags = slotFlags;
    const slotGen = new Uint32Array(capacity);
    slotGen.set(this.slotGen);
    this.slotGen = slotGen;
    for (let i = this.capacity; i < capacity; i++) {
      this.slotTarget.push(null);
      this.slotPayload.push(null);
      this.slotOwner.push(null);
    }
    this.capacity = capacity;
  }
}

function growFloat64(old: Float64Array, capacity: number): Float64Array {
  const next = new Float64Array(capacity);
  next.set(old);
  return next;
}

function growInt32(old: Int32Array, capacity: number): Int32Array {
  const next = new Int32Array(capacity);
  next.set(old);
  return next;
}
