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
import { ArrivalOrder, type QueueDiscipline } from "./queueDiscipline.js";

export interface AdaptiveLifoOptions {
  /** Queue depth (integer >= 1) from which the newest item goes first. */
  threshold: number;
}

/** Oldest first below the threshold, newest first from it, on the shared arrival order. */
class AdaptiveLifoDiscipline<T> extends ArrivalOrder<T> {
  readonly name: string;

  constructor(private readonly threshold: number) {
    super();
    this.name = `adaptiveLifo(${threshold})`;
  }

  peek(): T | undefined {
    return this.length >= this.threshold ? this.newest() : this.oldest();
  }

  dequeue(): T | undefined {
    return this.length >= this.threshold ? this.takeNewest() : this.takeOldest();
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
