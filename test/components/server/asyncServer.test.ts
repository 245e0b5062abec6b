/**
 * Goal: the async server runs CPU phases one at a time in ready order (CPU work of one request
 * delays all), overlaps I/O waits freely, refuses beyond maxConnections at once, passes
 * downstream failures to its caller (with a timeout, possibly a profile, read per call), loses
 * open requests on a crash, refuses bad options,
 * reports loop lag and CPU utilization consistently, and with one CPU phase per request is an
 * M/M/1 queue (mean loop lag = Wq = rho / (mu - lambda)).
 * Method: constant times so every reply time and lag is checked exactly; seeded replications
 * with a 99% Student t interval for the theory check.
 */
import { describe, expect, it } from "vitest";
import { checkDeterminism } from "../../../src/check/determinism.js";
import { Source } from "../../../src/components/load/source.js";
import { AsyncServer } from "../../../src/components/server/asyncServer.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError, TimeoutError } from "../../../src/errors/errors.js";
import { poisson } from "../../../src/load/arrivals.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { confidenceInterval99 } from "../../support/statistics.js";
import { type Job, ScriptedTarget } from "../../support/targets.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const client = new Entity(sim, "client");
  const log: string[] = [];
  return { sim, client, log };
}

/** Sends `count` calls at the current time and logs "payload@time" or "failed payload@time: reason". */
function callAll(
  client: Entity,
  server: AsyncServer<number, number>,
  count: number,
  log: string[],
  first = 0,
) {
  for (let i = first; i < first + count; i++) {
    client.start(function* () {
      try {
        const answer = yield* client.call(server, "work", i, { timeout: 10 });
        log.push(`${answer}@${Number(client.now.toFixed(9))}`);
      } catch (error) {
        if (error instanceof TimeoutError) log.push(`timeout ${i}@${client.now}`);
        else if (error instanceof RemoteError)
          log.push(`failed ${i}@${client.now}: ${error.reason}`);
        else throw error;
      }
    });
  }
}

componentLaws<AsyncServer<Job, unknown>>({
  type: AsyncServer,
  options: (sim) => ({
    maxConnections: 100,
    cpuTime: constant(0.001),
    ioTime: exponential(0.05),
    downstream: new ScriptedTarget(sim, "downstream"),
    timeout: 1,
    ioCalls: 2,
    respond: () => 1,
  }),
  construct: (sim, name, options) => new AsyncServer<Job, unknown>(sim, name, options),
  invalid: [
    { maxConnections: 0 },
    { cpuTime: 0.001 },
    { ioTime: constant(-0.1) },
    { downstream: "db" },
    { timeout: 0 },
    { downstream: undefined, ioTime: undefined, timeout: undefined, ioCalls: 1 },
    { downstream: undefined, timeout: 1 },
    { ioCalls: -1 },
    { respond: "ok" },
  ],
  scenario(sim) {
    // The downstream answers in 20 ms, refuses every fifth job and never answers every seventh.
    const downstream = new ScriptedTarget(sim, "downstream");
    const server = new AsyncServer<Job, unknown>(sim, SUBJECT, {
      maxConnections: 20,
      cpuTime: exponential(0.004),
      downstream,
      timeout: 0.2,
      ioCalls: 2,
    });
    new Source<Job>(sim, "load", {
      target: server,
      arrivals: poisson(100),
      payload: (i) => ({
        id: String(i),
        takes: i % 7 === 6 ? Number.POSITIVE_INFINITY : 0.02,
        ...(i % 5 === 4 ? { rejects: "busy" } : {}),
      }),
      stopAfter: { time: 4 },
    });
    return server;
  },
  crashAt: 2,
  recoverAt: 2.5,
  identities: (server) => {
    const s = server.stats;
    return [
      [
        "requests = completed + rejected + failed + timedOut + lostToCrash + active",
        s.requests,
        s.completed + s.rejected + s.failed + s.timedOut + s.lostToCrash + s.active,
      ],
    ];
  },
});

describe("AsyncServer", () => {
  it("runs CPU work one request at a time: each waits for the others'", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", { cpuTime: constant(1) });
    callAll(client, server, 3, log);
    sim.run();
    expect(log).toEqual(["0@1", "1@2", "2@3"]);
    const stats = server.stats;
    expect(stats).toMatchObject({ completed: 3, active: 0, peakConnections: 3 });
    expect(stats.cpuUtilization).toBe(1);
    // Ready at 0, started at 0, 1 and 2.
    expect(stats.meanLoopLag).toBeCloseTo(1, 2);
    expect(stats.maxLoopLag).toBe(2);
  });

  it("overlaps I/O waits: the loop runs others' CPU while one waits", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.1),
      ioTime: constant(1),
    });
    expect(server.ioCalls).toBe(1);
    callAll(client, server, 3, log);
    sim.run();
    // CPU 0-0.1, 0.1-0.2, 0.2-0.3; I/O to 1.1, 1.2, 1.3; second CPU phases end at 1.2, 1.3, 1.4.
    expect(log).toEqual(["0@1.2", "1@1.3", "2@1.4"]);
    const stats = server.stats;
    expect(stats.cpuUtilization).toBeCloseTo(0.6 / 1.4, 12);
    expect(stats.maxLoopLag).toBeCloseTo(0.2, 12);
    expect(stats.peakConnections).toBe(3);
    // Open: 3 for 1.2 s, 2 for 0.1 s, 1 for 0.1 s, over 1.4 s.
    expect(stats.meanInSystem).toBeCloseTo((3 * 1.2 + 2 * 0.1 + 0.1) / 1.4, 9);
  });

  it("a thousand I/O-bound requests finish together where threads would queue", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.0001),
      ioTime: constant(1),
    });
    callAll(client, server, 1000, log);
    sim.run();
    expect(server.stats.completed).toBe(1000);
    // 2000 CPU phases of 0.1 ms: the last request is done 1 s of I/O + 0.2 s of CPU later.
    expect(sim.now).toBeCloseTo(1.1001, 9);
  });

  it("refuses beyond maxConnections at once, and accepts again once some close", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(1),
      maxConnections: 2,
    });
    callAll(client, server, 3, log);
    sim.at(1.5, () => callAll(client, server, 1, log, 3));
    sim.run();
    expect(log).toEqual(["failed 2@0: too many connections (2 open)", "0@1", "1@2", "3@3"]);
    expect(server.stats).toMatchObject({ completed: 3, rejected: 1, peakConnections: 2 });
  });

  it("calls downstream in each I/O wait, and fails the request when downstream fails", () => {
    const { sim, client, log } = setup();
    const database = new Server<number, number>(sim, "db", {
      serviceTime: constant(0.5),
      queueCapacity: 0,
    });
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.1),
      downstream: database,
      ioCalls: 2,
    });
    callAll(client, server, 2, log);
    sim.run();
    // 0: CPU 0-0.1, db 0.1-0.6, CPU 0.6-0.7 (1's CPU ran 0.1-0.2, its db call was refused at 0.2,
    // db busy), db 0.7-1.2, CPU 1.2-1.3.
    expect(log).toEqual(["failed 1@0.2: queue full (0 waiting)", "0@1.3"]);
    expect(server.stats).toMatchObject({ completed: 1, failed: 1 });
    expect(database.stats.completed).toBe(2);
  });

  it("a downstream timeout fails the request with a reason naming it", () => {
    const { sim, client, log } = setup();
    const slow = new Server<number, number>(sim, "slow", { serviceTime: constant(5) });
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.1),
      downstream: slow,
      timeout: 0.2,
    });
    callAll(client, server, 1, log);
    sim.run();
    expect(log).toEqual(["failed 0@0.3: downstream timed out (0.2s)"]);
  });

  it("reads a timeout profile when each downstream call is sent, not when the request came", () => {
    const { sim, client, log } = setup();
    const slow = new Server<number, number>(sim, "slow", {
      concurrency: 10,
      serviceTime: constant(0.5),
    });
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.1),
      downstream: slow,
      timeout: step(1, [{ at: 10, value: 0.1 }]),
    });
    sim.at(0, () => callAll(client, server, 1, log, 0));
    // Arrives at 9.95, calls downstream at 10.05, after the change: 0.1 s.
    sim.at(9.95, () => callAll(client, server, 1, log, 1));
    sim.run();
    expect(log).toEqual(["0@0.7", "failed 1@10.15: downstream timed out (0.1s)"]);
  });

  it("refuses a timeout profile that is not > 0 at all times", () => {
    const { sim } = setup();
    const downstream = new Entity(sim, "db");
    expect(
      () => new AsyncServer(sim, "a", { downstream, timeout: step(1, [{ at: 10, value: -1 }]) }),
    ).toThrow(
      'AsyncServer "a": option "timeout" must be a duration in seconds > 0 at all times; given "step from 1 (1 changes) (ranges over [-1, 1])"',
    );
  });

  it("a crash loses every open request; callers time out; the loop works after recovery", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.1),
      ioTime: constant(1),
    });
    callAll(client, server, 3, log);
    sim.at(0.15, () => server.crash());
    sim.at(0.5, () => server.recover());
    sim.at(2, () => callAll(client, server, 1, log, 3));
    sim.run();
    expect(log).toEqual(["3@3.2", "timeout 0@10", "timeout 1@10", "timeout 2@10"]);
    expect(server.stats).toMatchObject({
      lostToCrash: 3,
      completed: 1,
      active: 0,
      cpuQueued: 0,
    });
  });

  it("refuses bad options, naming the server and the option", () => {
    const { sim } = setup();
    expect(() => new AsyncServer(sim, "a", { maxConnections: 0 })).toThrow(
      /AsyncServer "a": option "maxConnections" must be an integer >= 1; given 0/,
    );
    expect(() => new AsyncServer(sim, "b", { cpuTime: 0.1 as never })).toThrow(
      /AsyncServer "b": option "cpuTime" must be a Distribution/,
    );
    expect(() => new AsyncServer(sim, "c", { ioTime: "1" as never })).toThrow(/"ioTime"/);
    expect(() => new AsyncServer(sim, "d", { ioCalls: 2 })).toThrow(
      /option "ioCalls" must be 0 when neither ioTime nor downstream is given/,
    );
    expect(() => new AsyncServer(sim, "e", { timeout: 1 })).toThrow(
      /option "timeout" must be unset when there is no downstream/,
    );
    expect(() => new AsyncServer(sim, "f", { downstream: {} as never })).toThrow(ConfigError);
    expect(() => new AsyncServer(sim, "g", { ioTime: constant(1), ioCalls: -1 })).toThrow(
      /"ioCalls"/,
    );
    expect(() => new AsyncServer(sim, "h", { respond: 1 as never })).toThrow(/"respond"/);
  });

  it("counts the end of a request open across a statistics reset", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop", {
      cpuTime: constant(0.001),
      ioTime: constant(0.1),
    });
    callAll(client, server, 2, log);
    sim.at(0.05, () => sim.resetStats());
    sim.run();
    // Both were open at the reset: counted again as received, and their completion counts.
    expect(server.stats).toMatchObject({ requests: 2, completed: 2, active: 0 });
  });

  it("reports its stats as metrics for the run summary", () => {
    const { sim, client, log } = setup();
    const server = new AsyncServer<number, number>(sim, "loop");
    callAll(client, server, 2, log);
    const summary = sim.run();
    const entry = summary.entities.find((e) => e.name === "loop")!;
    expect(entry.type).toBe("AsyncServer");
    expect(entry.metrics).toEqual({ ...server.stats });
    expect(entry.metrics).toMatchObject({ completed: 2 });
  });

  it("is deterministic under a seed", () => {
    const build = (seed: number) => {
      const sim = new Simulation({ seed });
      const server = new AsyncServer(sim, "loop", {
        cpuTime: exponential(0.002),
        ioTime: exponential(0.05),
        ioCalls: 2,
        maxConnections: 20,
      });
      new Source(sim, "load", { target: server, arrivals: poisson(200), stopAfter: { time: 20 } });
      return sim;
    };
    expect(checkDeterminism(build, 5).deterministic).toBe(true);
  });

  it("with one CPU phase per request is M/M/1: mean loop lag = rho / (mu - lambda)", () => {
    // lambda = 5/s, mean CPU 0.1 s (mu = 10/s): rho = 0.5, Wq = 0.5 / 5 = 0.1 s.
    const runs = Array.from({ length: 10 }, (_, r) => {
      const sim = new Simulation({ seed: 700 + r });
      const server = new AsyncServer(sim, "loop", { cpuTime: exponential(0.1) });
      new Source(sim, "load", { target: server, arrivals: poisson(5) });
      sim.run({ until: 2000 });
      return server.stats;
    });
    const lag = confidenceInterval99(runs.map((s) => s.meanLoopLag));
    expect(lag.low).toBeLessThan(0.1);
    expect(lag.high).toBeGreaterThan(0.1);
    const utilization = confidenceInterval99(runs.map((s) => s.cpuUtilization));
    expect(utilization.low).toBeLessThan(0.5);
    expect(utilization.high).toBeGreaterThan(0.5);
  });
});
