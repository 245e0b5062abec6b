/**
 * `deadlineQueue(deadlineOf?)`: earliest deadline first (EDF), and never serves work that is
 * already late. Each item's absolute deadline (simulated seconds) is read once, when it joins
 * (by default the deadline the item carries: a request's `Message.deadline`, set by its
 * caller's timeout and inherited along the chain; a ThreadPool task's or a Resource waiter's);
 * the item whose deadline is nearest goes first (equal deadlines in arrival order). An item
 * whose deadline has come (deadline <= now: no time is left to serve it) is dropped when the
 * queue is next looked at, with reason "deadline": its caller has given up, so serving it
 * would spend a worker on an answer nobody reads. An arrival whose deadline has already come is
 * refused at the door (`refuseAtDoor`), even at an idle station where it would start at once:
 * late work is never served.
 *
 * Items with an infinite deadline (`Infinity`) wait behind every item with a finite one and
 * are served FIFO among themselves.
 *
 * @example
 * // requests carry the time their caller gives up: their callers' timeouts
 * const api = new Server(sim, "api", { concurrency: 4, queuePolicy: deadlineQueue() });
 * // or a deadline of the model's own, from the payload
 * const batch = new Server<{ deadline: number }, string>(sim, "batch", {
 *   concurrency: 4,
 *   queuePolicy: deadlineQueue((request) => request.payload.deadline),
 * });
 */
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { KeyedHeap } from "./keyedHeap.js";
import type { DropSink, QueueDiscipline } from "./queueDiscipline.js";

class DeadlineDiscipline<T> implements QueueDiscipline<T> {
  readonly name = "deadlineQueue";
  lastArrivalNs = 0;
  /** Keyed by deadline in ns (rounded as simulated time is), so "has it come" is exact. */
  private readonly heap = new KeyedHeap<T>();

  /** The item's deadline as a heap key, in integer ns. */
  constructor(private readonly deadlineNsOf: (item: T, arrivalNs: number) => number) {}

  get length(): number {
    return this.heap.length;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    this.heap.push(item, this.deadlineNsOf(item, arrivalNs), arrivalNs);
    return null;
  }

  peek(nowNs: number, drops: DropSink<T>): T | undefined {
    this.dropExpired(nowNs, drops);
    return this.heap.top();
  }

  dequeue(nowNs: number, drops: DropSink<T>): T | undefined {
    this.dropExpired(nowNs, drops);
    if (this.heap.length === 0) return undefined;
    this.lastArrivalNs = this.heap.topArrivalNs();
    return this.heap.pop();
  }

  remove(item: T): boolean {
    return this.heap.remove(item);
  }

  /** Late work never starts, not even at an idle station, where it would not queue first. */
  refuseAtDoor(item: T, nowNs: number): string | null {
    return this.deadlineNsOf(item, nowNs) <= nowNs ? "deadline" : null;
  }

  clear(): T[] {
    return this.heap.clear();
  }

  /** The earliest deadlines are at the top: expired items are all there is to pop. */
  private dropExpired(nowNs: number, drops: DropSink<T>): void {
    const heap = this.heap;
    while (heap.length > 0 && heap.topKey() <= nowNs) drops.dropped(heap.pop(), "deadline");
  }
}

/**
 * Serves the item with the earliest `deadlineOf(item)` (absolute simulated time, seconds)
 * first; drops an item whose deadline has come, with reason "deadline", instead of serving it.
 * Without `deadlineOf`, the deadline each item carries (`Message.deadline` for a server's
 * requests; see the file's comment); an item without one waits behind every item with one.
 */
export function deadlineQueue<T>(deadlineOf?: (item: T) => number): QueueDiscipline<T> {
  if (deadlineOf === undefined) return new DeadlineDiscipline<T>(carriedDeadlineNs);
  if (typeof deadlineOf !== "function") {
    throw new ConfigError(
      "deadlineQueue",
      "deadlineOf",
      "a function (item) => absolute deadline in seconds, or nothing (the deadline items carry)",
      deadlineOf,
    );
  }
  return new DeadlineDiscipline<T>((item, arrivalNs) => {
    const deadline = deadlineOf(item);
    if (typeof deadline !== "number" || Number.isNaN(deadline)) {
      throw new SimulationError(
        `deadlineQueue: deadlineOf must return an absolute time in seconds (a number, Infinity allowed); given ${String(deadline)}`,
        null,
        arrivalNs,
      );
    }
    return Math.round(deadline * 1e9);
  });
}

/** The deadline an item carries (a request, a pool task, a resource waiter), in ns. */
function carriedDeadlineNs(item: unknown, arrivalNs: number): number {
  const deadlineNs = (item as { deadlineNs?: unknown } | null)?.deadlineNs;
  if (typeof deadlineNs !== "number") {
    throw new SimulationError(
      "deadlineQueue(): an item carries no deadline (a request message, a ThreadPool task or a Resource waiter does); give deadlineOf(item) for items of your own",
      null,
      arrivalNs,
    );
  }
  return deadlineNs;
}
