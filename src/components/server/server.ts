/**
 * `Server`: a service with a fixed number of workers and a queue. Up to `concurrency`
 * requests are served at once, each for a service time drawn per request; the rest wait in the
 * queue, in FIFO or LIFO order, up to `queueCapacity`, beyond which requests are rejected at
 * once (the caller's `call` throws `RemoteError`). This is the queueing station at the heart
 * of almost every model: its latency is service time plus waiting, and the waiting is what
 * explodes as utilization approaches 1.
 *
 * @example
 * const api = new Server(sim, "api", {
 *   concurrency: 8,
 *   serviceTime: dist.lognormal({ median: 0.02, sigma: 0.5 }),
 *   queueCapacity: 100,
 * });
 * const answer = yield* client.call(api, "get", key, { timeout: 1 });
 *
 * `concurrency` may also be a model (`concurrency.dynamic(...)`, `concurrency.weighted(...)`,
 * see `./concurrency.ts`) when the limit changes at run time or requests take different
 * amounts of capacity. A plain number keeps the per-request path free of allocation and
 * lookups; a model pays one branch and, for weights, one map entry per request.
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import {
  optionalFunction,
  requireDistribution,
  requireInteger,
  requireQueueCapacity,
  requireQueuePolicy,
} from "../shared/validate.js";
import { type ConcurrencyModel, type ConcurrencyOwner, isConcurrencyModel } from "./concurrency.js";
import { WaitingLine } from "./waitingLine.js";

export interface ServerOptions<Req, Res> {
  /**
   * Requests served at once (integer >= 1), or a concurrency model: `concurrency.dynamic(...)`
   * (a limit changed at run time), `concurrency.weighted(...)` (requests take capacity units).
   * Default 1.
   */
  concurrency?: number | ConcurrencyModel<Req>;
  /** Service time of each request, in seconds. Default `dist.constant(0.01)`. */
  serviceTime?: Distribution;
  /** Which waiting request is served next: "fifo" (oldest) or "lifo" (newest). Default "fifo". */
  queuePolicy?: "fifo" | "lifo";
  /** Most requests that may wait (not counting those in service); more are rejected. Default unlimited. */
  queueCapacity?: number;
  /** Builds the reply from the request. Default: replies with the request's payload. */
  respond?: (request: Message<Req>) => Res;
}

/** A snapshot of what a server has done. */
export interface ServerStats {
  readonly completed: number;
  readonly rejected: number;
  /** Requests lost because the server crashed while they were queued or in service. */
  readonly lostToCrash: number;
  /** Requests in service now. */
  readonly active: number;
  /** Requests waiting now. */
  readonly depth: number;
  /** Capacity now: the worker count, a dynamic model's current limit, or a weighted capacity. */
  readonly limit: number;
  /** Capacity in use now: requests in service, or their summed weights for a weighted model. */
  readonly inUse: number;
  /**
   * Capacity in use over capacity provided, time-averaged since the start: the fraction of
   * workers busy for a number; for a dynamic limit, the integral of capacity in use over the
   * integral of the limit (so slots added by an autoscaler and left idle lower it); for a
   * weighted model, the time-average fraction of units taken. It can exceed 1 briefly after a
   * dynamic limit is lowered below the number in service.
   */
  readonly utilization: number;
  /** Time-average number waiting since the start. */
  readonly meanDepth: number;
}

export class Server<Req = unknown, Res = Req> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Server",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Serves up to `concurrency` requests at once (a fixed count, a limit changed at run time, or a pool of capacity units each request takes its weight of), each for a drawn service time, then replies; others wait in FIFO or LIFO order up to `queueCapacity`, and beyond it (or heavier than the whole capacity) are rejected at once.",
    requires: ["BoundedQueue", "Semaphore", "Timer", "ConcurrencyPolicy"],
    provides: ["Bounded"],
    inputs: ["requests (call)"],
    outputs: [
      "replies",
      "rejections (RemoteError at the caller)",
      "completed, rejected, active, depth, utilization",
    ],
    state: "the queue and the requests in service (volatile)",
    failure_semantics:
      "A crash loses every queued and in-service request (counted in lostToCrash); callers see timeouts. A full queue rejects at once rather than delaying.",
    composition_rules: ["LoadBalancer", "RateLimiter", "RetryLoop"],
    operational_knobs: knobs<ServerOptions<unknown, unknown>>()(
      "concurrency",
      "serviceTime",
      "queuePolicy",
      "queueCapacity",
      "respond",
    ),
  };

  readonly queueCapacity: number;
  /** The concurrency model, or null when `concurrency` is a number (the fast path). */
  readonly concurrencyModel: ConcurrencyModel<Req> | null;
  private readonly serviceTime: Distribution;
  private readonly respond: ((request: Message<Req>) => Res) | null;
  private readonly draws = this.random("service");
  private readonly waiting: WaitingLine<Message<Req>>;
  /** Capacity now (cached from the model, refreshed when it changes). */
  private limit: number;
  private active = 0;
  /** Capacity units taken by requests in service (= active unless weighted). */
  private inUse = 0;
  /** Weight of each weighted request, queued or in service, by message id. */
  private readonly weights: Map<number, number> | null;
  private completed = 0;
  private rejected = 0;
  private lostToCrash = 0;
  private busyArea = 0;
  private depthArea = 0;
  private capacityArea = 0;
  private lastChangeNs = 0;

  constructor(sim: Simulation, name: string, options: ServerOptions<Req, Res> = {}) {
    super(sim, name);
    const component = `Server "${name}"`;
    const concurrencyOption = options.concurrency ?? 1;
    const model = isConcurrencyModel(concurrencyOption)
      ? (concurrencyOption as ConcurrencyModel<Req>)
      : null;
    if (model === null && typeof concurrencyOption !== "number") {
      throw new ConfigError(
        component,
        "concurrency",
        "an integer >= 1 or a concurrency model (concurrency.dynamic(...), ...)",
        concurrencyOption,
      );
    }
    const limit =
      model === null ? requireInteger(component, "concurrency", concurrencyOption, 1) : 0;
    this.serviceTime = requireDistribution(
      component,
      "serviceTime",
      options.serviceTime ?? constant(0.01),
    );
    this.waiting = new WaitingLine(requireQueuePolicy(component, options.queuePolicy ?? "fifo"));
    this.queueCapacity = requireQueueCapacity(component, options.queueCapacity);
    this.respond = optionalFunction(
      component,
      "respond",
      options.respond,
      "a function (request) => reply",
    );
    this.lastChangeNs = sim.nowNs;
    this.concurrencyModel = model;
    this.weights = model?.weighted === true ? new Map() : null;
    if (model !== null) {
      const owner: ConcurrencyOwner = {
        name,
        get nowNs() {
          return sim.nowNs;
        },
        _capacityChanged: () => this.capacityChanged(),
      };
      model._bind(owner, component);
      this.limit = model.limit;
    } else {
      this.limit = limit;
    }
  }

  /** Capacity now: the worker count, or the model's current limit. */
  get concurrency(): number {
    return this.limit;
  }

  get stats(): ServerStats {
    this.account();
    const elapsed = this.nowNs;
    return {
      completed: this.completed,
      rejected: this.rejected,
      lostToCrash: this.lostToCrash,
      active: this.active,
      depth: this.depth,
      limit: this.limit,
      inUse: this.inUse,
      utilization:
        elapsed <= 0
          ? 0
          : this.concurrencyModel === null
            ? this.busyArea / elapsed / this.limit
            : this.busyArea / this.capacityArea,
      meanDepth: elapsed > 0 ? this.depthArea / elapsed : 0,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /** Requests waiting now. */
  get depth(): number {
    return this.waiting.length;
  }

  override handle(request: Message<Req>): void {
    this.account();
    if (this.concurrencyModel !== null) {
      this.admit(request, this.concurrencyModel);
    } else if (this.active < this.limit) {
      this.begin(request, 1);
    } else if (this.depth < this.queueCapacity) {
      this.waiting.push(request);
    } else {
      this.rejected++;
      this.fail(request, `queue full (${this.queueCapacity} waiting)`);
    }
  }

  /** `handle` under a concurrency model: weights, and strict queue order. */
  private admit(request: Message<Req>, model: ConcurrencyModel<Req>): void {
    const weight = model.weighted ? model.weightOf(request) : 1;
    if (model.weighted && weight > this.limit) {
      this.rejected++;
      this.fail(request, `needs ${weight} capacity units, more than the whole ${this.limit}`);
      return;
    }
    // A request that fits starts only if nobody is waiting: it must not overtake them.
    if (this.depth === 0 && this.inUse + weight <= this.limit) {
      this.begin(request, weight);
    } else if (this.depth < this.queueCapacity) {
      this.weights?.set(request.id, weight);
      this.waiting.push(request);
    } else {
      this.rejected++;
      this.fail(request, `queue full (${this.queueCapacity} waiting)`);
    }
  }

  private begin(request: Message<Req>, weight: number): void {
    this.active++;
    this.inUse += weight;
    if (this.weights !== null) this.weights.set(request.id, weight);
    this.after(this.serviceTime.sample(this.draws, this.now), this.finish, request);
  }

  private readonly finish = (request: Message<Req>): void => {
    this.account();
    this.active--;
    const weights = this.weights;
    if (weights === null) {
      this.inUse--;
    } else {
      this.inUse -= weights.get(request.id)!;
      weights.delete(request.id);
    }
    this.completed++;
    this.reply(
      request,
      this.respond === null ? (request.payload as unknown as Res) : this.respond(request),
    );
    if (this.concurrencyModel !== null) this.startWaiting();
    else if (this.depth > 0) this.begin(this.waiting.take(), 1);
  };

  /** Starts waiting requests, in queue order, while the next one fits (model path only). */
  private startWaiting(): void {
    while (this.depth > 0) {
      const next = this.waiting.peek()!;
      const weight = this.weights === null ? 1 : this.weights.get(next.id)!;
      if (this.inUse + weight > this.limit) return;
      this.begin(this.waiting.take(), weight);
    }
  }

  /** A dynamic model's limit changed: integrate up to now at the old limit, then apply it. */
  private capacityChanged(): void {
    this.account();
    this.limit = this.concurrencyModel!.limit;
    if (this.isUp) this.startWaiting();
  }

  /** Integrates busy workers and queue depth over time, up to now. */
  private account(): void {
    const now = this.nowNs;
    const dt = now - this.lastChangeNs;
    if (dt > 0) {
      this.busyArea += this.inUse * dt;
      this.depthArea += this.depth * dt;
      this.capacityArea += this.limit * dt;
      this.lastChangeNs = now;
    }
  }

  protected override onCrash(): void {
    this.account();
    // The crash cancelled the service timers; queued and in-service requests are gone.
    this.lostToCrash += this.active + this.depth;
    this.active = 0;
    this.inUse = 0;
    this.weights?.clear();
    this.waiting.clear();
  }
}
