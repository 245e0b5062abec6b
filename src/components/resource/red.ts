/**
 * `red({ minThreshold, maxThreshold, maxProbability, weight, typicalServiceTime, random })`:
 * Random Early Detection (Floyd & Jacobson, 1993). RED refuses arrivals at the door, at random,
 * before the queue is full: the busier the queue has been on average, the likelier. Callers
 * that back off when refused then slow down early, a few at a time, instead of all at once
 * when a full queue refuses everyone.
 *
 * On each arrival it updates `avg`, an exponentially weighted moving average of the queue
 * length (`avg = (1 - weight) * avg + weight * length`; after the queue has stood empty for a
 * while, `avg` decays as if `typicalServiceTime`-long items had gone by meanwhile). Then:
 * - `avg < minThreshold`: the item joins;
 * - `minThreshold <= avg < maxThreshold`: refused with probability
 *   `pa = pb / (1 - count * pb)`, where `pb = maxProbability * (avg - minThreshold) /
 *   (maxThreshold - minThreshold)` and `count` is the arrivals since the last refusal, this one
 *   included (the paper's Figure 2: 0 after a refusal, -1 below `minThreshold`). Refusals come
 *   evenly spaced, not in clusters: at a steady `pb` with `1/pb` an integer, every 1 to
 *   `1/pb - 1` arrivals, equally likely, a rate of `2 * pb`;
 * - `avg >= maxThreshold`: refused.
 * Refusals have reason "red". Draws come from `random` (`sim.random("red")` or an entity's
 * stream): the same seed gives the same refusals.
 *
 * @example
 * const api = new Server(sim, "api", {
 *   concurrency: 4,
 *   queuePolicy: red({ minThreshold: 5, maxThreshold: 15, typicalServiceTime: 0.01, random: sim.random("red") }),
 * });
 */
import { ConfigError } from "../../errors/errors.js";
import { exp, log } from "../../random/portableMath.js";
import { type Param, valueAt } from "../../random/profile.js";
import { RandomStream } from "../../random/randomStream.js";
import { requireSecondsParam } from "../shared/validate.js";
import { type DropSink, fifo, type QueueDiscipline } from "./queueDiscipline.js";

/** The FIFO under RED never drops by itself: RED refuses at the door. */
const NO_DROPS: DropSink<unknown> = { dropped() {} };

export interface RedOptions {
  /** Average length from which RED starts refusing (a number >= 0). */
  minThreshold: number;
  /** Average length from which RED refuses every arrival (> minThreshold). */
  maxThreshold: number;
  /** Refusal probability as the average reaches `maxThreshold`, in (0, 1]. Default 0.1. */
  maxProbability?: number;
  /** Weight of each new length in the average, in (0, 1]. Default 0.002 (the paper's). */
  weight?: number;
  /** Seconds one item typically takes to serve: how fast the average decays while the queue is empty. */
  typicalServiceTime: Param;
  /** Where the refusal draws come from: `sim.random("red")`, `this.random("red")`. */
  random: RandomStream;
}

class RedDiscipline<T> implements QueueDiscipline<T> {
  readonly name: string;
  private readonly line = fifo<T>();
  private average = 0;
  /** Arrivals since the last refusal while the average was between the thresholds; -1 below. */
  private count = -1;
  /** When the queue last became empty (ns): the start of its idle time. */
  private emptySinceNs = 0;

  constructor(
    private readonly minThreshold: number,
    private readonly maxThreshold: number,
    private readonly maxProbability: number,
    private readonly weight: number,
    private readonly typicalServiceTime: Param,
    private readonly random: RandomStream,
  ) {
    this.name = `red(${minThreshold}, ${maxThreshold}, ${maxProbability})`;
  }

  get length(): number {
    return this.line.length;
  }

  get lastArrivalNs(): number {
    return this.line.lastArrivalNs;
  }

  /** The moving average of the queue length, as of the last arrival. */
  get averageLength(): number {
    return this.average;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    const length = this.line.length;
    if (length > 0) {
      this.average += this.weight * (length - this.average);
    } else {
      // As if (idle time / service time) items had found the queue empty meanwhile.
      const serviceNs = valueAt(this.typicalServiceTime, arrivalNs / 1e9) * 1e9;
      const idleItems = (arrivalNs - this.emptySinceNs) / serviceNs;
      this.average = this.weight === 1 ? 0 : this.average * exp(idleItems * log(1 - this.weight));
    }
    if (this.average >= this.maxThreshold) {
      this.count = 0;
      return "red";
    }
    if (this.average >= this.minThreshold) {
      this.count++;
      const pb =
        (this.maxProbability * (this.average - this.minThreshold)) /
        (this.maxThreshold - this.minThreshold);
      const spread = 1 - this.count * pb;
      if (spread <= 0 || this.random.next() < pb / spread) {
        this.count = 0;
        return "red";
      }
    } else {
      this.count = -1;
    }
    return this.line.enqueue(item, arrivalNs, undefined);
  }

  peek(): T | undefined {
    return this.line.peek(0, NO_DROPS as DropSink<T>);
  }

  dequeue(nowNs: number): T | undefined {
    const item = this.line.dequeue(nowNs, NO_DROPS as DropSink<T>);
    if (item !== undefined && this.line.length === 0) this.emptySinceNs = nowNs;
    return item;
  }

  // However the last item leaves (served, gave up, lost in a crash), the idle time starts then:
  // the average decays only over the time the queue actually stood empty.
  remove(item: T, nowNs: number): boolean {
    if (!this.line.remove(item, nowNs)) return false;
    if (this.line.length === 0) this.emptySinceNs = nowNs;
    return true;
  }

  clear(nowNs: number): T[] {
    const gone = this.line.clear(nowNs);
    if (gone.length > 0) this.emptySinceNs = nowNs;
    return gone;
  }
}

function fraction(option: string, value: unknown, min: number, includeMin: boolean): number {
  if (typeof value !== "number" || !(includeMin ? value >= min : value > min) || !(value <= 1)) {
    throw new ConfigError("red", option, `a number in ${includeMin ? "[" : "("}${min}, 1]`, value);
  }
  return value;
}

/** Random Early Detection over a FIFO line: refuses arrivals at random as the average length grows, reason "red". */
export function red<T>(
  options: RedOptions,
): QueueDiscipline<T> & { readonly averageLength: number } {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(
      "red",
      "options",
      "an object { minThreshold, maxThreshold, typicalServiceTime, random, ... }",
      options,
    );
  }
  const { minThreshold, maxThreshold } = options;
  if (typeof minThreshold !== "number" || !Number.isFinite(minThreshold) || minThreshold < 0) {
    throw new ConfigError("red", "minThreshold", "a finite number >= 0", minThreshold);
  }
  if (
    typeof maxThreshold !== "number" ||
    !Number.isFinite(maxThreshold) ||
    maxThreshold <= minThreshold
  ) {
    throw new ConfigError(
      "red",
      "maxThreshold",
      `a finite number > minThreshold (${minThreshold})`,
      maxThreshold,
    );
  }
  const maxProbability = fraction("maxProbability", options.maxProbability ?? 0.1, 0, false);
  const weight = fraction("weight", options.weight ?? 0.002, 0, false);
  const typicalServiceTime = requireSecondsParam(
    "red",
    "typicalServiceTime",
    options.typicalServiceTime,
  );
  if (!(options.random instanceof RandomStream)) {
    throw new ConfigError(
      "red",
      "random",
      'a RandomStream (sim.random("red"), or an entity\'s this.random("red"))',
      options.random,
    );
  }
  return new RedDiscipline<T>(
    minThreshold,
    maxThreshold,
    maxProbability,
    weight,
    typicalServiceTime,
    options.random,
  );
}
