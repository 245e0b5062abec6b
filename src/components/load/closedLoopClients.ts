/**
 * `ClosedLoopClients`: a fixed population of users, each sending one request, waiting for the
 * answer, thinking, and sending the next. Unlike an open-loop `Source`, load falls when the
 * system slows down (users wait), which is how interactive users and connection-bound clients
 * behave, and why a closed-loop benchmark can hide a latency problem an open-loop one shows
 * (coordinated omission).
 *
 * @example
 * new ClosedLoopClients(sim, "users", {
 *   target: server, users: 50, thinkTime: dist.exponential(1), timeout: 2,
 *   stopAfter: { time: 600 },
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import type { Distribution } from "../../random/distributions/distribution.js";
import type { Param } from "../../random/profile.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireDistribution, requireEntity, requireInteger } from "../shared/validate.js";

export interface ClosedLoopOptions<P, R> {
  /** Who answers the requests. */
  target: Entity<P, R>;
  /** Number of concurrent users (integer >= 1). */
  users: number;
  /** Pause between an answer and the user's next request, in seconds. */
  thinkTime: Distribution;
  /** Kind of each request. Default "request". */
  kind?: string;
  /** Builds the payload of the index-th request overall (from 0) from `user` at `time`. Default: the index. */
  payload?: (index: number, user: number, time: number) => P;
  /**
   * Seconds (a number or a profile, read as each request is sent) to wait for an answer
   * before counting a timeout and moving on. Default: none.
   */
  timeout?: Param;
  /** Users stop after this many requests in total, or at this time (seconds). Default: never (daemon). */
  stopAfter?: { count?: number; time?: number };
}

export class ClosedLoopClients<P = number, R = unknown> extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "ClosedLoopClients",
    kind: "component",
    role: "load",
    layer: "application",
    contract:
      "A fixed number of users, each with at most one request outstanding: send, wait for the answer or the timeout, think, repeat.",
    requires: ["Clock", "Timeout", "Cancellation"],
    provides: ["Bounded", "Deterministic"],
    inputs: ["think-time distribution", "a payload builder", "answers from the target"],
    outputs: [
      "request messages to the target",
      "forwarded, succeeded, timedOut, failed, lostToCrash, inFlight, mean latency, throughput",
    ],
    state: "per-user position in its loop; counters",
    failure_semantics:
      "A timed-out request is counted and abandoned (a late answer is ignored); the user thinks and goes on. Load falls when the target slows down, so it under-reports outages (coordinated omission). A crash abandons the outstanding requests (lostToCrash) and stops the users; recover() starts them again.",
    composition_rules: ["LoadBalancer", "RetryLoop"],
    operational_knobs: knobs<ClosedLoopOptions<unknown, unknown>>()(
      "target",
      "users",
      "thinkTime",
      "kind",
      "payload",
      "timeout",
      "stopAfter",
    ),
  };

  /**
   * Requests sent (since creation or the last statistics reset; a reset counts the requests
   * still outstanding again, so `forwarded = succeeded + timedOut + failed + lostToCrash +
   * inFlight` holds, the request ledger's identity).
   */
  forwarded = 0;
  /** Answers received in time. */
  succeeded = 0;
  /** Requests that timed out. */
  timedOut = 0;
  /** Requests the target refused (a full queue, an open circuit: `RemoteError`). */
  failed = 0;
  /** Requests outstanding when the users crashed: abandoned, never answered. */
  lostToCrash = 0;
  /** Sum of response times of succeeded requests, in seconds (for the mean). */
  totalLatency = 0;
  /** Requests sent since creation: payload indexes and `stopAfter.count` (never reset). */
  private issued = 0;
  /** Requests sent and not yet answered, timed out or refused (at most one per user). */
  private outstanding = 0;
  private readonly users: number;
  private readonly daemon: boolean;
  private readonly target: Entity<P, R>;
  private readonly thinkTime: Distribution;
  private readonly kind: string;
  private readonly makePayload: ((index: number, user: number, time: number) => P) | null;
  private readonly maxCount: number;
  private readonly stopTime: number;
  private readonly timeout: TimeoutParam | null;

  constructor(sim: Simulation, name: string, options: ClosedLoopOptions<P, R>) {
    // Validated before registering: refused users leave their name free and start nothing.
    const valid = validateClosedLoopOptions(sim, name, options);
    super(sim, name);
    this.target = valid.target;
    this.thinkTime = valid.thinkTime;
    this.timeout = valid.timeout;
    this.kind = valid.kind;
    this.makePayload = valid.makePayload;
    this.maxCount = valid.maxCount;
    this.stopTime = valid.stopTime;
    this.users = valid.users;
    this.daemon = valid.daemon;
    this.startUsers();
  }

  private startUsers(): void {
    for (let user = 0; user < this.users; user++) {
      this.start(this.user(user), { daemon: this.daemon, name: `user-${user}` });
    }
  }

  override metrics(): EntityMetrics {
    return {
      forwarded: this.forwarded,
      succeeded: this.succeeded,
      timedOut: this.timedOut,
      failed: this.failed,
      lostToCrash: this.lostToCrash,
      inFlight: this.outstanding,
      meanLatency: this.meanLatency,
      throughput: this.throughput,
    };
  }

  /** Mean response time of succeeded requests, seconds (NaN before the first). */
  get meanLatency(): number {
    return this.totalLatency / this.succeeded;
  }

  /** Succeeded requests per simulated second of the statistics' period (`statsSinceNs`). */
  get throughput(): number {
    const seconds = this.statsSeconds;
    return seconds > 0 ? this.succeeded / seconds : 0;
  }

  protected override onResetStats(): void {
    this.forwarded = this.outstanding;
    this.lostToCrash = 0;
    this.succeeded = 0;
    this.timedOut = 0;
    this.failed = 0;
    this.totalLatency = 0;
  }

  /** The crash cancelled every user; what they were waiting for is lost. */
  protected override onCrash(): void {
    this.lostToCrash += this.outstanding;
    this.outstanding = 0;
  }

  /** Users come back and go on where the population left off (count and time still apply). */
  protected override onRecover(): void {
    this.startUsers();
  }

  private *user(user: number) {
    const { target, thinkTime } = this;
    const timeout = this.timeout;
    const { kind, makePayload } = this;
    const think = this.random(`think-${user}`);
    for (;;) {
      if (this.issued >= this.maxCount || this.now >= this.stopTime) return;
      const index = this.issued++;
      this.forwarded++;
      const sentAt = this.now;
      const body = makePayload === null ? (index as P) : makePayload(index, user, sentAt);
      this.outstanding++;
      try {
        yield* this.call(target, kind, body, timeout?.callOptionsAt(this.now));
        this.outstanding--;
        this.succeeded++;
        this.totalLatency += this.now - sentAt;
      } catch (error) {
        this.outstanding--;
        // A refusal is an answer too: the user counts it and thinks, as after a timeout.
        if (error instanceof TimeoutError) this.timedOut++;
        else if (error instanceof RemoteError) this.failed++;
        else throw error;
      }
      yield thinkTime.sample(think, this.now);
    }
  }
}

function validateClosedLoopOptions<P, R>(
  sim: Simulation,
  name: string,
  options: ClosedLoopOptions<P, R>,
) {
  const component = `ClosedLoopClients "${name}"`;
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<P, R>;
  const users = requireInteger(component, "users", options.users, 1);
  const thinkTime = requireDistribution(component, "thinkTime", options.thinkTime);
  const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
  const count =
    options.stopAfter?.count === undefined
      ? undefined
      : requireInteger(component, "stopAfter.count", options.stopAfter.count, 0);
  const time = options.stopAfter?.time;
  if (time !== undefined && (typeof time !== "number" || !(time >= sim.now))) {
    throw new ConfigError(
      component,
      "stopAfter.time",
      `a time in seconds >= now (${sim.now})`,
      time,
    );
  }
  const kind = options.kind ?? "request";
  if (typeof kind !== "string") throw new ConfigError(component, "kind", "a string", kind);
  const payload = options.payload;
  if (payload !== undefined && typeof payload !== "function") {
    throw new ConfigError(
      component,
      "payload",
      "a function (index, user, time) => payload",
      payload,
    );
  }
  return {
    target,
    users,
    thinkTime,
    timeout,
    kind,
    makePayload: payload ?? null,
    maxCount: count ?? Number.POSITIVE_INFINITY,
    stopTime: time ?? Number.POSITIVE_INFINITY,
    daemon: options.stopAfter === undefined,
  };
}
