/**
 * Queue disciplines: which waiting item a resource serves next. A discipline owns the waiting
 * items of one resource (a server's requests, a pool's tasks, processes waiting for a slot)
 * and answers three questions: may this item join (`enqueue`), which one is next (`peek`,
 * `dequeue`), and which ones it gives up on while they wait (drops, each with a reason).
 *
 * `fifo()` (oldest first) and `lifo()` (newest first) are here; `priority`, `codel`,
 * `adaptiveLifo`, `deadlineQueue`, `fairQueue`, `weightedFairQueue` and `red` have a file each
 * beside this one (docs/components/resource.md, "Queue policies"). The interface is shaped for
 * the disciplines that decide by time and by flow: CoDel drops at dequeue when the head has
 * waited too long (it sees each item's arrival time and the dequeue time), RED refuses at
 * enqueue (it returns a reason), fair queuing and EDF order by a per-item flow key or
 * deadline. A discipline never settles anything itself: it reports each drop to the resource,
 * which counts it by reason and tells its owner (a server fails the request with the reason).
 *
 * Disciplines are on the per-request path: keep them free of per-item allocation (parallel
 * arrays, moving heads), as the built-in ones are.
 *
 * @example
 * const api = new Server(sim, "api", { concurrency: 4, queuePolicy: lifo() });
 */

/** Where a discipline reports the items it drops while they wait. */
export interface DropSink<T> {
  /** `item` leaves the queue without service, for `reason` ("sojourn", "deadline", ...). */
  dropped(item: T, reason: string): void;
}

/**
 * Order (and drop policy) of a resource's waiting items. One instance serves one resource:
 * it holds that resource's items.
 */
export interface QueueDiscipline<T> {
  /** Short name for reports and errors ("fifo", "lifo", "codel(5ms, 100ms)"). */
  readonly name: string;
  /** Items waiting now. */
  readonly length: number;
  /**
   * Arrival time (ns) of the item the last `dequeue` returned: the resource's wait histogram
   * reads it right after each dequeue.
   */
  readonly lastArrivalNs: number;
  /**
   * Adds an item that arrived at `arrivalNs`, with its flow key (undefined when the resource
   * has none). Returns null when it joined, or the reason it was refused at the door (an early
   * drop); the resource has already checked its own capacity bound.
   */
  enqueue(item: T, arrivalNs: number, flow: string | number | undefined): string | null;
  /**
   * The item `dequeue(nowNs)` would return, without removing it; undefined when none waits.
   * It may drop items first (reported to `drops`), since what is due to be dropped depends on
   * the time.
   */
  peek(nowNs: number, drops: DropSink<T>): T | undefined;
  /** Removes and returns the next item to serve at `nowNs` (dropping first, as `peek`). */
  dequeue(nowNs: number, drops: DropSink<T>): T | undefined;
  /**
   * Removes `item` wherever it waits (its waiter gave up or was cancelled) at `nowNs`; false if
   * absent. The time matters to a discipline that keeps time-based state (RED's idle time
   * starts when the last item leaves, however it leaves).
   */
  remove(item: T, nowNs: number): boolean;
  /** Empties the queue at `nowNs`; returns what waited, in arrival order (what a crash loses). */
  clear(nowNs: number): T[];
  /**
   * Optional: the reason to refuse `item` at the door even when it could start at once (work
   * that is already too late to serve), or null to let it in. Checked on every arrival, before
   * the idle fast path, so such an item is never served. Absent: every arrival is let in.
   */
  refuseAtDoor?(item: T, nowNs: number): string | null;
}

/**
 * Items in arrival order with their arrival times, in two parallel arrays: [head, tail) are
 * live, taken at either end. Shared by FIFO (the head), LIFO (the tail) and adaptive LIFO
 * (either, by depth). Internal to the resource family.
 *
 * The arrays keep their length when items leave (a slot taken is cleared, and `tail` marks
 * the end): shrinking an array (`length = 0`, `pop`) is a call into the V8 runtime, and a
 * server's queue empties at the end of every busy period, on the per-request path.
 */
export abstract class ArrivalOrder<T> implements QueueDiscipline<T> {
  abstract readonly name: string;
  protected items: T[] = [];
  protected arrivals: number[] = [];
  protected head = 0;
  protected tail = 0;
  lastArrivalNs = 0;

  get length(): number {
    return this.tail - this.head;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    const tail = this.tail;
    // At the arrays' end this appends; below it, it reuses a cleared slot.
    this.items[tail] = item;
    this.arrivals[tail] = arrivalNs;
    this.tail = tail + 1;
    return null;
  }

  abstract peek(): T | undefined;
  abstract dequeue(): T | undefined;

  /** The oldest waiting item, or undefined. */
  protected oldest(): T | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined;
  }

  /** The newest waiting item, or undefined. */
  protected newest(): T | undefined {
    return this.head < this.tail ? this.items[this.tail - 1] : undefined;
  }

  /**
   * Removes the oldest item. Takes from a moving head instead of `shift()`, which would copy
   * the whole array on every take: under overload a queue holds tens of thousands of items,
   * and a take happens on every completion.
   */
  protected takeOldest(): T | undefined {
    const head = this.head;
    if (head === this.tail) return undefined;
    const next = this.items[head]!;
    this.lastArrivalNs = this.arrivals[head]!;
    this.items[head] = undefined as T;
    this.head = head + 1;
    // Compact once the dead prefix dominates, so memory stays proportional to the length.
    if (this.head > 1024 && this.head * 2 > this.tail) {
      this.items = this.items.slice(this.head, this.tail);
      this.arrivals = this.arrivals.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    this.emptied();
    return next;
  }

  /** Removes the newest item. */
  protected takeNewest(): T | undefined {
    if (this.head === this.tail) return undefined;
    const tail = this.tail - 1;
    const next = this.items[tail]!;
    this.lastArrivalNs = this.arrivals[tail]!;
    this.items[tail] = undefined as T;
    this.tail = tail;
    this.emptied();
    return next;
  }

  remove(item: T): boolean {
    const index = this.items.indexOf(item, this.head);
    if (index < 0 || index >= this.tail) return false;
    this.items.splice(index, 1);
    this.arrivals.splice(index, 1);
    this.tail--;
    this.emptied();
    return true;
  }

  clear(): T[] {
    const left = this.items.slice(this.head, this.tail);
    this.items = [];
    this.arrivals = [];
    this.head = 0;
    this.tail = 0;
    return left;
  }

  /**
   * Once the line is empty, starts again at slot 0, so an idle queue holds no dead prefix;
   * arrays a long queue grew are let go, so memory stays bounded by what waits.
   */
  protected emptied(): void {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (this.items.length > 1024) {
        this.items = [];
        this.arrivals = [];
      }
    }
  }
}

/** Oldest first. */
class FifoDiscipline<T> extends ArrivalOrder<T> {
  readonly name = "fifo";

  peek(): T | undefined {
    return this.oldest();
  }

  dequeue(): T | undefined {
    return this.takeOldest();
  }
}

/** Newest first (a stack): under overload the freshest requests, whose callers still wait, go first. */
class LifoDiscipline<T> extends ArrivalOrder<T> {
  readonly name = "lifo";

  peek(): T | undefined {
    return this.newest();
  }

  dequeue(): T | undefined {
    return this.takeNewest();
  }
}

/** Serves the oldest waiting item first. */
export function fifo<T>(): QueueDiscipline<T> {
  return new FifoDiscipline<T>();
}

/** Serves the newest waiting item first. */
export function lifo<T>(): QueueDiscipline<T> {
  return new LifoDiscipline<T>();
}

/** Whether `value` looks like a discipline (has the methods a resource calls). */
export function isQueueDiscipline(value: unknown): value is QueueDiscipline<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Record<string, unknown>;
  return (
    typeof d.enqueue === "function" &&
    typeof d.dequeue === "function" &&
    typeof d.peek === "function" &&
    typeof d.remove === "function" &&
    typeof d.clear === "function"
  );
}

/**
 * The one key of a flow, whichever form `flowOf` gives it in: a string that a number prints as
 * (`"1"`, `"-2.5"`) is that number, so 1 and "1" are one flow (and, under `weightedFairQueue`,
 * one weight, as `weights`, an object keyed by strings, already treats them). A number key is used as it is, with no
 * string made per item.
 */
export function normalizeFlowKey(flow: string | number): string | number {
  if (typeof flow === "number") return flow;
  const first = flow.charCodeAt(0);
  // Only a digit, "-", "I" (Infinity) or "N" (NaN) can start what a number prints as.
  if (!((first >= 48 && first <= 57) || first === 45 || first === 73 || first === 78)) return flow;
  const value = Number(flow);
  return String(value) === flow ? value : flow;
}
