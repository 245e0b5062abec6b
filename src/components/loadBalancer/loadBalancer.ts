/**
 * `LoadBalancer`: the front door of a pool of backends. Each request goes to one healthy
 * backend chosen by a strategy (`strategy.roundRobin()` by default) and its reply, or its
 * failure, is relayed back to the caller. The balancer counts what it sent where, how many
 * requests each backend has in flight from it and how fast each answers (a moving average),
 * which is what the load-aware strategies read. Backends come and go (`addBackend`,
 * `removeBackend`) and are taken out of rotation and put back (`markUnhealthy`,
 * `markHealthy`), by hand or by a `HealthChecker`. With no healthy backend a request is refused
 * at once (RemoteError "no healthy backend" at the caller) rather than queued.
 *
 * @example
 * const lb = new LoadBalancer(sim, "lb", { backends: [a, b, c], strategy: strategy.powerOfTwoChoices(), timeout: 1 });
 * const client = new Client(sim, "client", { target: lb });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError } from "../../errors/errors.js";
import type { Param } from "../../random/profile.js";
import { Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireInteger } from "../shared/validate.js";
import {
  type BackendSelector,
  type BackendState,
  isLoadBalancingStrategy,
  type LoadBalancingStrategy,
  roundRobin,
} from "./strategies.js";

/** A backend with a weight, for `backends` (a plain entity has weight 1). */
export interface WeightedBackend<Req, Res> {
  readonly backend: Entity<Req, Res>;
  /** Share of traffic relative to the others, for weighted strategies (integer >= 1). */
  readonly weight: number;
}

export interface LoadBalancerOptions<Req, Res> {
  /** Backends to start with, all healthy. Default none (add them with `addBackend`). */
  backends?: readonly (Entity<Req, Res> | WeightedBackend<Req, Res>)[];
  /** How a backend is chosen for each request. Default `strategy.roundRobin()`. */
  strategy?: LoadBalancingStrategy<Req>;
  /**
   * Seconds to wait for a backend's answer before failing the request (> 0): a number or a
   * profile, read when each request is forwarded. Default: no timeout.
   */
  timeout?: Param;
  /**
   * Weight of the newest answer in each backend's smoothed response time (an exponentially
   * weighted moving average), in (0, 1]: 1 keeps only the last answer, 0.1 averages over
   * roughly the last ten. Default 0.3.
   */
  responseTimeSmoothing?: number;
}

/** What the balancer knows about one backend. */
export interface BackendStats {
  readonly name: string;
  readonly weight: number;
  readonly healthy: boolean;
  /** Requests sent to it. */
  readonly forwarded: number;
  /** Of those, unanswered now. */
  readonly inFlight: number;
  /** Of those, refused by it. */
  readonly failed: number;
  /** Of those, not answered in time. */
  readonly timedOut: number;
  /** Smoothed response time in seconds; NaN before its first answer. */
  readonly responseTime: number;
}

/**
 * What a balancer did with its requests: its own counts and the request ledger's. At all times,
 * crashes and statistics resets included, `requests = forwarded + rejected` and `forwarded =
 * succeeded + failed + timedOut + lostToCrash + inFlight` (`forwarded` counts requests sent to
 * a backend, `failed` those a backend refused, `timedOut` those not answered in time).
 */
export interface LoadBalancerStats extends LedgerCounts {
  readonly requests: number;
  /** Requests refused at once because no backend was healthy. */
  readonly rejected: number;
  readonly healthy: number;
  /** Times a backend went from healthy to unhealthy, and back. */
  readonly markedUnhealthy: number;
  readonly markedHealthy: number;
  /** One entry per current backend, in the order they were added. */
  readonly backends: readonly BackendStats[];
}

/** The balancer's record of one backend; strategies read it through `BackendState`. */
class BackendRecord<Req, Res> implements BackendState {
  healthy = true;
  inFlight = 0;
  forwarded = 0;
  failed = 0;
  timedOut = 0;
  responseTime = Number.NaN;
  constructor(
    readonly backend: Entity<Req, Res>,
    readonly name: string,
    readonly weight: number,
  ) {}
}

export class LoadBalancer<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "LoadBalancer",
    kind: "component",
    role: "routing",
    layer: "distributed",
    contract:
      "Forwards each request to one healthy backend chosen by its strategy and relays the reply or failure; refuses at once when no backend is healthy.",
    requires: ["RoutingPolicy", "ConsistentHashRing", "Timeout", "RequestId"],
    provides: ["Observable"],
    inputs: [
      "requests",
      "the backends' replies, rejections and silence",
      "addBackend/removeBackend, markHealthy/markUnhealthy",
    ],
    outputs: [
      "requests to backends",
      "relayed replies and failures",
      'immediate RemoteError "no healthy backend"',
      "forwarded per backend, rejected, inFlight, lostToCrash",
    ],
    state:
      "the backends with weights and health; per backend in-flight count and smoothed response time (volatile)",
    failure_semantics:
      "Relays a backend's failure or timeout to the caller without retrying elsewhere (compose a Client with retries for that). A backend that crashes stays in rotation until marked unhealthy, so its share of requests time out. A crash of the balancer abandons requests in flight (counted in lostToCrash; callers time out) and forgets response times; backends, weights and health are kept.",
    composition_rules: ["Server", "Client", "CircuitBreaker", "HealthChecker"],
    operational_knobs: knobs<LoadBalancerOptions<unknown, unknown>>()(
      "backends",
      "strategy",
      "timeout",
      "responseTimeSmoothing",
    ),
  };

  /** The strategy's description ("round robin"). */
  readonly strategy: string;
  private readonly records: BackendRecord<Req, Res>[] = [];
  private readonly selector: BackendSelector<Req>;
  private readonly smoothing: number;
  private healthyCount = 0;
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  private counts = { requests: 0, rejected: 0, markedUnhealthy: 0, markedHealthy: 0 };

  constructor(sim: Simulation, name: string, options: LoadBalancerOptions<Req, Res> = {}) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `LoadBalancer "${name}"`;
    const backends = options.backends ?? [];
    if (!Array.isArray(backends)) {
      throw new ConfigError(
        component,
        "backends",
        "an array of entities or { backend, weight }",
        backends,
      );
    }
    const initial: BackendRecord<Req, Res>[] = [];
    for (const entry of backends) {
      // Anything but a { backend, weight } object is checked as a plain backend.
      const weighted =
        entry instanceof Entity || typeof entry !== "object" || entry === null
          ? null
          : (entry as WeightedBackend<Req, Res>);
      const backend = weighted === null ? entry : weighted.backend;
      const record = checkedBackend<Req, Res>(
        sim,
        component,
        "backends",
        backend,
        weighted === null ? 1 : weighted.weight,
      );
      if (initial.some((r) => r.backend === record.backend)) {
        throw new ConfigError(component, "backends", "each backend once", record.name);
      }
      initial.push(record);
    }
    const chosen = options.strategy ?? roundRobin();
    if (!isLoadBalancingStrategy(chosen)) {
      throw new ConfigError(
        component,
        "strategy",
        "a LoadBalancingStrategy (strategy.roundRobin(), ...)",
        chosen,
      );
    }
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    const smoothing = options.responseTimeSmoothing ?? 0.3;
    if (typeof smoothing !== "number" || !(smoothing > 0 && smoothing <= 1)) {
      throw new ConfigError(component, "responseTimeSmoothing", "a number in (0, 1]", smoothing);
    }
    super(sim, name);
    this.strategy = chosen.description;
    this.selector = chosen.selector(this.random("strategy")) as BackendSelector<Req>;
    this.forwarder = new Forwarder(this, { ledger: this.ledger, timeout });
    this.smoothing = smoothing;
    this.records.push(...initial);
    this.healthyCount = initial.length;
    this.selector.backendsChanged?.(this.records);
  }

  get stats(): LoadBalancerStats {
    return {
      ...this.counts,
      ...this.ledger.counts(),
      healthy: this.healthyCount,
      backends: this.records.map((r) => ({
        name: r.name,
        weight: r.weight,
        healthy: r.healthy,
        forwarded: r.forwarded,
        inFlight: r.inFlight,
        failed: r.failed,
        timedOut: r.timedOut,
        responseTime: r.responseTime,
      })),
    };
  }

  override metrics(): EntityMetrics {
    const flat: Record<string, number | string> = {
      strategy: this.strategy,
      ...this.counts,
      ...this.ledger.counts(),
      backends: this.records.length,
      healthy: this.healthyCount,
    };
    for (const r of this.records) flat[`forwarded.${r.name}`] = r.forwarded;
    return flat;
  }

  /** The backends, in the order they were added. */
  get backends(): readonly Entity<Req, Res>[] {
    return this.records.map((r) => r.backend);
  }

  /** The backends in rotation now, in the order they were added. */
  healthyBackends(): readonly Entity<Req, Res>[] {
    return this.records.filter((r) => r.healthy).map((r) => r.backend);
  }

  /** Whether `backend` is one of this balancer's backends. */
  hasBackend(backend: Entity<Req, Res>): boolean {
    return this.indexOf(backend) >= 0;
  }

  /** Whether `backend` (one of this balancer's) is in rotation. */
  isHealthy(backend: Entity<Req, Res>): boolean {
    return this.recordOf(backend, "isHealthy").healthy;
  }

  /**
   * Puts `backend` into rotation, healthy. Requests arriving from now on may go to it.
   * @param options.weight its share relative to the others for weighted strategies (integer >= 1; default 1)
   */
  addBackend(backend: Entity<Req, Res>, options: { weight?: number } = {}): void {
    if (this.indexOf(backend) >= 0) {
      throw new SimulationError(
        `addBackend: "${backend.name}" is already a backend of this balancer`,
        this.name,
        this.nowNs,
      );
    }
    this.insert(`LoadBalancer "${this.name}".addBackend`, "backend", backend, options.weight ?? 1);
    this.selector.backendsChanged?.(this.records);
  }

  /**
   * Takes `backend` out of the pool for good. Requests already forwarded to it are still
   * relayed when it answers.
   */
  removeBackend(backend: Entity<Req, Res>): void {
    const index = this.indexOf(backend);
    if (index < 0) throw this.unknown(backend, "removeBackend");
    const [record] = this.records.splice(index, 1);
    if (record!.healthy) this.healthyCount--;
    this.selector.backendsChanged?.(this.records);
  }

  /** Takes `backend` out of rotation until `markHealthy` (no effect if it already is out). */
  markUnhealthy(backend: Entity<Req, Res>): void {
    const record = this.recordOf(backend, "markUnhealthy");
    if (!record.healthy) return;
    record.healthy = false;
    this.healthyCount--;
    this.counts.markedUnhealthy++;
  }

  /**
   * Puts `backend` back into rotation (no effect if it is in rotation). Its smoothed response
   * time starts afresh: a backend coming back was usually restarted or repaired, and an
   * average from before (often inflated by timeouts) would starve it under least response time.
   */
  markHealthy(backend: Entity<Req, Res>): void {
    const record = this.recordOf(backend, "markHealthy");
    if (record.healthy) return;
    record.healthy = true;
    record.responseTime = Number.NaN;
    this.healthyCount++;
    this.counts.markedHealthy++;
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    if (this.healthyCount === 0) {
      c.rejected++;
      this.fail(
        request,
        this.records.length === 0
          ? "no healthy backend (no backends)"
          : `no healthy backend (all ${this.records.length} unhealthy)`,
      );
      return;
    }
    let index: number;
    try {
      index = this.selector.select(this.records, this.healthyCount, request);
    } catch (error) {
      // A strategy's key function failing is model misuse at run time: name who and when.
      throw new SimulationError(
        `strategy "${this.strategy}" failed on a "${request.kind}" request: ${(error as Error).message}`,
        this.name,
        this.nowNs,
      );
    }
    const record = this.records[index];
    if (record === undefined || !record.healthy) {
      throw new SimulationError(
        `strategy "${this.strategy}" chose ${index}, which is not the index of a healthy backend`,
        this.name,
        this.nowNs,
      );
    }
    record.forwarded++;
    record.inFlight++;
    try {
      // Sent in this handler's own event, so the forward's causal parent and chain origin are
      // the request's without a `causedBy`; the reply below carries the request's origin too.
      const outcome = yield* this.forwarder.forward(record.backend, request);
      // A timeout is an answer that took at least the timeout: it should slow the average. A
      // refusal is not timed: a backend that fails fast would otherwise look fastest.
      if (outcome.kind !== "refused") this.observe(record, outcome.seconds);
      if (outcome.kind === "refused") record.failed++;
      else if (outcome.kind === "timedOut") record.timedOut++;
      this.forwarder.relay(request, outcome);
    } finally {
      // A backend's count goes down however the request ends, a crash included.
      record.inFlight--;
    }
  }

  private observe(record: BackendRecord<Req, Res>, seconds: number): void {
    const previous = record.responseTime;
    record.responseTime = Number.isNaN(previous)
      ? seconds
      : previous + this.smoothing * (seconds - previous);
  }

  private insert(component: string, parameter: string, backend: unknown, weight: unknown): void {
    const record = checkedBackend<Req, Res>(this.sim, component, parameter, backend, weight);
    if (record.backend === (this as Entity<unknown, unknown>)) {
      throw new ConfigError(component, parameter, "an entity other than the balancer", record.name);
    }
    if (this.indexOf(record.backend) >= 0) {
      throw new ConfigError(component, parameter, "each backend once", record.name);
    }
    this.records.push(record);
    this.healthyCount++;
  }

  private indexOf(backend: Entity<Req, Res>): number {
    const records = this.records;
    for (let i = 0; i < records.length; i++) if (records[i]!.backend === backend) return i;
    return -1;
  }

  private recordOf(backend: Entity<Req, Res>, api: string): BackendRecord<Req, Res> {
    const index = this.indexOf(backend);
    if (index < 0) throw this.unknown(backend, api);
    return this.records[index]!;
  }

  private unknown(backend: unknown, api: string): SimulationError {
    const name =
      backend instanceof Entity ? `"${backend.name}"` : `${String(backend)} (not an entity)`;
    return new SimulationError(
      `${api}: ${name} is not a backend of this balancer`,
      this.name,
      this.nowNs,
    );
  }

  protected override onCrash(): void {
    // The crash cancelled the forwarding processes, whose finally blocks cleared the backends'
    // in-flight counts (the request ledger counts their requests lost). Response times are
    // measurements the balancer kept in memory.
    for (const record of this.records) record.responseTime = Number.NaN;
  }

  protected override onResetStats(): void {
    const c = this.counts;
    c.requests = this.ledger.inFlight;
    c.rejected = 0;
    c.markedUnhealthy = 0;
    c.markedHealthy = 0;
    // Per backend, the requests still in flight count as forwarded again, as in the ledger.
    for (const record of this.records) {
      record.forwarded = record.inFlight;
      record.failed = 0;
      record.timedOut = 0;
    }
  }
}

/** A backend and its weight, checked (an entity of this simulation, an integer weight >= 1). */
function checkedBackend<Req, Res>(
  sim: Simulation,
  component: string,
  parameter: string,
  backend: unknown,
  weight: unknown,
): BackendRecord<Req, Res> {
  const entity = requireEntity(component, parameter, backend, sim, Entity) as Entity<Req, Res>;
  return new BackendRecord(entity, entity.name, requireInteger(component, "weight", weight, 1));
}
