/**
 * `codel({ target, interval })`: Controlled Delay (Nichols & Jacobson; RFC 8289), the active
 * queue management that keeps a queue's standing delay near `target` whatever the load.
 *
 * Each item's sojourn (how long it waited) is measured when it leaves the queue. Once every
 * item leaving for a whole `interval` has waited at least `target`, the queue has a standing
 * backlog: CoDel enters its dropping state and drops the head, then drops again at intervals
 * of `interval / sqrt(count)`, faster and faster, until an item leaves having waited less than
 * `target`. `count` carries over into the next dropping episode when it starts soon (within
 * 16 intervals) after the last one, so a persistent overload is met at the drop rate that
 * controlled it last time. The code below is the RFC's pseudocode (section 5), line for line,
 * with items instead of packets: the RFC's "queue holds at most one maximum-size packet"
 * exemption becomes "at most one item waits behind the one leaving".
 *
 * Dropped items are reported with reason "codel" (a server fails the request with it). A drop
 * happens only when an item leaves the queue, as in the RFC: in a server, when a worker frees.
 *
 * `target` and `interval` are `Param`s (seconds): each is read at the dequeue that uses it.
 *
 * @example
 * const api = new Server(sim, "api", { concurrency: 4, queuePolicy: codel({ target: 0.005 }) });
 */

import { ConfigError } from "../../errors/errors.js";
import { isProfile, type Param, valueAt } from "../../random/profile.js";
import { requireSecondsParam } from "../shared/validate.js";
import { type DropSink, fifo, type QueueDiscipline } from "./queueDiscipline.js";

export interface CodelOptions {
  /** Acceptable standing delay, seconds (> 0). Default 0.005 (5 ms), the RFC's. */
  target?: Param;
  /** Window over which the delay must stay above `target` before dropping, seconds (> 0). Default 0.1 (100 ms). */
  interval?: Param;
}

/** The FIFO under CoDel never drops by itself. */
const NO_DROPS: DropSink<unknown> = {
  dropped() {},
};

/** Items (each one maximum-size "packet") that may wait behind the leaving one without a drop. */
const MAX_PACKET_ITEMS = 1;

/** Once a dropping episode ends, its count seeds the next one if it starts within this many intervals. */
const COUNT_MEMORY_INTERVALS = 16;

class CodelDiscipline<T> implements QueueDiscipline<T> {
  readonly name: string;
  lastArrivalNs = 0;
  private readonly line = fifo<T>();
  // The RFC's state, times in ns. firstAboveTime 0 means "below target" (now + interval > 0).
  private firstAboveTimeNs = 0;
  private dropNextNs = 0;
  private count = 0;
  private lastCount = 0;
  private dropping = false;
  /** doDequeue's verdicts on the item it returned. */
  private okToDrop = false;
  private headArrivalNs = 0;
  /** An item `peek` already took from the line (and judged): the next `dequeue` returns it. */
  private held: T | undefined = undefined;
  private isHolding = false;
  private heldArrivalNs = 0;

  constructor(
    private readonly target: Param,
    private readonly interval: Param,
  ) {
    this.name = `codel(${describeSeconds(target)}, ${describeSeconds(interval)})`;
  }

  get length(): number {
    return this.line.length + (this.isHolding ? 1 : 0);
  }

  enqueue(item: T, arrivalNs: number): string | null {
    return this.line.enqueue(item, arrivalNs, undefined);
  }

  peek(nowNs: number, drops: DropSink<T>): T | undefined {
    if (this.isHolding) return this.held;
    const item = this.take(nowNs, drops);
    if (item !== undefined) {
      this.held = item;
      this.isHolding = true;
      this.heldArrivalNs = this.headArrivalNs;
    }
    return item;
  }

  dequeue(nowNs: number, drops: DropSink<T>): T | undefined {
    if (this.isHolding) {
      const item = this.held;
      this.release();
      this.lastArrivalNs = this.heldArrivalNs;
      return item;
    }
    const item = this.take(nowNs, drops);
    if (item !== undefined) this.lastArrivalNs = this.headArrivalNs;
    return item;
  }

  remove(item: T, nowNs: number): boolean {
    if (this.isHolding && this.held === item) {
      this.release();
      return true;
    }
    return this.line.remove(item, nowNs);
  }

  clear(nowNs: number): T[] {
    // A held item was the head: it arrived before everything still in the line.
    const left = this.isHolding ? [this.held as T] : [];
    this.release();
    for (const item of this.line.clear(nowNs)) left.push(item);
    return left;
  }

  private release(): void {
    this.held = undefined;
    this.isHolding = false;
  }

  /** RFC 8289's dodequeue: takes the head and judges whether it may be dropped. */
  private doDequeue(nowNs: number, targetNs: number, intervalNs: number): T | undefined {
    this.okToDrop = false;
    const item = this.line.dequeue(nowNs, NO_DROPS as DropSink<T>);
    if (item === undefined) {
      this.firstAboveTimeNs = 0;
      return undefined;
    }
    this.headArrivalNs = this.line.lastArrivalNs;
    const sojournNs = nowNs - this.headArrivalNs;
    if (sojournNs < targetNs || this.line.length <= MAX_PACKET_ITEMS) {
      this.firstAboveTimeNs = 0;
    } else if (this.firstAboveTimeNs === 0) {
      this.firstAboveTimeNs = nowNs + intervalNs;
    } else if (nowNs >= this.firstAboveTimeNs) {
      this.okToDrop = true;
    }
    return item;
  }

  /** RFC 8289's dequeue: the item to serve at `nowNs`, after the drops the control law asks for. */
  private take(nowNs: number, drops: DropSink<T>): T | undefined {
    const now = nowNs / 1e9;
    const targetNs = valueAt(this.target, now) * 1e9;
    const intervalNs = valueAt(this.interval, now) * 1e9;
    let item = this.doDequeue(nowNs, targetNs, intervalNs);
    if (item === undefined) {
      this.dropping = false;
      return undefined;
    }
    if (this.dropping) {
      if (!this.okToDrop) this.dropping = false;
      // A large backlog can call for the next drop at once, hence the loop.
      while (nowNs >= this.dropNextNs && this.dropping) {
        drops.dropped(item as T, "codel");
        this.count++;
        item = this.doDequeue(nowNs, targetNs, intervalNs);
        if (!this.okToDrop) this.dropping = false;
        else this.dropNextNs = controlLaw(this.dropNextNs, this.count, intervalNs);
      }
    } else if (this.okToDrop) {
      drops.dropped(item, "codel");
      item = this.doDequeue(nowNs, targetNs, intervalNs);
      this.dropping = true;
      // Start near the drop rate that controlled the queue last time, if that was recent.
      const delta = this.count - this.lastCount;
      this.count = 1;
      if (delta > 1 && nowNs - this.dropNextNs < COUNT_MEMORY_INTERVALS * intervalNs) {
        this.count = delta;
      }
      this.dropNextNs = controlLaw(nowNs, this.count, intervalNs);
      this.lastCount = this.count;
    }
    return item;
  }
}

function controlLaw(timeNs: number, count: number, intervalNs: number): number {
  return timeNs + intervalNs / Math.sqrt(count);
}

function describeSeconds(param: Param): string {
  return isProfile(param) ? param.description : `${param * 1000}ms`;
}

/**
 * CoDel (RFC 8289) over a FIFO line: drops at dequeue, reason "codel", to keep the standing
 * delay near `target` (default 5 ms), judged over `interval` (default 100 ms).
 */
export function codel<T>(options: CodelOptions = {}): QueueDiscipline<T> {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("codel", "options", "an object { target, interval }", options);
  }
  const target = requireSecondsParam("codel", "target", options.target ?? 0.005);
  const interval = requireSecondsParam("codel", "interval", options.interval ?? 0.1);
  return new CodelDiscipline<T>(target, interval);
}
