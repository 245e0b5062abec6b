/**
 * Goal: `Semaphore` lets at most `permits` processes hold it at once, hands a released permit
 * to the oldest waiter (so nobody slips in between), counts what it did, and refuses bad
 * permits with ConfigError. The ownership and crash rules it shares with Mutex are tested in
 * mutex.test.ts.
 * Method: scripted processes; a random workload (fast-check) checks the bound and FIFO order
 * against a log of grants and releases.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Semaphore } from "../../../src/components/resource/semaphore.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";

describe("Semaphore", () => {
  it("lets `permits` holders in at once and queues the rest FIFO", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new Entity(sim, "db");
    const connections = new Semaphore(db, { name: "connections", permits: 2 });
    const users = new Entity(sim, "users");
    const log: string[] = [];
    for (const [id, at, hold] of [
      ["a", 0, 3],
      ["b", 0, 1],
      ["c", 0.2, 1],
      ["d", 0.3, 1],
    ] as const) {
      sim.at(at, () =>
        users.start(function* () {
          const held = yield* connections.acquire();
          log.push(`${id}:in@${sim.now}`);
          try {
            yield hold;
          } finally {
            connections.release(held);
          }
        }),
      );
    }
    sim.run();
    expect(log).toEqual(["a:in@0", "b:in@0", "c:in@1", "d:in@2"]);
    expect(connections.stats).toMatchObject({ permits: 2, acquired: 4, held: 0, waiting: 0 });
    expect(connections.stats.meanWait).toBeCloseTo((0.8 + 1.7) / 4, 12);
  });

  it("never has more than `permits` holders, and grants in arrival order (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 20 }), hold: fc.integer({ min: 0, max: 5 }) }),
          { minLength: 1, maxLength: 30 },
        ),
        (permits, jobs) => {
          const sim = new Simulation({ seed: 1 });
          const owner = new Entity(sim, "owner");
          const sem = new Semaphore(owner, { permits });
          const users = new Entity(sim, "users");
          let holding = 0;
          let most = 0;
          const asked: number[] = [];
          const granted: number[] = [];
          jobs.forEach(({ at, hold }, id) => {
            sim.at(at / 4, () =>
              users.start(function* () {
                asked.push(id);
                const held = yield* sem.acquire();
                granted.push(id);
                holding++;
                most = Math.max(most, holding);
                try {
                  yield hold / 4;
                } finally {
                  holding--;
                  sem.release(held);
                }
              }),
            );
          });
          sim.run();
          expect(most).toBeLessThanOrEqual(permits);
          expect(granted).toEqual(asked);
          expect(sem.stats).toMatchObject({ acquired: jobs.length, held: 0, waiting: 0 });
        },
      ),
      { seed: 13, numRuns: 100 },
    );
  });

  it("acquire({ permits }) takes several at once; a large ask is not overtaken", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "owner");
    const sem = new Semaphore(owner, { name: "cores", permits: 3 });
    const users = new Entity(sim, "users");
    const log: string[] = [];
    for (const [id, at, permits, hold] of [
      ["a", 0, 2, 2],
      ["big", 0.1, 2, 1],
      ["small", 0.2, 1, 1],
    ] as const) {
      sim.at(at, () =>
        users.start(function* () {
          const held = yield* sem.acquire({ permits });
          log.push(`${id}:${held.permits}@${sim.now}`);
          try {
            yield hold;
          } finally {
            sem.release(held);
          }
        }),
      );
    }
    sim.run();
    // One permit is free from 0 on, but "small" waits behind "big".
    expect(log).toEqual(["a:2@0", "big:2@2", "small:1@2"]);
    const held = sem.tryAcquire(3)!;
    expect(held.permits).toBe(3);
    sem.release(held);
    expect(held.permits).toBe(0);
    expect(() => sem.tryAcquire(4)).toThrow(
      'Semaphore "cores".tryAcquire: option "permits" must be an integer in [1, 3]; given 4',
    );
    expect(() => sem.tryAcquire(0)).toThrow(ConfigError);
  });

  it("refuses bad permits with ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new Entity(sim, "db");
    for (const permits of [0, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Semaphore(db, { permits })).toThrow(ConfigError);
    }
    expect(() => new Semaphore(db, { name: "pool", permits: 0 })).toThrow(
      'Semaphore "pool": option "permits" must be an integer >= 1; given 0',
    );
  });
});
