/**
 * Goal: the server serves `concurrency` requests at once for drawn service times, queues the
 * rest in FIFO or LIFO order, rejects beyond its capacity (RemoteError at the caller), reports
 * consistent statistics, loses its volatile queue on a crash, refuses bad options, and matches
 * queueing theory (M/M/c against Erlang C, utilization = lambda / (c mu)).
 * Method: deterministic service times for ordering and counts; seeded replications with a 99%
 * Student t interval (t = 3.250, 9 degrees of freedom) for theory.
 */
import { describe, expect, it } from "vitest";
import { Source } from "../../../src/components/load/source.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError } from "../../../src/errors/errors.js";
import { poisson } from "../../../src/load/arrivals.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { confidenceInterval99, erlangC } from "../../support/statistics.js";
import { EchoTarget } from "../../support/targets.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const client = new Entity(sim, "client");
  const log: string[] = [];
  return { sim, client, log };
}

/** Sends `count` calls at t = 0 and logs "payload@time" or "rejected@time". */
function callAll(client: Entity, server: Server<number, number>, count: number, log: string[]) {
  for (let i = 0; i < count; i++) {
    client.start(function* () {
      try {
        const answer = yield* client.call(server, "work", i);
        log.push(`${answer}@${client.now}`);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        log.push(`rejected ${i}@${client.now}`);
      }
    });
  }
}

componentLaws<Server<number, number>>({
  type: Server,
  options: (sim) => ({
    concurrency: 2,
    serviceTime: exponential(0.1),
    queuePolicy: "lifo" as const,
    queueCapacity: 5,
    respond: undefined,
    next: new EchoTarget<number>(sim, "next"),
    dropExpired: false,
  }),
  construct: (sim, name, options) => new Server<number, number>(sim, name, options),
  invalid: [
    { concurrency: 0 },
    { concurrency: 1.5 },
    { serviceTime: 0.1 },
    { serviceTime: constant(-1) },
    { queuePolicy: "random" },
    { queueCapacity: -1 },
    { respond: 42 },
    { respond: () => 1 },
    { next: "downstream" },
    { dropExpired: "yes" },
  ],
  scenario(sim) {
    const server = new Server<number, number>(sim, SUBJECT, {
      concurrency: 2,
      serviceTime: exponential(0.1),
      queueCapacity: 10,
    });
    new Source(sim, "load", { target: server, arrivals: poisson(25), stopAfter: { time: 4 } });
    return server;
  },
  crashAt: 2,
  recoverAt: 2.5,
});

componentLaws<Server<number, number>>({
  type: Server,
  title: "Server laws (a pipeline stage: next)",
  options: (sim) => ({
    concurrency: 2,
    serviceTime: exponential(0.1),
    queuePolicy: "fifo" as const,
    queueCapacity: 5,
    respond: undefined,
    next: new EchoTarget<number>(sim, "next"),
    dropExpired: false,
  }),
  construct: (sim, name, options) => new Server<number, number>(sim, name, options),
  invalid: [{ next: "downstream" }, { respond: () => 1 }],
  scenario(sim) {
    // The next stage is slower and its queue short: at the crash, requests are in flight to
    // it, and some are refused (the subject's `failed`).
    const back = new Server<number, number>(sim, "back", {
      concurrency: 2,
      serviceTime: exponential(0.15),
      queueCapacity: 3,
    });
    const server = new Server<number, number>(sim, SUBJECT, {
      concurrency: 2,
      serviceTime: exponential(0.05),
      queueCapacity: 10,
      next: back,
    });
    new Source(sim, "load", { target: server, arrivals: poisson(25), stopAfter: { time: 4 } });
    return server;
  },
  crashAt: 2,
  recoverAt: 2.5,
});

describe("Server", () => {
  it("serves concurrency requests at once, the rest in FIFO order", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: 2,
      serviceTime: constant(1),
    });
    callAll(client, server, 5, log);
    sim.run();
    expect(log).toEqual(["0@1", "1@1", "2@2", "3@2", "4@3"]);
    expect(server.stats).toMatchObject({ completed: 5, rejected: 0, active: 0, queued: 0 });
    // Busy: 2 workers for 2 s, 1 for 1 s, out of 2 workers x 3 s.
    expect(server.stats.utilization).toBeCloseTo(5 / 6, 12);
  });

  it("serves the newest waiting request first with LIFO", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      serviceTime: constant(1),
      queuePolicy: "lifo",
    });
    callAll(client, server, 4, log);
    sim.run();
    expect(log).toEqual(["0@1", "3@2", "2@3", "1@4"]);
  });

  it("rejects beyond the queue capacity, at once, as RemoteError", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      serviceTime: constant(1),
      queueCapacity: 2,
    });
    callAll(client, server, 5, log);
    sim.run();
    expect(log).toEqual(["rejected 3@0", "rejected 4@0", "0@1", "1@2", "2@3"]);
    expect(server.stats).toMatchObject({ completed: 3, rejected: 2 });
    const zero = setup();
    const noQueue = new Server<number, number>(zero.sim, "s", {
      serviceTime: constant(1),
      queueCapacity: 0,
    });
    callAll(zero.client, noQueue, 2, zero.log);
    zero.sim.run();
    expect(zero.log).toEqual(["rejected 1@0", "0@1"]);
  });

  it("replies with respond(request)", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      respond: (request) => request.payload * 10,
    });
    callAll(client, server, 2, log);
    sim.run();
    expect(log).toEqual(["0@0.01", "10@0.02"]);
  });

  it("a crash loses queued and in-service requests; callers time out", () => {
    const { sim, client } = setup();
    const server = new Server<number, number>(sim, "s", { serviceTime: constant(1) });
    let timeouts = 0;
    for (let i = 0; i < 3; i++) {
      client.start(function* () {
        try {
          yield* client.call(server, "work", i, { timeout: 5 });
        } catch {
          timeouts++;
        }
      });
    }
    sim.at(0.5, () => server.crash());
    sim.at(1, () => server.recover());
    sim.run();
    expect(timeouts).toBe(3);
    expect(server.stats).toMatchObject({ completed: 0, lostToCrash: 3, active: 0, queued: 0 });
  });

  describe("with next: the books of the requests handed on", () => {
    /** A front stage of two workers (1 s) handing on to a back stage of one (2 s), no queue. */
    function pipeline() {
      const { sim, client, log } = setup();
      const back = new Server<number, number>(sim, "back", {
        serviceTime: constant(2),
        queueCapacity: 0,
      });
      const front = new Server<number, number>(sim, "front", {
        concurrency: 2,
        serviceTime: constant(1),
        next: back,
      });
      callAll(client, front, 2, log);
      return { sim, front, back, log };
    }

    it("counts forwarded, succeeded, failed and inFlight over a two-stage pipeline", () => {
      const { sim, front, back, log } = pipeline();
      const seen: object[] = [];
      const snapshot = () => {
        const { forwarded, succeeded, failed, lostInFlight, inFlight } = front.stats;
        seen.push({ at: sim.now, forwarded, succeeded, failed, lostInFlight, inFlight });
      };
      sim.at(0.5, snapshot);
      sim.at(1.5, snapshot);
      sim.run();
      snapshot();
      expect(seen).toEqual([
        { at: 0.5, forwarded: 0, succeeded: 0, failed: 0, lostInFlight: 0, inFlight: 0 },
        // Both served at 1 s and handed on; the back stage takes one and refuses the other.
        { at: 1.5, forwarded: 2, succeeded: 0, failed: 1, lostInFlight: 0, inFlight: 1 },
        { at: 3, forwarded: 2, succeeded: 1, failed: 1, lostInFlight: 0, inFlight: 0 },
      ]);
      expect(log).toEqual(["rejected 1@1", "0@3"]);
      expect(front.stats).toMatchObject({ requests: 2, completed: 2, lostToCrash: 0 });
      // The last stage hands nothing on: it keeps the summary of a server without next.
      expect(back.stats).not.toHaveProperty("forwarded");
      expect(back.stats).not.toHaveProperty("inFlight");
    });

    it("a crash loses the requests in flight to the next stage (lostInFlight), apart from lostToCrash", () => {
      const { sim, front, log } = pipeline();
      sim.at(2, () => front.crash());
      sim.at(2.5, () => front.recover());
      sim.run();
      expect(front.stats).toMatchObject({
        requests: 2,
        completed: 2,
        lostToCrash: 0,
        forwarded: 2,
        succeeded: 0,
        failed: 1,
        lostInFlight: 1,
        inFlight: 0,
      });
      // The back stage's answer reached a server that had forgotten the call.
      expect(log).toEqual(["rejected 1@1"]);
    });

    it("sim.resetStats() counts the requests still in flight as forwarded again", () => {
      const { sim, front } = pipeline();
      sim.at(1.5, () => sim.resetStats());
      sim.run({ until: 1.5 });
      expect(front.stats).toMatchObject({
        forwarded: 1,
        succeeded: 0,
        failed: 0,
        lostInFlight: 0,
        inFlight: 1,
      });
      sim.run();
      expect(front.stats).toMatchObject({ forwarded: 1, succeeded: 1, inFlight: 0 });
    });
  });

  it("reports its stats as metrics, so the run summary lists them", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", { concurrency: 2 });
    callAll(client, server, 3, log);
    const summary = sim.run();
    const entry = summary.entities.find((e) => e.name === "s")!;
    expect(entry.metrics).toEqual({
      ...server.stats,
      p50Wait: server.waitTime.p50,
      p90Wait: server.waitTime.p90,
      p99Wait: server.waitTime.p99,
      p999Wait: server.waitTime.p999,
      p50Sojourn: server.sojournTime.p50,
      p90Sojourn: server.sojournTime.p90,
      p99Sojourn: server.sojournTime.p99,
      p999Sojourn: server.sojournTime.p999,
    });
    expect(entry.metrics).toMatchObject({ completed: 3, limit: 2, inUse: 0 });
  });

  it("refuses bad options, naming the server and the option", () => {
    const { sim } = setup();
    expect(() => new Server(sim, "a", { concurrency: 0 })).toThrow(
      /Server "a": option "concurrency" must be an integer >= 1; given 0/,
    );
    expect(() => new Server(sim, "b", { serviceTime: 0.1 as never })).toThrow(/serviceTime/);
    expect(() => new Server(sim, "c", { queuePolicy: "random" as never })).toThrow(/queuePolicy/);
    expect(() => new Server(sim, "d", { queueCapacity: -1 })).toThrow(ConfigError);
    expect(() => new Server(sim, "e", { respond: 5 as never })).toThrow(/respond/);
  });

  it("M/M/3 matches Erlang C and utilization lambda / (c mu)", () => {
    // lambda = 24/s, mu = 10/s, c = 3: offered load 2.4, C(3, 2.4) = 0.6472.
    const offered = 2.4;
    const waitProbability = erlangC(3, offered);
    const theoryDepth = (waitProbability * offered) / (3 - offered); // Lq
    const runs = Array.from({ length: 10 }, (_, r) => {
      const sim = new Simulation({ seed: 900 + r });
      const server = new Server(sim, "s", { concurrency: 3, serviceTime: exponential(0.1) });
      new Source(sim, "load", { target: server, arrivals: poisson(24) });
      sim.run({ until: 3000 });
      return server.stats;
    });
    const depth = confidenceInterval99(runs.map((s) => s.meanQueued));
    expect(depth.low).toBeLessThan(theoryDepth);
    expect(depth.high).toBeGreaterThan(theoryDepth);
    const utilization = confidenceInterval99(runs.map((s) => s.utilization));
    expect(utilization.low).toBeLessThan(0.8);
    expect(utilization.high).toBeGreaterThan(0.8);
  });
});
