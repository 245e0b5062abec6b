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
 *
 * Slots, queue and their statistics are a `SlotPool` (src/components/resource): the server
 * adds service times, replies, the sojourn histogram and the `next` stage.
 *
 * With `next`, servers form a pipeline (a tandem line): a request that finishes its service
 * here frees its worker and goes on to `next` (same kind and payload); the caller's answer is
 * `next`'s answer, passed back through each stage, so it arrives when the last stage has
 * finished. A stage that refuses the request fails it for the caller, with its reason.
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import { declareFaultPoint } from "../../core/faultPoint.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { constant } from "../../random/distributions/closedForm.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { ConcurrencyModel } from "../resource/concurrencyModel.js";
import type { QueueDiscipline } from "../resource/queueDiscipline.js";
import {
  checkSlotPoolOptions,
  REJECTED_BY_DISCIPLINE,
  REJECTED_FULL,
  REJECTED_TOO_HEAVY,
  SlotPool,
} from "../resource/slotPool.js";
import { dropsByReason, percentiles, stationStats } from "../resource/statistics.js";
import { DEADLINE_EXPIRED, messageDeadlineNs } from "../shared/deadline.js";
import { RequestLedger } from "../shared/requestLedger.js";
import {
  optionalBoolean,
  optionalFunction,
  requireDistribution,
  requireEntity,
} from "../shared/validate.js";
import { handOnStats, StageAnswer } from "./stage.js";

export interface ServerOptions<Req, Res> {
  /**
   * Requests served at once (integer >= 1), or a concurrency model: `concurrency.dynamic(...)`
   * (a limit changed at run time), `concurrency.weighted(...)` (requests take capacity units).
   * Default 1.
   */
  concurrency?: number | ConcurrencyModel<Req>;
  /** Service time of each request, in seconds. Default `dist.constant(0.01)`. */
  serviceTime?: Distribution;
  /**
   * Which waiting request is served next: "fifo" (oldest), "lifo" (newest), or a queue
   * discipline of its own (`fifo()`, `lifo()`, or your own `QueueDiscipline`). Default "fifo".
   */
  queuePolicy?: "fifo" | "lifo" | QueueDiscipline<Message<Req>>;
  /**
   * Most requests that may wait (not counting those in service); more are rejected. Default
   * unlimited, so an overloaded server shows its queue growing instead of refusing; a run
   * whose queue passes `sim.limits.maxQueueLength` (default 1,000,000) fails with a
   * `RunawayError`.
   */
  queueCapacity?: number;
  /** Builds the reply from the request. Default: replies with the request's payload. Not with `next`. */
  respond?: (request: Message<Req>) => Res;
  /**
   * The next stage of a pipeline: after its service here, a request goes on to `next` (same
   * kind and payload) and frees its worker; the caller gets `next`'s answer (or its failure)
   * when the chain has finished. Default: none (the server answers itself).
   */
  next?: Entity<Req, Res>;
  /**
   * Never serve a request whose deadline has come (`Message.deadline`, set by the caller's
   * timeout and inherited along the chain): it is not admitted if already expired on arrival,
   * and dropped instead of started when its turn comes. Each is counted in `expired` and
   * answered with the failure "deadline expired" (its caller has usually given up: the
   * failure then arrives as a late reply; a proxy between them with no timeout of its own
   * hears it and relays it). Default false.
   */
  dropExpired?: boolean;
}

/**
 * A snapshot of what a server has done. At every instant (crashes and `sim.resetStats()`
 * included): `requests = completed + rejected + expired + lostToCrash + active + queued`. Time averages
 * and histograms cover the server's lifetime: since its creation or the last reset.
 */
export interface ServerStats {
  /** Requests received. */
  readonly requests: number;
  /** Requests served (with `next`: served here and handed on). */
  readonly completed: number;
  /** Refused (the queue was full, or heavier than the whole capacity) or dropped while waiting by the queue policy. */
  readonly rejected: number;
  /**
   * Requests never served because their deadline had come; present only with `dropExpired`
   * (without it nothing expires, and summaries keep their shape).
   */
  readonly expired?: number;
  /** Requests lost because the server crashed while they were queued or in service. */
  readonly lostToCrash: number;
  /** Requests in service now. */
  readonly active: number;
  /** Requests waiting now. */
  readonly queued: number;
  /** Capacity now: the worker count, a dynamic model's current limit, or a weighted capacity. */
  readonly limit: number;
  /** Capacity in use now: requests in service, or their summed weights for a weighted model. */
  readonly inUse: number;
  /**
   * Capacity in use over capacity provided, time-averaged over the server's lifetime: the
   * fraction of workers busy for a number; for a dynamic limit, the integral of capacity in use
   * over the integral of the limit (so slots added by an autoscaler and left idle lower it);
   * for a weighted model, the time-average fraction of units taken. It can exceed 1 briefly
   * after a dynamic limit is lowered below the number in service.
   */
  readonly utilization: number;
  /** Time-average number waiting. */
  readonly meanQueued: number;
  /** Time-average number in the system (in service + waiting): L in Little's law. */
  readonly meanInSystem: number;
  /** Fraction of admitted requests that had to wait for a worker (Erlang C for M/M/c). */
  readonly probabilityOfWaiting: number;
  /** Seconds from arrival to the start of service, over requests started (0 when none); percentiles in `waitTime` and `metrics()`. */
  readonly meanWait: number;
  /** Seconds from arrival to the end of service, over requests completed (0 when none); percentiles in `sojournTime` and `metrics()`. */
  readonly meanSojourn: number;
  /**
   * With `next` only (without it nothing is handed on, and summaries keep their shape), the
   * books of the hand-on: `forwarded = succeeded + failed + lostInFlight + inFlight` at every
   * instant. Requests handed on to `next` (each also in `completed`).
   */
  readonly forwarded?: number;
  /** Handed on and answered by `next` (the answer went back to the caller). */
  readonly succeeded?: number;
  /** Handed on and refused by `next` (the caller got its reason). */
  readonly failed?: number;
  /**
   * Handed on and waiting for `next`'s answer when this server crashed: never answered. Apart
   * from `lostToCrash` (the queued and in-service requests a crash lost), whose requests were
   * never completed here.
   */
  readonly lostInFlight?: number;
  /** Handed on and waiting for `next`'s answer now. */
  readonly inFlight?: number;
}

export class Server<Req = unknown, Res = Req> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "Server",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Serves up to `concurrency` requests at once (a fixed count, a limit changed at run time, or a pool of capacity units each request takes its weight of), each for a drawn service time, then replies (or hands the request on to `next`, whose answer becomes the reply); others wait in FIFO or LIFO order up to `queueCapacity`, and beyond it (or heavier than the whole capacity) are rejected at once. With dropExpired, a request whose deadline (its caller's timeout, carried by the message) has come is never served: dropped on arrival or when its turn comes, counted in expired.",
    requires: ["BoundedQueue", "Semaphore", "Timer", "ConcurrencyPolicy"],
    provides: ["Bounded"],
    inputs: ["requests (call)"],
    outputs: [
      "replies",
      "rejections (RemoteError at the caller)",
      "requests, completed, rejected, expired, active, queued, utilization, wait and sojourn times",
      "with next: forwarded, succeeded, failed, inFlight, lostInFlight",
    ],
    state: "the queue and the requests in service (volatile)",
    failure_semantics:
      "A crash loses every queued and in-service request (counted in lostToCrash) and, with next, every request handed on and still waiting for the next stage's answer (counted in lostInFlight); callers see timeouts. A full queue rejects at once rather than delaying.",
    composition_rules: ["LoadBalancer", "RateLimiter", "RetryLoop"],
    operational_knobs: knobs<ServerOptions<unknown, unknown>>()(
      "concurrency",
      "serviceTime",
      "queuePolicy",
      "queueCapacity",
      "respond",
      "next",
      "dropExpired",
    ),
  };

  readonly queueCapacity: number;
  /** Whether requests whose deadline has come are dropped instead of served. */
  readonly dropExpired: boolean;
  /** The concurrency model, or null when `concurrency` is a number (the fast path). */
  readonly concurrencyModel: ConcurrencyModel<Req> | null;
  /** The next stage of the pipeline, or null. */
  readonly next: Entity<Req, Res> | null;
  private readonly serviceTime: Distribution;
  private readonly respond: ((request: Message<Req>) => Res) | null;
  private readonly draws = this.random("service");
  private readonly slots: SlotPool<Message<Req>>;
  /** The books of the requests handed on to `next`; null without `next` (nothing to count). */
  private readonly ledger: RequestLedger | null;
  /** Fault points, off unless a fault schedule switches them on (docs/faults.md). */
  private readonly stall = declareFaultPoint(this as Entity<never, unknown>, "server.stall");
  private readonly replyError = declareFaultPoint(
    this as Entity<never, unknown>,
    "server.reply-error",
  );
  /** Records of finished services, for the next ones (see `InService`). */
  private spare: InService<Req> | null = null;
  private _sojournTime = new Histogram();
  private requests = 0;
  private completed = 0;
  private rejected = 0;

  constructor(sim: Simulation, name: string, options: ServerOptions<Req, Res> = {}) {
    // Checked before registering: a refused server leaves no entity behind.
    const config = checkServerOptions(sim, name, options);
    super(sim, name);
    this.serviceTime = config.serviceTime;
    this.respond = config.respond;
    this.next = config.next;
    // Only with a next stage: a server without one registers no hook and keeps no books.
    this.ledger = config.next === null ? null : new RequestLedger(this as Entity<never, unknown>);
    this.slots = new SlotPool<Message<Req>>(this as Entity<never, unknown>, config.component, {
      ...config.slots,
      start: this.begin,
      dropped: (request, reason) => {
        this.rejected++;
        this.fail(request, reason);
      },
      deadlineOf: config.dropExpired ? messageDeadlineNs : null,
      expired: (request) => {
        this.fail(request, DEADLINE_EXPIRED);
      },
    });
    this.dropExpired = config.dropExpired;
    this.queueCapacity = this.slots.queueCapacity;
    this.concurrencyModel = this.slots.model as ConcurrencyModel<Req> | null;
  }

  /** Capacity now: the worker count, or the model's current limit. */
  get concurrency(): number {
    return this.slots.limit;
  }

  /** Seconds from arrival to the start of service, per request started. */
  get waitTime(): Histogram {
    return this.slots.waitTime;
  }

  /** Seconds from arrival to the end of service, per request completed. */
  get sojournTime(): Histogram {
    return this._sojournTime;
  }

  get stats(): ServerStats {
    const slots = this.slots;
    return {
      requests: this.requests,
      completed: this.completed,
      rejected: this.rejected,
      // Only with the option: without it the count cannot move, and summaries stay as they were.
      ...(this.dropExpired ? { expired: slots.expired } : null),
      lostToCrash: slots.lostToCrash,
      active: slots.active,
      queued: slots.queued,
      limit: slots.limit,
      inUse: slots.inUse,
      ...stationStats(slots, this._sojournTime),
      ...handOnStats(this.ledger),
    };
  }

  /** `stats`, plus the percentiles (p50, p90, p99, p999) of the wait and sojourn times. */
  override metrics(): EntityMetrics {
    return {
      ...this.stats,
      ...percentiles("Wait", this.waitTime),
      ...percentiles("Sojourn", this._sojournTime),
      ...dropsByReason(this.drops),
    };
  }

  /**
   * What the queue policy refused at the door or dropped while waiting, by reason ("codel",
   * "deadline", ...); counted in `rejected` too. Restarts with the statistics.
   */
  get drops(): Readonly<Record<string, number>> {
    return this.slots.drops;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.slots.queued;
  }

  override handle(request: Message<Req>): void {
    this.requests++;
    const model = this.concurrencyModel;
    const weight = model?.weighted ? model.weightOf(request) : 1;
    const admission = this.slots.admit(request, weight);
    if (admission >= REJECTED_FULL) {
      this.rejected++;
      this.fail(
        request,
        admission === REJECTED_TOO_HEAVY
          ? `needs ${weight} capacity units, more than the whole ${this.slots.limit}`
          : admission === REJECTED_BY_DISCIPLINE
            ? this.slots.lastRefusal
            : `queue full (${this.queueCapacity} waiting)`,
      );
    }
  }

  /** The pool gave `request` capacity: serve it. */
  private readonly begin = (request: Message<Req>, weight: number, arrivalNs: number): void => {
    let service = this.spare;
    if (service === null) service = new InService<Req>();
    else this.spare = service.nextSpare;
    service.request = request;
    service.weight = weight;
    service.arrivalNs = arrivalNs;
    // `delay()` is 0, without a draw, unless a fault schedule switched the stall on.
    this.after(
      this.workTime(this.serviceTime.sample(this.draws, this.now)) + this.stall.delay(),
      this.finish,
      service,
    );
  };

  private readonly finish = (service: InService<Req>): void => {
    const request = service.request!;
    const weight = service.weight;
    this._sojournTime.record((this.nowNs - service.arrivalNs) / 1e9);
    service.request = null;
    service.nextSpare = this.spare;
    this.spare = service;
    this.completed++;
    if (this.replyError.fires()) {
      // The error path a handler takes: served, but answered with a failure.
      this.fail(request, "fault point server.reply-error");
    } else if (this.next !== null) {
      this.handOn(request);
    } else {
      this.reply(
        request,
        this.respond === null ? (request.payload as unknown as Res) : this.respond(request),
      );
    }
    this.slots.release(weight);
  };

  /** Sends a served request on to the next stage; its answer becomes the reply. */
  private handOn(request: Message<Req>): void {
    const answer = this.request(this.next!, request.kind, request.payload, { causedBy: request });
    this.ledger!.open();
    answer.addListener(new StageAnswer(this, request, answer));
  }

  /** @internal The next stage answered (or refused) a request handed on. */
  _stageAnswered(request: Message<Req>, answer: SimFuture<Res>): void {
    if (answer.state === "resolved") {
      this.ledger!.settle("answer");
      this.reply(request, answer.value);
    } else if (answer.state === "rejected") {
      // Refused by the next stage (a full queue, a reset): the hand-on carries no timeout.
      this.ledger!.settle("refused");
      if (answer.error instanceof RemoteError) this.fail(request, answer.error.reason);
    }
    // Cancelled: this server crashed, so the request is lost with its caller's call (the
    // ledger's crash hook counts it in `lostInFlight`).
  }

  protected override onResetStats(): void {
    // Work in flight is counted again as received, so the identity keeps holding.
    this.requests = this.slots.active + this.slots.queued;
    this.completed = 0;
    this.rejected = 0;
    this._sojournTime = new Histogram();
  }
}

/**
 * A request in service: the service timer's payload, holding what its end needs (the arrival,
 * for the sojourn time, and the capacity it took). Finished records are kept on a free list
 * and reused, so the per-request path neither allocates nor looks anything up by id (a table
 * of arrival times by id stored each time as a boxed double). A crash cancels the service
 * timers, and their records go with them (the pool, a lifecycle hook, counts the loss).
 */
class InService<Req> {
  request: Message<Req> | null = null;
  weight = 1;
  arrivalNs = 0;
  nextSpare: InService<Req> | null = null;
}

/** A server's options, checked and defaulted, before the server registers. */
function checkServerOptions<Req, Res>(
  sim: Simulation,
  name: string,
  options: ServerOptions<Req, Res>,
) {
  const component = `Server "${name}"`;
  const serviceTime = requireDistribution(
    component,
    "serviceTime",
    options.serviceTime ?? constant(0.01),
  );
  const respond = optionalFunction(
    component,
    "respond",
    options.respond,
    "a function (request) => reply",
  );
  const next =
    options.next === undefined
      ? null
      : (requireEntity(component, "next", options.next, sim, Entity) as Entity<Req, Res>);
  if (next !== null && respond !== null) {
    throw new ConfigError(
      component,
      "respond",
      "unset when next is given (the reply is the next stage's answer)",
      respond,
    );
  }
  const dropExpired = optionalBoolean(component, "dropExpired", options.dropExpired, false);
  const slots = {
    capacity: (options.concurrency ?? 1) as number | ConcurrencyModel<never>,
    capacityOption: "concurrency",
    discipline: options.queuePolicy ?? "fifo",
    disciplineOption: "queuePolicy",
    queueCapacity: options.queueCapacity,
  };
  checkSlotPoolOptions(component, slots);
  return { component, serviceTime, respond, next, slots, dropExpired };
}
