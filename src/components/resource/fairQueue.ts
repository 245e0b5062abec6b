/**
 * `fairQueue({ flowOf, maxFlows, perFlowCapacity })`: a queue per flow, served round robin
 * (one item from each waiting flow in turn), so a heavy flow cannot starve a light one: each
 * flow with work waiting gets an equal share of the service, whatever the others send. A flow
 * joins the rotation when its first item arrives (after the flows already in it) and leaves it
 * when its queue empties, so an idle flow costs nothing.
 *
 * The flow of an item is `flowOf(item)`, or the flow key the component passes with it when
 * `flowOf` is not given (a `MessageQueue` passes its `flowKey`; `Server`, `ThreadPool` and
 * `Resource` pass none). An item with neither fails the run: one shared flow would be FIFO
 * under another name, the opposite of what was asked for. Refusals at the door, each
 * counted by reason: "flow full" when the item's flow already has `perFlowCapacity` waiting,
 * "too many flows" when it would open a flow beyond `maxFlows`.
 *
 * @example
 * const api = new Server<{ tenant: string }, string>(sim, "api", {
 *   concurrency: 4,
 *   queuePolicy: fairQueue({ flowOf: (request) => request.payload.tenant, perFlowCapacity: 50 }),
 * });
 */
import { ConfigError, SimulationError } from "../../errors/errors.js";
import { normalizeFlowKey, type QueueDiscipline } from "./queueDiscipline.js";

export interface FairQueueOptions<T> {
  /**
   * The flow an item belongs to (a string or a number). Default: the flow key the component
   * passes (a `MessageQueue`'s `flowKey`); required with `Server`, `ThreadPool` and `Resource`.
   */
  flowOf?: (item: T) => string | number;
  /** Most flows with items waiting at once (integer >= 1, or Infinity). Default unlimited. */
  maxFlows?: number;
  /** Most items waiting per flow (integer >= 1, or Infinity). Default unlimited. */
  perFlowCapacity?: number;
}

/** One flow's waiting items in arrival order, [head, length) live, with arrival times and sequence numbers. */
interface Flow<T> {
  readonly key: string | number | undefined;
  items: T[];
  arrivals: number[];
  seqs: number[];
  head: number;
}

class FairQueueDiscipline<T> implements QueueDiscipline<T> {
  readonly name: string;
  lastArrivalNs = 0;
  private total = 0;
  private nextSeq = 0;
  private readonly flows = new Map<string | number | undefined, Flow<T>>();
  /** Flows with items waiting, in rotation order; `turn` is the one served next. */
  private rotation: Flow<T>[] = [];
  private turn = 0;

  constructor(
    private readonly flowOf: ((item: T) => string | number) | null,
    private readonly maxFlows: number,
    private readonly perFlowCapacity: number,
  ) {
    const limits = [
      maxFlows === Number.POSITIVE_INFINITY ? "" : `maxFlows ${maxFlows}`,
      perFlowCapacity === Number.POSITIVE_INFINITY ? "" : `perFlowCapacity ${perFlowCapacity}`,
    ].filter((limit) => limit !== "");
    this.name = limits.length === 0 ? "fairQueue" : `fairQueue(${limits.join(", ")})`;
  }

  get length(): number {
    return this.total;
  }

  enqueue(item: T, arrivalNs: number, flowKey: string | number | undefined): string | null {
    const key = this.flowOf === null ? flowKey : this.flowOf(item);
    if (key === undefined && this.flowOf === null) {
      throw new SimulationError(
        "fairQueue: an item came with no flow key (Server, ThreadPool and Resource pass none; a MessageQueue passes its flowKey): give fairQueue({ flowOf })",
        null,
        arrivalNs,
      );
    }
    if (this.flowOf !== null && typeof key !== "string" && typeof key !== "number") {
      throw new SimulationError(
        `fairQueue: flowOf must return a string or a number; given ${String(key)}`,
        null,
        arrivalNs,
      );
    }
    const flowOfItem = normalizeFlowKey(key as string | number);
    let flow = this.flows.get(flowOfItem);
    if (flow === undefined) {
      if (this.rotation.length >= this.maxFlows) return "too many flows";
      flow = { key: flowOfItem, items: [], arrivals: [], seqs: [], head: 0 };
      this.flows.set(flowOfItem, flow);
      // Last in the round that starts at the current turn: after every flow already waiting.
      if (this.rotation.length === 0) {
        this.rotation.push(flow);
      } else {
        this.rotation.splice(this.turn, 0, flow);
        this.turn++;
      }
    } else if (flow.items.length - flow.head >= this.perFlowCapacity) {
      return "flow full";
    }
    flow.items.push(item);
    flow.arrivals.push(arrivalNs);
    flow.seqs.push(this.nextSeq++);
    this.total++;
    return null;
  }

  peek(): T | undefined {
    if (this.total === 0) return undefined;
    const flow = this.rotation[this.turn]!;
    return flow.items[flow.head];
  }

  dequeue(): T | undefined {
    if (this.total === 0) return undefined;
    const flow = this.rotation[this.turn]!;
    const item = flow.items[flow.head]!;
    this.lastArrivalNs = flow.arrivals[flow.head]!;
    flow.items[flow.head] = undefined as T;
    flow.head++;
    this.total--;
    if (flow.head === flow.items.length) {
      // Its turn is over for good: the next flow moves into its place.
      this.retire(this.turn);
    } else {
      if (flow.head > 1024 && flow.head * 2 > flow.items.length) compact(flow);
      this.turn = (this.turn + 1) % this.rotation.length;
    }
    return item;
  }

  remove(item: T): boolean {
    for (let index = 0; index < this.rotation.length; index++) {
      const flow = this.rotation[index]!;
      const at = flow.items.indexOf(item, flow.head);
      if (at < 0) continue;
      flow.items.splice(at, 1);
      flow.arrivals.splice(at, 1);
      flow.seqs.splice(at, 1);
      this.total--;
      if (flow.head === flow.items.length) this.retire(index);
      return true;
    }
    return false;
  }

  clear(): T[] {
    const seqs: number[] = [];
    const items: T[] = [];
    for (const flow of this.rotation) {
      for (let i = flow.head; i < flow.items.length; i++) {
        items.push(flow.items[i]!);
        seqs.push(flow.seqs[i]!);
      }
    }
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a]! - seqs[b]!);
    this.flows.clear();
    this.rotation = [];
    this.turn = 0;
    this.total = 0;
    this.nextSeq = 0;
    return order.map((i) => items[i]!);
  }

  /** Takes the emptied flow at `index` out of the rotation and forgets it; the turn stays with the same next flow. */
  private retire(index: number): void {
    const flow = this.rotation[index]!;
    this.flows.delete(flow.key);
    this.rotation.splice(index, 1);
    if (index < this.turn) this.turn--;
    if (this.turn >= this.rotation.length) this.turn = 0;
    if (this.total === 0) this.nextSeq = 0;
  }
}

function compact<T>(flow: Flow<T>): void {
  flow.items = flow.items.slice(flow.head);
  flow.arrivals = flow.arrivals.slice(flow.head);
  flow.seqs = flow.seqs.slice(flow.head);
  flow.head = 0;
}

function limit(option: string, value: unknown): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ConfigError("fairQueue", option, "an integer >= 1, or Infinity", value);
  }
  return value as number;
}

/** One queue per flow, served round robin; refuses beyond `maxFlows` flows or `perFlowCapacity` items in a flow. */
export function fairQueue<T>(options: FairQueueOptions<T> = {}): QueueDiscipline<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError(
      "fairQueue",
      "options",
      "an object { flowOf, maxFlows, perFlowCapacity }",
      options,
    );
  }
  if (options.flowOf !== undefined && typeof options.flowOf !== "function") {
    throw new ConfigError("fairQueue", "flowOf", "a function (item) => flow key", options.flowOf);
  }
  return new FairQueueDiscipline<T>(
    options.flowOf ?? null,
    limit("maxFlows", options.maxFlows),
    limit("perFlowCapacity", options.perFlowCapacity),
  );
}
