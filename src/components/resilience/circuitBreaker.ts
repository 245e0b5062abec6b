/**
 * `CircuitBreaker`: stands between callers and a target and stops calling a target that keeps
 * failing. Closed, it forwards every request and counts consecutive failures (timeouts and
 * rejections); at `failureThreshold` it opens and fails every request at once ("circuit
 * open") for `openDuration` seconds, giving the target room to recover instead of burying it
 * in requests it cannot serve. Then it goes half-open: one probe at a time is let through, and
 * `halfOpenSuccesses` successes in a row close it again, while a failed probe reopens it.
 *
 * A failure is a timeout or a rejection, and also any answer `isFailure` says is one (an
 * error payload, or an answer too slow to be useful: a breaker can open on latency alone).
 * Operators can `forceOpen()` it (take a dependency out by hand) and `reset()` it.
 *
 * @example
 * const guarded = new CircuitBreaker(sim, "breaker", { target: api, timeout: 0.2, failureThreshold: 10, openDuration: 2 });
 * const client = new Client(sim, "client", { target: guarded, retryPolicy });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { durationToNs, nsToSeconds } from "../../core/time.js";
import { type Param, valueAt } from "../../random/profile.js";
import { Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import {
  optionalFunction,
  requireEntity,
  requireInteger,
  requireSecondsParam,
} from "../shared/validate.js";

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
  /**
   * Counts an answer as a failure (it is still relayed to the caller): `(answer, seconds) =>
   * seconds > 0.5` opens the circuit on slow calls, `(answer) => answer.status >= 500` on
   * error payloads. Default: every answer is a success.
   */
  isFailure?: (answer: Res, seconds: number) => boolean;
}

export interface CircuitTransition {
  /** When the state changed (an open period's end, for open -> half-open). */
  readonly time: number;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /**
   * Why: "failures", "probe failed", "probe succeeded", "open period over", "forced", "reset",
   * "crash".
   */
  readonly reason: string;
}

/**
 * What a breaker did with its requests: its own counts and the request ledger's. At all times,
 * crashes and statistics resets included, `requests = forwarded + rejected` and `forwarded =
 * succeeded + failed + timedOut + lostToCrash + inFlight`. `failed` counts refusals by the target
 * and answers `isFailure` judged failures; both, and timeouts, count towards opening the circuit.
 */
export interface CircuitBreakerStats extends LedgerCounts {
  readonly state: CircuitState;
  /** Requests received. */
  readonly requests: number;
  /** Requests refused at once because the circuit was open (or a probe was in flight). */
  readonly rejected: number;
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
    outputs: [
      "replies",
      "immediate rejections while open",
      "state transitions",
      "requests, rejected, forwarded, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state: "closed / open / half-open, consecutive failures, open-until time",
    failure_semantics:
      'Fails fast while open (RemoteError "circuit open" at the caller). State is volatile: a crash closes the circuit and forgets failures, and abandons forwarded requests (counted in lostToCrash; callers time out).',
    composition_rules: ["Client", "RetryLoop", "Server", "LoadBalancer"],
    operational_knobs: knobs<CircuitBreakerOptions<unknown, unknown>>()(
      "target",
      "failureThreshold",
      "openDuration",
      "halfOpenSuccesses",
      "timeout",
      "isFailure",
    ),
  };

  private readonly target: Entity<Req, Res>;
  private readonly failureThreshold: number;
  private readonly openDuration: Param;
  private readonly halfOpenSuccesses: number;
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  private state: CircuitState = "closed";
  /** Open by `forceOpen()`: stays open until `reset()`, whatever the clock. */
  private forced = false;
  private consecutiveFailures = 0;
  private probeSuccesses = 0;
  private probeInFlight = false;
  /** End of the open period, in integer ns like the clock (Infinity when forced open). */
  private openUntilNs = 0;
  private counts = { requests: 0, rejected: 0 };
  /** Every transition since creation: the log a test or a chart reads (a reset keeps it). */
  private readonly log: CircuitTransition[] = [];

  constructor(sim: Simulation, name: string, options: CircuitBreakerOptions<Req, Res>) {
    // Every option is checked before the entity registers, so a refused one leaves no trace.
    const component = `CircuitBreaker "${name}"`;
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    const failureThreshold = requireInteger(
      component,
      "failureThreshold",
      options.failureThreshold ?? 5,
      1,
    );
    const openDuration = requireSecondsParam(component, "openDuration", options.openDuration ?? 5);
    const halfOpenSuccesses = requireInteger(
      component,
      "halfOpenSuccesses",
      options.halfOpenSuccesses ?? 1,
      1,
    );
    const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
    const isFailure = optionalFunction(
      component,
      "isFailure",
      options.isFailure,
      "a function (answer, seconds) => boolean",
    );
    super(sim, name);
    this.target = target;
    this.failureThreshold = failureThreshold;
    this.openDuration = openDuration;
    this.halfOpenSuccesses = halfOpenSuccesses;
    this.forwarder = new Forwarder(this, { ledger: this.ledger, timeout, isFailure });
  }

  get stats(): CircuitBreakerStats {
    return {
      state: this.currentState(),
      ...this.counts,
      ...this.ledger.counts(),
      transitions: this.log,
    };
  }

  override metrics(): EntityMetrics {
    return {
      state: this.currentState(),
      ...this.counts,
      ...this.ledger.counts(),
      transitions: this.log.length,
    };
  }

  /** The state now (an open circuit whose time is up reads as half-open). */
  currentState(): CircuitState {
    return this.openPeriodOver() ? "half-open" : this.state;
  }

  /**
   * Opens the circuit until `reset()`: every request is refused at once, no probe is sent.
   * For a dependency taken out by hand (a bad deploy, maintenance).
   */
  forceOpen(): void {
    this.forced = true;
    this.openUntilNs = Number.POSITIVE_INFINITY;
    this.moveTo("open", this.now, "forced");
  }

  /** Closes the circuit and forgets its failures (after `forceOpen()`, or to start over). */
  reset(): void {
    this.forced = false;
    this.probeInFlight = false;
    this.moveTo("closed", this.now, "reset");
    this.consecutiveFailures = 0;
  }

  private openPeriodOver(): boolean {
    return this.state === "open" && !this.forced && this.nowNs >= this.openUntilNs;
  }

  override *handle(request: Message<Req>) {
    this.counts.requests++;
    // The circuit went half-open when its open period ended, not when this request came.
    if (this.openPeriodOver()) {
      this.moveTo("half-open", nsToSeconds(this.openUntilNs), "open period over");
    }
    if (this.state === "open" || (this.state === "half-open" && this.probeInFlight)) {
      this.counts.rejected++;
      this.fail(request, "circuit open");
      return;
    }
    const probe = this.state === "half-open";
    if (probe) this.probeInFlight = true;
    const outcome = yield* this.forwarder.forward(this.target, request);
    if (outcome.kind === "answer") this.onSuccess(probe);
    else this.onFailure(probe);
    this.forwarder.relay(request, outcome);
  }

  // A probe's answer counts only while the circuit is still half-open: after a reset or a
  // forced opening it belongs to a period that is over, and moves nothing.
  private onSuccess(probe: boolean): void {
    if (probe && this.state !== "half-open") return;
    this.consecutiveFailures = 0;
    if (!probe) return;
    this.probeInFlight = false;
    if (++this.probeSuccesses >= this.halfOpenSuccesses) {
      this.moveTo("closed", this.now, "probe succeeded");
    }
  }

  private onFailure(probe: boolean): void {
    if (probe) {
      if (this.state !== "half-open") return;
      this.probeInFlight = false;
      this.open("probe failed");
      return;
    }
    if (this.state === "closed" && ++this.consecutiveFailures >= this.failureThreshold) {
      this.open("failures");
    }
  }

  private open(reason: string): void {
    const now = this.now;
    this.openUntilNs =
      this.nowNs + durationToNs(valueAt(this.openDuration, now), this.name, "openDuration");
    this.moveTo("open", now, reason);
  }

  private moveTo(state: CircuitState, time: number, reason: string): void {
    if (state === this.state) return;
    this.log.push({ time, from: this.state, to: state, reason });
    this.traceStateChange("circuit", this.state, state, reason);
    this.state = state;
    this.consecutiveFailures = 0;
    this.probeSuccesses = 0;
  }

  protected override onCrash(): void {
    // A crash forgets everything, a forced opening included: the breaker restarts closed. The
    // log says so, so that it still ends in the state the breaker is in (an open period that
    // is over is written down first, as a request arriving now would).
    if (this.openPeriodOver()) {
      this.moveTo("half-open", nsToSeconds(this.openUntilNs), "open period over");
    }
    this.moveTo("closed", this.now, "crash");
    this.forced = false;
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
  }

  protected override onResetStats(): void {
    this.counts.requests = this.ledger.inFlight;
    this.counts.rejected = 0;
  }
}
