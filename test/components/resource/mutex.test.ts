/**
 * Goal: `Mutex` admits one holder at a time in FIFO order, honours maxWait, enforces
 * ownership (a second release, or a hold of another lock, is a SimulationError naming the
 * mutex, its owner and the simulated time), states its crash semantics (the owner's crash
 * frees it and fails the waiters; a holder's crash releases it by default and keeps it with
 * onHolderCrash: "keep" until releaseCrashed()), reports wait statistics that restart with
 * sim.resetStats(), and refuses bad input with ConfigError.
 * Method: scripted processes, one entity each (so one can crash alone), outcomes logged with
 * the simulated time.
 */
import { describe, expect, it } from "vitest";
import { Mutex, type MutexOptions } from "../../../src/components/resource/mutex.js";
import type { LockHold } from "../../../src/components/resource/semaphore.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";

function setup(options: MutexOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const db = new Entity(sim, "db");
  const row = new Mutex(db, { name: "row", ...options });
  const log: string[] = [];
  const workers = new Map<string, Entity>();
  /** A process on its own entity that arrives at `at` and holds the mutex `hold` seconds. */
  const worker = (id: string, at: number, hold: number, maxWait?: number) => {
    const entity = new Entity(sim, id);
    workers.set(id, entity);
    sim.at(at, () =>
      entity.start(function* () {
        let held: LockHold;
        try {
          held = yield* row.acquire(maxWait === undefined ? undefined : { maxWait });
        } catch (error) {
          log.push(`${id}:${(error as Error).name}@${sim.now}`);
          return;
        }
        log.push(`${id}:in@${sim.now}`);
        try {
          yield hold;
        } finally {
          row.release(held);
          log.push(`${id}:out@${sim.now}`);
        }
      }),
    );
    return entity;
  };
  return { sim, db, row, log, worker, workers };
}

describe("Mutex", () => {
  it("admits one holder at a time, the others in arrival order", () => {
    const { sim, row, log, worker } = setup();
    worker("a", 0, 2);
    worker("b", 0.5, 1);
    worker("c", 0.6, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@2", "b:in@2", "b:out@3", "c:in@3", "c:out@4"]);
    const s = row.stats;
    expect(s).toMatchObject({ permits: 1, held: 0, waiting: 0, acquired: 3, timedOut: 0 });
    // b waited 1.5 s, c 2.4 s, a none.
    expect(s.meanWait).toBeCloseTo((1.5 + 2.4) / 3, 12);
    expect(s.p99Wait).toBeCloseTo(2.4, 1);
    expect(s.utilization).toBeCloseTo(1, 12);
    expect(s.probabilityOfWaiting).toBeCloseTo(2 / 3, 12);
  });

  it("isLocked follows the holder; tryAcquire takes it only when free", () => {
    const { row } = setup();
    expect(row.isLocked).toBe(false);
    const hold = row.tryAcquire()!;
    expect(hold.isHeld).toBe(true);
    expect(row.isLocked).toBe(true);
    expect(row.tryAcquire()).toBeNull();
    row.release(hold);
    expect(hold.isHeld).toBe(false);
    expect(row.isLocked).toBe(false);
  });

  it("maxWait: the waiter gives up with TimeoutError and leaves the line", () => {
    const { sim, row, log, worker } = setup();
    worker("a", 0, 2);
    worker("b", 0, 1, 0.5);
    worker("c", 0, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "b:TimeoutError@0.5", "a:out@2", "c:in@2", "c:out@3"]);
    expect(row.stats).toMatchObject({ timedOut: 1, acquired: 2 });
  });

  it("a waiter whose process is cancelled leaves the line", () => {
    const { sim, row, log, worker } = setup();
    worker("a", 0, 2);
    const other = new Entity(sim, "other");
    let waiter: ReturnType<Entity["start"]> | null = null;
    sim.at(0, () => {
      waiter = other.start(function* () {
        yield* row.acquire();
        log.push("never");
      });
    });
    sim.at(1, () => waiter!.cancel());
    worker("c", 1.5, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@2", "c:in@2", "c:out@3"]);
  });

  it("a second release is a SimulationError naming the mutex, its owner and the time", () => {
    const { sim, db, row } = setup();
    const user = new Entity(sim, "user");
    let caught: unknown = null;
    user.start(function* () {
      const hold = yield* row.acquire();
      yield 1;
      row.release(hold);
      try {
        row.release(hold);
      } catch (error) {
        caught = error;
      }
    });
    sim.run();
    expect(caught).toBeInstanceOf(SimulationError);
    const error = caught as SimulationError;
    expect(error.entity).toBe(db.name);
    expect(error.time).toBe(1);
    expect(error.message).toBe(
      'entity "db" at t=1s: Mutex "row" release(): the lock is not held (released twice?)',
    );
  });

  it("releasing a hold of another mutex, or something that is not a hold, is a SimulationError", () => {
    const { db, row } = setup();
    const other = new Mutex(db, { name: "other" });
    const foreign = other.tryAcquire()!;
    expect(() => row.release(foreign)).toThrow(/Mutex "row" release\(\): not a hold of this lock/);
    expect(() => row.release({} as LockHold)).toThrow(SimulationError);
    // The foreign hold is still good for its own mutex.
    other.release(foreign);
    expect(other.isLocked).toBe(false);
  });

  it("a holder's crash releases the mutex by default (its finally runs)", () => {
    const { sim, row, log, worker } = setup();
    const a = worker("a", 0, 10);
    worker("b", 0.5, 1);
    sim.at(1, () => a.crash());
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@1", "b:in@1", "b:out@2"]);
    expect(row.stats).toMatchObject({ keptByCrashed: 0, held: 0, lostToCrash: 0 });
  });

  it('onHolderCrash "keep": a crashed holder keeps it until releaseCrashed()', () => {
    const { sim, row, log, worker } = setup({ onHolderCrash: "keep" });
    const a = worker("a", 0, 10);
    worker("b", 0.5, 1);
    sim.at(1, () => a.crash());
    sim.at(3, () => {
      log.push(`locked ${row.isLocked}, kept ${row.stats.keptByCrashed}@${sim.now}`);
      a.recover(); // recovering does not give the lock back: the hold died with the process
    });
    sim.at(5, () => log.push(`freed ${row.releaseCrashed()}@${sim.now}`));
    sim.run();
    expect(log).toEqual([
      "a:in@0",
      "a:out@1",
      "locked true, kept 1@3",
      "freed 1@5",
      "b:in@5",
      "b:out@6",
    ]);
    expect(row.stats.keptByCrashed).toBe(0);
  });

  it("a release from a holder that is up is honoured under keep", () => {
    const { sim, log, worker } = setup({ onHolderCrash: "keep" });
    worker("a", 0, 1);
    worker("b", 0, 1);
    sim.run();
    expect(log).toEqual(["a:in@0", "a:out@1", "b:in@1", "b:out@2"]);
  });

  it("the owner's crash frees it, fails the waiters, and a later release is ignored", () => {
    const { sim, db, row, log, worker } = setup({ onHolderCrash: "keep" });
    worker("a", 0, 3);
    worker("b", 0, 1);
    worker("c", 0, 1);
    sim.at(1, () => db.crash());
    sim.at(2, () => {
      log.push(`locked ${row.isLocked}@${sim.now}`);
      db.recover();
    });
    worker("d", 4, 1);
    sim.run();
    expect(log).toEqual([
      "a:in@0",
      "b:RemoteError@1",
      "c:RemoteError@1",
      "locked false@2",
      "a:out@3", // its release is ignored: the crash took the hold
      "d:in@4",
      "d:out@5",
    ]);
    // The hold and the two waiters.
    expect(row.stats.lostToCrash).toBe(3);
  });

  it("acquire while the owner is down fails with RemoteError, counted as rejected", () => {
    const { sim, db, row, log, worker } = setup();
    sim.at(0, () => db.crash());
    worker("a", 1, 1);
    sim.run();
    expect(log).toEqual(["a:RemoteError@1"]);
    expect(row.stats.rejected).toBe(1);
  });

  it("statistics restart with sim.resetStats(), the waiting and holding kept", () => {
    const { sim, row, worker } = setup();
    worker("a", 0, 4);
    worker("b", 1, 1);
    worker("c", 2, 1);
    sim.at(3, () => sim.resetStats());
    sim.at(3, () => sim.at(3, () => expect(row.stats).toMatchObject({ held: 1, waiting: 2 })));
    sim.run();
    // After the reset (the resource family's rule): a's hold counted again as if just
    // granted, then b (granted at 4) and c (at 5).
    expect(row.stats.acquired).toBe(3);
    expect(row.stats.timedOut).toBe(0);
  });

  it("refuses bad input with ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new Entity(sim, "db");
    expect(() => new Mutex({} as Entity, {})).toThrow(ConfigError);
    expect(() => new Mutex(db, { onHolderCrash: "forget" as "keep" })).toThrow(
      'Mutex "mutex": option "onHolderCrash" must be "release" or "keep"; given "forget"',
    );
    const row = new Mutex(db);
    const user = new Entity(sim, "user");
    let caught: unknown = null;
    user.start(function* () {
      try {
        yield* row.acquire({ maxWait: -1 });
      } catch (error) {
        caught = error;
      }
    });
    sim.run();
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/Mutex "mutex".acquire: option "maxWait"/);
  });
});
