/**
 * `Client`: calls a target with a timeout per attempt and retries by a policy, and keeps score
 * (attempts, timeouts, rejections, retries, failures, in-flight, latency). Retries are where
 * client behaviour decides whether a brief overload recovers or turns into a retry storm, so
 * they are a component, not a loop each model writes again.
 *
 * Use it from a process (`const response = yield* client.issue(payload)`: the response, or
 * the last error once the attempts run out) or as a message target (each message received is
 * issued as a request, fire-and-forget, which is how a `Source` drives it).
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import { ConfigError, RemoteError, TimeoutError } from "../../core/errors.js";
import type { Message } from "../../core/message.js";
import type { Yieldable } from "../../core/process.js";
import type { Simulation } from "../../core/simulation.js";
import { requireEntity, requireSeconds } from "../../core/validate.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeSeries } from "../../metrics/timeSeries.js";
import { noRetry, type RetryPolicy } from "./retryPolicies.js";

export interface ClientOptions<Req, Res> {
  /** Who answers. */
  target: Entity<Req, Res>;
  /** Seconds to wait for each attempt before it counts as timed out. Default: no timeout. */
  timeout?: number;
  /** How many attempts and how long between them. Default `retry.noRetry()`. */
  retryPolicy?: RetryPolicy;
  /** Kind of each request message. Default "request". */
  kind?: string;
  /** Width in seconds of the windows of `latencySeries` and `failureSeries`. Default 1. */
  window?: number;
}

export interface ClientStats {
  /** Requests issued (each may take several attempts). */
  readonly requests: number;
  /** Attempts sent to the target (requests + retries): the load the client really puts on it. */
  readonly attempts: number;
  readonly succeeded: number;
  /** Requests that failed after their last attempt. */
  readonly failed: number;
  readonly timeouts: number;
  /** Attempts the target refused (RemoteError). */
  readonly rejections: number;
  readonly retries: number;
  /** Requests issued and not yet finished. */
  readonly inFlight: number;
  /** Mean seconds from issue to success, over successful requests (retries included). */
  readonly meanLatency: number;
  /** Largest such latency. */
  readonly maxLatency: number;
  /** Median latency of successful requests (seconds, within 1%; NaN before the first). */
  readonly p50Latency: number;
  /** 99th percentile latency of successful requests (seconds, within 1%). */
  readonly p99Latency: number;
}

export class Client<Req = unknown, Res = unknown> extends Entity<Req> {
  static readonly catalog: CatalogEntry = {
    name: "Client",
    kind: "component",
    role: "recovery",
    layer: "local",
    contract:
      "Issues requests to its target with a timeout per attempt and retries by its policy; returns the first success or throws the last error, and counts everything.",
    requires: ["RetryLoop", "Timeout", "RequestId"],
    provides: ["AtLeastOnce"],
    inputs: ["payloads to request (issue() or messages)", "responses, rejections, silence"],
    outputs: [
      "requests to the target",
      "requests, attempts, timeouts, rejections, retries, failures, latency",
    ],
    state: "requests in flight; counters",
    failure_semantics:
      "Retries a timed-out or rejected attempt after the policy's delay; a request whose attempt timed out may still have been executed (at-least-once). A crash abandons in-flight requests.",
    composition_rules: ["Server", "LoadBalancer", "CircuitBreaker", "Network"],
    operational_knobs: knobs<ClientOptions<unknown, unknown>>()(
      "target",
      "timeout",
      "retryPolicy",
      "kind",
      "window",
    ),
  };

  private readonly target: Entity<Req, Res>;
  /** Built once: every attempt uses the same options. */
  private readonly callOptions: { timeout: number } | undefined;
  private readonly retryPolicy: RetryPolicy;
  private readonly kind: string;
  private readonly backoff = this.random("backoff");
  private counts = {
    requests: 0,
    attempts: 0,
    succeeded: 0,
    failed: 0,
    timeouts: 0,
    rejections: 0,
    retries: 0,
    inFlight: 0,
  };
  private latencySum = 0;
  private latencyMax = 0;
  /** Latency from issue to success of every successful request, in seconds. */
  readonly latency = new Histogram();
  /** The same latencies by window of completion: its rate is the goodput per second. */
  readonly latencySeries: TimeSeries;
  /** Requests that failed (after their last attempt), by window: its rate is failures per second. */
  readonly failureSeries: TimeSeries;

  constructor(sim: Simulation, name: string, options: ClientOptions<Req, Res>) {
    super(sim, name);
    const component = `Client "${name}"`;
    const target = requireEntity(component, "target", options?.target, sim, Entity) as Entity<
      Req,
      Res
    >;
    const timeout =
      options.timeout === undefined
        ? undefined
        : requireSeconds(component, "timeout", options.timeout);
    const retryPolicy = options.retryPolicy ?? noRetry();
    if (retryPolicy?.kind !== "retry") {
      throw new ConfigError(
        component,
        "retryPolicy",
        "a RetryPolicy (retry.exponentialBackoff(...), ...)",
        retryPolicy,
      );
    }
    const kind = options.kind ?? "request";
    if (typeof kind !== "string") throw new ConfigError(component, "kind", "a string", kind);
    this.target = target;
    this.callOptions = timeout === undefined ? undefined : { timeout };
    this.retryPolicy = retryPolicy;
    this.kind = kind;
    const window = requireSeconds(component, "window", options.window ?? 1);
    this.latencySeries = new TimeSeries({ window });
    this.failureSeries = new TimeSeries({ window });
  }

  get stats(): ClientStats {
    const c = this.counts;
    return {
      ...c,
      meanLatency: c.succeeded > 0 ? this.latencySum / c.succeeded : 0,
      maxLatency: this.latencyMax,
      p50Latency: this.latency.p50,
      p99Latency: this.latency.p99,
    };
  }

  override metrics(): EntityMetrics {
    return { ...this.stats };
  }

  override recordedSeries(): readonly RecordedSeries[] {
    const latency = this.latencySeries;
    return [
      {
        name: `${this.name} p50 latency`,
        unit: "s",
        points: latency.series("p50", { skipEmpty: true }),
      },
      {
        name: `${this.name} p99 latency`,
        unit: "s",
        points: latency.series("p99", { skipEmpty: true }),
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
   * `const response = yield* client.issue(payload)`: calls the target, retrying timed-out and
   * rejected attempts by the policy. Throws the last `TimeoutError` or `RemoteError` when the
   * attempts run out.
   */
  *issue(payload: Req): Generator<Yieldable, Res, unknown> {
    const c = this.counts;
    const started = this.now;
    c.requests++;
    c.inFlight++;
    let previousDelay = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        c.attempts++;
        try {
          // `request` + yield is `call` without its generator (one allocation less per attempt).
          const reply = this.request(this.target, this.kind, payload, this.callOptions);
          reply._privateToWaiter = true;
          const response = (yield reply) as Res;
          c.succeeded++;
          const latency = this.now - started;
          this.latencySum += latency;
          if (latency > this.latencyMax) this.latencyMax = latency;
          this.latency.record(latency);
          this.latencySeries.record(this.now, latency);
          return response;
        } catch (error) {
          if (error instanceof TimeoutError) c.timeouts++;
          else if (error instanceof RemoteError) c.rejections++;
          else throw error;
          if (attempt >= this.retryPolicy.maxAttempts) {
            c.failed++;
            this.failureSeries.record(this.now, 0);
            throw error;
          }
          c.retries++;
          previousDelay = this.retryPolicy.delay(attempt, previousDelay, this.backoff);
          if (previousDelay > 0) yield previousDelay;
        }
      }
    } finally {
      c.inFlight--;
    }
  }

  /** A message to the client is issued as a request, fire-and-forget; outcomes go to `stats`. */
  override *handle(message: Message<Req>) {
    try {
      yield* this.issue(message.payload);
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof RemoteError)) throw error;
    }
  }
}
