/**
 * `adaptiveLifo({ threshold })`: FIFO while the queue is short, LIFO once it is long (as at
 * Facebook, "Fail at Scale", 2015). A short queue drains soon, so fairness costs nothing:
 * oldest first. A queue of `threshold` or more items is a backlog whose oldest callers have
 * probably given up: newest first serves the requests that can still be useful, and leaves
 * the stale ones at the bottom (to time out, or be shed by a bound or a deadline). Once the
 * queue drains below `threshold` it is FIFO again.
 *
 * @example
 * const api = new Server(sim, "api", { concurrency: 4, queuePolicy: adaptiveLifo({ threshold: 20 }) });
 */
import { ConfigError } from "../../errors/errors.js";
import { requireInteger } from "../shared/validate.js";
import type { QueueDiscipline } from "./queueDiscipline.js";

export interface AdaptiveLifoOptions {
  /** Queue depth (integer >= 1) from which the newest item goes first. */
  threshold: number;
}

/** Items in arrival order in [head, length) of two parallel arrays: taken at either end. */
class AdaptiveLifoDiscipline<T> implements QueueDiscipline<T> {
  readonly name: string;
  lastArrivalNs = 0;
  private items: T[] = [];
  private arrivals: number[] = [];
  private head = 0;

  constructor(private readonly threshold: number) {
    this.name = `adaptiveLifo(${threshold})`;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    this.items.push(item);
    this.arrivals.push(arrivalNs);
    return null;
  }

  peek(): T | undefined {
    const length = this.length;
    if (length === 0) return undefined;
    return length >= this.threshold ? this.items[this.items.length - 1] : this.items[this.head];
  }

  dequeue(): T | undefined {
    const length = this.length;
    if (length === 0) return undefined;
    let next: T;
    if (length >= this.threshold) {
      this.lastArrivalNs = this.arrivals.pop()!;
      next = this.items.pop()!;
    } else {
      const head = this.head;
      next = this.items[head]!;
      this.lastArrivalNs = this.arrivals[head]!;
      this.items[head] = undefined as T;
      this.head = head + 1;
      // Compact once the dead prefix dominates, so memory stays proportional to the length.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.arrivals = this.arrivals.slice(this.head);
        this.head = 0;
      }
    }
    this.emptied();
    return next;
  }

  remove(item: T): boolean {
    const index = this.items.indexOf(item, this.head);
    if (index < 0) return false;
    this.items.splice(index, 1);
    this.arrivals.splice(index, 1);
    this.emptied();
    return true;
  }

  clear(): T[] {
    const left = this.items.slice(this.head);
    this.items = [];
    this.arrivals = [];
    this.head = 0;
    return left;
  }

  private emptied(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.arrivals.length = 0;
      this.head = 0;
    }
  }
}

/** Oldest first while fewer than `threshold` items wait, newest first from `threshold` on. */
export function adaptiveLifo<T>(options: AdaptiveLifoOptions): QueueDiscipline<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("adaptiveLifo", "options", "an object { threshold }", options);
  }
  const threshold = requireInteger("adaptiveLifo", "threshold", options.threshold, 1);
  return new AdaptiveLifoDiscipline<T>(threshold);
}
