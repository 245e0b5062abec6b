/**
 * `CircuitBreaker`: stands between callers and a target and stops calling a target that keeps
 * failing. Closed, it forwards every request and counts consecutive failures (timeouts and
 * rejections); at `failureThreshold` it opens and fails every request at once ("circuit
 * open") for `openDuration` seconds, giving the target room to recover instead of burying it
 * in requests it cannot serve. Then it goes half-open: one probe at a time is let through, and
 * `halfOpenSuccesses` successes in a row close it again, while a failed probe reopens it.
 *
 * @example
 * const guarded = new CircuitBreaker(sim, "breaker", { target: api, timeout: 0.2, failureThreshold: 10, openDuration: 2 });
 * const client = new Client(sim, "client", { target: guarded, retryPolicy });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import { RemoteError, TimeoutError } from "../../core/errors.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { TimeoutParam } from "../../core/timeoutParam.js";
import { requireEntity, requireInteger, requireSecondsParam } from "../../core/validate.js";
import { type Param, valueAt } from "../../random/profile.js";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions<Req, Res> {
  /** What the breaker protects. */
  target: Entity<Req, Res>;
  /** Consecutive failures (timeouts or rejections) that open the circuit. Default 5. */
  failureThreshold?: number;
  /**
   * Seconds the circuit stays open before letting a probe through (> 0): a number or a
   * profile, read each time the circuit opens. Default 5.
   */
  openDuration?: Param;
  /** Successful probes in a row that close a half-open circuit. Default 1. */
  halfOpenSuccesses?: number;
  /**
   * Seconds to wait for the target on each forwarded request (> 0): a number or a profile,
   * read when each request is forwarded. Default: no timeout.
   */
  timeout?: Param;
}

export interface CircuitTransition {
  readonly time: number;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

export interface CircuitBreakerStats {
  readonly state: CircuitState;
  readonly forwarded: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Requests refused at once because the circuit was open (or a probe was in flight). */
  readonly shortCircuited: number;
  readonly transitions: readonly CircuitTransition[];
}

export class CircuitBreaker<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "CircuitBreaker",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "Forwards requests while the target succeeds; after failureThreshold consecutive failures refuses them at once for openDuration, then lets probes through until halfOpenSuccesses close it.",
    requires: ["FailureCounter", "Window", "ThresholdPolicy", "Timer", "StateTransition"],
    expansion: ["FailureCounter", "Window", "ThresholdPolicy", "Timer", "StateTransition"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: ["replies", "immediate rejections while open", "state transitions"],
    state: "closed / open / half-open, consecutive failures, open-until time",
    failure_semantics:
      'Fails fast while open (RemoteError "circuit open" at the caller). State is volatile: a crash closes the circuit and forgets failures.',
    composition_rules: ["Client", "RetryLoop", "Server", "LoadBalancer"],
    operational_knobs: knobs<CircuitBreakerOptions<unknown, unknown>>()(
      "target",
      "failureThreshold",
      "openDuration",
      "halfOpenSuccesses",
      "timeout",
    ),
  };

  private readonly target: Entity<Req, Res>;
  private readonly failureThreshold: number;
  private readonly openDuration: Param;
  private readonly halfOpenSuccesses: number;
  private readonly timeout: TimeoutParam | null;
  private state: CircuitState = "closed";
  private consecutiveFailures = 0;
  private probeSuccesses = 0;
  private probeInFlight = false;
  private openUntil = 0;
  private counts = { forwarded: 0, succeeded: 0, failed: 0, shortCircuited: 0 };
  private readonly log: CircuitTransition[] = [];

  constructor(sim: Simulation, name: string, options: CircuitBreakerOptions<Req, Res>) {
    super(sim, name);
    const component = `CircuitBreaker "${name}"`;
    this.target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    this.failureThreshold = requireInteger(
      component,
      "failureThreshold",
      options.failureThreshold ?? 5,
      1,
    );
    this.openDuration = requireSecondsParam(component, "openDuration", options.openDuration ?? 5);
    this.halfOpenSuccesses = requireInteger(
      component,
      "halfOpenSuccesses",
      options.halfOpenSuccesses ?? 1,
      1,
    );
    this.timeout = TimeoutParam.optional(component, "timeout", options.timeout);
  }

  get stats(): CircuitBreakerStats {
    return { state: this.currentState(), ...this.counts, transitions: this.log };
  }

  override metrics(): EntityMetrics {
    return {
      state: this.currentState(),
      ...this.counts,
      transitions: this.log.length,
    };
  }

  /** The state now (an open circuit whose time is up reads as half-open). */
  currentState(): CircuitState {
    return this.state === "open" && this.now >= this.openUntil ? "half-open" : this.state;
  }

  override *handle(request: Message<Req>) {
    if (this.state === "open" && this.now >= this.openUntil) this.moveTo("half-open");
    if (this.state === "open" || (this.state === "half-open" && this.probeInFlight)) {
      this.counts.shortCircuited++;
      this.fail(request, "circuit open");
      return;
    }
    const probe = this.state === "half-open";
    if (probe) this.probeInFlight = true;
    this.counts.forwarded++;
    try {
      const answer = (yield* this.call(
        this.target,
        request.kind,
        request.payload,
        this.timeout?.callOptionsAt(this.now),
      )) as Res;
      this.counts.succeeded++;
      this.onSuccess(probe);
      this.reply(request, answer);
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
      this.counts.failed++;
      this.onFailure(probe);
      this.fail(request, error instanceof RemoteError ? error.reason : "timed out");
    }
  }

  private onSuccess(probe: boolean): void {
    this.consecutiveFailures = 0;
    if (!probe) return;
    this.probeInFlight = false;
    if (++this.probeSuccesses >= this.halfOpenSuccesses) this.moveTo("closed");
  }

  private onFailure(probe: boolean): void {
    if (probe) {
      this.probeInFlight = false;
      this.open();
      return;
    }
    if (this.state === "closed" && ++this.consecutiveFailures >= this.failureThreshold) this.open();
  }

  private open(): void {
    const now = this.now;
    this.openUntil = now + valueAt(this.openDuration, now);
    this.moveTo("open");
  }

  private moveTo(state: CircuitState): void {
    if (state === this.state) return;
    this.log.push({ time: this.now, from: this.state, to: state });
    this.state = state;
    this.consecutiveFailures = 0;
    this.probeSuccesses = 0;
  }

  protected override onCrash(): void {
    this.state = "closed";
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
  }
}
