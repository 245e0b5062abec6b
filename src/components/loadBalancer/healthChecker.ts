/**
 * `HealthChecker`: takes failed backends out of a `LoadBalancer`'s rotation and puts them back
 * when they recover. Every `interval` seconds it sends each backend a health check (a request
 * of kind `kind`) and waits at most `timeout` seconds; after `unhealthyThreshold` failed checks
 * in a row it marks the backend unhealthy, after `healthyThreshold` passed checks in a row
 * healthy again. A balancer on its own keeps sending a crashed backend its share of requests,
 * which all time out; with a checker the failures stop about threshold x interval after the
 * crash (`examples/loadBalancer/health-checks.ts`).
 *
 * What counts: a check passes if the backend answers in time, with anything; it fails if the
 * backend refuses it (RemoteError: a full queue, a 503) or stays silent past the timeout (a
 * crashed or partitioned backend, or one so busy the check waits in its queue too long).
 * Backends therefore need nothing special: a `Server` answers a check like any request (its
 * `respond` function, if any, sees a message of kind `kind` with payload `payload`). Checks
 * queue with real work, as they do in real servers, so an overloaded backend can be marked
 * unhealthy, which moves its load onto the others.
 *
 * The round timer is a daemon, so the rounds alone never keep a run alive; rounds run at
 * exactly start + k x interval. The checks are ordinary messages, though, and the work they
 * cause at the backends is ordinary work: a run without `until` ends once a round's checks and
 * their answers (late ones included) are done before the next round is due, at most `timeout`
 * past the model's last event when checks are answered in time. When a check's round trip
 * (links, the backend's queue and service) outlasts the interval, each round is still being
 * answered when the next is due, and a run without `until` never ends: give it an `until`, or
 * crash the checker once the load is done (a crashed checker stops checking).
 *
 * @example
 * const lb = new LoadBalancer(sim, "lb", { backends: [a, b, c], timeout: 1 });
 * new HealthChecker(sim, "health", { loadBalancer: lb, interval: 2, timeout: 0.5, unhealthyThreshold: 2 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../errors/errors.js";
import { isProfile, type Param } from "../../random/profile.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireInteger, requireSeconds } from "../shared/validate.js";
import { LoadBalancer } from "./loadBalancer.js";

export interface HealthCheckerOptions<Req> {
  /** The balancer whose backends are checked and marked. */
  loadBalancer: LoadBalancer<Req, unknown>;
  /**
   * Seconds between rounds of checks (> 0). A plain number: rounds run on the fixed grid
   * start + k x interval. Default 10.
   */
  interval?: number;
  /**
   * Seconds a backend has to answer a check (> 0, at most `interval` at all times): a number
   * or a profile, read when each round's checks are sent. Default 5.
   */
  timeout?: Param;
  /** Failed checks in a row that take a healthy backend out of rotation (integer >= 1). Default 3. */
  unhealthyThreshold?: number;
  /** Passed checks in a row that put an unhealthy backend back (integer >= 1). Default 2. */
  healthyThreshold?: number;
  /** Kind of each check message. Default "health-check". */
  kind?: string;
  /** Payload of each check. Default undefined (a `Server` without `respond` echoes it). */
  payload?: Req;
}

/** A backend marked unhealthy or healthy by the checker. */
export interface HealthTransition {
  /** Simulated time, in seconds. */
  readonly time: number;
  readonly backend: string;
  readonly state: "healthy" | "unhealthy";
}

/**
 * What a checker did, in the vocabulary of docs/components/statistics.md. At all times, crashes
 * and statistics resets included, `checks = passed + failed + timedOut + lostToCrash + inFlight`.
 */
export interface HealthCheckerStats {
  /** Checks sent. */
  readonly checks: number;
  /** Checks the backend answered. */
  readonly passed: number;
  /** Checks the backend refused (a `RemoteError`). */
  readonly failed: number;
  /** Checks with no answer within the timeout. Both kinds of failure count toward a mark. */
  readonly timedOut: number;
  /** Checks cut short by the checker's crash (their answers, if any, are never read). */
  readonly lostToCrash: number;
  /** Checks sent and not settled yet. */
  readonly inFlight: number;
  readonly markedUnhealthy: number;
  readonly markedHealthy: number;
  /** Marks made since creation or the last statistics reset, in time order. */
  readonly transitions: readonly HealthTransition[];
}

/** Consecutive outcomes of one backend's checks. */
interface Streak {
  passed: number;
  failed: number;
}

export class HealthChecker<Req = unknown> extends Entity {
  static readonly catalog: CatalogEntry = {
    name: "HealthChecker",
    kind: "component",
    role: "observability",
    layer: "distributed",
    contract:
      "Checks every backend of a LoadBalancer each interval with a timeout; marks one unhealthy after unhealthyThreshold failed checks in a row and healthy after healthyThreshold passed checks in a row.",
    requires: ["LoadBalancer", "Timer", "Timeout"],
    provides: ["HealthStatus", "Observable"],
    inputs: ["answers, refusals and silence of the backends to health checks"],
    outputs: [
      "markHealthy / markUnhealthy on the balancer",
      "transitions (time, backend, state)",
      "checks, passed, failed (refused), timedOut, lostToCrash, inFlight",
    ],
    state: "consecutive passed and failed checks per backend (volatile)",
    failure_semantics:
      "Detection takes up to interval x (unhealthyThreshold - 1) + timeout after a failure; until then the balancer keeps sending the backend requests. A refusal counts as a failure, so an overloaded backend can be taken out. A crash of the checker stops checking (backends keep their last marks) and forgets the streaks; recover() resumes on the same grid.",
    composition_rules: ["LoadBalancer", "Server"],
    operational_knobs: knobs<HealthCheckerOptions<unknown>>()(
      "loadBalancer",
      "interval",
      "timeout",
      "unhealthyThreshold",
      "healthyThreshold",
      "kind",
      "payload",
    ),
  };

  readonly interval: number;
  /** As given: seconds, or a profile of seconds read at each round. */
  readonly timeout: Param;
  private readonly loadBalancer: LoadBalancer<Req, unknown>;
  private readonly unhealthyThreshold: number;
  private readonly healthyThreshold: number;
  private readonly kind: string;
  private readonly payload: Req;
  private readonly checkTimeout: TimeoutParam;
  private readonly startTime: number;
  private round = 0;
  private streaks = new Map<Entity<Req, unknown>, Streak>();
  private readonly log: HealthTransition[] = [];
  /** Checks sent and not settled yet. */
  private outstanding = 0;
  private counts = {
    checks: 0,
    passed: 0,
    failed: 0,
    timedOut: 0,
    lostToCrash: 0,
    markedUnhealthy: 0,
    markedHealthy: 0,
  };

  constructor(sim: Simulation, name: string, options: HealthCheckerOptions<Req>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `HealthChecker "${name}"`;
    const loadBalancer = requireEntity(
      component,
      "loadBalancer",
      options?.loadBalancer,
      sim,
      LoadBalancer,
    ) as LoadBalancer<Req, unknown>;
    const interval = requireSeconds(component, "interval", options.interval ?? 10);
    const checkTimeout = TimeoutParam.from(component, "timeout", options.timeout ?? 5);
    const timeout = checkTimeout.param;
    if (isProfile(timeout) ? timeout.max > interval : timeout > interval) {
      throw new ConfigError(
        component,
        "timeout",
        `at most the interval (${interval} s)${isProfile(timeout) ? " at all times" : ""}, so one round's checks end before the next`,
        isProfile(timeout)
          ? `${timeout.description} (ranges over [${timeout.min}, ${timeout.max}])`
          : timeout,
      );
    }
    const unhealthyThreshold = requireInteger(
      component,
      "unhealthyThreshold",
      options.unhealthyThreshold ?? 3,
      1,
    );
    const healthyThreshold = requireInteger(
      component,
      "healthyThreshold",
      options.healthyThreshold ?? 2,
      1,
    );
    const kind = options.kind ?? "health-check";
    if (typeof kind !== "string" || kind.length === 0) {
      throw new ConfigError(component, "kind", "a non-empty string", kind);
    }
    super(sim, name);
    this.loadBalancer = loadBalancer;
    this.interval = interval;
    this.checkTimeout = checkTimeout;
    this.timeout = timeout;
    this.unhealthyThreshold = unhealthyThreshold;
    this.healthyThreshold = healthyThreshold;
    this.kind = kind;
    this.payload = options.payload as Req;
    this.startTime = sim.now;
    this.at(this.startTime, this.checkAll, undefined, { daemon: true });
  }

  get stats(): HealthCheckerStats {
    return { ...this.counts, inFlight: this.outstanding, transitions: this.log };
  }

  override metrics(): EntityMetrics {
    return { ...this.counts, inFlight: this.outstanding, transitions: this.log.length };
  }

  private readonly checkAll = (): void => {
    // The balancer's current backends, in the order they were added: one check each.
    for (const backend of this.loadBalancer.backends) {
      this.start(this.check(backend), { daemon: true, name: `check ${backend.name}` });
    }
    this.round++;
    // A round that ran late (the checker was paused) skips the grid times already past.
    if (this.startTime + this.round * this.interval < this.now) this.skipPastRounds();
    this.at(this.startTime + this.round * this.interval, this.checkAll, undefined, {
      daemon: true,
    });
  };

  /** Moves `round` to the first round time not in the past, on the original grid. */
  private skipPastRounds(): void {
    this.round = Math.max(this.round, Math.ceil((this.now - this.startTime) / this.interval));
    if (this.startTime + this.round * this.interval < this.now) this.round++;
  }

  private *check(backend: Entity<Req, unknown>) {
    const c = this.counts;
    c.checks++;
    this.outstanding++;
    let passed = false;
    let settled = false;
    try {
      yield this.request(
        backend,
        this.kind,
        this.payload,
        this.checkTimeout.callOptionsAt(this.now),
      );
      passed = true;
      settled = true;
      c.passed++;
    } catch (error) {
      if (error instanceof TimeoutError) c.timedOut++;
      else if (error instanceof RemoteError) c.failed++;
      else throw error;
      settled = true;
    } finally {
      this.outstanding--;
      // Only the checker's crash closes a check before it settles.
      if (!settled) c.lostToCrash++;
    }
    // The backend may have been removed while the check was out.
    if (!this.loadBalancer.hasBackend(backend)) {
      this.streaks.delete(backend);
      return;
    }
    let streak = this.streaks.get(backend);
    if (streak === undefined) {
      streak = { passed: 0, failed: 0 };
      this.streaks.set(backend, streak);
    }
    if (passed) {
      streak.passed++;
      streak.failed = 0;
    } else {
      streak.failed++;
      streak.passed = 0;
    }
    const healthy = this.loadBalancer.isHealthy(backend);
    if (healthy && streak.failed >= this.unhealthyThreshold) {
      this.loadBalancer.markUnhealthy(backend);
      c.markedUnhealthy++;
      this.log.push({ time: this.now, backend: backend.name, state: "unhealthy" });
    } else if (!healthy && streak.passed >= this.healthyThreshold) {
      this.loadBalancer.markHealthy(backend);
      c.markedHealthy++;
      this.log.push({ time: this.now, backend: backend.name, state: "healthy" });
    }
  }

  protected override onCrash(): void {
    this.streaks = new Map();
  }

  /**
   * Counts and the transitions log restart now; streaks (state: how close each backend is to a
   * mark) are kept. A check still out at the reset is counted again in `checks`, so `checks =
   * passed + failed + timedOut + lostToCrash + inFlight` keeps holding.
   */
  protected override onResetStats(): void {
    const c = this.counts;
    c.checks = this.outstanding;
    c.passed = 0;
    c.failed = 0;
    c.timedOut = 0;
    c.lostToCrash = 0;
    c.markedUnhealthy = 0;
    c.markedHealthy = 0;
    this.log.length = 0;
  }

  protected override onRecover(): void {
    // Resume on the original grid, at the first round time not in the past.
    this.skipPastRounds();
    this.at(this.startTime + this.round * this.interval, this.checkAll, undefined, {
      daemon: true,
    });
  }
}
