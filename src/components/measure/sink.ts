/**
 * `Sink`: the end of a pipeline. It takes every message it receives as one finished piece of
 * work and records its end-to-end latency: from the moment the work began (the message's
 * `originAt`, the send time of the first message of its causal chain, however many hops ago)
 * to its arrival here. It keeps a whole-run histogram and a windowed time series, so it answers
 * both "what is p99?" and "when did p99 go bad?".
 *
 * A request/response model measures at the caller instead (a `Client` keeps its own
 * latency); a sink is for flows that end somewhere: a queue's consumer, a stream's output, the
 * last stage of a job pipeline. When it is called rather than sent to, it also replies (with
 * the payload) so the caller is not left waiting.
 *
 * @example
 * const done = new Sink(sim, "done", { window: 1 });
 * new Source(sim, "jobs", { target: stage1, arrivals: arrivals.poisson(100) });
 * // ... stage1 forwards to stage2, which sends to `done`
 * done.stats.p99Latency; // seconds, from the job's creation at the source
 */
import { type CatalogEntry, knobs } from "../../catalog/entry.js";
import { Entity, type EntityMetrics, type RecordedSeries } from "../../core/entity.js";
import type { Message } from "../../core/message.js";
import type { Simulation } from "../../core/simulation.js";
import { ConfigError } from "../../errors/errors.js";
import { Histogram } from "../../metrics/histogram.js";
import { TimeSeries } from "../../metrics/timeSeries.js";

export interface SinkOptions<P> {
  /**
   * When the work of a message began, in seconds. Default: `message.originAt` (the start of
   * its causal chain). Give it when the creation time travels in the payload instead.
   */
  createdAt?: (message: Message<P>) => number;
  /** Width of the time-series windows, in seconds. Default 1. */
  window?: number;
  /** Relative accuracy of the percentiles. Default 0.01. */
  relativeAccuracy?: number;
}

export interface SinkStats {
  readonly received: number;
  /** Mean arrivals per second, from the first to the last arrival. */
  readonly throughput: number;
  readonly meanLatency: number;
  readonly minLatency: number;
  readonly maxLatency: number;
  readonly p50Latency: number;
  readonly p90Latency: number;
  readonly p99Latency: number;
  readonly p999Latency: number;
}

export class Sink<P = unknown> extends Entity<P, P> {
  static readonly catalog: CatalogEntry = {
    name: "Sink",
    kind: "component",
    role: "observability",
    layer: "local",
    contract:
      "Records the end-to-end latency of every message it receives, from the start of the message's causal chain (or a creation time the model names), as a whole-run histogram and a windowed time series.",
    requires: ["MetricSample", "Window"],
    provides: ["Observable", "Bounded"],
    inputs: ["finished work (any message)"],
    outputs: ["latency percentiles, throughput, per-window latency and rate"],
    state: "a histogram and a time series of latencies",
    failure_semantics:
      "Messages that arrive while it is crashed are dropped (and counted by the engine), so they are missing from its latencies; what it recorded survives a crash.",
    composition_rules: ["Source", "Server", "Network"],
    operational_knobs: knobs<SinkOptions<unknown>>()("createdAt", "window", "relativeAccuracy"),
  };

  /** Latency of everything received (seconds). */
  readonly latency: Histogram;
  /** Latency per window, for charts of percentiles and throughput over time. */
  readonly series: TimeSeries;
  private readonly createdAt: ((message: Message<P>) => number) | null;
  private firstArrival = Number.NaN;
  private lastArrival = Number.NaN;

  constructor(sim: Simulation, name: string, options: SinkOptions<P> = {}) {
    // Validated (and the histogram and series built) before registering: a refused sink
    // leaves its name free.
    const valid = validateSinkOptions(name, options);
    super(sim, name);
    this.createdAt = valid.createdAt;
    this.series = valid.series;
    this.latency = valid.latency;
  }

  override handle(message: Message<P>): void {
    const now = this.now;
    const began = this.createdAt === null ? message.originAt : this.createdAt(message);
    const latency = now - began;
    if (!(latency >= 0) || !Number.isFinite(latency)) {
      throw new ConfigError(
        `Sink "${this.name}"`,
        "createdAt",
        `a creation time in seconds, not after the arrival (${now}s)`,
        began,
      );
    }
    this.latency.record(latency);
    this.series.record(now, latency);
    if (Number.isNaN(this.firstArrival)) this.firstArrival = now;
    this.lastArrival = now;
    // A caller that used `call` waits for an answer; one that used `send` does not.
    if (message.source?.isAwaitingReply(message.id)) this.reply(message, message.payload);
  }

  get stats(): SinkStats {
    const h = this.latency;
    const span = this.lastArrival - this.firstArrival;
    return {
      received: h.count,
      throughput: h.count > 1 && span > 0 ? (h.count - 1) / span : 0,
      meanLatency: h.count > 0 ? h.mean : Number.NaN,
      minLatency: h.count > 0 ? h.min : Number.NaN,
      maxLatency: h.count > 0 ? h.max : Number.NaN,
      p50Latency: h.p50,
      p90Latency: h.p90,
      p99Latency: h.p99,
      p999Latency: h.p999,
    };
  }

  /** Forgets every latency recorded (a warm-up's end): the histogram and the series start empty. */
  protected override onResetStats(): void {
    this.latency.reset();
    this.series.reset(this.now);
    this.firstArrival = Number.NaN;
    this.lastArrival = Number.NaN;
  }

  /**
   * Latency percentiles and arrivals per second, by window. A window with no arrival has a
   * latency of NaN (no data), up to now, so a chart shows a silence as a gap, not a line.
   */
  override recordedSeries(): readonly RecordedSeries[] {
    const until = this.now;
    return [
      {
        name: `${this.name} p50`,
        unit: "s",
        points: this.series.series("p50", { until }),
      },
      {
        name: `${this.name} p99`,
        unit: "s",
        points: this.series.series("p99", { until }),
      },
      {
        name: `${this.name} throughput`,
        unit: "per second",
        points: this.series.series("rate", { until: this.now }),
      },
    ];
  }

  override metrics(): EntityMetrics {
    const s = this.stats;
    return {
      received: s.received,
      throughput: s.throughput,
      meanLatency: s.meanLatency,
      p50Latency: s.p50Latency,
      p99Latency: s.p99Latency,
      p999Latency: s.p999Latency,
      maxLatency: s.maxLatency,
    };
  }
}

function validateSinkOptions<P>(name: string, options: SinkOptions<P>) {
  const component = `Sink "${name}"`;
  const createdAt = options?.createdAt;
  if (createdAt !== undefined && typeof createdAt !== "function") {
    throw new ConfigError(component, "createdAt", "a function (message) => seconds", createdAt);
  }
  const window = options.window ?? 1;
  const relativeAccuracy = options.relativeAccuracy ?? 0.01;
  try {
    return {
      createdAt: createdAt ?? null,
      series: new TimeSeries({ window, relativeAccuracy }),
      latency: new Histogram({ relativeAccuracy }),
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(component, error.parameter, error.expected, error.given);
    }
    throw error;
  }
}
