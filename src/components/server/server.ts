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
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity } from "../../core/entity.js";
import { ConfigError } from "../../core/errors.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { requireInteger } from "../../core/validate.js";
import { constant } from "../../random/distributions/closedForm.js";
import { type Distribution, isDistribution } from "../../random/distributions/distribution.js";

export interface ServerOptions<Req, Res> {
  /** Requests served at once (integer >= 1). Default 1. */
  concurrency?: number;
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
  /** Time-average fraction of workers busy since the start. */
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
      "Serves up to `concurrency` requests at once, each for a drawn service time, then replies; others wait in FIFO or LIFO order up to `queueCapacity`, and beyond it are rejected at once.",
    requires: ["BoundedQueue", "Semaphore", "Timer"],
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

  readonly concurrency: number;
  readonly queueCapacity: number;
  private readonly serviceTime: Distribution;
  private readonly lifo: boolean;
  private readonly respond: ((request: Message<Req>) => Res) | null;
  private readonly draws = this.random("service");
  /** Waiting requests in arrival order; [head, length) are live (a deque without shifting). */
  private waiting: Message<Req>[] = [];
  private head = 0;
  private active = 0;
  private completed = 0;
  private rejected = 0;
  private lostToCrash = 0;
  private busyArea = 0;
  private depthArea = 0;
  private lastChangeNs = 0;

  constructor(sim: Simulation, name: string, options: ServerOptions<Req, Res> = {}) {
    super(sim, name);
    const component = `Server "${name}"`;
    const concurrency = requireInteger(component, "concurrency", options.concurrency ?? 1, 1);
    const serviceTime = options.serviceTime ?? constant(0.01);
    if (!isDistribution(serviceTime)) {
      throw new ConfigError(
        component,
        "serviceTime",
        "a Distribution of seconds (dist.exponential(0.01), ...)",
        serviceTime,
      );
    }
    const policy = options.queuePolicy ?? "fifo";
    if (policy !== "fifo" && policy !== "lifo") {
      throw new ConfigError(component, "queuePolicy", '"fifo" or "lifo"', policy);
    }
    const capacity = options.queueCapacity ?? Number.POSITIVE_INFINITY;
    if (
      capacity !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(capacity) || capacity < 0)
    ) {
      throw new ConfigError(
        component,
        "queueCapacity",
        "an integer >= 0 (or leave it unset for unlimited)",
        capacity,
      );
    }
    const respond = options.respond;
    if (respond !== undefined && typeof respond !== "function") {
      throw new ConfigError(component, "respond", "a function (request) => reply", respond);
    }
    this.concurrency = concurrency;
    this.serviceTime = serviceTime;
    this.lifo = policy === "lifo";
    this.queueCapacity = capacity;
    this.respond = respond ?? null;
    this.lastChangeNs = sim.nowNs;
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
      utilization: elapsed > 0 ? this.busyArea / elapsed / this.concurrency : 0,
      meanDepth: elapsed > 0 ? this.depthArea / elapsed : 0,
    };
  }

  /** Requests waiting now. */
  get depth(): number {
    return this.waiting.length - this.head;
  }

  override handle(request: Message<Req>): void {
    this.account();
    if (this.active < this.concurrency) {
      this.begin(request);
    } else if (this.depth < this.queueCapacity) {
      this.waiting.push(request);
    } else {
      this.rejected++;
      this.fail(request, `queue full (${this.queueCapacity} waiting)`);
    }
  }

  private begin(request: Message<Req>): void {
    this.active++;
    this.after(this.serviceTime.sample(this.draws, this.now), this.finish, request);
  }

  private readonly finish = (request: Message<Req>): void => {
    this.account();
    this.active--;
    this.completed++;
    this.reply(
      request,
      this.respond === null ? (request.payload as unknown as Res) : this.respond(request),
    );
    if (this.depth > 0) this.begin(this.takeNext());
  };

  private takeNext(): Message<Req> {
    let next: Message<Req>;
    if (this.lifo) {
      next = this.waiting.pop()!;
    } else {
      next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as unknown as Message<Req>;
      // Compact once the dead prefix dominates, so memory stays proportional to the depth.
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
    return next;
  }

  /** Integrates busy workers and queue depth over time, up to now. */
  private account(): void {
    const now = this.nowNs;
    const dt = now - this.lastChangeNs;
    if (dt > 0) {
      this.busyArea += this.active * dt;
      this.depthArea += this.depth * dt;
      this.lastChangeNs = now;
    }
  }

  protected override onCrash(): void {
    this.account();
    // The crash cancelled the service timers; queued and in-service requests are gone.
    this.lostToCrash += this.active + this.depth;
    this.active = 0;
    this.waiting = [];
    this.head = 0;
  }
}
