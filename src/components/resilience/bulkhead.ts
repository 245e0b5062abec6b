/**
 * `Bulkhead`: caps how many requests may be outstanding to one dependency at once. Up to
 * `maxConcurrent` are forwarded; up to `maxWaiting` more wait (at most `maxWait` seconds);
 * the rest are refused at once. Named after a ship's watertight compartments: when one
 * dependency slows down, callers stuck on it would otherwise take every thread, connection
 * and queue slot the caller has, and the healthy paths fail with it. A bulkhead lets the slow
 * path fail fast on its own and keeps the others working.
 *
 * @example
 * const guarded = new Bulkhead(sim, "reports-bulkhead", { target: reports, maxConcurrent: 4, maxWaiting: 8, maxWait: 0.1 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, TimeoutError } from "../../errors/errors.js";
import type { Histogram } from "../../metrics/histogram.js";
import { type Param, valueAt } from "../../random/profile.js";
import { QUEUED, SlotPool } from "../resource/slotPool.js";
import { percentiles } from "../resource/statistics.js";
import { Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireInteger, requireSecondsParam } from "../shared/validate.js";

export interface BulkheadOptions<Req, Res> {
  /** What the bulkhead protects (or protects others from). */
  target: Entity<Req, Res>;
  /** Requests forwarded at once (integer >= 1). */
  maxConcurrent: number;
  /** Requests that may wait for a slot (integer >= 0). Default 0: refuse at once when full. */
  maxWaiting?: number;
  /**
   * Seconds a request may wait for a slot before it is refused (> 0): a number or a profile,
   * read when the request starts waiting. Default: no limit.
   */
  maxWait?: Param;
  /**
   * Seconds to wait for the target on each forwarded request (> 0): a number or a profile,
   * read when each request is forwarded. Default: no timeout, so a slot stays taken as long as
   * the target takes, even after the caller has given up.
   */
  timeout?: Param;
}

/**
 * What a bulkhead did with its requests: its own counts and the request ledger's. At all times,
 * crashes and statistics resets included, `requests = rejected + queued + lostWaiting +
 * forwarded` and `forwarded = succeeded + failed + timedOut + lostToCrash + inFlight`. A request
 * counts as forwarded from the moment it holds a slot (a waiter handed a slot is sent on when
 * its process resumes, in the same instant), and as rejected from the moment it is refused.
 */
export interface BulkheadStats extends LedgerCounts {
  /** Requests received. */
  readonly requests: number;
  /** Slots taken: requests forwarded and not yet answered (the same as `inFlight`). */
  readonly active: number;
  /** Requests waiting for a slot now. */
  readonly queued: number;
  /**
   * Refused by the bulkhead itself: at once because every slot and waiting place was taken
   * ("bulkhead full"), or after waiting `maxWait` seconds for a slot ("bulkhead wait timed out").
   */
  readonly rejected: number;
  /** Requests waiting for a slot when the bulkhead crashed: never forwarded, never answered. */
  readonly lostWaiting: number;
  /** Time-average fraction of the `maxConcurrent` slots taken, over the bulkhead's lifetime. */
  readonly utilization: number;
  /** Time-average number of requests waiting for a slot. */
  readonly meanQueued: number;
  /** Fraction of the requests let in (at once or into the line) that had to wait for a slot. */
  readonly probabilityOfWaiting: number;
  /** Mean seconds from arrival to the slot, over the requests forwarded (0 before any). */
  readonly meanWait: number;
}

export class Bulkhead<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Bulkhead",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Forwards at most maxConcurrent requests at once; up to maxWaiting more wait (for at most maxWait seconds) in FIFO order; the rest are refused at once.",
    requires: ["Semaphore", "BoundedQueue", "Timeout"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: [
      "replies",
      "immediate rejections when full",
      "requests, active, queued, rejected, lostWaiting, forwarded, succeeded, failed, timedOut, inFlight, lostToCrash, utilization, meanQueued, probabilityOfWaiting, meanWait, wait percentiles",
    ],
    state: "requests in flight and waiting (volatile)",
    failure_semantics:
      'Refuses with RemoteError ("bulkhead full" or "bulkhead wait timed out") rather than queue without bound. A crash abandons forwarded and waiting requests (counted in lostToCrash and lostWaiting; callers time out).',
    composition_rules: ["Client", "Server", "CircuitBreaker", "LoadBalancer"],
    operational_knobs: knobs<BulkheadOptions<unknown, unknown>>()(
      "target",
      "maxConcurrent",
      "maxWaiting",
      "maxWait",
      "timeout",
    ),
  };

  readonly maxConcurrent: number;
  readonly maxWaiting: number;
  private readonly target: Entity<Req, Res>;
  private readonly maxWait: Param | undefined;
  /** The slots and the waiting line (FIFO, at most `maxWaiting`). */
  private readonly slots: SlotPool<SlotWaiter>;
  /** One entry per slot taken: opened when a request gets its slot, settled with its outcome. */
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  private counts = { requests: 0, rejected: 0, lostWaiting: 0 };
  /**
   * Waiters whose `maxWait` ran out this instant: out of the line and counted as rejected, but
   * their refusal is sent only when their process resumes (later in this instant).
   */
  private refusing = 0;

  constructor(sim: Simulation, name: string, options: BulkheadOptions<Req, Res>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `Bulkhead "${name}"`;
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    const maxConcurrent = requireInteger(component, "maxConcurrent", options.maxConcurrent, 1);
    const maxWaiting = requireInteger(component, "maxWaiting", options.maxWaiting ?? 0, 0);
    const maxWait =
      options.maxWait === undefined
        ? undefined
        : requireSecondsParam(component, "maxWait", options.maxWait);
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    if (maxWait !== undefined && maxWaiting === 0) {
      throw new ConfigError(component, "maxWait", "unset when maxWaiting is 0", maxWait);
    }
    super(sim, name);
    this.target = target;
    this.maxConcurrent = maxConcurrent;
    this.maxWaiting = maxWaiting;
    this.maxWait = maxWait;
    this.forwarder = new Forwarder(this, { timeout });
    this.slots = new SlotPool<SlotWaiter>(this, component, {
      capacity: maxConcurrent,
      capacityOption: "maxConcurrent",
      queueCapacity: maxWaiting,
      start: this.handOver,
      crashed: (lost) => {
        // The crash cancelled the processes holding and waiting for slots; the request ledger
        // counts the forwarded ones lost, the waiters are counted here. A refusal not sent yet
        // was never received: that request is lost too.
        const c = this.counts;
        c.rejected -= this.refusing;
        c.lostWaiting += lost.length + this.refusing;
        this.refusing = 0;
      },
      statsReset: () => {
        const c = this.counts;
        c.requests = this.slots.queued + this.refusing + this.ledger.inFlight;
        c.rejected = this.refusing;
        c.lostWaiting = 0;
      },
    });
  }

  /**
   * Seconds from arrival to the slot, per request forwarded (0 for those that got one at
   * once); a waiter refused after `maxWait` is not in it.
   */
  get waitTime(): Histogram {
    return this.slots.waitTime;
  }

  get stats(): BulkheadStats {
    const slots = this.slots;
    const wait = slots.waitTime;
    return {
      ...this.counts,
      active: slots.active,
      queued: slots.queued,
      ...this.ledger.counts(),
      utilization: slots.utilization,
      meanQueued: slots.meanQueued,
      probabilityOfWaiting: slots.probabilityOfWaiting,
      meanWait: wait.count > 0 ? wait.mean : 0,
    };
  }

  /** `stats`, plus the percentiles (p50, p90, p99, p999) of the wait for a slot. */
  override metrics(): EntityMetrics {
    return { ...this.stats, ...percentiles("Wait", this.slots.waitTime) };
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    const slots = this.slots;
    c.requests++;
    if (slots.tryTake()) {
      this.ledger.open();
    } else {
      const maxWait = this.maxWait === undefined ? -1 : valueAt(this.maxWait, this.now);
      const waiter = new SlotWaiter(this.future<void>("bulkhead slot"), maxWait);
      // Every slot is taken (tryTake failed), so the pool queues it or, the line full, refuses.
      if (slots.admit(waiter) !== QUEUED) {
        c.rejected++;
        this.fail(request, "bulkhead full");
        return;
      }
      if (maxWait >= 0) waiter.timerToken = this.after(maxWait, this.expire, waiter);
      try {
        yield waiter.slot;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        this.refusing--;
        this.fail(request, "bulkhead wait timed out");
        return;
      } finally {
        // Cancelled here rather than at the hand-over: a waiter served in its deadline's own
        // instant keeps the timer event it always had, so traces stay as they were.
        if (waiter.timerToken >= 0) this.cancelTimer(waiter.timerToken);
      }
      // `handOver` gave it the slot: the pool and the ledger already count it.
    }
    try {
      const outcome = yield* this.forwarder.forward(this.target, request);
      this.ledger.record(outcome);
      this.forwarder.relay(request, outcome);
    } finally {
      // A crash cancelling this process hands nothing over: every waiter is lost with it.
      if (this.isUp) slots.release();
    }
  }

  /** The pool gave a freed slot to the oldest waiter: it is forwarded from this instant. */
  private readonly handOver = (waiter: SlotWaiter): void => {
    this.ledger.open();
    waiter.slot.resolve();
  };

  /**
   * `maxWait` ran out. The waiter leaves the line here, in the timer's event, not when its
   * process resumes: a slot freed later in this same instant must not be handed to it. One
   * freed earlier in this instant has already been handed to it (then this does nothing).
   */
  private readonly expire = (waiter: SlotWaiter): void => {
    if (!this.slots.remove(waiter)) return;
    // Refused now; the failure is sent when its process resumes, in this instant.
    this.counts.rejected++;
    this.refusing++;
    waiter.slot.reject(new TimeoutError(waiter.maxWait));
  };
}

/** A request waiting for a slot: woken by resolving `slot`, refused by its `maxWait` timer. */
class SlotWaiter {
  timerToken = -1;
  constructor(
    readonly slot: SimFuture<void>,
    /** Seconds it may wait, or -1 for no limit. */
    readonly maxWait: number,
  ) {}
}
