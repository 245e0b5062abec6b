/**
 * Goal: statistics after a warm-up are those of the measured window only. A model run with
 * `run({ until: 600, warmup: 60 })` must report, for every component it resets (clients,
 * sources, closed-loop users, sinks, probes, links, networks, health checkers), what the same
 * model run to 60 s and to 600 s reports for the difference (snapshot-and-subtract), with work
 * in flight at 60 s counted again; its windowed series must equal the later windows of the
 * unreset run; its time averages must cover (60, 600] only.
 * Method: two identical seeded models with crashes, loss, retries and timeouts; one warmed up,
 * one snapshotted at 60 s. Counts compared exactly, time averages to 1e-9.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  Client,
  ClosedLoopClients,
  ConnectionPool,
  dist,
  HealthChecker,
  LoadBalancer,
  Network,
  NetworkLink,
  PooledClient,
  Probe,
  retry,
  Server,
  Simulation,
  Sink,
  Source,
} from "../../src/index.js";
import type { Histogram } from "../../src/metrics/histogram.js";
import type { TimeSeries } from "../../src/metrics/timeSeries.js";

const WARMUP_S = 60;
const UNTIL_S = 600;

function build() {
  const sim = new Simulation({ seed: 2024 });
  const backends = [0, 1].map(
    (i) =>
      new Server<number, number>(sim, `api-${i}`, {
        concurrency: 2,
        serviceTime: dist.exponential(0.02),
      }),
  );
  const lb = new LoadBalancer<number, number>(sim, "lb", { backends, timeout: 0.5 });
  const checker = new HealthChecker(sim, "health", {
    loadBalancer: lb,
    interval: 1,
    timeout: 0.2,
    unhealthyThreshold: 2,
  });
  const client = new Client<number, number>(sim, "client", {
    target: lb,
    timeout: 0.1,
    retryPolicy: retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
  });
  const source = new Source(sim, "load", { target: client, arrivals: arrivals.poisson(60) });
  const db = new Server<number, number>(sim, "db", {
    concurrency: 1,
    serviceTime: dist.exponential(0.01),
  });
  const pool = new ConnectionPool<number, number>(sim, "pool", {
    target: db,
    maxConnections: 2,
    connectLatency: dist.constant(0.005),
    acquireTimeout: 0.05,
  });
  const pooled = new PooledClient<number, number>(sim, "pooled", {
    pool,
    timeout: 0.1,
    retryPolicy: retry.fixed({ maxAttempts: 2, delay: 0.01 }),
  });
  new Source(sim, "pooled-load", { target: pooled, arrivals: arrivals.poisson(120) });
  const users = new ClosedLoopClients<number, number>(sim, "users", {
    target: db,
    users: 5,
    thinkTime: dist.exponential(0.2),
    timeout: 0.05,
  });
  const sink = new Sink<number>(sim, "sink");
  const feeder = new Source(sim, "feeder", {
    target: sink,
    arrivals: arrivals.poisson(30),
    sizeBytes: 1500,
  });
  const link = new NetworkLink(sim, "wan", {
    latency: dist.exponential(0.002),
    bandwidthBps: 1e6,
    lossProbability: 0.01,
  });
  const network = new Network(sim, "net", { defaultLink: link });
  const depth = new Probe(sim, "depth", { read: () => backends[0]!.queued, interval: 0.5 });
  // A crash that straddles the warm-up's end, and a partition after it.
  sim.at(55, () => backends[1]!.crash());
  sim.at(70, () => backends[1]!.recover());
  sim.at(300, () => network.partition([feeder], [sink]));
  sim.at(310, () => network.heal());
  return { sim, client, source, pooled, users, sink, link, network, depth, checker };
}

type Model = ReturnType<typeof build>;

/** Every statistic compared, read at one instant. */
function snapshot(m: Model) {
  return {
    client: { ...m.client.stats },
    pooled: { ...m.pooled.stats },
    generated: m.source.generated,
    users: {
      forwarded: m.users.forwarded,
      succeeded: m.users.succeeded,
      timedOut: m.users.timedOut,
      failed: m.users.failed,
      totalLatency: m.users.totalLatency,
      outstanding: m.users.pendingCallCount,
    },
    sink: m.sink.stats,
    link: m.link.stats,
    droppedByPartition: m.network.messagesDroppedByPartition,
    checker: { ...m.checker.stats, transitions: [...m.checker.stats.transitions] },
    time: m.sim.now,
  };
}

/** The histogram of each window (a window's percentiles come from it). */
function windowHistograms(series: TimeSeries): (Histogram | null)[] {
  return series.windows().map((w) => (w as unknown as { histogram: Histogram | null }).histogram);
}

/** The windows of `series` that start at or after `from`, as comparable rows. */
function rows(series: TimeSeries, from: number) {
  const histograms = windowHistograms(series);
  return series
    .windows()
    .map((w, i) => ({ w, h: histograms[i]! }))
    .filter(({ w }) => w.start >= from)
    .map(({ w, h }) => [w.start, w.count, w.sum, w.min, w.max, h?.p50, h?.p99]);
}

/** The later windows of `series` merged into one histogram. */
function mergedFrom(series: TimeSeries, from: number, into: Histogram): Histogram {
  const histograms = windowHistograms(series);
  series.windows().forEach((w, i) => {
    const h = histograms[i];
    if (w.start >= from && h !== null && h !== undefined) into.merge(h);
  });
  return into;
}

describe("a warm-up: statistics of the measured window only", () => {
  const warm = build();
  const warmSummary = warm.sim.run({ until: UNTIL_S, warmup: WARMUP_S });
  const cold = build();
  cold.sim.run({ until: WARMUP_S });
  const at60 = snapshot(cold);
  const coldSummary = cold.sim.run({ until: UNTIL_S });
  const at600 = snapshot(cold);
  const w = snapshot(warm);
  const span = UNTIL_S - WARMUP_S;

  it("changes nothing in the run itself", () => {
    expect(warmSummary.traceHash).toBe(coldSummary.traceHash);
    expect(warmSummary.totalEvents).toBe(coldSummary.totalEvents);
    // The model is busy enough to mean something.
    expect(at60.client.requests).toBeGreaterThan(3000);
    expect(at600.client.gaveUp - at60.client.gaveUp).toBeGreaterThan(0);
    expect(at600.link.messagesDropped - at60.link.messagesDropped).toBeGreaterThan(0);
    expect(at600.droppedByPartition).toBeGreaterThan(0);
  });

  it("clients: counts are the later window's, in-flight work counted again", () => {
    for (const key of ["client", "pooled"] as const) {
      const [a, b, got] = [at60[key], at600[key], w[key]];
      expect(got.requests, key).toBe(b.requests - a.requests + a.inFlight);
      for (const count of [
        "succeeded",
        "gaveUp",
        "lostToCrash",
        "abandoned",
        "failed",
        "timedOut",
        "retries",
        "retriesDenied",
      ] as const) {
        expect(got[count], `${key}.${count}`).toBe(b[count] - a[count]);
      }
      expect(got.inFlight, key).toBe(b.inFlight);
      expect(got.requests).toBe(
        got.succeeded + got.gaveUp + got.lostToCrash + got.abandoned + got.inFlight,
      );
      expect(got.failureRate).toBe(got.gaveUp / (got.succeeded + got.gaveUp));
    }
    expect(w.pooled.connectionTimedOut).toBe(
      at600.pooled.connectionTimedOut - at60.pooled.connectionTimedOut,
    );
  });

  it("clients: percentiles and series are those of the later window", () => {
    for (const key of ["client", "pooled"] as const) {
      const warmClient = warm[key];
      const coldClient = cold[key];
      expect(rows(warmClient.latencySeries, 0)).toEqual(rows(coldClient.latencySeries, WARMUP_S));
      expect(rows(warmClient.failureSeries, 0)).toEqual(rows(coldClient.failureSeries, WARMUP_S));
      const alone = mergedFrom(
        coldClient.latencySeries,
        WARMUP_S,
        new (coldClient.latency.constructor as new () => Histogram)(),
      );
      expect(alone.count).toBeLessThan(coldClient.latency.count);
      for (const q of [0.5, 0.9, 0.99, 0.999]) {
        expect(warmClient.latency.percentile(q), `${key} p${q}`).toBe(alone.percentile(q));
      }
      expect(warmClient.latency.count).toBe(alone.count);
      expect(warmClient.latency.max).toBe(alone.max);
      expect(warmClient.finishedLatency.count).toBe(w[key].succeeded + w[key].gaveUp);
      expect(warmClient.latencySeries.origin).toBe(WARMUP_S);
    }
  });

  it("sources, closed-loop users, sinks and health checks count the later window", () => {
    expect(w.generated).toBe(at600.generated - at60.generated);
    expect(w.users).toEqual({
      forwarded: at600.users.forwarded - at60.users.forwarded + at60.users.outstanding,
      succeeded: at600.users.succeeded - at60.users.succeeded,
      timedOut: at600.users.timedOut - at60.users.timedOut,
      failed: at600.users.failed - at60.users.failed,
      totalLatency: expect.closeTo(at600.users.totalLatency - at60.users.totalLatency, 9),
      outstanding: at600.users.outstanding,
    });
    expect(warm.users.throughput).toBeCloseTo(w.users.succeeded / span, 12);
    expect(w.sink.received).toBe(at600.sink.received - at60.sink.received);
    expect(rows(warm.sink.series, 0)).toEqual(rows(cold.sink.series, WARMUP_S));
    const alone = mergedFrom(
      cold.sink.series,
      WARMUP_S,
      new (cold.sink.latency.constructor as new () => Histogram)(),
    );
    expect(w.sink.p99Latency).toBe(alone.p99);
    expect(w.sink.p50Latency).toBe(alone.p50);
    expect(w.sink.maxLatency).toBe(alone.max);
    const c = w.checker;
    for (const key of [
      "passed",
      "failed",
      "timedOut",
      "markedUnhealthy",
      "markedHealthy",
    ] as const) {
      expect(c[key], key).toBe(at600.checker[key] - at60.checker[key]);
    }
    expect(c.transitions).toEqual(at600.checker.transitions.slice(at60.checker.transitions.length));
    expect(c.transitions.every((t) => t.time > WARMUP_S)).toBe(true);
    expect(c.transitions.length).toBeGreaterThan(0);
  });

  it("links and networks: counts and utilization cover (60, 600] only", () => {
    for (const key of ["messagesSent", "messagesDropped", "bytesSent"] as const) {
      expect(w.link[key], key).toBe(at600.link[key] - at60.link[key]);
    }
    const busyLater = at600.link.utilization * UNTIL_S - at60.link.utilization * WARMUP_S;
    expect(w.link.utilization).toBeCloseTo(busyLater / span, 9);
    expect(w.droppedByPartition).toBe(at600.droppedByPartition - at60.droppedByPartition);
  });

  it("a probe keeps the samples from the warm-up's end on", () => {
    expect(warm.depth.points).toEqual(cold.depth.points.filter(([t]) => t >= WARMUP_S));
    expect(warm.depth.points[0]![0]).toBe(WARMUP_S);
  });
});

describe("a reset on its own", () => {
  it("a time series after a reset starts empty; a probe stopped at maxPoints samples again", () => {
    const sim = new Simulation({ seed: 1 });
    const sink = new Sink<number>(sim, "sink");
    new Source(sim, "feeder", { target: sink, arrivals: arrivals.constant(10) });
    const probe = new Probe(sim, "p", { read: () => 1, interval: 1, maxPoints: 3 });
    sim.run({ until: 5 });
    expect(probe.truncated).toBe(true);
    sim.resetStats();
    expect(sink.series.windows()).toEqual([]);
    expect(sink.recordedSeries().every((s) => s.points.length === 0)).toBe(true);
    expect(sink.stats.received).toBe(0);
    expect(sink.stats.p99Latency).toBeNaN();
    expect(probe.points).toEqual([]);
    expect(probe.truncated).toBe(false);
    sim.run({ until: 9 });
    expect(probe.points.map(([t]) => t)).toEqual([5, 6, 7]);
    expect(probe.truncated).toBe(true);
  });
});
