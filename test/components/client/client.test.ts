/**
 * Goal: the client retries timed-out and rejected attempts by its policy, at the policy's
 * delays, returns the first success or throws the last error, and counts requests and how
 * they ended (succeeded, gaveUp, failure rate), attempts and how they ended (forwarded, failed,
 * timedOut), retries, and the latency of successes and of every finished request; retry
 * policies produce the waits they describe.
 * Method: a scripted server that drops or rejects chosen attempts; exact times with
 * deterministic policies; bounds on jittered delays.
 */
import { describe, expect, it } from "vitest";
import { Client, type ClientOptions } from "../../../src/components/client/client.js";
import {
  decorrelatedJitter,
  exponentialBackoff,
  fixed,
  noRetry,
} from "../../../src/components/client/retryPolicies.js";
import { Source } from "../../../src/components/load/source.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { constant, poisson } from "../../../src/load/arrivals.js";
import { exponential } from "../../../src/random/distributions/closedForm.js";
import { ramp, step } from "../../../src/random/profile.js";
import { RandomStream } from "../../../src/random/randomStream.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { type AttemptAction, EchoTarget, ScriptedAttempts } from "../../support/targets.js";

function run(script: AttemptAction[], retryPolicy = fixed({ maxAttempts: 3, delay: 1 })) {
  const sim = new Simulation({ seed: 1 });
  const server = new ScriptedAttempts(sim, "server", script);
  const client = new Client<number, number>(sim, "client", {
    target: server,
    timeout: 0.5,
    retryPolicy,
  });
  const log: string[] = [];
  const caller = new Entity(sim, "caller");
  caller.start(function* () {
    try {
      log.push(`ok ${yield* client.issue(21)} at ${caller.now}`);
    } catch (error) {
      log.push(`${(error as Error).name} at ${caller.now}`);
    }
  });
  sim.run();
  return { log, stats: client.stats, server };
}

componentLaws<Client<number, number>>({
  type: Client,
  options: (sim) => ({
    target: new EchoTarget<number>(sim, "target"),
    timeout: 1,
    retryPolicy: fixed({ maxAttempts: 2, delay: 0.1 }),
    kind: "get",
    window: 2,
    retryBudget: { ratio: 0.2 },
  }),
  construct: (sim, name, options) =>
    new Client<number, number>(sim, name, options as unknown as ClientOptions<number, number>),
  invalid: [
    { target: undefined },
    { target: "server" },
    { timeout: 0 },
    { retryPolicy: { maxAttempts: 3 } },
    { kind: 7 },
    { window: 0 },
    { retryBudget: { ratio: 2 } },
  ],
  scenario(sim) {
    // A small backend that refuses when its queue is full and is sometimes too slow; the client
    // retries with backoff, so requests wait out backoffs across the crash and the reset.
    const backend = new Server<number, number>(sim, "backend", {
      concurrency: 2,
      serviceTime: exponential(0.06),
      queueCapacity: 3,
    });
    const client = new Client<number, number>(sim, SUBJECT, {
      target: backend,
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

describe("Client", () => {
  it("succeeds on the first attempt without retrying", () => {
    const { log, stats } = run(["ok"]);
    expect(log).toEqual(["ok 42 at 0.1"]);
    expect(stats).toMatchObject({
      requests: 1,
      forwarded: 1,
      succeeded: 1,
      retries: 0,
      inFlight: 0,
    });
    expect(stats.meanLatency).toBeCloseTo(0.1, 12);
  });

  it("retries a timeout after the policy's delay", () => {
    // Attempt 1 times out at 0.5; retry at 1.5; answered at 1.6.
    const { log, stats } = run(["drop", "ok"]);
    expect(log).toEqual(["ok 42 at 1.6"]);
    expect(stats).toMatchObject({
      forwarded: 2,
      timedOut: 1,
      retries: 1,
      succeeded: 1,
      gaveUp: 0,
      failed: 0,
    });
    expect(stats.maxLatency).toBeCloseTo(1.6, 12);
  });

  it("retries a rejection, and fails with the last error when attempts run out", () => {
    const { log, stats } = run(["reject", "drop", "reject"]);
    // 0.1 rejected; retry 1.1 dropped, times out 1.6; retry 2.6 rejected at 2.7.
    expect(log).toEqual(["RemoteError at 2.7"]);
    expect(stats).toMatchObject({
      forwarded: 3,
      failed: 2,
      timedOut: 1,
      retries: 2,
      gaveUp: 1,
      succeeded: 0,
      failureRate: 1,
    });
    // Given up at 2.7 s: in the latency of every finished request, not in that of successes.
    expect(stats.meanFinishedLatency).toBeCloseTo(2.7, 12);
    expect(stats.p99FinishedLatency).toBeCloseTo(2.7, 1);
    expect(stats.meanLatency).toBeNaN();
    expect(run(["drop"], noRetry()).log).toEqual(["TimeoutError at 0.5"]);
  });

  it("as a message target, issues each message fire-and-forget", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new ScriptedAttempts(sim, "server", ["ok", "reject", "ok"]);
    const client = new Client<number, number>(sim, "client", {
      target: server,
      retryPolicy: noRetry(),
    });
    new Source(sim, "load", { target: client, arrivals: constant(1), stopAfter: { count: 3 } });
    sim.run();
    expect(client.stats).toMatchObject({ requests: 3, succeeded: 2, gaveUp: 1, failed: 1 });
  });

  it("keeps latency percentiles, and goodput, latency and failures per window", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new ScriptedAttempts(sim, "server", ["ok", "reject", "ok", "ok"]);
    const client = new Client<number, number>(sim, "client", {
      target: server,
      retryPolicy: noRetry(),
      window: 2,
    });
    new Source(sim, "load", { target: client, arrivals: constant(1), stopAfter: { count: 4 } });
    sim.run();
    // Requests at 1, 2, 3, 4, each answered 0.1 s later; the one at 2 is rejected.
    expect(client.stats.p50Latency).toBeCloseTo(0.1, 2);
    expect(client.stats.p99Latency).toBeCloseTo(0.1, 2);
    const series = Object.fromEntries(client.recordedSeries().map((s) => [s.name, s.points]));
    expect(series["client goodput"]).toEqual([
      [0, 0.5],
      [2, 0.5],
      [4, 0.5],
    ]);
    // Charted to the end of the run (4.1 s): the last window had no failure.
    expect(series["client failures"]).toEqual([
      [0, 0],
      [2, 0.5],
      [4, 0],
    ]);
    expect(series["client p99 latency"]!.map(([t]) => t)).toEqual([0, 2, 4]);
    expect(client.metrics()).toMatchObject({
      succeeded: 3,
      gaveUp: 1,
      failed: 1,
      failureRate: 0.25,
    });
  });

  it("reports a window in which no request succeeded as NaN (no data), to the end of the run", () => {
    // Issue 12: a chart joined the successes on either side of an outage into a calm line.
    const sim = new Simulation({ seed: 1 });
    const server = new ScriptedAttempts(sim, "server", ["ok", "reject", "reject", "ok", "reject"]);
    const client = new Client<number, number>(sim, "client", {
      target: server,
      retryPolicy: noRetry(),
    });
    new Source(sim, "load", { target: client, arrivals: constant(1), stopAfter: { count: 5 } });
    sim.run();
    // Successes at 1.1 s and 4.1 s; failures at 2.1, 3.1 and 5.1 s; the run ends at 5.1 s.
    const series = Object.fromEntries(client.recordedSeries().map((s) => [s.name, s.points]));
    const p99 = series["client p99 latency"]!;
    expect(p99.map(([t]) => t)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p99.map(([, v]) => Number.isNaN(v))).toEqual([true, false, true, true, false, true]);
    expect(series["client p50 latency"]!.map(([, v]) => Number.isNaN(v))).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Entity(sim, "t");
    expect(() => new Client(sim, "w", { target, window: 0 })).toThrow(/"window"/);
    expect(() => new Client(sim, "a", { target, timeout: 0 })).toThrow(
      /Client "a": option "timeout"/,
    );
    expect(() => new Client(sim, "b", { target, retryPolicy: {} as never })).toThrow(/retryPolicy/);
    expect(() => new Client(sim, "c", { target: null as never })).toThrow(/target/);
    expect(() => new Client(sim, "d", { target, kind: 3 as never })).toThrow(/"kind"/);
  });
});

describe("Client timeout as a profile", () => {
  /** Answers every request after `seconds`. */
  class Slow extends Entity<number, number> {
    constructor(
      sim: Simulation,
      private readonly seconds: number,
    ) {
      super(sim, "slow");
    }
    override *handle(request: Message<number>) {
      yield this.seconds;
      this.reply(request, request.payload);
    }
  }

  it("reads the timeout when each attempt is sent: 1 s until t=10, then 0.1 s", () => {
    const sim = new Simulation({ seed: 1 });
    const client = new Client<number, number>(sim, "client", {
      target: new Slow(sim, 0.5),
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    const log: string[] = [];
    const caller = new Entity(sim, "caller");
    for (const at of [0, 9.9, 10, 20]) {
      sim.at(at, () =>
        caller.start(function* () {
          try {
            yield* client.issue(at);
            log.push(`${at}: ok at ${caller.now}`);
          } catch (error) {
            log.push(`${at}: ${(error as Error).message} at ${caller.now}`);
          }
        }),
      );
    }
    sim.run();
    // The attempt sent at 9.9 keeps its 1 s timeout after the change at 10.
    expect(log).toEqual([
      "0: ok at 0.5",
      "10: timed out after 0.1s at 10.1",
      "9.9: ok at 10.4",
      "20: timed out after 0.1s at 20.1",
    ]);
    expect(client.stats).toMatchObject({ succeeded: 2, gaveUp: 2, timedOut: 2 });
  });

  it("refuses a timeout profile that reaches zero or goes negative", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Entity(sim, "t");
    expect(
      () => new Client(sim, "a", { target, timeout: step(1, [{ at: 10, value: 0 }]) }),
    ).toThrow(
      'Client "a": option "timeout" must be a duration in seconds > 0 at all times; given "step from 1 (1 changes) (ranges over [0, 1])"',
    );
    expect(
      () => new Client(sim, "b", { target, timeout: ramp({ from: 1, to: -1, start: 0, end: 5 }) }),
    ).toThrow(ConfigError);
  });
});

describe("retry policies", () => {
  const stream = () => new RandomStream(1, "t", "retry");

  it("fixed and none", () => {
    expect(noRetry().maxAttempts).toBe(1);
    expect(fixed({ maxAttempts: 4, delay: 0.2 }).delay(3, 0.2, stream())).toBe(0.2);
  });

  it("exponential backoff doubles up to its cap; jitter stays within bounds", () => {
    const plain = exponentialBackoff({ maxAttempts: 10, initial: 0.1, max: 1, jitter: "none" });
    expect([1, 2, 3, 4, 5, 6].map((k) => plain.delay(k, 0, stream()))).toEqual([
      0.1, 0.2, 0.4, 0.8, 1, 1,
    ]);
    const s = stream();
    const full = exponentialBackoff({ maxAttempts: 10, initial: 0.1 });
    const equal = exponentialBackoff({ maxAttempts: 10, initial: 0.1, jitter: "equal" });
    for (let i = 0; i < 1000; i++) {
      const f = full.delay(3, 0, s);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(0.4);
      const e = equal.delay(3, 0, s);
      expect(e).toBeGreaterThanOrEqual(0.2);
      expect(e).toBeLessThan(0.4);
    }
  });

  it("decorrelated jitter stays in [base, min(cap, 3 x previous)]", () => {
    const policy = decorrelatedJitter({ maxAttempts: 10, base: 0.1, cap: 2 });
    const s = stream();
    let previous = 0;
    for (let k = 1; k < 50; k++) {
      const next = policy.delay(k, previous, s);
      expect(next).toBeGreaterThanOrEqual(0.1);
      expect(next).toBeLessThanOrEqual(Math.min(2, Math.max(0.1, 3 * (previous || 0.1))));
      previous = next;
    }
  });

  it("refuse bad options", () => {
    expect(() => fixed({ maxAttempts: 0, delay: 1 })).toThrow(ConfigError);
    expect(() => fixed({ maxAttempts: 2, delay: -1 })).toThrow(/delay/);
    expect(() => exponentialBackoff({ maxAttempts: 2, initial: 0 })).toThrow(/initial/);
    expect(() => exponentialBackoff({ maxAttempts: 2, initial: 1, multiplier: 0.5 })).toThrow(
      /multiplier/,
    );
    expect(() =>
      exponentialBackoff({ maxAttempts: 2, initial: 1, jitter: "some" as never }),
    ).toThrow(/jitter/);
    expect(() => decorrelatedJitter({ maxAttempts: 2, base: 1, cap: 0.5 })).toThrow(/cap/);
  });

  it("a retry budget holds retries to its share of requests under a total outage", () => {
    // Every attempt is dropped. 100 requests 1 s apart, each allowed 4 attempts: without a
    // budget 300 retries; with { ratio: 0.1, burst: 2 } the two saved tokens pay for two of
    // the first request's retries, then the other 99 requests earn 9.9 retries between them.
    const attempts = (retryBudget?: { ratio: number; burst?: number }) => {
      const sim = new Simulation({ seed: 1 });
      const server = new ScriptedAttempts(sim, "server", Array(1000).fill("drop"));
      const client = new Client<number, number>(sim, "client", {
        target: server,
        timeout: 0.5,
        retryPolicy: fixed({ maxAttempts: 4, delay: 0 }),
        ...(retryBudget === undefined ? {} : { retryBudget }),
      });
      new Source(sim, "load", {
        target: client,
        arrivals: constant(1),
        stopAfter: { count: 100 },
      });
      sim.run();
      return client.stats;
    };
    expect(attempts()).toMatchObject({ requests: 100, retries: 300, retriesDenied: 0 });
    const budgeted = attempts({ ratio: 0.1, burst: 2 });
    expect(budgeted).toMatchObject({ requests: 100, gaveUp: 100 });
    // Tokens are counted in millionths, so ten requests earn exactly one retry.
    expect(budgeted.retries).toBe(11);
    // Every request wanted one more retry than the budget gave it.
    expect(budgeted.retriesDenied).toBe(100);
    expect(budgeted.forwarded).toBe(111);
  });

  it("a retry budget never stops a request that succeeds, and refuses bad budgets", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new ScriptedAttempts(sim, "server", ["drop", "ok"]);
    const client = new Client<number, number>(sim, "client", {
      target: server,
      timeout: 0.5,
      retryPolicy: fixed({ maxAttempts: 2, delay: 0 }),
      retryBudget: { ratio: 0.5, burst: 1 },
    });
    const caller = new Entity(sim, "caller");
    caller.start(function* () {
      expect(yield* client.issue(1)).toBe(2);
    });
    sim.run();
    expect(client.stats).toMatchObject({ succeeded: 1, retries: 1, retriesDenied: 0 });
    for (const [i, [retryBudget, parameter]] of [
      [0.1, "retryBudget"],
      [{ ratio: 0 }, "retryBudget"],
      [{ ratio: 2 }, "retryBudget"],
      [{ ratio: 0.1, burst: 0 }, "retryBudget.burst"],
    ].entries()) {
      expect(
        () =>
          new Client(sim, `bad ${i}`, {
            target: server,
            retryBudget: retryBudget as never,
          }),
      ).toThrow(expect.objectContaining({ parameter }));
    }
  });
});

describe("Client statistics that say what they cover", () => {
  it("reads NaN, not 0, for latencies and the failure rate before anything finished", () => {
    const sim = new Simulation({ seed: 1 });
    const client = new Client<number, number>(sim, "client", {
      target: new ScriptedAttempts(sim, "server", []),
    });
    const s = client.stats;
    expect(s.meanLatency).toBeNaN();
    expect(s.maxLatency).toBeNaN();
    expect(s.p99Latency).toBeNaN();
    expect(s.meanFinishedLatency).toBeNaN();
    expect(s.failureRate).toBeNaN();
  });

  it("a collapse shows in the failure rate and the latency of every finished request", () => {
    // Nine of ten requests time out after 0.5 s; the one success is fast. The p99 of
    // successes alone looks healthy; the rest does not.
    const sim = new Simulation({ seed: 1 });
    const script = Array.from({ length: 10 }, (_, i): "ok" | "drop" => (i === 0 ? "ok" : "drop"));
    const client = new Client<number, number>(sim, "client", {
      target: new ScriptedAttempts(sim, "server", script),
      timeout: 0.5,
    });
    new Source(sim, "load", { target: client, arrivals: constant(1), stopAfter: { count: 10 } });
    sim.run();
    const s = client.stats;
    expect(s.p99Latency).toBeCloseTo(0.1, 2);
    expect(s.failureRate).toBe(0.9);
    expect(s.p99FinishedLatency).toBeCloseTo(0.5, 2);
    expect(s.meanFinishedLatency).toBeCloseTo((0.1 + 9 * 0.5) / 10, 12);
    expect(client.finishedLatency.count).toBe(10);
  });

  it("counts requests cut short by a crash of the client, or by their caller, apart", () => {
    const sim = new Simulation({ seed: 1 });
    const client = new Client<number, number>(sim, "client", {
      target: new ScriptedAttempts(sim, "server", ["drop", "drop", "drop"]),
      timeout: 5,
    });
    const caller = new Entity(sim, "caller");
    const waiting = caller.start(function* () {
      yield* client.issue(1);
    });
    waiting.result.defuse();
    sim.at(1, () => waiting.cancel());
    sim.send(client, "request", 2);
    sim.at(2, () => client.crash());
    sim.run();
    expect(client.stats).toMatchObject({
      requests: 2,
      forwarded: 2,
      abandoned: 1,
      lostToCrash: 1,
      inFlight: 0,
      succeeded: 0,
      gaveUp: 0,
    });
  });
});
