/**
 * Goal: the concurrency models behind `Server`. A fixed model is the plain number, event for
 * event; a dynamic limit starts waiting requests the moment it is raised and pre-empts nothing
 * when lowered; a weighted pool admits requests while their weights fit, in strict queue order,
 * and rejects at once a request heavier than the whole capacity; utilization is capacity in
 * use over capacity provided; bad options and run-time misuse fail loudly.
 * Method: deterministic service times, calls sent at t = 0, and a log of "payload@time" (or
 * "rejected payload@time"), so every start and finish is checked exactly; trace hashes to
 * compare the fixed model with the number.
 */
import { describe, expect, it } from "vitest";
import { checkDeterminism } from "../../../src/check/determinism.js";
import { Source } from "../../../src/components/load/source.js";
import * as concurrency from "../../../src/components/resource/concurrency.js";
import { Server } from "../../../src/components/server/server.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, RemoteError, SimulationError } from "../../../src/errors/errors.js";
import { poisson } from "../../../src/load/arrivals.js";
import { constant, exponential } from "../../../src/random/distributions/closedForm.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const client = new Entity(sim, "client");
  const log: string[] = [];
  return { sim, client, log };
}

/** Sends a call per payload at t = 0 and logs "payload@time" or "rejected payload@time: reason". */
function callAll(
  client: Entity,
  server: Server<number, number>,
  payloads: readonly number[],
  log: string[],
) {
  for (const payload of payloads) {
    client.start(function* () {
      try {
        const answer = yield* client.call(server, "work", payload);
        log.push(`${answer}@${client.now}`);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        log.push(`rejected ${payload}@${client.now}: ${error.reason}`);
      }
    });
  }
}

describe("concurrency.fixed", () => {
  it("is the plain number, event for event", () => {
    const run = (limit: number | concurrency.FixedConcurrency<number>) => {
      const sim = new Simulation({ seed: 4 });
      const server = new Server<number, number>(sim, "s", {
        concurrency: limit,
        serviceTime: exponential(0.1),
        queueCapacity: 10,
      });
      new Source(sim, "load", { target: server, arrivals: poisson(25), stopAfter: { time: 100 } });
      const summary = sim.run();
      return { hash: summary.traceHash, stats: server.stats };
    };
    const plain = run(3);
    const model = run(concurrency.fixed(3));
    expect(model.hash).toBe(plain.hash);
    expect(model.stats.completed).toBe(plain.stats.completed);
    expect(model.stats.rejected).toBe(plain.stats.rejected);
    expect(model.stats.utilization).toBeCloseTo(plain.stats.utilization, 12);
  });
});

describe("concurrency.dynamic", () => {
  it("raising the limit starts waiting requests at once", () => {
    const { sim, client, log } = setup();
    const limit = concurrency.dynamic({ initial: 1, min: 1, max: 4 });
    const server = new Server<number, number>(sim, "s", {
      concurrency: limit,
      serviceTime: constant(1),
    });
    callAll(client, server, [0, 1, 2, 3], log);
    sim.at(0.5, () => limit.setLimit(3));
    sim.run();
    expect(log).toEqual(["0@1", "1@1.5", "2@1.5", "3@2"]);
    expect(server.concurrency).toBe(3);
    expect(limit.limitChanges).toBe(1);
    // In use: 1 for 0.5 s, 3 for 1 s (3 starts as 0 ends), 1 for 0.5 s = 4; provided: 1 x 0.5 + 3 x 1.5 = 5.
    expect(server.stats.utilization).toBeCloseTo(4 / 5, 12);
  });

  it("lowering it below the number in service lets those finish and starts nothing new", () => {
    const { sim, client, log } = setup();
    const limit = concurrency.dynamic({ initial: 3, max: 3 });
    const server = new Server<number, number>(sim, "s", {
      concurrency: limit,
      serviceTime: constant(1),
    });
    callAll(client, server, [0, 1, 2, 3, 4], log);
    const seen: number[] = [];
    sim.at(0.5, () => {
      limit.setLimit(1);
      seen.push(server.stats.active, server.stats.limit);
    });
    sim.run();
    expect(seen).toEqual([3, 1]);
    expect(log).toEqual(["0@1", "1@1", "2@1", "3@2", "4@3"]);
    // In use 3 x 1 + 1 x 2 = 5 over provided 3 x 0.5 + 1 x 2.5 = 4: above 1, as documented.
    expect(server.stats.utilization).toBeCloseTo(5 / 4, 12);
  });

  it("setLimit outside [min, max] is a SimulationError naming the server and the time", () => {
    const { sim } = setup();
    const limit = concurrency.dynamic({ initial: 2, min: 2, max: 4 });
    new Server(sim, "api", { concurrency: limit });
    let caught: unknown;
    sim.at(1, () => {
      try {
        limit.setLimit(5);
      } catch (error) {
        caught = error;
      }
    });
    sim.run();
    expect(caught).toBeInstanceOf(SimulationError);
    expect(String((caught as Error).message)).toMatch(
      /entity "api" at t=1s: concurrency.dynamic setLimit\(5\): the limit must be an integer in \[2, 4\]/,
    );
    expect(() => limit.setLimit(1)).toThrow(SimulationError);
    expect(() => limit.setLimit(2.5)).toThrow(SimulationError);
    expect(limit.limit).toBe(2);
  });

  it("refuses bad options", () => {
    expect(() => concurrency.dynamic({ initial: 5, min: 1, max: 4 })).toThrow(
      /concurrency.dynamic: option "initial" must be an integer in \[min, max\] = \[1, 4\]; given 5/,
    );
    expect(() => concurrency.dynamic({ initial: 2, min: 3, max: 2 })).toThrow(
      /option "max" must be an integer >= 3; given 2/,
    );
    expect(() => concurrency.dynamic({ initial: 1, min: 0, max: 2 })).toThrow(/"min"/);
    expect(() => concurrency.dynamic({ initial: 1 } as never)).toThrow(/"max"/);
  });
});

describe("concurrency.weighted", () => {
  it("admits while weights fit, in strict queue order, and rejects the too heavy at once", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted<number>({
        capacity: 10,
        weight: (request) => request.payload,
      }),
      serviceTime: constant(1),
    });
    // 6 starts; 5 does not fit beside it and waits; 3 would fit but must not overtake 5.
    callAll(client, server, [6, 5, 3, 11], log);
    const seen: number[] = [];
    sim.at(0.5, () => seen.push(server.stats.active, server.stats.inUse, server.stats.queued));
    sim.run();
    expect(seen).toEqual([1, 6, 2]);
    expect(log).toEqual([
      "rejected 11@0: needs 11 capacity units, more than the whole 10",
      "6@1",
      "5@2",
      "3@2",
    ]);
    expect(server.stats).toMatchObject({ completed: 3, rejected: 1, inUse: 0, limit: 10 });
    // Units in use: 6 for 1 s, then 8 for 1 s, out of 10 for 2 s.
    expect(server.stats.utilization).toBeCloseTo(14 / 20, 12);
  });

  it("serves the newest waiting request first with LIFO, still one at a time in order", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted<number>({ capacity: 4, weight: (r) => r.payload }),
      serviceTime: constant(1),
      queuePolicy: "lifo",
    });
    callAll(client, server, [4, 1, 2, 3], log);
    sim.run();
    // At 1: the newest (3) starts, then 2 does not fit beside it (3 + 2 > 4): it waits for 3.
    expect(log).toEqual(["4@1", "3@2", "2@3", "1@3"]);
  });

  it("a request without a weight function takes one unit", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted({ capacity: 2 }),
      serviceTime: constant(1),
    });
    callAll(client, server, [0, 1, 2], log);
    sim.run();
    expect(log).toEqual(["0@1", "1@1", "2@2"]);
  });

  it("counts a full queue as a rejection, like the number", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted<number>({ capacity: 4, weight: (r) => r.payload }),
      serviceTime: constant(1),
      queueCapacity: 1,
    });
    callAll(client, server, [3, 2, 1], log);
    sim.run();
    expect(log).toEqual(["rejected 1@0: queue full (1 waiting)", "3@1", "2@2"]);
  });

  it("a weight that is not an integer >= 1 fails the run with a SimulationError", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted<number>({ capacity: 4, weight: () => 0.5 }),
    });
    callAll(client, server, [1], log);
    expect(() => sim.run()).toThrow(/entity "s".*weight\(\) returned 0.5.*integer >= 1/);
  });

  it("a crash frees every unit; the server serves again after recovery", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.weighted<number>({ capacity: 4, weight: (r) => r.payload }),
      serviceTime: constant(1),
    });
    callAll(client, server, [3, 2], log);
    sim.at(0.5, () => server.crash());
    sim.at(0.6, () => server.recover());
    sim.at(1, () => callAll(client, server, [4], log));
    sim.run();
    expect(log).toEqual(["4@2"]);
    expect(server.stats).toMatchObject({ lostToCrash: 2, completed: 1, inUse: 0, queued: 0 });
  });

  it("refuses bad options", () => {
    expect(() => concurrency.weighted({ capacity: 0 })).toThrow(
      /concurrency.weighted: option "capacity" must be an integer >= 1; given 0/,
    );
    expect(() => concurrency.weighted({ capacity: 2, weight: 3 as never })).toThrow(/"weight"/);
    expect(() => concurrency.fixed(0)).toThrow(ConfigError);
  });
});

describe("Server with a concurrency model", () => {
  it("refuses a model already serving another server, and a concurrency of the wrong type", () => {
    const { sim } = setup();
    const shared = concurrency.dynamic({ initial: 1, max: 2 });
    new Server(sim, "a", { concurrency: shared });
    expect(() => new Server(sim, "b", { concurrency: shared })).toThrow(
      /Server "b": option "concurrency" must be a concurrency model of its own \(this one already serves "a"\)/,
    );
    expect(() => new Server(sim, "c", { concurrency: "8" as never })).toThrow(
      /Server "c": option "concurrency" must be an integer >= 1 or a concurrency model/,
    );
  });

  it("reports its stats as metrics for the run summary", () => {
    const { sim, client, log } = setup();
    const server = new Server<number, number>(sim, "s", {
      concurrency: concurrency.dynamic({ initial: 2, max: 4 }),
      serviceTime: constant(1),
    });
    callAll(client, server, [0, 1, 2], log);
    const summary = sim.run();
    const entry = summary.entities.find((e) => e.name === "s")!;
    expect(entry.type).toBe("Server");
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
    expect(entry.metrics).toMatchObject({ completed: 3, limit: 2, active: 0 });
  });

  it("is deterministic under a seed with a limit that changes", () => {
    const build = (seed: number) => {
      const sim = new Simulation({ seed });
      const limit = concurrency.dynamic({ initial: 1, max: 4 });
      const server = new Server(sim, "s", { concurrency: limit, serviceTime: exponential(0.1) });
      new Source(sim, "load", { target: server, arrivals: poisson(15), stopAfter: { time: 50 } });
      for (let t = 5; t < 50; t += 5) sim.at(t, () => limit.setLimit(1 + ((t / 5) % 4)));
      return sim;
    };
    expect(checkDeterminism(build, 3).deterministic).toBe(true);
  });
});
