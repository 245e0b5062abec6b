/**
 * `RateLimiter`: admits requests to a target at a sustained `rate` with bursts of up to `burst`,
 * by a token bucket. The bucket holds at most `burst` tokens and starts full; tokens come back
 * at `rate` per second; a request takes `cost` tokens (1, or a function of the request). What
 * finds too few tokens is refused at once ("rate limited"), or, with `maxQueued`, waits in FIFO
 * order for its tokens (at most `maxWait` seconds). It exists to protect a shared dependency
 * from one caller's burst: the others' latency is decided by their own load, not by whoever
 * sends the most.
 *
 * With `policy: "fixedWindow"` or `"slidingWindowCounter"` it admits at most `burst` per window
 * of `burst / rate` seconds instead (the same long-run rate and largest burst), counted in
 * windows of simulated time, and refuses the rest at once: the proxy, its counts and its ledger
 * are the same, only the admission decision differs. `policy` may also be a rate policy value
 * (ratePolicy.ts: `tokenBucket`, `leakyBucket` as a meter or as a queue that drains at a fixed
 * rate, `fixedWindow`, `slidingWindowCounter`, `slidingWindowLog`), which carries its own rate;
 * each limiter makes its own state from it.
 *
 * Tokens are counted in millionths, and the tokens earned since the bucket was last full are
 * computed as one amount (the rate times the time, or a profile's exact integral), so admission
 * times are exact: no float drift, however many arrivals.
 *
 * @example
 * const limited = new RateLimiter(sim, "per-client", { target: backend, rate: 100, burst: 10 });
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError, SimulationError, TimeoutError } from "../../errors/errors.js";
import type { TimeSeries } from "../../metrics/timeSeries.js";
import { checkParam, type Param, valueAt } from "../../random/profile.js";
import { type DropSink, fifo, type QueueDiscipline } from "../resource/index.js";
import { Forwarder } from "../shared/forwarder.js";
import { type LedgerCounts, RequestLedger } from "../shared/requestLedger.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import {
  optionalFunction,
  requireEntity,
  requireInteger,
  requireSeconds,
  requireSecondsParam,
} from "../shared/validate.js";
import { AdmissionSeries } from "./admissionSeries.js";
import { TokenBucket } from "./bucketPolicies.js";
import { policyInternals, type RatePolicy } from "./ratePolicy.js";
import {
  type AdmissionPolicy,
  FixedWindow,
  MAX_TOKENS,
  SlidingWindowCounter,
  toUnits,
  UNIT,
} from "./windowPolicies.js";

/**
 * How a `RateLimiter` decides, named: a token bucket (it can queue), a fixed window or a
 * sliding window counter (`burst` per window of `burst / rate` seconds; they refuse at once).
 * The `policy` option also takes a `RatePolicy` value, which names every policy.
 */
export type RateLimitPolicy = "tokenBucket" | "fixedWindow" | "slidingWindowCounter";

const POLICIES: readonly RateLimitPolicy[] = ["tokenBucket", "fixedWindow", "slidingWindowCounter"];

export interface RateLimiterOptions<Req, Res> {
  /** What the limiter protects. */
  target: Entity<Req, Res>;
  /**
   * How requests are admitted: a name, with `rate` and `burst`, or a `RatePolicy` value
   * (`tokenBucket(...)`, `leakyBucket(...)`, `fixedWindow(...)`, `slidingWindowCounter(...)`,
   * `slidingWindowLog(...)`), which carries its own rate: `rate` and `burst` are then unset.
   * Default "tokenBucket".
   */
  policy?: RateLimitPolicy | RatePolicy;
  /**
   * Tokens added per second (> 0): a number, or a profile of simulated time. A profile is
   * integrated exactly: the tokens earned over an interval are its integral over it. A window
   * policy takes a number only: its windows are `burst / rate` seconds long, a fixed grid from
   * time 0. Required with a named policy; unset with a `RatePolicy` value.
   */
  rate?: Param;
  /**
   * Most tokens the bucket holds (integer >= 1): the largest burst admitted at once. For a
   * window policy, the most admitted (in `cost` units) per window. Required with a named
   * policy; unset with a `RatePolicy` value.
   */
  burst?: number;
  /**
   * Tokens one request takes (> 0, at most `burst`): a number, or a function of the request's
   * payload, called once when it arrives. Default 1. A request costing more than `burst` can
   * never be admitted and is refused at once. At least 1 with a sliding window log (one entry
   * per request); unset with a leaky bucket queue (one request per 1/rate seconds).
   */
  cost?: number | ((request: Req) => number);
  /**
   * Requests that may wait for tokens (integer >= 0). Default 0: refuse at once. Only a
   * bucket (token bucket, leaky bucket meter) queues; a window policy refuses a value > 0, and a
   * leaky bucket queue takes its line's length from its `capacity` (leave this unset).
   */
  maxQueued?: number;
  /**
   * Seconds a request may wait for its tokens before it is refused (> 0): a number or a
   * profile, read when it starts waiting. Default: no limit. Needs a line to wait in: `maxQueued` > 0,
   * or a leaky bucket queue (whose `capacity` is the line).
   */
  maxWait?: Param;
  /**
   * Seconds to wait for the target on each forwarded request (> 0): a number or a profile,
   * read when each request is forwarded. Default: no timeout.
   */
  timeout?: Param;
  /**
   * Width in seconds (> 0) of the windows of the admitted and refused series
   * (`admittedSeries`, `rejectedSeries`). Default 1.
   */
  window?: number;
}

/**
 * What a rate limiter did with its requests: its own counts and the request ledger's. At all
 * times, crashes and statistics resets included, `requests = rejected + queued + lostWaiting +
 * forwarded`, `admitted = forwarded`, and `forwarded = succeeded + failed + timedOut +
 * lostToCrash + inFlight`.
 */
export interface RateLimiterStats extends LedgerCounts {
  /** Requests received. */
  readonly requests: number;
  /**
   * Requests that got their tokens (at once or after waiting), each forwarded from that
   * moment: a waiter handed its tokens is sent on when its process resumes, in the same instant.
   */
  readonly admitted: number;
  /**
   * Refused by the limiter: at once ("rate limited": too few tokens and no room to wait, or a
   * cost above `burst`), or after `maxWait` seconds without tokens ("rate limit wait timed out").
   */
  readonly rejected: number;
  /** Requests waiting for tokens now. */
  readonly queued: number;
  /** Requests waiting for tokens when the limiter crashed: never forwarded, never answered. */
  readonly lostWaiting: number;
  /** Tokens in the bucket now. */
  readonly tokens: number;
}

/** A request waiting for its tokens. */
class Waiter {
  deadlineToken = -1;
  waiting = true;
  constructor(
    readonly future: SimFuture<void>,
    readonly costUnits: number,
    readonly maxWait: number,
  ) {}
}

/** The line is FIFO, which never drops a waiting item. */
const NO_DROPS: DropSink<Waiter> = {
  dropped() {
    throw new Error("a FIFO line dropped a waiter");
  },
};

interface ValidatedOptions<Req, Res> {
  readonly target: Entity<Req, Res>;
  readonly rate: Param;
  readonly burst: number;
  /** Makes the state that decides (a bucket or a window policy), starting at a time. */
  readonly admission: (startNs: number) => AdmissionPolicy;
  readonly costUnits: number;
  readonly costOf: ((request: Req) => number) | null;
  readonly minCost: number;
  readonly maxQueued: number;
  readonly maxWait: Param | undefined;
  readonly timeout: TimeoutParam | null;
  /** Seconds per window of the admitted and refused series. */
  readonly window: number;
}

/** Checks every option before the entity exists, so a refused one leaves nothing registered. */
function validateRateLimiterOptions<Req, Res>(
  sim: Simulation,
  component: string,
  options: RateLimiterOptions<Req, Res>,
): ValidatedOptions<Req, Res> {
  const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
    Req,
    Res
  >;
  const policy = options.policy ?? "tokenBucket";
  const policyValue = policyInternals(policy);
  const named =
    policyValue === undefined
      ? checkNamedPolicy(component, options as RateLimiterOptions<unknown, unknown>)
      : null;
  let rate: Param;
  let burst: number;
  let admission: (startNs: number) => AdmissionPolicy;
  /** The least cost of one request, in tokens (the sliding window log's entries cost 1). */
  let minCost = 0;
  /** For a leaky bucket queue, the line's length; the cost is fixed at 1. */
  let leakyQueueCapacity = -1;
  if (named !== null) {
    ({ rate, burst, admission } = named);
  } else {
    const value = policy as RatePolicy;
    for (const option of ["rate", "burst"] as const) {
      if (options[option] !== undefined) {
        throw new ConfigError(
          component,
          option,
          `unset with a rate policy value (${value.description} carries its own)`,
          options[option],
        );
      }
    }
    rate = value.rate;
    burst = value.burst;
    admission = policyValue!.admission;
    minCost = policyValue!.minCost;
    if (value.mode === "queue") {
      leakyQueueCapacity = value.capacity;
      for (const option of ["cost", "maxQueued"] as const) {
        if (options[option] !== undefined) {
          throw new ConfigError(
            component,
            option,
            `unset with a leaky bucket queue (${option === "cost" ? "it releases one request per 1/rate seconds" : `its capacity, ${value.capacity}, is the line's length`})`,
            options[option],
          );
        }
      }
    } else if (value.kind !== "tokenBucket" && value.kind !== "leakyBucket") {
      refuseQueueWithWindow(component, value.kind, options.maxQueued);
    }
  }
  const cost = options.cost;
  let costUnits = UNIT;
  let costOf: ((request: Req) => number) | null = null;
  if (typeof cost === "number") {
    if (!(cost > 0 && cost >= minCost && cost <= burst)) {
      throw new ConfigError(
        component,
        "cost",
        `tokens per request in ${minCost > 0 ? `[${minCost}` : "(0"}, burst = ${burst}]`,
        cost,
      );
    }
    costUnits = toUnits(cost);
  } else {
    costOf = optionalFunction(
      component,
      "cost",
      cost,
      "tokens per request (a number > 0, or a function of the request's payload)",
    );
  }
  const maxQueued =
    leakyQueueCapacity >= 0
      ? leakyQueueCapacity
      : requireInteger(component, "maxQueued", options.maxQueued ?? 0, 0);
  const maxWait =
    options.maxWait === undefined
      ? undefined
      : requireSecondsParam(component, "maxWait", options.maxWait);
  if (maxWait !== undefined && maxQueued === 0) {
    throw new ConfigError(component, "maxWait", "unset when maxQueued is 0", maxWait);
  }
  const timeout = TimeoutParam.optional(component, "timeout", options.timeout);
  const window = requireSeconds(component, "window", options.window ?? 1);
  return {
    window,
    target,
    rate,
    burst,
    admission,
    costUnits,
    costOf,
    minCost,
    maxQueued,
    maxWait,
    timeout,
  };
}

/** A window policy never queues: it refuses at once, as a per-window quota does. */
function refuseQueueWithWindow(component: string, policy: string, maxQueued: unknown): void {
  if ((maxQueued ?? 0) !== 0) {
    throw new ConfigError(
      component,
      "maxQueued",
      `0 with policy "${policy}" (a window policy refuses at once; a bucket policy can queue)`,
      maxQueued,
    );
  }
}

/** A named policy's rate, burst and state, from the `rate` and `burst` options. */
function checkNamedPolicy(
  component: string,
  options: RateLimiterOptions<unknown, unknown>,
): { rate: Param; burst: number; admission: (startNs: number) => AdmissionPolicy } {
  const policy = options.policy ?? "tokenBucket";
  if (!POLICIES.includes(policy as RateLimitPolicy)) {
    throw new ConfigError(
      component,
      "policy",
      `one of ${POLICIES.join(", ")}, or a rate policy value (tokenBucket({ rate, burst }), leakyBucket(...), slidingWindowLog(...), ...)`,
      policy,
    );
  }
  const rate = checkParam(
    component,
    "rate",
    options.rate,
    "tokens per second > 0",
    (value) => value > 0 && Number.isFinite(value),
  );
  const burst = requireInteger(component, "burst", options.burst, 1, MAX_TOKENS);
  if (policy === "tokenBucket") {
    return {
      rate,
      burst,
      admission: (startNs) => new TokenBucket(rate, burst * UNIT, startNs),
    };
  }
  if (typeof rate !== "number") {
    throw new ConfigError(
      component,
      "rate",
      `a number with policy "${policy}" (its windows are burst / rate seconds long)`,
      rate,
    );
  }
  // Rounded to the nanosecond so that, say, 100 per 100/60 per second is exactly 60 s.
  const windowNs = Math.round((burst / rate) * 1e9);
  if (!(windowNs >= 1 && Number.isSafeInteger(windowNs))) {
    throw new ConfigError(
      component,
      "rate",
      `with burst = ${burst}, windows (burst / rate) of 1 ns to ${Number.MAX_SAFE_INTEGER} ns`,
      rate,
    );
  }
  refuseQueueWithWindow(component, policy as string, options.maxQueued);
  const limitUnits = burst * UNIT;
  return {
    rate,
    burst,
    admission: () =>
      policy === "fixedWindow"
        ? new FixedWindow(limitUnits, windowNs)
        : new SlidingWindowCounter(limitUnits, windowNs),
  };
}

export class RateLimiter<Req = unknown, Res = unknown> extends Entity<Req, Res> {
  static readonly catalog: CatalogEntry = {
    name: "RateLimiter",
    kind: "component",
    role: "flow",
    layer: "local",
    contract:
      "Admits requests by a token bucket (burst tokens, refilled at rate per second, cost tokens per request) and forwards them; what finds too few tokens is refused at once, or waits in FIFO order (at most maxQueued, for at most maxWait seconds). With policy fixedWindow or slidingWindowCounter it admits at most burst per window of burst / rate seconds instead and refuses the rest at once. The policy may also be a rate policy value (tokenBucket, leakyBucket as a meter or as a queue releasing one request per 1/rate seconds to at most capacity waiting, fixedWindow, slidingWindowCounter, slidingWindowLog: exactly limit per any window-long span), which carries its own rate and burst.",
    requires: ["TokenBucket", "Clock", "RatePolicy", "Cost"],
    expansion: ["TokenBucket", "Clock", "RatePolicy", "Cost"],
    provides: ["Bounded"],
    inputs: ["requests", "the target's replies, rejections and silence"],
    outputs: [
      "replies",
      'immediate rejections ("rate limited")',
      "requests, admitted, rejected, queued, lostWaiting, tokens, forwarded, succeeded, failed, timedOut, inFlight, lostToCrash",
    ],
    state: "tokens and waiting requests (volatile: the bucket refills full on recover)",
    failure_semantics:
      'Refuses with RemoteError ("rate limited", or "rate limit wait timed out" after maxWait) rather than pass a burst on. A crash abandons forwarded and waiting requests (counted in lostToCrash and lostWaiting; callers time out); the bucket comes back full.',
    composition_rules: ["Client", "Server", "LoadBalancer", "Bulkhead", "CircuitBreaker"],
    operational_knobs: knobs<RateLimiterOptions<unknown, unknown>>()(
      "target",
      "policy",
      "rate",
      "burst",
      "cost",
      "maxQueued",
      "maxWait",
      "timeout",
      "window",
    ),
  };

  /** Tokens added per second, as given (a number or a profile). */
  readonly rate: Param;
  /** Most tokens the bucket holds; for a window policy, the most admitted per window. */
  readonly burst: number;
  readonly maxQueued: number;
  private readonly target: Entity<Req, Res>;
  private readonly burstUnits: number;
  private readonly costUnits: number;
  private readonly costOf: ((request: Req) => number) | null;
  /** The least cost a `cost` function may return, in tokens (1 for a sliding window log). */
  private readonly minCost: number;
  private readonly maxWait: Param | undefined;
  /** What decides: the token bucket (exact, in millionths), or a window policy. */
  private readonly admission: AdmissionPolicy;
  /** Opened when a request gets its tokens, settled with its outcome. */
  private readonly ledger = new RequestLedger(this);
  private readonly forwarder: Forwarder<Req, Res>;
  /** Requests waiting for tokens, oldest first (the resource family's FIFO discipline). */
  private readonly line: QueueDiscipline<Waiter> = fifo<Waiter>();
  /** The timer that wakes the line when its head's tokens are due, and the head it is for. */
  private wakeToken = -1;
  private wakeFor: Waiter | null = null;
  private counts = { requests: 0, admitted: 0, rejected: 0, lostWaiting: 0 };
  private readonly admissions: AdmissionSeries;
  /** Requests admitted, by window of admission: its rate is the admitted rate over time. */
  readonly admittedSeries: TimeSeries;
  /** Requests refused, by window of refusal. */
  readonly rejectedSeries: TimeSeries;
  /**
   * Waiters whose `maxWait` ran out this instant: out of the line and counted as rejected, but
   * their refusal is sent only when their process resumes (later in this instant).
   */
  private refusing = 0;

  constructor(sim: Simulation, name: string, options: RateLimiterOptions<Req, Res>) {
    const valid = validateRateLimiterOptions(sim, `RateLimiter "${name}"`, options);
    super(sim, name);
    this.target = valid.target;
    this.rate = valid.rate;
    this.burst = valid.burst;
    this.burstUnits = valid.burst * UNIT;
    this.costUnits = valid.costUnits;
    this.costOf = valid.costOf;
    this.minCost = valid.minCost;
    this.maxQueued = valid.maxQueued;
    this.maxWait = valid.maxWait;
    this.admission = valid.admission(this.nowNs);
    this.forwarder = new Forwarder(this, { timeout: valid.timeout });
    this.admissions = new AdmissionSeries(valid.window, this.now);
    this.admittedSeries = this.admissions.admittedSeries;
    this.rejectedSeries = this.admissions.refusedSeries;
  }

  /** Tokens in the bucket now; with a window policy, what would still fit now. */
  get tokens(): number {
    return this.admission.remaining(this.nowNs) / UNIT;
  }

  get stats(): RateLimiterStats {
    return {
      ...this.counts,
      queued: this.line.length,
      tokens: this.tokens,
      ...this.ledger.counts(),
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Admitted and refused requests per second, window by window, to the end of the run: what a
   * limit lets through over time (a burst passed whole, a window edge admitting twice).
   */
  override recordedSeries(): readonly RecordedSeries[] {
    return this.admissions.recorded(this.name, this.now);
  }

  override *handle(request: Message<Req>) {
    const c = this.counts;
    c.requests++;
    const cost = this.costOf === null ? this.costUnits : this.costFor(request.payload);
    if (cost > this.burstUnits) {
      this.refuse();
      this.fail(request, "rate limited");
      return;
    }
    if (this.takeTokensAtOnce(cost)) {
      this.admit();
    } else {
      if (this.line.length >= this.maxQueued) {
        this.refuse();
        this.fail(request, "rate limited");
        return;
      }
      const maxWait = this.maxWait === undefined ? -1 : valueAt(this.maxWait, this.now);
      const waiter = new Waiter(this.future<void>("rate limiter tokens"), cost, maxWait);
      this.line.enqueue(waiter, this.nowNs, undefined);
      if (maxWait >= 0) waiter.deadlineToken = this.after(maxWait, this.expire, waiter);
      this.scheduleWake();
      try {
        yield waiter.future;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        this.refusing--;
        this.fail(request, "rate limit wait timed out");
        return;
      }
      // Handed its tokens by `serveLine`: `admitted` and the ledger already count it.
    }
    const outcome = yield* this.forwarder.forward(this.target, request);
    this.ledger.record(outcome);
    this.forwarder.relay(request, outcome);
  }

  /** Takes `cost` from the bucket if nobody waits and it is there. */
  private takeTokensAtOnce(cost: number): boolean {
    // Those already waiting take the tokens earned so far first: an arrival never overtakes them.
    this.serveLine();
    return this.line.length === 0 && this.admission.tryTake(this.nowNs, cost);
  }

  private admit(): void {
    this.counts.admitted++;
    this.admissions.admitted(this.now);
    this.ledger.open();
  }

  private refuse(): void {
    this.counts.rejected++;
    this.admissions.refused(this.now);
  }

  private costFor(payload: Req): number {
    const tokens = this.costOf!(payload);
    if (
      typeof tokens !== "number" ||
      !(tokens > 0 && tokens >= this.minCost) ||
      !Number.isFinite(tokens)
    ) {
      throw new SimulationError(
        `RateLimiter "${this.name}": cost(request) must return a finite number of tokens ${this.minCost > 0 ? `>= ${this.minCost} (one entry of the sliding window log per request)` : "> 0"}; it returned ${String(tokens)}`,
        this.name,
        this.nowNs,
      );
    }
    return toUnits(tokens);
  }

  /** Hands tokens to waiting requests in line order while the head's cost is there. */
  private serveLine(): void {
    const line = this.line;
    const nowNs = this.nowNs;
    while (line.length > 0) {
      const head = line.peek(nowNs, NO_DROPS)!;
      if (!this.admission.tryTake(nowNs, head.costUnits)) break;
      line.dequeue(nowNs, NO_DROPS);
      head.waiting = false;
      if (head.deadlineToken >= 0) this.cancelTimer(head.deadlineToken);
      this.admit();
      head.future.resolve();
    }
    this.scheduleWake();
  }

  /** Keeps one timer, for the time the head of the line will have its tokens. */
  private scheduleWake(): void {
    const head = this.line.peek(this.nowNs, NO_DROPS) ?? null;
    if (head === this.wakeFor) return;
    if (this.wakeToken >= 0) this.cancelTimer(this.wakeToken);
    this.wakeToken = -1;
    this.wakeFor = head;
    if (head === null) return;
    // Only a bucket queues, and it can always say (Infinity: a profile that never earns enough).
    const atNs = this.admission.readyAtNs(this.nowNs, head.costUnits);
    if (atNs !== Number.POSITIVE_INFINITY) {
      this.wakeToken = this.after((atNs - this.nowNs) / 1e9, this.wake);
    }
  }

  private readonly wake = (): void => {
    this.wakeToken = -1;
    this.wakeFor = null;
    this.serveLine();
  };

  /**
   * `maxWait` ran out. Tokens come with time, not with events: if the waiter's tokens are there
   * at this instant it is admitted, whichever event of the instant runs first. Otherwise it
   * leaves the line here, in the deadline's own event.
   */
  private readonly expire = (waiter: Waiter): void => {
    waiter.deadlineToken = -1;
    this.serveLine();
    if (!waiter.waiting) return;
    waiter.waiting = false;
    this.line.remove(waiter, this.nowNs);
    this.refuse();
    this.refusing++;
    waiter.future.reject(new TimeoutError(waiter.maxWait));
    // A head that leaves may have been all that held back a cheaper request behind it.
    this.serveLine();
  };

  protected override onCrash(): void {
    // The crash cancelled the processes waiting for tokens and forwarding; the ledger counts
    // the forwarded ones lost, the waiters are counted here. A refusal not sent yet was never
    // received: that request is lost too. The crash also cancelled the wake and deadline timers.
    const c = this.counts;
    c.rejected -= this.refusing;
    c.lostWaiting += this.line.length + this.refusing;
    this.refusing = 0;
    this.line.clear(this.nowNs);
    this.wakeToken = -1;
    this.wakeFor = null;
  }

  protected override onRecover(): void {
    // The bucket is volatile: it comes back full, as a restarted process's limiter would; a
    // window policy forgets its counts.
    this.admission.reset(this.nowNs);
  }

  protected override onResetStats(): void {
    const c = this.counts;
    c.requests = this.line.length + this.refusing + this.ledger.inFlight;
    c.admitted = this.ledger.inFlight;
    c.rejected = this.refusing;
    c.lostWaiting = 0;
    this.admissions.reset(this.now);
  }
}
