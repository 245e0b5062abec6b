/**
 * The models that test/browser/browser.test.ts runs twice: in Node (in the test process, from
 * src/) and in headless Chromium (from the browser bundle of src/index.ts). Each takes the
 * library's module namespace `d` as its argument and imports nothing at run time (the import
 * below is erased), so the two runs execute the same code against the same API, and esbuild
 * can bundle this file on its own for the page.
 *
 * Each returns plain data: the trace hash, the event count, a few headline statistics, and
 * every entity's summary (counters and metrics), so any difference shows in a diff.
 */
import type * as Distsim from "../../src/index.js";

type D = typeof Distsim;

export interface ModelOutcome {
  traceHash: string;
  events: number;
  simulatedSeconds: number;
  stats: Record<string, number | string>;
  /** The run summary's entities through JSON (NaN becomes null on both sides alike). */
  entities: unknown;
}

function outcome(summary: Distsim.RunSummary, stats: Record<string, number | string>) {
  return {
    traceHash: summary.traceHash,
    events: summary.eventsProcessed,
    simulatedSeconds: summary.time,
    stats,
    entities: JSON.parse(JSON.stringify(summary.entities)) as unknown,
  } satisfies ModelOutcome;
}

/**
 * M/M/1 from the component library: Poisson arrivals (8/s) from a Source, a Client, and a
 * one-worker Server with exponential service (mean 100 ms), 4,000 requests.
 */
export function mm1(d: D): ModelOutcome {
  const sim = new d.Simulation({ seed: 20240611 });
  const server = new d.Server<number, number>(sim, "server", {
    concurrency: 1,
    serviceTime: d.dist.exponential(0.1),
  });
  const client = new d.Client<number, number>(sim, "client", { target: server });
  new d.Source(sim, "arrivals", {
    target: client,
    arrivals: d.arrivals.poisson(8),
    stopAfter: { count: 4000 },
  });
  const summary = sim.run();
  const c = client.stats;
  const s = server.stats;
  return outcome(summary, {
    requests: c.requests,
    succeeded: c.succeeded,
    meanLatency: c.meanLatency,
    p50Latency: c.p50Latency,
    p99Latency: c.p99Latency,
    maxLatency: c.maxLatency,
    completed: s.completed,
    utilization: s.utilization,
    meanQueued: s.meanQueued,
  });
}

/**
 * A faulty service: every message crosses a Network whose links have lognormal latency,
 * exponential jitter and 1% loss. A Client (timeout, exponential backoff with full jitter)
 * calls a Hedge (with a 10% budget), which calls a CircuitBreaker, in front of a LoadBalancer
 * choosing among four Servers by power of two choices. Server s2 crashes at t = 10 s and
 * recovers at t = 15 s. 300 requests/s for 30 s (about 9,000 requests).
 */
export function faultyService(d: D): ModelOutcome {
  const sim = new d.Simulation({ seed: 77 });
  const link = (name: string, lossProbability: number) =>
    new d.NetworkLink(sim, name, {
      latency: d.dist.lognormal({ median: 0.001, sigma: 0.4 }),
      jitter: d.dist.exponential(0.0002),
      lossProbability,
    });
  const net = new d.Network(sim, "net", { defaultLink: link("lan", 0.01) });
  const servers = [1, 2, 3, 4].map(
    (i) =>
      new d.Server<number, number>(sim, `s${i}`, {
        concurrency: 2,
        serviceTime: d.dist.lognormal({ median: 0.01, sigma: 0.5 }),
      }),
  );
  const lb = new d.LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
    strategy: d.strategy.powerOfTwoChoices(),
    timeout: 0.2,
  });
  const breaker = new d.CircuitBreaker<number, number>(sim, "breaker", {
    target: lb,
    failureThreshold: 3,
    openDuration: 1,
    timeout: 0.3,
  });
  const hedge = new d.Hedge<number, number>(sim, "hedge", {
    target: breaker,
    hedgeAfter: 0.05,
    budget: { ratio: 0.1 },
  });
  const client = new d.Client<number, number>(sim, "client", {
    target: hedge,
    timeout: 0.5,
    retryPolicy: d.retry.exponentialBackoff({ maxAttempts: 3, initial: 0.05, jitter: "full" }),
  });
  // A slower, lossier path between the balancer and one server.
  net.addLink(lb, servers[3]!, link("lb->s4", 0.05));
  new d.Source(sim, "users", {
    target: client,
    arrivals: d.arrivals.poisson(300),
    stopAfter: { time: 30 },
  });
  const s2 = servers[1]!;
  sim.at(10, () => s2.crash());
  sim.at(15, () => s2.recover());
  const summary = sim.run();
  const c = client.stats;
  const b = breaker.stats;
  return outcome(summary, {
    requests: c.requests,
    forwarded: c.forwarded,
    succeeded: c.succeeded,
    gaveUp: c.gaveUp,
    timedOut: c.timedOut,
    p99Latency: c.p99Latency,
    hedgesSent: hedge.stats.hedgesSent,
    breakerForwarded: b.forwarded,
    breakerRejected: b.rejected,
    breakerTransitions: b.transitions.length,
    forwardedToS2: lb.stats.backends[1]!.forwarded,
    lostToCrash: s2.stats.lostToCrash,
  });
}

/**
 * Every other transcendental path: Poisson arrivals whose rate follows a sine profile (sin and
 * cos in the profile's rate and integral), a Client retrying with backoff multiplier 1.5
 * (`pow` with a non-integer base), and a round-robin LoadBalancer over Servers whose service
 * times are Weibull (`pow` of a `log`), gamma with shape < 1 (`pow` and `log`), Pareto (`pow`)
 * and normal (the inverse normal's `log`). About 12,000 requests over 60 s.
 */
export function shapedLoad(d: D): ModelOutcome {
  const sim = new d.Simulation({ seed: 424242 });
  const serviceTimes = [
    d.dist.weibull({ shape: 1.5, scale: 0.012 }),
    d.dist.gamma({ shape: 0.7, scale: 0.015 }),
    d.dist.pareto({ scale: 0.005, shape: 2.5 }),
    d.dist.normal({ mean: 0.01, sd: 0.003, min: 0 }),
  ];
  const servers = serviceTimes.map(
    (serviceTime, i) =>
      new d.Server<number, number>(sim, `s${i + 1}`, { concurrency: 2, serviceTime }),
  );
  const lb = new d.LoadBalancer<number, number>(sim, "lb", {
    backends: servers,
    strategy: d.strategy.roundRobin(),
  });
  const client = new d.Client<number, number>(sim, "client", {
    target: lb,
    timeout: 0.05,
    retryPolicy: d.retry.exponentialBackoff({
      maxAttempts: 4,
      initial: 0.01,
      multiplier: 1.5,
      jitter: "equal",
    }),
  });
  new d.Source(sim, "users", {
    target: client,
    arrivals: d.arrivals.poisson(d.profile.sine({ mean: 200, amplitude: 150, period: 7 })),
    stopAfter: { time: 60 },
  });
  const summary = sim.run();
  const c = client.stats;
  return outcome(summary, {
    requests: c.requests,
    forwarded: c.forwarded,
    succeeded: c.succeeded,
    timedOut: c.timedOut,
    meanLatency: c.meanLatency,
    p50Latency: c.p50Latency,
    p99Latency: c.p99Latency,
  });
}

/**
 * The pure algorithms, with no simulation: phi of a detector fed jittery heartbeats at points
 * from its body to hundreds of standard deviations out (log, exp and the normal tail), a Bloom
 * filter's expected rate (exp, pow) and bits, and a Merkle tree's root and diff cost. With no
 * events, `events` counts the operations, and every phi's bits go into one digest.
 */
export function pureAlgorithms(d: D): ModelOutcome {
  const stream = new d.RandomStream(7, "browser", "heartbeats");
  const gap = d.dist.normal({ mean: 1, sd: 0.3, min: 0.05 });
  const detector = new d.PhiAccrualDetector({ windowSize: 50, minStdDeviationSeconds: 0.05 });
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  let digest = 0x811c9dc5;
  let operations = 0;
  let at = 0;
  const stats: Record<string, number | string> = {};
  for (let i = 0; i < 2000; i++) {
    detector.heartbeat(at);
    for (let k = 0; k < 5; k++) {
      const phi = detector.phi(at + ((i * 5 + k) % 47) * 0.13);
      bits[0] = phi;
      digest = Math.imul(digest ^ words[0]!, 0x01000193) >>> 0;
      digest = Math.imul(digest ^ words[1]!, 0x01000193) >>> 0;
      if ((i * 5 + k) % 97 === 0) stats[`phi${i * 5 + k}`] = phi;
      operations++;
    }
    operations++;
    at += gap.sample(stream);
  }
  stats.phiDigest = digest;
  const filter = new d.BloomFilter({ expectedItems: 3000, falsePositiveRate: 0.013, seed: 5 });
  const entries: [string, string][] = [];
  for (let i = 0; i < 2000; i++) {
    filter.add(`key${i}`);
    entries.push([`key${i}`, `value${i % 17}`]);
    operations++;
  }
  stats.bloomBitsSet = filter.bitsSet;
  stats.bloomExpectedRate = filter.expectedFalsePositiveRate();
  const tree = new d.MerkleTree(entries, { depth: 9 });
  entries[1234] = ["key1234", "changed"];
  const diff = d.MerkleTree.diff(tree, new d.MerkleTree(entries, { depth: 9 }));
  stats.merkleRoot = tree.rootHash;
  stats.merkleCompared = diff.hashesCompared;
  return { traceHash: "", events: operations, simulatedSeconds: 0, stats, entities: null };
}

export const models = { mm1, faultyService, shapedLoad, pureAlgorithms } as const;
export type ModelName = keyof typeof models;
