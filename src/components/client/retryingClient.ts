/**
 * `RetryingClient`: what `Client` and `PooledClient` share, so the retry loop exists once. A
 * request is a series of attempts; each attempt is the subclass's (a call to the target, or a
 * connection, a call over it and a release); a timed-out or refused attempt is retried after
 * the policy's delay, drawn from the `backoff` stream; the client keeps score (see
 * `ClientStats`: requests and how they ended, attempts and how they ended, latency of
 * successes and of every finished request).
 *
 * Not exported from the package: it is not a component, only the common part of two.
 */
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import { SimFuture } from "../../core/future.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeSeries } from "../../metrics/timeSeries.js";
import type { Param } from "../../random/profile.js";
import { type BudgetOptions, TokenBudget } from "../resilience/tokenBudget.js";
import { failureKind } from "../shared/forwarder.js";
import { queueRanAway } from "../shared/runaway.js";
import { TimeoutParam } from "../shared/timeoutParam.js";
import { requireSeconds } from "../shared/validate.js";
import { noRetry, type RetryPolicy } from "./retryPolicies.js";

/** Options every retrying client takes. */
export interface RetryingClientOptions {
  /**
   * Seconds to wait for each attempt's answer before it counts as timed out (> 0): a number or
   * a profile (`profile.step(1, [{ at: 10, value: 0.1 }])`), read when each attempt is sent.
   * Default: no timeout.
   */
  timeout?: Param;
  /** How many attempts and how long between them. Default `retry.noRetry()`. */
  retryPolicy?: RetryPolicy;
  /** Kind of each request message. Default "request". */
  kind?: string;
  /** Width in seconds of the windows of `latencySeries` and `failureSeries`. Default 1. */
  window?: number;
  /**
   * Caps retries to a share of requests (`{ ratio: 0.1 }`: about 10% extra attempts, at most
   * `burst`, default 10, saved up): each request earns `ratio` of a retry, each retry spends
   * one, and a retry due with the budget empty is not made: the request fails with its last
   * error. The retry policy still decides how many and when; the budget decides whether the
   * target can afford it. Default: no budget.
   */
  retryBudget?: BudgetOptions;
}

/**
 * What a retrying client did. Two ledgers hold at every instant, crashes and
 * `sim.resetStats()` included:
 * - requests: `requests = succeeded + gaveUp + lostToCrash + abandoned + inFlight`;
 * - attempts: `forwarded = requests + retries` (while no request is abandoned in a backoff);
 *   every attempt forwarded ends as a success (one per `succeeded` request), `failed`,
 *   `timedOut` (or, for a `PooledClient`, `connectionTimedOut`), or is abandoned with its
 *   request, or is in flight.
 */
export interface ClientStats {
  /** Requests issued (each may take several attempts). */
  readonly requests: number;
  /** Requests answered with a usable reply (by their first attempt or a retry). */
  readonly succeeded: number;
  /**
   * Requests that failed: their last attempt timed out or was refused, or the retry budget
   * denied the retry they needed.
   */
  readonly gaveUp: number;
  /** Requests abandoned because the client crashed while they were in flight. */
  readonly lostToCrash: number;
  /** Requests abandoned by their caller (its process was cancelled or interrupted). */
  readonly abandoned: number;
  /** Requests issued and not yet finished. */
  readonly inFlight: number;
  /**
   * Share of finished requests that failed, `gaveUp / (succeeded + gaveUp)`: with it a
   * collapse cannot read as a healthy p99 of the few successes. NaN before any finished.
   */
  readonly failureRate: number;
  /** Attempts made (requests + retries): the load the client puts on its target. */
  readonly forwarded: number;
  /** Attempts the target refused (a `RemoteError`: a full queue, an open circuit). */
  readonly failed: number;
  /** Attempts whose answer did not come within `timeout`. */
  readonly timedOut: number;
  /** Attempts made again after a failed one (counted when the retry starts). */
  readonly retries: number;
  /** Retries the policy wanted but the retry budget refused (the request failed instead). */
  readonly retriesDenied: number;
  /** Mean seconds from issue to success, over successful requests (NaN before the first). */
  readonly meanLatency: number;
  /** Largest such latency (NaN before the first success). */
  readonly maxLatency: number;
  /** Median latency of successful requests (seconds, within 1%; NaN before the first). */
  readonly p50Latency: number;
  /** 99th percentile latency of successful requests (seconds, within 1%). */
  readonly p99Latency: number;
  /**
   * Mean seconds from issue to the end of every finished request: successes, and failures at
   * the time they were given up (NaN before any finished).
   */
  readonly meanFinishedLatency: number;
  /** Median of that latency over every finished request (seconds, within 1%). */
  readonly p50FinishedLatency: number;
  /** 99th percentile of that latency over every finished request (seconds, within 1%). */
  readonly p99FinishedLatency: number;
}

/** A retrying client's options, checked and defaulted. */
export interface RetryingConfig {
  /** The client in errors: `Client "api-client"`. */
  readonly component: string;
  readonly timeout: TimeoutParam | null;
  readonly retryPolicy: RetryPolicy;
  readonly kind: string;
  readonly retryBudget: TokenBudget | null;
  readonly window: number;
}

/**
 * Checks the options every retrying client takes; a subclass calls it before `super`, so a
 * refused client leaves no entity behind. `component` names the client in errors:
 * `Client "api-client"`.
 */
export function checkRetryingOptions(
  component: string,
  options: RetryingClientOptions | undefined,
): RetryingConfig {
  const timeout = TimeoutParam.optional(component, "timeout", options?.timeout);
  const retryPolicy = options?.retryPolicy ?? noRetry();
  if (retryPolicy?.kind !== "retry") {
    throw new ConfigError(
      component,
      "retryPolicy",
      "a RetryPolicy (retry.exponentialBackoff(...), ...)",
      retryPolicy,
    );
  }
  const kind = options?.kind ?? "request";
  if (typeof kind !== "string") throw new ConfigError(component, "kind", "a string", kind);
  const retryBudget = TokenBudget.from(component, "retryBudget", options?.retryBudget);
  const window = requireSeconds(component, "window", options?.window ?? 1);
  return { component, timeout, retryPolicy, kind, retryBudget, window };
}

export abstract class RetryingClient<Req, Res> extends Entity<Req> {
  /** The timeout of each attempt, read when it is sent; null for none. */
  protected readonly timeout: TimeoutParam | null;
  protected readonly retryPolicy: RetryPolicy;
  protected readonly kind: string;
  private readonly retryBudget: TokenBudget | null;
  private readonly component: string;
  private readonly backoff = this.random("backoff");
  protected counts = {
    requests: 0,
    succeeded: 0,
    gaveUp: 0,
    lostToCrash: 0,
    abandoned: 0,
    inFlight: 0,
    forwarded: 0,
    failed: 0,
    timedOut: 0,
    retries: 0,
    retriesDenied: 0,
  };
  /** Attempts forwarded and not settled: counted again as forwarded by a statistics reset. */
  private attemptsInFlight = 0;
  /** Latency from issue to success of every successful request, in seconds. */
  readonly latency = new Histogram();
  /** Latency from issue to giving up, of every request that failed after its last attempt. */
  readonly gaveUpLatency = new Histogram();
  /** The latencies of successes by window of completion: its rate is the goodput per second. */
  readonly latencySeries: TimeSeries;
  /** Requests that failed (after their last attempt), by window: its rate is failures per second. */
  readonly failureSeries: TimeSeries;

  /** `config` comes from `checkRetryingOptions`, called before `super` (nothing left to refuse). */
  constructor(sim: Simulation, name: string, config: RetryingConfig) {
    super(sim, name);
    this.timeout = config.timeout;
    this.retryPolicy = config.retryPolicy;
    this.kind = config.kind;
    this.retryBudget = config.retryBudget;
    this.component = config.component;
    this.latencySeries = new TimeSeries({ window: config.window });
    this.failureSeries = new TimeSeries({ window: config.window });
  }

  /**
   * Options for an attempt sent now: one object built at construction for a plain timeout (no
   * allocation per attempt), a fresh one from the profile's current value otherwise.
   */
  protected callOptions(): { readonly timeout: number } | undefined {
    return this.timeout === null ? undefined : this.timeout.callOptionsAt(this.now);
  }

  /**
   * One attempt: a future of the answer (the cheap case, a single call), or a process that
   * returns it. It throws `TimeoutError` or `RemoteError` for a failure worth retrying.
   */
  protected abstract attempt(payload: Req): SimFuture<Res> | Generator<Yieldable, Res, unknown>;

  /**
   * Counts a failed attempt. Returns false for an error that is not a modelled failure (a bug,
   * a cancellation), which is then rethrown instead of retried.
   */
  protected countFailure(error: unknown): boolean {
    const kind = failureKind(error);
    if (kind === "timedOut") this.counts.timedOut++;
    else if (kind === "refused") this.counts.failed++;
    else return false;
    return true;
  }

  /** An attempt is sent to the target now (a subclass whose attempt is a process says so). */
  protected attemptForwarded(): void {
    this.counts.forwarded++;
    this.attemptsInFlight++;
  }

  /** The attempt forwarded earlier settled, or was abandoned. */
  protected attemptSettled(): void {
    this.attemptsInFlight--;
  }

  /**
   * Latency from issue to the end of every finished request, in seconds: successes, and
   * failures at the time they were given up (after their last attempt). Built when read, from
   * `latency` and `gaveUpLatency` (merging is exact), so a success is recorded once.
   */
  get finishedLatency(): Histogram {
    const all = new Histogram();
    all.merge(this.latency);
    all.merge(this.gaveUpLatency);
    return all;
  }

  get stats(): ClientStats {
    const c = this.counts;
    const latency = this.latency;
    const finished = this.finishedLatency;
    const ended = c.succeeded + c.gaveUp;
    return {
      ...c,
      failureRate: ended > 0 ? c.gaveUp / ended : Number.NaN,
      meanLatency: latency.mean,
      maxLatency: latency.max,
      p50Latency: latency.p50,
      p99Latency: latency.p99,
      meanFinishedLatency: finished.mean,
      p50FinishedLatency: finished.p50,
      p99FinishedLatency: finished.p99,
    };
  }

  /**
   * Statistics restart now: counts, histograms and series start empty; requests and attempts
   * still in flight are counted again as issued and forwarded, so both ledgers keep holding.
   */
  protected override onResetStats(): void {
    const c = this.counts;
    c.requests = c.inFlight;
    c.succeeded = 0;
    c.gaveUp = 0;
    c.lostToCrash = 0;
    c.abandoned = 0;
    c.forwarded = this.attemptsInFlight;
    c.failed = 0;
    c.timedOut = 0;
    c.retries = 0;
    c.retriesDenied = 0;
    this.latency.reset();
    this.gaveUpLatency.reset();
    const now = this.now;
    this.latencySeries.reset(now);
    this.failureSeries.reset(now);
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  /**
   * Latency percentiles of successes per window, goodput and failures per second. A window in
   * which no request succeeded has a latency of NaN (no data), up to the end of the run, so a
   * chart shows an outage as a gap rather than a line drawn across it.
   */
  override recordedSeries(): readonly RecordedSeries[] {
    const latency = this.latencySeries;
    const until = this.now;
    return [
      {
        name: `${this.name} p50 latency`,
        unit: "s",
        points: latency.series("p50", { until }),
      },
      {
        name: `${this.name} p99 latency`,
        unit: "s",
        points: latency.series("p99", { until }),
      },
      {
        name: `${this.name} goodput`,
        unit: "per second",
        points: this.latencySeries.series("rate", { until: this.now }),
      },
      {
        name: `${this.name} failures`,
        unit: "per second",
        points: this.failureSeries.series("rate", { until: this.now }),
      },
    ];
  }

  /**
   * `const response = yield* client.issue(payload)`: makes attempts until one succeeds,
   * retrying timed-out and refused ones by the policy. Throws the last `TimeoutError` or
   * `RemoteError` when the attempts run out.
   */
  *issue(payload: Req): Generator<Yieldable, Res, unknown> {
    const c = this.counts;
    // Requests in flight are a queue too, unbounded without a timeout: calls to a crashed
    // server, or waiting in a server's growing queue, are held (a process, a future, a pending
    // call each) until the run ends. Behind a server that queues them, this usually trips a
    // request before the server's own guard would, so the hint names both.
    if (c.inFlight >= this.sim.limits.maxQueueLength) {
      queueRanAway(
        this as Entity<never, unknown>,
        this.component,
        c.inFlight,
        `${this.timeout === null ? "a timeout ends a request nobody answers" : "a shorter timeout or fewer attempts ends requests sooner"}; a queueCapacity on the server it calls refuses the excess at once`,
        "requests in flight",
      );
    }
    const started = this.now;
    c.requests++;
    c.inFlight++;
    this.retryBudget?.earn();
    let previousDelay = 0;
    let finished = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const pending = this.attempt(payload);
          let response: Res;
          if (pending instanceof SimFuture) {
            // A single call, yielded directly (no generator per attempt on the common path):
            // forwarded now, settled at the yield.
            this.attemptForwarded();
            try {
              response = (yield pending) as Res;
            } finally {
              this.attemptsInFlight--;
            }
          } else {
            response = yield* pending;
          }
          c.succeeded++;
          finished = true;
          const latency = this.now - started;
          this.latency.record(latency);
          this.latencySeries.record(this.now, latency);
          return response;
        } catch (error) {
          if (!this.countFailure(error)) throw error;
          const outOfAttempts = attempt >= this.retryPolicy.maxAttempts;
          if (outOfAttempts || (this.retryBudget !== null && !this.retryBudget.trySpend())) {
            if (!outOfAttempts) c.retriesDenied++;
            c.gaveUp++;
            finished = true;
            this.gaveUpLatency.record(this.now - started);
            this.failureSeries.record(this.now, 0);
            throw error;
          }
          previousDelay = this.retryPolicy.delay(attempt, previousDelay, this.backoff);
          if (previousDelay > 0) yield previousDelay;
          c.retries++;
        }
      }
    } finally {
      c.inFlight--;
      // Neither succeeded nor given up: the client crashed, or the caller stopped waiting.
      if (!finished) {
        if (this.isUp) c.abandoned++;
        else c.lostToCrash++;
      }
    }
  }

  /** A message to the client is issued as a request, fire-and-forget; outcomes go to `stats`. */
  override *handle(message: Message<Req>) {
    try {
      yield* this.issue(message.payload);
    } catch (error) {
      if (failureKind(error) === null) throw error;
    }
  }
}
