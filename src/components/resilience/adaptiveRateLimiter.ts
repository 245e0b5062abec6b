/**
 * `AdaptiveRateLimiter`: a rate limiter whose rate is not configured but found. It admits
 * requests to its target at a rate it moves by AIMD (additive increase, multiplicative
 * decrease) on what the target does with them: each evaluation window in which the admitted
 * requests succeeded and the limit was binding (it refused something) raises the rate by
 * `increase`; a refusal by the target multiplies it by `failureFactor`, a timeout by
 * `timeoutFactor`. It exists for a target whose capacity is unknown or changes (a dependency
 * that loses half its instances): a fixed limit set for yesterday's capacity either wastes
 * capacity or lets through more than the target can serve.
 *
 * The rules, each for a reason:
 * - Windows are consecutive spans of `window` seconds from creation (or recovery). A window
 *   raises the rate only if it saw a success, no failure or timeout, and at least one request
 *   refused by the limiter: a rate that does not bind says nothing about the target, and
 *   raising it anyway would let a quiet caller push it without bound, to be found far above
 *   capacity by the next burst.
 * - The rate falls at the first failure or timeout of a window, at once, and at most once per
 *   window: a target whose queue overflowed refuses everything in it for a while, and one
 *   decrease per refused request would take the rate to `minRate` in an instant.
 * - The outcome of a request admitted before the last decrease is ignored (neither a success
 *   nor a failure): it reports on a rate that no longer holds, as TCP ignores the losses of
 *   packets sent before its window was cut.
 *
 * Admission is a token bucket at the current rate holding up to `max(1, rate x burstTime)`
 * tokens: a request takes a token or is refused at once ("rate limited"); it never queues.
 * The rate is state: it is computed exactly at window edges whenever the limiter next looks
 * (an arrival, an outcome, a read of `stats`), so an idle limiter schedules no events.
 *
 * @example
 * const limited = new AdaptiveRateLimiter(sim, "adaptive", {
 *   target: backend, initialRate: 100, increase: 10, timeout: 0.5,
 * });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { TimeSeries } from "../../metrics/timeSeries.js";
import { checkParam, type Param, valueAt } from "../../random/profile.js";
import { Forwarder, type ForwardOutcome } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireEntity, requireSecondsParam } from "../shared/validate.js";
import { AdmissionSeries } from "./admissionSeries.js";

export interface AdaptiveRateLimiterOptions<Req, Res> {
  /** What the limiter protects. */
  target: Entity<Req, Res>;
  /**
   * Requests per second admitted at the start, and again after a recovery (in [minRate,
   * maxRate] at creation; after a recovery, brought into them as they are then). A number: it
   * is a starting state, not a setting that changes with time.
   */
  initialRate: number;
  /**
   * Lowest rate, requests per second (> 0): a number or a profile, read at each decrease and
   * each window edge. Default 1.
   */
  minRate?: Param;
  /**
   * Highest rate, requests per second (>= minRate at all times; Infinity for none): a number or
   * a profile, read at each window edge (a rate above a lowered maxRate comes down to it there)
   * and each increase. Default Infinity.
   */
  maxRate?: Param;
  /**
   * Requests per second added after each window of successes (> 0): a number or a profile,
   * read at each increase. Default 1.
   */
  increase?: Param;
  /** What the rate is multiplied by when the target refuses a request (in (0, 1]). Default 0.9. */
  failureFactor?: number;
  /**
   * What the rate is multiplied by when a forwarded request times out (in (0, 1]). Default
   * 0.5: a timeout means the target is queueing, and each one cost its caller the whole timeout.
   */
  timeoutFactor?: number;
  /**
   * Seconds per evaluation window (> 0): a number or a profile, read when each window starts.
   * Also the width of the windows of the rate, admitted and refused series (a profile read
   * once, at creation: a series keeps one width). Default 1.
   */
  window?: Param;
  /**
   * Seconds of the current rate the bucket can save for a burst (>= 0): it holds
   * `max(1, rate x burstTime)` tokens. A number or a profile, read whenever the bucket is
   * sized (as it earns tokens, and when the rate changes). Default 0.1.
   */
  burstTime?: Param;
  /**
   * Seconds to wait for the target on each forwarded request (> 0): a number or a profile,
   * read when each request is forwarded. Default: no timeout (and so no timeouts to react to).
   */
  timeout?: Param;
}

/**
 * What an adaptive rate limiter did. At all times, crashes and statistics resets included,
 * `requests = rejected + forwarded`, `admitted = forwarded`, and `forwarded = succeeded +
 * failed + timedOut + lostToCrash + inFlight`.
 */
export interface AdaptiveRateLimiterStats extends LedgerCounts {
  /** Requests received. */
  readonly requests: number;
  /** Requests that found a token, each forwarded at once. */
  readonly admitted: number;
  /** Refused by the limiter ("rate limited"). */
  readonly rejected: number;
  /** Requests per second admitted now. */
  readonly rate: number;
  /** Windows that raised the rate. */
  readonly increases: number;
  /** Decreases caused by a refusal of the target. */
  readonly decreasesOnFailure: number;
  /** Decreases caused by a timeout. */
  readonly decreasesOnTimeout: number;
  /** Tokens in the bucket now. */
  readonly tokens: number;
}

interface ValidatedOptions<Req, Res> {
  readonly target: Entity<Req, Res>;
  readonly initialRate: number;
  readonly minRate: Param;
  readonly maxRate: Param;
  readonly increase: Param;
  readonly failureFactor: number;
  readonly timeoutFactor: number;
  readonly window: Param;
  readonly burstTime: Param;
  readonly timeout: TimeoutParam | null;
}

function requireRate(component: string, parameter: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new ConfigError(component, parameter, "requests per second > 0", value);
  }
  return value;
}

/** A rate that may change with time: a number or a profile, > 0 (and finite unless allowed). */
function requireRateParam(
  component: string,
  parameter: string,
  value: unknown,
  allowInfinity = false,
): Param {
  return checkParam(
    component,
    parameter,
    value,
    `requests per second > 0${allowInfinity ? " (or Infinity)" : ""}`,
    (rate) => rate > 0 && (allowInfinity || Number.isFinite(rate)),
  );
}

/** The least and the greatest value a parameter takes, over all time. */
const lowest = (param: Param): number => (typeof param === "number" ? param : param.min);
const highest = (param: Param): number => (typeof param === "number" ? param : param.max);

function requireFactor(component: string, parameter: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0 && value <= 1)) {
    throw new ConfigError(component, parameter, "a factor in (0, 1]", value);
  }
  return value;
}

/** Checks every option before the entity exists, so a refused one leaves nothing registered. */
function validateOptions<Req, Res>(
  sim: Simulation,
  component: string,
  options: AdaptiveRateLimiterOptions<Req, Res>,
): ValidatedOptions<Req, Res> {
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
    Req,
    Res
  >;
  const minRate = requireRateParam(component, "minRate", options.minRate ?? 1);
  const maxRate = requireRateParam(
    component,
    "maxRate",
    options.maxRate ?? Number.POSITIVE_INFINITY,
    true,
  );
  // Profiles are checked over all time: the lowest maxRate against the highest minRate.
  if (lowest(maxRate) < highest(minRate)) {
    throw new ConfigError(
      component,
      "maxRate",
      `requests per second >= minRate (${highest(minRate)}) at all times`,
      typeof maxRate === "number" ? maxRate : `${maxRate.description} (lowest ${maxRate.min})`,
    );
  }
  const initialRate = requireRate(component, "initialRate", options.initialRate);
  const now = sim.now;
  const [lowestNow, highestNow] = [valueAt(minRate, now), valueAt(maxRate, now)];
  if (initialRate < lowestNow || initialRate > highestNow) {
    throw new ConfigError(
      component,
      "initialRate",
      `requests per second in [minRate, maxRate] = [${lowestNow}, ${highestNow}]`,
      initialRate,
    );
  }
  return {
    target,
    initialRate,
    minRate,
    maxRate,
    increase: requireRateParam(component, "increase", options.increase ?? 1),
    failureFactor: requireFactor(component, "failureFactor", options.failureFactor ?? 0.9),
    timeoutFactor: requireFactor(component, "timeoutFactor", options.timeoutFactor ?? 0.5),
    window: requireSecondsParam(component, "window", options.window ?? 1),
    burstTime: requireSecondsParam(component, "burstTime", options.burstTime ?? 0.1, true),
    timeout: TimeoutParam.optional(component, "timeout", options.timeout),
  };
}

export class AdaptiveRateLimiter<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "AdaptiveRateLimiter",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Admits requests by a token bucket whose rate moves by AIMD on the target's outcomes: +increase per window of successes in which the limit was binding, x failureFactor on a refusal, x timeoutFactor on a timeout (at most one decrease per window; outcomes of requests admitted before the last decrease ignored), within [minRate, maxRate]; what finds no token is refused at once.",
    requires: ["TokenBucket", "Clock", "RatePolicy", "Window", "FailureCounter"],
    expansion: ["TokenBucket", "Clock", "RatePolicy", "Window", "FailureCounter"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: [
      "replies",
      'immediate rejections ("rate limited")',
      "the rate, and the admitted and refused rates, over time",
      "requests, admitted, rejected, rate, meanRate, increases, decreasesOnFailure, decreasesOnTimeout, tokens, forwarded, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state:
      "the rate, the current window's outcomes and tokens (volatile: back to initialRate on recover)",
    failure_semantics:
      'Refuses with RemoteError ("rate limited") rather than pass a burst on. A crash abandons forwarded requests (counted in lostToCrash; callers time out); it comes back at initialRate with a full bucket and a new window.',
    composition_rules: ["Client", "Server", "LoadBalancer", "CircuitBreaker", "RateLimiter"],
    operational_knobs: knobs<AdaptiveRateLimiterOptions<unknown, unknown>>()(
      "target",
      "initialRate",
      "minRate",
      "maxRate",
      "increase",
      "failureFactor",
      "timeoutFactor",
      "window",
      "burstTime",
      "timeout",
    ),
  };

  readonly initialRate: number;
  /** Lowest rate, as given (a number or a profile). */
  readonly minRate: Param;
  /** Highest rate, as given (a number or a profile). */
  readonly maxRate: Param;
  /** Requests per second added per window of successes, as given (a number or a profile). */
  readonly increase: Param;
  readonly failureFactor: number;
  readonly timeoutFactor: number;
  private readonly window: Param;
  private readonly burstTime: Param;
  private readonly target: Entity<Req, Res>;
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  /** The mean rate of each evaluation window, recorded when it closes. */
  private readonly rateSeries: TimeSeries;
  /** Requests admitted and refused, by window: the admitted rate over time. */
  private readonly admissions: AdmissionSeries;
  private counts = {
    requests: 0,
    admitted: 0,
    rejected: 0,
    increases: 0,
    decreasesOnFailure: 0,
    decreasesOnTimeout: 0,
  };
  private currentRate: number;
  private tokenCount: number;
  /** Where the bucket and the rate's integrals have been brought up to. */
  private lastNs: number;
  /** Decreases (and recoveries) so far: a request remembers it at admission. */
  private epoch = 0;
  // The current evaluation window.
  private windowStartNs: number;
  private windowEndNs: number;
  private windowSuccesses = 0;
  private windowFailures = 0;
  private windowRefusals = 0;
  private windowDecreased = false;
  /** Integral of the rate over the current window, in requests/s x ns. */
  private windowArea = 0;
  /** Integral of the rate since creation or the last statistics reset, in requests/s x ns. */
  private rateArea = 0;
  private lowestRate: number;
  private highestRate: number;

  constructor(sim: Simulation, name: string, options: AdaptiveRateLimiterOptions<Req, Res>) {
    const valid = validateOptions(sim, `AdaptiveRateLimiter "${name}"`, options);
    super(sim, name);
    this.target = valid.target;
    this.initialRate = valid.initialRate;
    this.minRate = valid.minRate;
    this.maxRate = valid.maxRate;
    this.increase = valid.increase;
    this.failureFactor = valid.failureFactor;
    this.timeoutFactor = valid.timeoutFactor;
    this.window = valid.window;
    this.burstTime = valid.burstTime;
    this.forwarder = new Forwarder(this, { timeout: valid.timeout });
    this.currentRate = valid.initialRate;
    this.lowestRate = valid.initialRate;
    this.highestRate = valid.initialRate;
    this.tokenCount = this.capacity(this.nowNs);
    this.lastNs = this.nowNs;
    this.windowStartNs = this.nowNs;
    this.windowEndNs = this.windowEnd(this.nowNs);
    const seriesWindow = valueAt(valid.window, this.now);
    this.rateSeries = new TimeSeries({ window: seriesWindow, origin: this.now });
    this.admissions = new AdmissionSeries(seriesWindow, this.now);
  }

  /** Requests per second admitted now. */
  get rate(): number {
    this.advance();
    return this.currentRate;
  }

  get stats(): AdaptiveRateLimiterStats {
    this.advance();
    return {
      ...this.counts,
      rate: this.currentRate,
      tokens: this.tokenCount,
      ...this.ledger.counts(),
    };
  }

  /**
   * `stats`, and the rate's time average (`meanRate`) and extremes (`lowestRate`,
   * `highestRate`) since creation or the last statistics reset.
   */
  override metrics(): EntityMetrics {
    const stats = this.stats;
    const elapsedNs = this.nowNs - this.statsSinceNs;
    return {
      ...stats,
      meanRate: elapsedNs > 0 ? this.rateArea / elapsedNs : this.currentRate,
      lowestRate: this.lowestRate,
      highestRate: this.highestRate,
    };
  }

  /**
   * The rate per evaluation window (its time average over the window), and the requests
   * admitted and refused per second, window by window, up to now.
   */
  override recordedSeries(): readonly RecordedSeries[] {
    this.advance();
    return [
      {
        name: `${this.name} rate`,
        unit: "per second",
        points: this.rateSeries.series("mean", { skipEmpty: true }),
      },
      ...this.admissions.recorded(this.name, this.now),
    ];
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    this.advance();
    if (this.tokenCount < 1) {
      c.rejected++;
      this.admissions.refused(this.now);
      this.windowRefusals++;
      this.fail(request, "rate limited");
      return;
    }
    this.tokenCount -= 1;
    c.admitted++;
    this.admissions.admitted(this.now);
    this.ledger.open();
    const epoch = this.epoch;
    const outcome = yield* this.forwarder.forward(this.target, request);
    this.ledger.record(outcome);
    this.learn(outcome, epoch);
    this.forwarder.relay(request, outcome);
  }

  /** Moves the rate on one outcome of a request admitted in `epoch`. */
  private learn(outcome: ForwardOutcome<Res>, epoch: number): void {
    this.advance();
    if (epoch !== this.epoch) return;
    if (outcome.kind === "answer") {
      this.windowSuccesses++;
      return;
    }
    this.windowFailures++;
    if (this.windowDecreased) return;
    this.windowDecreased = true;
    this.epoch++;
    const timedOut = outcome.kind === "timedOut";
    if (timedOut) this.counts.decreasesOnTimeout++;
    else this.counts.decreasesOnFailure++;
    const factor = timedOut ? this.timeoutFactor : this.failureFactor;
    const floor = valueAt(this.minRate, this.now);
    this.setRate(Math.max(floor, this.currentRate * factor), outcome.kind);
  }

  /** Tokens the bucket holds at most, at the current rate and `burstTime` at `ns`. */
  private capacity(ns: number): number {
    return Math.max(1, this.currentRate * valueAt(this.burstTime, ns / 1e9));
  }

  private windowEnd(startNs: number): number {
    const seconds = valueAt(this.window, startNs / 1e9);
    return startNs + Math.max(1, Math.round(seconds * 1e9));
  }

  /** Brings the bucket, the integrals and the windows up to now, closing each window that ended. */
  private advance(): void {
    const nowNs = this.nowNs;
    while (this.windowEndNs <= nowNs) {
      const endNs = this.windowEndNs;
      this.accrue(endNs);
      this.rateSeries.record(
        this.windowStartNs / 1e9,
        this.windowArea / (endNs - this.windowStartNs),
      );
      const at = endNs / 1e9;
      const ceiling = valueAt(this.maxRate, at);
      if (
        !this.windowDecreased &&
        this.windowFailures === 0 &&
        this.windowSuccesses > 0 &&
        this.windowRefusals > 0 &&
        this.currentRate < ceiling
      ) {
        this.counts.increases++;
        this.setRate(
          Math.min(ceiling, this.currentRate + valueAt(this.increase, at)),
          "window of successes",
        );
      } else if (this.currentRate > ceiling) {
        // A lowered maxRate binds from the first window edge after it.
        this.setRate(ceiling, "maxRate");
      } else {
        const floor = valueAt(this.minRate, at);
        if (this.currentRate < floor) this.setRate(floor, "minRate");
      }
      this.openWindow(endNs);
    }
    this.accrue(nowNs);
  }

  private openWindow(startNs: number): void {
    this.windowStartNs = startNs;
    this.windowEndNs = this.windowEnd(startNs);
    this.windowSuccesses = 0;
    this.windowFailures = 0;
    this.windowRefusals = 0;
    this.windowDecreased = false;
    this.windowArea = 0;
  }

  /** Earns tokens and integrates the rate from `lastNs` to `ns` at the current rate. */
  private accrue(ns: number): void {
    const elapsedNs = ns - this.lastNs;
    if (elapsedNs <= 0) return;
    this.lastNs = ns;
    const rate = this.currentRate;
    this.tokenCount = Math.min(this.capacity(ns), this.tokenCount + (rate * elapsedNs) / 1e9);
    this.windowArea += rate * elapsedNs;
    this.rateArea += rate * elapsedNs;
  }

  /** Changes the rate from `lastNs` on (the bucket never holds more than the new rate saves). */
  private setRate(rate: number, reason: string): void {
    const from = this.currentRate;
    if (rate === from) return;
    this.currentRate = rate;
    this.tokenCount = Math.min(this.tokenCount, this.capacity(this.lastNs));
    if (rate < this.lowestRate) this.lowestRate = rate;
    if (rate > this.highestRate) this.highestRate = rate;
    this.traceStateChange("rate", String(from), String(rate), reason);
  }

  protected override onRecover(): void {
    // The rate is volatile, as a restarted process's in-memory limiter's would be: it starts
    // again from initialRate, full, in a new window; requests from before the crash are gone.
    this.accrue(this.nowNs);
    this.epoch++;
    const now = this.now;
    const bounded = Math.min(valueAt(this.maxRate, now), this.initialRate);
    this.setRate(Math.max(valueAt(this.minRate, now), bounded), "recovered");
    this.tokenCount = this.capacity(this.nowNs);
    this.openWindow(this.nowNs);
  }

  protected override onResetStats(): void {
    this.advance();
    const c = this.counts;
    c.requests = this.ledger.inFlight;
    c.admitted = this.ledger.inFlight;
    c.rejected = 0;
    c.increases = 0;
    c.decreasesOnFailure = 0;
    c.decreasesOnTimeout = 0;
    this.rateArea = 0;
    this.lowestRate = this.currentRate;
    this.highestRate = this.currentRate;
    this.rateSeries.reset(this.now);
    this.admissions.reset(this.now);
  }
}
