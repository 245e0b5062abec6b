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
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { type Param, valueAt } from "../../random/profile.js";
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
 * What a bulkhead did with its requests. At all times, crashes or not, `requests = succeeded +
 * failed + rejected + timedOutWaiting + lostToCrash + inFlight`.
 */
export interface BulkheadStats {
  /** Requests received. */
  readonly requests: number;
  /** Requests forwarded and not yet answered. */
  readonly active: number;
  readonly waiting: number;
  /**
   * Requests accepted and not yet answered: forwarded (`active`) or waiting for a slot,
   * including a waiter whose `maxWait` ran out this instant and is about to be refused.
   */
  readonly inFlight: number;
  readonly forwarded: number;
  /** Refused at once because every slot and waiting place was taken. */
  readonly rejected: number;
  /** Refused after waiting maxWait seconds for a slot. */
  readonly timedOutWaiting: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Requests in flight (forwarded or waiting) when the bulkhead crashed: never answered. */
  readonly lostToCrash: number;
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
      "requests, active, waiting, inFlight, rejected, lostToCrash",
    ],
    state: "requests in flight and waiting (volatile)",
    failure_semantics:
      'Refuses with RemoteError ("bulkhead full" or "bulkhead wait timed out") rather than queue without bound. A crash abandons forwarded and waiting requests (counted in lostToCrash; callers time out).',
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
  private readonly timeout: TimeoutParam | null;
  /** Requests waiting for a slot, oldest first: each is woken by resolving its future. */
  private readonly queue: SimFuture<void>[] = [];
  private active = 0;
  /**
   * Requests accepted and not answered yet. A request leaves it where its outcome is counted,
   * so the ones a crash cancels are still here when `onCrash` counts them lost.
   */
  private inFlight = 0;
  private counts = {
    requests: 0,
    forwarded: 0,
    rejected: 0,
    timedOutWaiting: 0,
    succeeded: 0,
    failed: 0,
    lostToCrash: 0,
  };

  constructor(sim: Simulation, name: string, options: BulkheadOptions<Req, Res>) {
    super(sim, name);
    const component = `Bulkhead "${name}"`;
    this.target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    this.maxConcurrent = requireInteger(component, "maxConcurrent", options.maxConcurrent, 1);
    this.maxWaiting = requireInteger(component, "maxWaiting", options.maxWaiting ?? 0, 0);
    this.maxWait =
      options.maxWait === undefined
        ? undefined
        : requireSecondsParam(component, "maxWait", options.maxWait);
    this.timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    if (this.maxWait !== undefined && this.maxWaiting === 0) {
      throw new ConfigError(component, "maxWait", "unset when maxWaiting is 0", this.maxWait);
    }
  }

  get stats(): BulkheadStats {
    return {
      active: this.active,
      waiting: this.queue.length,
      inFlight: this.inFlight,
      ...this.counts,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    if (this.active >= this.maxConcurrent) {
      if (this.queue.length >= this.maxWaiting) {
        c.rejected++;
        this.fail(request, "bulkhead full");
        return;
      }
      this.inFlight++;
      const slot = this.future<void>("bulkhead slot");
      this.queue.push(slot);
      const maxWait = this.maxWait === undefined ? -1 : valueAt(this.maxWait, this.now);
      const timer = maxWait < 0 ? null : this.sleep(maxWait);
      if (timer !== null) {
        // The wait ends one way or the other: a slot (resolved by a finishing request) or the
        // timer. Whichever comes first settles the slot; the timer is then cancelled. The slot
        // leaves the queue at once, in the timer's event: this process resumes only in a later
        // event, and a request finishing at the same instant must not hand it the slot.
        timer.addListener({
          futureSettled: () => {
            if (timer.state !== "resolved" || !slot.isPending) return;
            this.queue.splice(this.queue.indexOf(slot), 1);
            slot.reject(new TimeoutError(maxWait));
          },
        });
      }
      try {
        yield slot;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        c.timedOutWaiting++;
        this.inFlight--;
        this.fail(request, "bulkhead wait timed out");
        return;
      } finally {
        timer?.cancel("slot settled");
      }
      // A finishing request handed its slot over: `active` already counts this one.
    } else {
      this.active++;
      this.inFlight++;
    }
    c.forwarded++;
    try {
      const answer = (yield this.request(
        this.target,
        request.kind,
        request.payload,
        this.timeout?.callOptionsAt(this.now),
      )) as Res;
      c.succeeded++;
      this.inFlight--;
      this.reply(request, answer);
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
      c.failed++;
      this.inFlight--;
      this.fail(request, error instanceof RemoteError ? error.reason : "timed out");
    } finally {
      this.release();
    }
  }

  /** Frees a slot: handed straight to the oldest waiter if there is one. */
  private release(): void {
    const next = this.queue.shift();
    if (next === undefined) this.active--;
    else next.resolve();
  }

  protected override onCrash(): void {
    // The crash cancelled the processes holding and waiting for slots (their finally blocks
    // ran, counting nothing); the requests they held are lost, and whatever is left is reset.
    this.counts.lostToCrash += this.inFlight;
    this.inFlight = 0;
    this.active = 0;
    this.queue.length = 0;
  }
}
