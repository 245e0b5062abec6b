/**
 * Goal: every exported component carries a catalog entry, and its operational_knobs are
 * exactly its constructor options.
 * Method: list the package's exported Entity subclasses; construct each with an options
 * object wrapped in a Proxy that records which options the constructor reads, and compare
 * with the knobs (the compiler checks the same against the options type; see entry.test.ts).
 */
import { describe, expect, it } from "vitest";
import { exportedComponentNames } from "../../src/cli/program.js";
import { COMPONENT_ENTRIES } from "../../src/components/index.js";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";
import * as distsim from "../../src/index.js";

/** Valid options for each component, to construct it once. */
function sampleOptions(sim: Simulation): Record<string, Record<string, unknown>> {
  const target = new Entity(sim, "target");
  return {
    Source: { target, arrivals: distsim.arrivals.constant(1), stopAfter: { count: 1 } },
    ClosedLoopClients: {
      target,
      users: 1,
      thinkTime: distsim.dist.constant(1),
      stopAfter: { count: 1 },
    },
    NetworkLink: { ...distsim.conditions.internet() },
    Server: {
      concurrency: 2,
      serviceTime: distsim.dist.exponential(0.1),
      queuePolicy: "lifo",
      queueCapacity: 5,
      respond: () => 1,
    },
    AsyncServer: {
      maxConnections: 100,
      cpuTime: distsim.dist.constant(0.001),
      ioTime: distsim.dist.exponential(0.05),
      downstream: target,
      timeout: 1,
      ioCalls: 2,
      respond: () => 1,
    },
    ThreadPool: {
      workers: 2,
      taskTime: () => 0.1,
      queuePolicy: "lifo",
      queueCapacity: 5,
      result: () => 1,
    },
    Client: {
      target,
      timeout: 1,
      retryPolicy: distsim.retry.fixed({ maxAttempts: 2, delay: 0.1 }),
      kind: "get",
      window: 2,
    },
    ConnectionPool: {
      target,
      minConnections: 1,
      maxConnections: 4,
      connectLatency: distsim.dist.constant(0.03),
      acquireTimeout: 1,
      idleTimeout: 30,
    },
    PooledClient: {
      pool: new distsim.ConnectionPool(sim, "pool", { target }),
      timeout: 1,
      retryPolicy: distsim.retry.fixed({ maxAttempts: 2, delay: 0.1 }),
      kind: "get",
      window: 2,
    },
    CircuitBreaker: {
      target,
      failureThreshold: 3,
      openDuration: 1,
      halfOpenSuccesses: 2,
      timeout: 0.5,
    },
    Bulkhead: { target, maxConcurrent: 2, maxWaiting: 3, maxWait: 0.5, timeout: 1 },
    TimeoutWrapper: { target, timeout: 0.25 },
    Fallback: { primary: target, fallback: target, timeout: 0.2, fallbackTimeout: 0.5 },
    Hedge: { target, hedgeAfter: 0.05, maxHedges: 2, alternates: [target], timeout: 1 },
    LoadBalancer: {
      backends: [target, { backend: new Entity(sim, "weighted"), weight: 2 }],
      strategy: distsim.strategy.leastConnections(),
      timeout: 1,
      responseTimeSmoothing: 0.5,
    },
    HealthChecker: {
      loadBalancer: new distsim.LoadBalancer(sim, "balancer", { backends: [target] }),
      interval: 2,
      timeout: 0.5,
      unhealthyThreshold: 2,
      healthyThreshold: 3,
      kind: "ping",
      payload: 0,
    },
    Probe: { read: () => 1, interval: 0.5, unit: "x", maxPoints: 10 },
    Sink: { createdAt: () => 0, window: 2, relativeAccuracy: 0.02 },
    Network: { defaultLink: new distsim.NetworkLink(sim, "lan", distsim.conditions.local()) },
  };
}

describe("component catalog entries", () => {
  it("every exported component has an entry and every entry a component", () => {
    expect(exportedComponentNames().sort()).toEqual(COMPONENT_ENTRIES.map((e) => e.name).sort());
  });

  for (const entry of COMPONENT_ENTRIES) {
    it(`${entry.name}: operational_knobs are exactly the options its constructor reads`, () => {
      const sim = new Simulation({ seed: 1 });
      const options = sampleOptions(sim)[entry.name]!;
      const read = new Set<string>();
      const recording = new Proxy(options, {
        get(object, key, receiver) {
          if (typeof key === "string") read.add(key);
          return Reflect.get(object, key, receiver);
        },
      });
      const Component = (
        distsim as unknown as Record<string, new (s: Simulation, n: string, o: unknown) => Entity>
      )[entry.name]!;
      expect((Component as unknown as { catalog: unknown }).catalog).toBe(entry);
      new Component(sim, "component", recording);
      expect([...read].sort()).toEqual([...entry.operational_knobs].sort());
    });
  }
});
