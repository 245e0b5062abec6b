/**
 * `priority(key)`: serves the waiting item with the smallest key first (or the largest, with
 * `order: "descending"`), and among equal keys the one that arrived first, so a priority class
 * is itself served FIFO. Under overload a low-priority class can wait forever: that is the
 * point of a priority queue, and what `deadlineQueue` or fair queuing exist to avoid.
 *
 * @example
 * // interactive requests (class 0) before batch ones (class 1)
 * const api = new Server<Job, string>(sim, "api", {
 *   concurrency: 4,
 *   queuePolicy: priority((request) => request.payload.batch ? 1 : 0),
 * });
 */
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { KeyedHeap } from "./keyedHeap.js";
import type { QueueDiscipline } from "./queueDiscipline.js";

export interface PriorityOptions {
  /** "ascending" serves the smallest key first, "descending" the largest. Default "ascending". */
  order?: "ascending" | "descending";
}

class PriorityDiscipline<T> implements QueueDiscipline<T> {
  readonly name: string;
  lastArrivalNs = 0;
  private readonly heap = new KeyedHeap<T>();
  private readonly sign: number;

  constructor(
    private readonly key: (item: T) => number,
    descending: boolean,
  ) {
    this.sign = descending ? -1 : 1;
    this.name = descending ? "priority(descending)" : "priority";
  }

  get length(): number {
    return this.heap.length;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    const key = this.key(item);
    if (typeof key !== "number" || Number.isNaN(key)) {
      throw new SimulationError(
        `priority: the key function must return a number (Infinity allowed), not NaN; given ${String(key)}`,
        null,
        arrivalNs,
      );
    }
    this.heap.push(item, this.sign * key, arrivalNs);
    return null;
  }

  peek(): T | undefined {
    return this.heap.top();
  }

  dequeue(): T | undefined {
    if (this.heap.length === 0) return undefined;
    this.lastArrivalNs = this.heap.topArrivalNs();
    return this.heap.pop();
  }

  remove(item: T): boolean {
    return this.heap.remove(item);
  }

  clear(): T[] {
    return this.heap.clear();
  }
}

/**
 * Serves the waiting item with the smallest `key(item)` first (largest with
 * `order: "descending"`); equal keys in arrival order. `key` is called once per item, when it
 * joins.
 */
export function priority<T>(
  key: (item: T) => number,
  options: PriorityOptions = {},
): QueueDiscipline<T> {
  if (typeof key !== "function") {
    throw new ConfigError("priority", "key", "a function (item) => number", key);
  }
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("priority", "options", "an object { order }", options);
  }
  const order = options.order ?? "ascending";
  if (order !== "ascending" && order !== "descending") {
    throw new ConfigError("priority", "order", '"ascending" or "descending"', order);
  }
  return new PriorityDiscipline(key, order === "descending");
}
