/**
 * `weightedFairQueue({ flowOf, weights, defaultWeight })`: weighted fair queuing by virtual
 * finish times (self-clocked fair queuing, Golestani 1994). Each flow gets a share of the
 * service proportional to its weight while it has work waiting: weights 3 and 1 serve three
 * items of the first flow for each of the second.
 *
 * Every arriving item gets a virtual finish time: `start + 1 / weight`, where `start` is the
 * later of the queue's virtual time and the finish time of the flow's previous item; the item
 * with the earliest finish time goes next (equal ones in arrival order), and the virtual time
 * becomes its finish time. A flow that was idle starts at the current virtual time, so it
 * gets no credit for the time it sent nothing. Each item counts as one unit of work (the
 * queue does not know service times): shares are of items served. Over any stretch in which
 * two flows both have items waiting, items served / weight differ between them by at most
 * `1/w1 + 1/w2`.
 *
 * @example
 * const api = new Server<{ tenant: string }, string>(sim, "api", {
 *   concurrency: 4,
 *   queuePolicy: weightedFairQueue({ flowOf: (r) => r.payload.tenant, weights: { gold: 3, free: 1 } }),
 * });
 */
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { KeyedHeap } from "./keyedHeap.js";
import { normalizeFlowKey, type QueueDiscipline } from "./queueDiscipline.js";

export interface WeightedFairQueueOptions<T> {
  /** The flow an item belongs to (a string or a number); called when it joins and when it leaves. */
  flowOf: (item: T) => string | number;
  /** Weight per flow (finite, > 0). Flows not listed get `defaultWeight`. */
  weights?: Readonly<Record<string, number>>;
  /** Weight of a flow not in `weights` (finite, > 0). Default 1. */
  defaultWeight?: number;
}

/** A flow with items waiting: how many, and the finish time of its latest. */
interface FlowState {
  waiting: number;
  lastFinish: number;
}

class WeightedFairQueueDiscipline<T> implements QueueDiscipline<T> {
  readonly name = "weightedFairQueue";
  lastArrivalNs = 0;
  private readonly heap = new KeyedHeap<T>();
  private readonly flows = new Map<string | number, FlowState>();
  private virtualTime = 0;

  constructor(
    private readonly flowOf: (item: T) => string | number,
    /** By flow key (`flowKey`), so a weight is found without making a string. */
    private readonly weights: ReadonlyMap<string | number, number>,
    private readonly defaultWeight: number,
  ) {}

  get length(): number {
    return this.heap.length;
  }

  enqueue(item: T, arrivalNs: number): string | null {
    const given = this.flowOf(item);
    if (typeof given !== "string" && typeof given !== "number") {
      throw new SimulationError(
        `weightedFairQueue: flowOf must return a string or a number; given ${String(given)}`,
        null,
        arrivalNs,
      );
    }
    const flow = normalizeFlowKey(given);
    const weight = this.weights.get(flow) ?? this.defaultWeight;
    let state = this.flows.get(flow);
    if (state === undefined) {
      state = { waiting: 0, lastFinish: this.virtualTime };
      this.flows.set(flow, state);
    }
    const finish = Math.max(this.virtualTime, state.lastFinish) + 1 / weight;
    state.lastFinish = finish;
    state.waiting++;
    this.heap.push(item, finish, arrivalNs);
    return null;
  }

  peek(): T | undefined {
    return this.heap.top();
  }

  dequeue(): T | undefined {
    if (this.heap.length === 0) return undefined;
    this.lastArrivalNs = this.heap.topArrivalNs();
    this.virtualTime = this.heap.topKey();
    const item = this.heap.pop();
    this.left(item);
    return item;
  }

  remove(item: T): boolean {
    if (!this.heap.remove(item)) return false;
    this.left(item);
    return true;
  }

  clear(): T[] {
    this.flows.clear();
    this.virtualTime = 0;
    return this.heap.clear();
  }

  /** Forgets a flow with nothing waiting (its last finish is behind the virtual time). */
  private left(item: T): void {
    const flow = normalizeFlowKey(this.flowOf(item));
    const state = this.flows.get(flow)!;
    if (--state.waiting === 0) this.flows.delete(flow);
    // Restart the clock when idle, so virtual times stay small however long the run.
    if (this.heap.length === 0) this.virtualTime = 0;
  }
}

const isWeight = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value > 0;

/** Weighted fair queuing: shares of service proportional to each flow's weight. */
export function weightedFairQueue<T>(options: WeightedFairQueueOptions<T>): QueueDiscipline<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(
      "weightedFairQueue",
      "options",
      "an object { flowOf, weights, defaultWeight }",
      options,
    );
  }
  if (typeof options.flowOf !== "function") {
    throw new ConfigError(
      "weightedFairQueue",
      "flowOf",
      "a function (item) => flow key",
      options.flowOf,
    );
  }
  const weights = new Map<string | number, number>();
  if (options.weights !== undefined) {
    if (typeof options.weights !== "object" || options.weights === null) {
      throw new ConfigError(
        "weightedFairQueue",
        "weights",
        "an object { flow: weight }",
        options.weights,
      );
    }
    for (const [flow, weight] of Object.entries(options.weights)) {
      if (!isWeight(weight)) {
        throw new ConfigError(
          "weightedFairQueue",
          `weights.${flow}`,
          "a finite number > 0",
          weight,
        );
      }
      weights.set(normalizeFlowKey(flow), weight);
    }
  }
  const defaultWeight = options.defaultWeight ?? 1;
  if (!isWeight(defaultWeight)) {
    throw new ConfigError(
      "weightedFairQueue",
      "defaultWeight",
      "a finite number > 0",
      defaultWeight,
    );
  }
  return new WeightedFairQueueDiscipline(options.flowOf, weights, defaultWeight);
}
