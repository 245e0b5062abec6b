/**
 * Goal: `RWLock` lets readers share it (up to maxReaders) and a writer hold it alone, with
 * writer preference stated and tested (a waiting writer blocks every reader that comes after
 * it, even while readers hold it; readers queued behind a writer go in together when it
 * leaves), a waiting writer that gives up unblocks the readers behind it at once, counts per
 * mode, keeps the family's crash semantics and misuse errors, and refuses bad input.
 * Method: scripted readers and writers on their own entities, outcomes logged with the
 * simulated time.
 */
import { describe, expect, it } from "vitest";
import {
  RWLock,
  type RWLockHold,
  type RWLockMode,
  type RWLockOptions,
} from "../../../src/components/resource/rwLock.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";

function setup(options: RWLockOptions = {}) {
  const sim = new Simulation({ seed: 1 });
  const db = new Entity(sim, "db");
  const table = new RWLock(db, { name: "prices", ...options });
  const log: string[] = [];
  const client = (
    id: string,
    mode: RWLockMode,
    at: number,
    hold: number,
    maxWait?: number,
  ): Entity => {
    const entity = new Entity(sim, id);
    sim.at(at, () =>
      entity.start(function* () {
        let held: RWLockHold;
        try {
          held = yield* table.acquire(mode, maxWait === undefined ? undefined : { maxWait });
        } catch (error) {
          log.push(`${id}:${(error as Error).name}@${sim.now}`);
          return;
        }
        log.push(`${id}:in@${sim.now}`);
        try {
          yield hold;
        } finally {
          table.release(held);
        }
      }),
    );
    return entity;
  };
  return { sim, db, table, log, client };
}

describe("RWLock", () => {
  it("readers share it; a writer holds it alone", () => {
    const { sim, table, log, client } = setup();
    client("r1", "read", 0, 2);
    client("r2", "read", 0, 1);
    client("w", "write", 0.5, 1);
    sim.at(0.1, () => log.push(`readers ${table.readers} writing ${table.writing}`));
    sim.at(2.5, () => log.push(`readers ${table.readers} writing ${table.writing}`));
    sim.run();
    expect(log).toEqual([
      "r1:in@0",
      "r2:in@0",
      "readers 2 writing false",
      "w:in@2",
      "readers 0 writing true",
    ]);
  });

  it("writer preference: a waiting writer blocks later readers, even while readers hold it", () => {
    const { sim, table, log, client } = setup();
    client("r1", "read", 0, 2);
    client("w", "write", 0.5, 1);
    client("r2", "read", 1, 1); // only readers hold it, but a writer waits: r2 waits too
    client("r3", "read", 1.5, 1);
    sim.at(1.6, () => {
      const s = table.stats;
      log.push(`waiting ${s.readersWaiting}r ${s.writersWaiting}w@${sim.now}`);
    });
    sim.run();
    // r2 and r3 go in together when the writer leaves.
    expect(log).toEqual(["r1:in@0", "waiting 2r 1w@1.6", "w:in@2", "r2:in@3", "r3:in@3"]);
    const s = table.stats;
    expect(s).toMatchObject({ readsAcquired: 3, writesAcquired: 1, readers: 0, writing: false });
    expect(s.meanWriteWait).toBeCloseTo(1.5, 12);
    expect(s.meanReadWait).toBeCloseTo((0 + 2 + 1.5) / 3, 12);
    expect(s.p99WriteWait).toBeCloseTo(1.5, 1);
  });

  it("a waiting writer that gives up lets the readers behind it in at once", () => {
    const { sim, table, log, client } = setup();
    client("r1", "read", 0, 5);
    client("w", "write", 1, 1, 1);
    client("r2", "read", 1.5, 1);
    sim.run();
    // The writer leaves the line in its deadline's event, which lets r2 in first.
    expect(log).toEqual(["r1:in@0", "r2:in@2", "w:TimeoutError@2"]);
    expect(table.stats.timedOut).toBe(1);
  });

  it("maxReaders bounds the readers inside", () => {
    const { sim, log, client } = setup({ maxReaders: 2 });
    client("r1", "read", 0, 1);
    client("r2", "read", 0, 2);
    client("r3", "read", 0, 1);
    sim.run();
    expect(log).toEqual(["r1:in@0", "r2:in@0", "r3:in@1"]);
  });

  it("a writer waits for every reader inside, and writers take turns in order", () => {
    const { sim, log, client } = setup();
    client("r1", "read", 0, 1);
    client("r2", "read", 0, 3);
    client("w1", "write", 0.5, 1);
    client("w2", "write", 0.6, 1);
    client("r3", "read", 0.7, 1);
    sim.run();
    expect(log).toEqual(["r1:in@0", "r2:in@0", "w1:in@3", "w2:in@4", "r3:in@5"]);
  });

  it("a second release, or a hold of another lock, is a SimulationError", () => {
    const { sim, db, table } = setup();
    const other = new RWLock(db, { name: "other" });
    let caught: unknown = null;
    const user = new Entity(sim, "user");
    user.start(function* () {
      const hold = yield* table.acquireWrite();
      yield 2;
      table.release(hold);
      try {
        table.release(hold);
      } catch (error) {
        caught = error;
      }
    });
    sim.run();
    expect(caught).toBeInstanceOf(SimulationError);
    expect((caught as Error).message).toBe(
      'entity "db" at t=2s: RWLock "prices" release(): the write lock is not held (released twice?)',
    );
    const foreign = other.tryAcquireRead();
    expect(foreign).not.toBeNull();
    expect(() => table.release(foreign!)).toThrow(/not a hold of this lock/);
  });

  it('a crashed writer releases it by default, and keeps it under onHolderCrash "keep"', () => {
    for (const policy of ["release", "keep"] as const) {
      const { sim, table, log, client } = setup({ onHolderCrash: policy });
      const w = client("w", "write", 0, 10);
      client("r", "read", 0.5, 1);
      sim.at(1, () => w.crash());
      sim.at(4, () => log.push(`freed ${table.releaseCrashed()}@${sim.now}`));
      sim.run();
      expect(log).toEqual(
        policy === "release"
          ? ["w:in@0", "r:in@1", "freed 0@4"]
          : ["w:in@0", "freed 1@4", "r:in@4"],
      );
    }
  });

  it("the owner's crash frees it and fails the waiters", () => {
    const { sim, db, table, log, client } = setup();
    client("w", "write", 0, 3);
    client("r1", "read", 0, 1);
    client("r2", "read", 0, 1);
    sim.at(1, () => db.crash());
    sim.at(2, () => db.recover());
    client("r3", "read", 2.5, 1);
    sim.run();
    expect(log).toEqual(["w:in@0", "r1:RemoteError@1", "r2:RemoteError@1", "r3:in@2.5"]);
    expect(table.stats).toMatchObject({ lostToCrash: 3, readersWaiting: 0, readers: 0 });
  });

  it("statistics restart with sim.resetStats()", () => {
    const { sim, table, client } = setup();
    client("r1", "read", 0, 1);
    client("w", "write", 0, 1);
    sim.at(5, () => sim.resetStats());
    sim.run();
    expect(table.stats).toMatchObject({ readsAcquired: 0, writesAcquired: 0, meanReadWait: 0 });
  });

  it("a reset counts the holds still held again, as Mutex and Semaphore do", () => {
    const { sim, table, client } = setup();
    client("r1", "read", 0, 10);
    client("r2", "read", 0, 10);
    sim.at(5, () => sim.resetStats());
    sim.run({ until: 6 });
    expect(table.stats).toMatchObject({ readers: 2, readsAcquired: 2, writesAcquired: 0 });
  });

  it("refuses bad input with ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const db = new Entity(sim, "db");
    for (const maxReaders of [0, 1.5, -1, Number.NaN]) {
      expect(() => new RWLock(db, { maxReaders })).toThrow(ConfigError);
    }
    expect(() => new RWLock(db, { onHolderCrash: "drop" as "keep" })).toThrow(ConfigError);
    const table = new RWLock(db);
    const user = new Entity(sim, "user");
    const caught: unknown[] = [];
    user.start(function* () {
      for (const attempt of [
        () => table.acquire("append" as RWLockMode),
        () => table.acquireRead({ maxWait: Number.NaN }),
      ]) {
        try {
          yield* attempt();
        } catch (error) {
          caught.push(error);
        }
      }
    });
    sim.run();
    expect(caught.map((e) => (e as Error).message)).toEqual([
      'RWLock "rwlock".acquire: option "mode" must be "read" or "write"; given "append"',
      'RWLock "rwlock".acquire: option "maxWait" must be a finite number of seconds >= 0; given NaN',
    ]);
  });
});
