/**
 * Goal: `Resource` hands out units to processes in queue order (FIFO, LIFO), at once when free
 * (no event), hands a released unit straight to the next waiter, honours amounts, a bounded
 * queue (refusal at once) and maxWait with the same-instant rule (a waiter whose deadline is
 * the instant a unit frees gets it only if the release ran first), follows a dynamic capacity,
 * survives its owner's crash (waiters fail, grants are lost, capacity is free after recovery),
 * keeps lifetime statistics that reset with sim.resetStats(), and refuses bad input with typed
 * errors.
 * Method: scripted processes with exact times; outcomes logged with the simulated time.
 */
import { describe, expect, it } from "vitest";
import { dynamic } from "../../../src/components/resource/concurrency.js";
import { type Grant, Resource } from "../../../src/components/resource/resource.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import {
  ConfigError,
  RemoteError,
  SimulationError,
  TimeoutError,
} from "../../../src/errors/errors.js";

function setup(options: ConstructorParameters<typeof Resource>[1] = {}) {
  const sim = new Simulation({ seed: 1 });
  const owner = new Entity(sim, "hospital");
  const users = new Entity(sim, "patients");
  const beds = new Resource(owner, { name: "beds", ...options });
  const log: string[] = [];
  /** A process that arrives at `at`, holds `amount` units for `hold` seconds. */
  const patient = (
    id: string,
    at: number,
    hold: number,
    acquire: Parameters<Resource["acquire"]>[0] = {},
  ) =>
    sim.at(at, () =>
      users.start(function* () {
        let grant: Grant;
        try {
          grant = yield* beds.acquire(acquire);
        } catch (error) {
          log.push(`${id}:${(error as Error).name}@${sim.now}`);
          return;
        }
        log.push(`${id}:in@${sim.now}`);
        yield hold;
        beds.release(grant);
        log.push(`${id}:out@${sim.now}`);
      }),
    );
  return { sim, owner, users, beds, log, patient };
}

describe("Resource", () => {
  it("grants at once when free, queues FIFO, and hands a released unit to the oldest waiter", () => {
    const { sim, beds, log, patient } = setup({ capacity: 2 });
    patient("a", 0, 3);
    patient("b", 0, 1);
    patient("c", 0.5, 1);
    patient("d", 0.6, 1);
    sim.run();
    expect(log).toEqual([
      "a:in@0",
      "b:in@0",
      "b:out@1",
      "c:in@1",
      "c:out@2",
      "d:in@2",
      "a:out@3",
      "d:out@3",
    ]);
    const s = beds.stats;
    expect(s).toMatchObject({ requests: 4, granted: 4, rejected: 0, inUse: 0, queued: 0 });
    expect(s.probabilityOfWaiting).toBe(0.5);
    // c waited 0.5 s, d 1.4 s; a and b none.
    expect(s.meanWait).toBeCloseTo((0.5 + 1.4) / 4, 12);
    expect(s.utilization).toBeCloseTo((3 + 1 + 1 + 1) / (2 * 3), 12);
  });

  it("serves LIFO when asked", () => {
    const { sim, log, patient } = setup({ queuePolicy: "lifo" });
    patient("a", 0, 1);
    patient("b", 0.1, 1);
    patient("c", 0.2, 1);
    sim.run();
    expect(log.filter((l) => l.includes(":in"))).toEqual(["a:in@0", "c:in@1", "b:in@2"]);
  });

  it("an immediate grant adds no event", () => {
    const { sim, owner, beds } = setup({ capacity: 1 });
    let events = -1;
    owner.start(function* () {
      const before = sim.run === undefined ? 0 : 0;
      const grant = yield* beds.acquire();
      beds.release(grant);
      events = before;
    });
    const summary = sim.run();
    expect(events).toBe(0);
    // One event: the process's first step. No wake-up for the grant.
    expect(summary.eventsProcessed).toBe(1);
  });

  it("a large amount at the head is not overtaken by small ones behind it", () => {
    const { sim, log, patient } = setup({ capacity: 3 });
    patient("a", 0, 2, { amount: 2 });
    patient("big", 0.1, 1, { amount: 3 });
    patient("small", 0.2, 1, { amount: 1 });
    sim.run();
    expect(log.filter((l) => l.includes(":in"))).toEqual(["a:in@0", "big:in@2", "small:in@3"]);
  });

  it("refuses at once beyond queueCapacity, and an amount above the capacity", () => {
    const { sim, beds, log, patient } = setup({ capacity: 1, queueCapacity: 1 });
    patient("a", 0, 1);
    patient("b", 0, 1);
    patient("c", 0, 1);
    patient("huge", 0, 1, { amount: 2 });
    sim.run();
    expect(log).toContain("c:RemoteError@0");
    expect(log).toContain("huge:RemoteError@0");
    expect(beds.stats).toMatchObject({ requests: 4, granted: 2, rejected: 2 });
  });

  it("maxWait: the waiter gives up with TimeoutError and leaves the queue", () => {
    const { sim, beds, log, patient } = setup({ capacity: 1 });
    patient("a", 0, 2);
    patient("b", 0, 1, { maxWait: 0.5 });
    patient("c", 0, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "b:TimeoutError@0.5", "a:out@2", "c:in@2", "c:out@3"]);
    expect(beds.stats).toMatchObject({ timedOut: 1, granted: 2 });
  });

  it("same instant: a release that runs before the deadline's event grants the unit", () => {
    const { sim, log, patient } = setup({ capacity: 1 });
    // a's release at 1 is scheduled (its sleep) before b's deadline timer (armed at 0 too,
    // but later): the release runs first.
    patient("a", 0, 1);
    patient("b", 0, 1, { maxWait: 1 });
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@1", "b:in@1", "b:out@2"]);
  });

  it("same instant: a deadline whose event runs first refuses, though a unit frees then", () => {
    const { sim, users, beds, log, patient } = setup({ capacity: 1 });
    const held = beds.tryAcquire()!;
    patient("w", 0, 1, { maxWait: 1 }); // its deadline event at 1 is scheduled at 0
    // The release at 1 is scheduled at 0.5, after the deadline: the deadline runs first.
    sim.at(0.5, () => sim.at(1, () => beds.release(held)));
    sim.at(1, () =>
      sim.at(1, () => log.push(`queued ${beds.queued}, in use ${beds.inUse}@${sim.now}`)),
    );
    sim.run();
    // The waiter left the queue in its deadline's event; its process resumes a step later.
    expect(log).toEqual(["queued 0, in use 0@1", "w:TimeoutError@1"]);
    expect(users.liveProcessCount).toBe(0);
  });

  it("a waiter whose process is cancelled leaves the queue", () => {
    const { sim, users, beds, patient, log } = setup({ capacity: 1 });
    patient("a", 0, 2);
    let waiter: ReturnType<Entity["start"]> | null = null;
    sim.at(0, () => {
      waiter = users.start(function* () {
        yield* beds.acquire();
        log.push("never");
      });
    });
    sim.at(1, () => waiter!.cancel());
    patient("c", 1.5, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@2", "c:in@2", "c:out@3"]);
  });

  it("follows a dynamic capacity: raising it starts waiters at once", () => {
    const limit = dynamic({ initial: 1, max: 3 });
    const { sim, log, patient } = setup({ capacity: limit });
    patient("a", 0, 5);
    patient("b", 0, 5);
    patient("c", 0, 5);
    sim.at(1, () => limit.setLimit(3));
    sim.run();
    expect(log.filter((l) => l.includes(":in"))).toEqual(["a:in@0", "b:in@1", "c:in@1"]);
  });

  it("the owner's crash fails the waiters, loses the grants, and frees the capacity", () => {
    const { sim, owner, beds, log, patient } = setup({ capacity: 1 });
    patient("a", 0, 2);
    patient("b", 0, 1);
    sim.at(1, () => owner.crash());
    sim.at(1.5, () => owner.recover());
    patient("c", 1.5, 1);
    sim.run();
    // a releases its lost grant at 2: ignored. c got the free unit at once.
    expect(log).toEqual(["a:in@0", "b:RemoteError@1", "c:in@1.5", "a:out@2", "c:out@2.5"]);
    expect(beds.stats).toMatchObject({ lostToCrash: 2, inUse: 0, queued: 0 });
  });

  it("acquire while the owner is down throws RemoteError", () => {
    const { sim, owner, log, patient } = setup();
    owner.crash();
    patient("a", 0, 1);
    sim.run();
    expect(log).toEqual(["a:RemoteError@0"]);
  });

  it("statistics cover the owner's lifetime and restart with sim.resetStats()", () => {
    const sim = new Simulation({ seed: 1 });
    const users = new Entity(sim, "users");
    let beds: Resource | null = null;
    sim.at(100, () => {
      beds = new Resource(new Entity(sim, "late"), { capacity: 1 });
      users.start(function* () {
        yield* beds!.acquire();
      });
    });
    sim.run({ until: 200 });
    expect(beds!.stats.utilization).toBe(1);
    sim.resetStats();
    sim.run({ until: 300 });
    expect(beds!.stats).toMatchObject({ utilization: 1, requests: 1, granted: 1, meanWait: 0 });
  });

  it("release misuse is a SimulationError; bad options and amounts are ConfigErrors", () => {
    const { sim, owner, beds } = setup({ capacity: 2 });
    const other = new Resource(owner, { name: "other" });
    const grant = beds.tryAcquire()!;
    beds.release(grant);
    expect(() => beds.release(grant)).toThrow(SimulationError);
    expect(() => other.release(beds.tryAcquire()!)).toThrow(SimulationError);
    expect(() => new Resource(owner, { capacity: 0 })).toThrow(ConfigError);
    expect(() => new Resource(owner, { capacity: 1.5 })).toThrow(ConfigError);
    expect(() => new Resource(owner, { queueCapacity: -1 })).toThrow(ConfigError);
    expect(() => new Resource(owner, { queuePolicy: "random" as "fifo" })).toThrow(ConfigError);
    expect(() => new Resource(sim as unknown as Entity, {})).toThrow(ConfigError);
    expect(() => beds.tryAcquire(0)).toThrow(ConfigError);
    expect(() => beds.acquire({ maxWait: -1 }).next()).toThrow(ConfigError);
    expect(() => beds.acquire({ amount: 1.5 }).next()).toThrow(ConfigError);
  });

  it("a TimeoutError is the wait's error type", () => {
    const { sim, owner, beds } = setup({ capacity: 1 });
    let error: unknown = null;
    beds.tryAcquire();
    owner.start(function* () {
      try {
        yield* beds.acquire({ maxWait: 0 });
      } catch (e) {
        error = e;
      }
    });
    sim.run();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).not.toBeInstanceOf(RemoteError);
  });
});
