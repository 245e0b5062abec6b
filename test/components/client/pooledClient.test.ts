/**
 * Goal: every attempt of a pooled client takes a connection, calls the pool's target over it
 * and gives it back (discarding it after a timeout); it retries exactly like Client, counts
 * connection waits and connection timeouts apart from request timeouts, and works as a
 * Source's target.
 * Method: a scripted server that answers, drops or rejects chosen attempts after 0.1 s, a pool
 * with a constant 0.03 s connect latency, and exact times.
 */
import { describe, expect, it } from "vitest";
import { assertDeterministic } from "../../../src/check/determinism.js";
import { ConnectionPool } from "../../../src/components/client/connectionPool.js";
import {
  PooledClient,
  type PooledClientOptions,
} from "../../../src/components/client/pooledClient.js";
import { fixed, noRetry } from "../../../src/components/client/retryPolicies.js";
import { Source } from "../../../src/components/load/source.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { poisson, constant as steady } from "../../../src/load/arrivals.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { sine, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type AttemptAction, EchoTarget, ScriptedAttempts } from "../../support/targets.js";

function setup(
  script: AttemptAction[],
  options: { maxConnections?: number; acquireTimeout?: number; serviceTime?: number } = {},
  retryPolicy = fixed({ maxAttempts: 3, delay: 1 }),
) {
  const sim = new Simulation({ seed: 1 });
  const server = new ScriptedAttempts(sim, "server", script, options.serviceTime);
  const pool = new ConnectionPool<number, number>(sim, "pool", {
    target: server,
    connectLatency: constant(0.03),
    maxConnections: options.maxConnections ?? 10,
    acquireTimeout: options.acquireTimeout ?? 5,
  });
  const client = new PooledClient<number, number>(sim, "client", {
    pool,
    timeout: 0.5,
    retryPolicy,
  });
  const log: string[] = [];
  const issue = (at: number, name: string) => {
    const caller = new Entity(sim, name);
    sim.at(at, () =>
      caller.start(function* () {
        try {
          log.push(`${name} ok ${yield* client.issue(21)} at ${round(caller.now)}`);
        } catch (error) {
          log.push(`${name} ${(error as Error).name} at ${round(caller.now)}`);
        }
      }),
    );
    return caller;
  };
  return { sim, server, pool, client, log, issue };
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;

componentLaws<PooledClient<number, number>>({
  type: PooledClient,
  options: (sim) => ({
    pool: new ConnectionPool(sim, "pool", { target: new EchoTarget<number>(sim, "target") }),
    timeout: 1,
    retryPolicy: fixed({ maxAttempts: 2, delay: 0.1 }),
    kind: "get",
    window: 2,
    retryBudget: { ratio: 0.2 },
  }),
  construct: (sim, name, options) =>
    new PooledClient<number, number>(
      sim,
      name,
      options as unknown as PooledClientOptions<number, number>,
    ),
  invalid: [
    { pool: undefined },
    { pool: new Simulation({ seed: 2 }) },
    { timeout: -1 },
    { retryPolicy: "3 times" },
    { kind: ["get"] },
    { window: Number.NaN },
    { retryBudget: { ratio: 0.1, burst: 0 } },
  ],
  scenario(sim) {
    // A backend that refuses when its queue is full, behind a pool of 3 connections that makes
    // callers give up after 0.1 s; the client retries with backoff, so requests wait out
    // backoffs and connections across the crash and the reset.
    const backend = new Server<number, number>(sim, "backend", {
      concurrency: 2,
      serviceTime: exponential(0.06),
      queueCapacity: 3,
    });
    const pool = new ConnectionPool<number, number>(sim, "pool", {
      target: backend,
      maxConnections: 3,
      connectLatency: constant(0.02),
      acquireTimeout: 0.1,
    });
    const client = new PooledClient<number, number>(sim, SUBJECT, {
      pool,
      timeout: 0.2,
      retryPolicy: fixed({ maxAttempts: 3, delay: 0.05 }),
    });
    new Source(sim, "load", { target: client, arrivals: poisson(30), stopAfter: { time: 4 } });
    return client;
  },
  crashAt: 2,
  recoverAt: 2.5,
  mayBeNaN: ["failureRate"],
});

describe("PooledClient", () => {
  it("pays the handshake on a cold pool, then reuses the connection", () => {
    const { sim, pool, client, log, issue } = setup([]);
    issue(0, "a");
    issue(1, "b");
    sim.run();
    expect(log).toEqual(["a ok 42 at 0.13", "b ok 42 at 1.1"]);
    expect(pool.stats).toMatchObject({ connectionsCreated: 1, acquisitions: 2, idle: 1 });
    expect(client.stats).toMatchObject({ requests: 2, succeeded: 2, forwarded: 2, inFlight: 0 });
    expect(client.stats.meanConnectionWait).toBeCloseTo(0.015, 12);
    expect(client.stats.maxLatency).toBeCloseTo(0.13, 12);
  });

  it("retries a timeout like Client, discarding the connection the answer may still use", () => {
    // Attempt 1: connection at 0.03, times out at 0.53, connection discarded. Retry at 1.53
    // needs a new connection (1.56), answered at 1.66.
    const { sim, pool, client, log, issue } = setup(["drop", "ok"]);
    issue(0, "a");
    sim.run();
    expect(log).toEqual(["a ok 42 at 1.66"]);
    expect(client.stats).toMatchObject({ forwarded: 2, timedOut: 1, retries: 1, succeeded: 1 });
    expect(pool.stats).toMatchObject({ connectionsCreated: 2, connectionsClosed: 1, idle: 1 });
  });

  it("a refused attempt gives its connection back for reuse", () => {
    // Rejected at 0.13; retry at 1.13 on the same connection, answered at 1.23.
    const { sim, pool, client, log, issue } = setup(["reject", "ok"]);
    issue(0, "a");
    sim.run();
    expect(log).toEqual(["a ok 42 at 1.23"]);
    expect(client.stats).toMatchObject({ failed: 1, retries: 1, timedOut: 0 });
    expect(pool.stats).toMatchObject({ connectionsCreated: 1, connectionsClosed: 0 });
  });

  it("fails with the last error when the attempts run out", () => {
    const { sim, client, log, issue } = setup(["reject", "drop", "reject"]);
    issue(0, "a");
    sim.run();
    // 0.13 rejected; 1.13 sent, timed out at 1.63 (discarded); 2.63 new connection at 2.66,
    // rejected at 2.76.
    expect(log).toEqual(["a RemoteError at 2.76"]);
    expect(client.stats).toMatchObject({ forwarded: 3, failed: 2, timedOut: 1, gaveUp: 1 });
  });

  it("counts attempts that got no connection apart from request timeouts, and retries them", () => {
    // One connection: a holds it from 0.03 to 0.43 (a request of 0.4 s).
    const { sim, pool, client, log, issue } = setup(
      [],
      { maxConnections: 1, acquireTimeout: 0.2, serviceTime: 0.4 },
      fixed({ maxAttempts: 2, delay: 0.5 }),
    );
    issue(0, "a");
    issue(0.1, "b"); // waits from 0.1, gives up at 0.3; retries at 0.8 on the idle connection
    sim.run();
    expect(log).toEqual(["a ok 42 at 0.43", "b ok 42 at 1.2"]);
    expect(client.stats).toMatchObject({
      connectionTimedOut: 1,
      timedOut: 0,
      retries: 1,
      succeeded: 2,
      // b's first attempt got no connection, so never reached the target; still an attempt.
      forwarded: 3,
    });
    expect(pool.stats.timedOut).toBe(1);
  });

  it("as a Source's target, issues each message fire-and-forget", () => {
    const { sim, client, pool } = setup(["ok", "reject", "ok"], {}, noRetry());
    new Source(sim, "load", { target: client, arrivals: steady(1), stopAfter: { count: 3 } });
    sim.run();
    expect(client.stats).toMatchObject({ requests: 3, succeeded: 2, gaveUp: 1, failed: 1 });
    expect(client.metrics()).toMatchObject({ succeeded: 2, connectionTimedOut: 0 });
    expect(pool.stats.connectionsCreated).toBe(1);
  });

  it("a client crashing mid-request gives up its connection (discarded, not reused)", () => {
    const { sim, pool, client, issue } = setup([]);
    issue(0, "a"); // a's own process: done at 0.13, connection released
    new Source(sim, "load", { target: client, arrivals: steady(10), stopAfter: { count: 1 } });
    sim.at(0.15, () => client.crash());
    sim.run();
    // The Source's request (a message the client handles in its own process, sent at 0.1 on
    // a connection it got at 0.13) was in flight at 0.15.
    expect(pool.stats).toMatchObject({ active: 0, connectionsClosed: 1 });
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Entity(sim, "t");
    const pool = new ConnectionPool(sim, "pool", { target });
    const elsewhere = new Simulation({ seed: 1 });
    const otherPool = new ConnectionPool(elsewhere, "pool", { target: new Entity(elsewhere, "x") });
    expect(() => new PooledClient(sim, "a", { pool: target as never })).toThrow(
      /PooledClient "a": option "pool" must be a ConnectionPool of this simulation; given Entity instance/,
    );
    expect(() => new PooledClient(sim, "b", { pool: otherPool as never })).toThrow(/"pool"/);
    expect(() => new PooledClient(sim, "c", { pool, timeout: 0 })).toThrow(
      /PooledClient "c": option "timeout"/,
    );
    expect(() => new PooledClient(sim, "d", { pool, retryPolicy: {} as never })).toThrow(
      /retryPolicy/,
    );
  });

  it("reads a timeout profile when each attempt's request is sent, once it holds a connection", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new ScriptedAttempts(sim, "server", [], 0.5);
    const pool = new ConnectionPool<number, number>(sim, "pool", {
      target: server,
      connectLatency: constant(0.03),
    });
    const client = new PooledClient<number, number>(sim, "client", {
      pool,
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    const log: string[] = [];
    const caller = new Entity(sim, "caller");
    for (const at of [0, 9.98, 20]) {
      sim.at(at, () =>
        caller.start(function* () {
          try {
            yield* client.issue(1);
            log.push(`${at}: ok at ${round(caller.now)}`);
          } catch (error) {
            log.push(`${at}: ${(error as Error).message} at ${round(caller.now)}`);
          }
        }),
      );
    }
    sim.run();
    // At 9.98 the pool has an idle connection (released at 0.53), so the request goes out at
    // once, before the change: 1 s. At 20 the request is sent at 20 with the new 0.1 s.
    expect(log).toEqual(["0: ok at 0.53", "9.98: ok at 10.48", "20: timed out after 0.1s at 20.1"]);
    expect(client.stats).toMatchObject({ succeeded: 2, timedOut: 1 });
  });

  it("refuses a timeout profile that is not > 0 at all times", () => {
    const sim = new Simulation({ seed: 1 });
    const pool = new ConnectionPool(sim, "pool", { target: new Entity(sim, "t") });
    expect(
      () =>
        new PooledClient(sim, "a", {
          pool,
          timeout: sine({ mean: 0.5, amplitude: 1, period: 60 }),
        }),
    ).toThrow(
      /PooledClient "a": option "timeout" must be a duration in seconds > 0 at all times; given "sine/,
    );
    expect(
      () => new PooledClient(sim, "b", { pool, timeout: step(1, [{ at: 5, value: 0 }]) }),
    ).toThrow(ConfigError);
  });

  it("the same seed gives the same run", () => {
    const build = (seed: number) => {
      const sim = new Simulation({ seed });
      const server = new ScriptedAttempts(sim, "server", ["drop", "ok", "reject", "drop"], 0.02);
      const pool = new ConnectionPool<number, number>(sim, "pool", {
        target: server,
        maxConnections: 3,
        connectLatency: exponential(0.03),
        acquireTimeout: 0.1,
        idleTimeout: 0.5,
      });
      const client = new PooledClient<number, number>(sim, "client", {
        pool,
        timeout: 0.05,
        retryPolicy: fixed({ maxAttempts: 3, delay: 0.01 }),
      });
      new Source(sim, "load", { target: client, arrivals: poisson(50), stopAfter: { time: 5 } });
      return sim;
    };
    const verdict = assertDeterministic(build, 11);
    const metrics = verdict.first.entities.find((e) => e.name === "client")!.metrics;
    expect(metrics).toEqual(verdict.second.entities.find((e) => e.name === "client")!.metrics);
    expect(metrics.succeeded as number).toBeGreaterThan(100);
  });
});
