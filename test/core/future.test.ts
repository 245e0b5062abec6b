/**
 * Goal: futures deliver values and errors at the yield, never lose an error, and the
 * combinators settle and cancel exactly as documented (race and timeout clean up after
 * themselves so nothing they abandoned keeps the run alive).
 * Method: processes waiting on futures settled by timers; the run's end time shows whether an
 * abandoned timer was really cancelled.
 */
import { describe, expect, it } from "vitest";
import type { Entity } from "../../src/core/entity.js";
import {
  CancelledError,
  ConfigError,
  SimulationError,
  type TimeoutError,
} from "../../src/core/errors.js";
import { all, any, race, SimFuture, timeout, wait } from "../../src/core/future.js";
import { setup } from "../support/fixture.js";

/** A future resolving to `value` after `seconds` (a process's result). */
function later<T>(entity: Entity, seconds: number, value: T, finallyNote?: () => void) {
  return entity.start(function* () {
    try {
      yield seconds;
      return value;
    } finally {
      finallyNote?.();
    }
  }).result;
}

describe("SimFuture", () => {
  it("resumes waiters in the order they began waiting, in an event at the settle time", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<string>();
    for (const who of ["a", "b", "c"]) {
      entity.start(function* () {
        note(`${who} got ${yield* wait(future)}`);
      });
    }
    sim.at(2, () => {
      future.resolve("x");
      note("resolved");
    });
    sim.run();
    expect(log).toEqual(["2:resolved", "2:a got x", "2:b got x", "2:c got x"]);
  });

  it("throws a rejection at the yield, where it can be caught", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<number>();
    entity.start(function* () {
      try {
        yield* wait(future);
      } catch (error) {
        note((error as Error).message);
      }
    });
    sim.at(1, () => future.reject(new Error("no")));
    sim.run();
    expect(log).toEqual(["1:no"]);
  });

  it("a rejection nobody waits for fails the run, naming the owner and time", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>("lookup");
    sim.at(3, () => future.reject(new Error("gone")));
    expect(() => sim.run()).toThrow(SimulationError);
    const again = setup();
    const other = again.entity.future<number>("lookup");
    again.sim.at(3, () => other.reject(new Error("gone")));
    expect(() => again.sim.run()).toThrow(
      'entity "node" at t=3s: unhandled rejection of lookup: gone',
    );
  });

  it("defuse() lets a rejection go unobserved", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>().defuse();
    sim.at(3, () => future.reject(new Error("fine")));
    expect(sim.run().time).toBe(3);
  });

  it("resolve twice is a bug; resolve after cancel is a no-op", () => {
    const { entity } = setup();
    const twice = entity.future<number>();
    twice.resolve(1);
    expect(() => twice.resolve(2)).toThrow(/already resolved/);
    expect(() => twice.reject(new Error())).toThrow(/already resolved/);
    const cancelled = entity.future<number>();
    expect(cancelled.cancel()).toBe(true);
    expect(cancelled.resolve(1)).toBe(false);
    expect(cancelled.cancel()).toBe(false);
    expect(cancelled.error).toBeInstanceOf(CancelledError);
    expect(() => cancelled.value).toThrow(/cancelled future/);
  });

  it("cancel runs the canceller once; a second canceller is refused", () => {
    const { entity } = setup();
    let cancelledWith = "";
    const future = entity.future<number>().onCancel((reason) => {
      cancelledWith = reason;
    });
    expect(() => future.onCancel(() => {})).toThrow(/second canceller/);
    future.cancel("enough");
    expect(cancelledWith).toBe("enough");
  });
});

describe("all / any", () => {
  it("all resolves with values in input order", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      const [a, b] = yield* wait(all([later(entity, 2, "slow"), later(entity, 1, 7)]));
      note(`${a} ${b}`);
    });
    sim.run();
    expect(log).toEqual(["2:slow 7"]);
  });

  it("all rejects with the first error", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<number>();
    sim.at(1, () => failing.reject(new Error("first")));
    entity.start(function* () {
      try {
        yield* wait(all([later(entity, 2, 1), failing]));
      } catch (error) {
        note((error as Error).message);
      }
    });
    sim.run();
    expect(log).toEqual(["1:first"]);
  });

  it("any resolves with the first value, and rejects only if all reject", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<number>();
    sim.at(0.5, () => failing.reject(new Error("x")));
    entity.start(function* () {
      note(`any ${yield* wait(any([failing, later(entity, 2, "b"), later(entity, 1, "a")]))}`);
      const bad1 = entity.future<number>();
      const bad2 = entity.future<number>();
      bad1.reject(new Error("1"));
      bad2.reject(new Error("2"));
      try {
        yield* wait(any([bad1, bad2]));
      } catch (error) {
        note(`${(error as Error).name} ${(error as AggregateError).errors.length}`);
      }
    });
    sim.run();
    expect(log).toEqual(["1:any a", "1:AggregateError 2"]);
  });

  it("combinators refuse an empty list or a non-future", () => {
    expect(() => all([])).toThrow(ConfigError);
    expect(() => race([])).toThrow(/non-empty array of SimFuture/);
    const { entity } = setup();
    expect(() => any([entity.future(), 3 as never])).toThrow(ConfigError);
  });
});

describe("race", () => {
  it("settles like the first and cancels the losers (their finally runs, their timers die)", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      const winner = yield* wait(
        race([later(entity, 5, "slow", () => note("slow finally")), later(entity, 1, "fast")]),
      );
      note(`winner ${winner}`);
    });
    const summary = sim.run();
    expect(log).toEqual(["1:slow finally", "1:winner fast"]);
    expect(summary.time).toBe(1);
  });

  it("a losing sleep's timer does not keep the run alive", () => {
    const { sim, entity } = setup();
    entity.start(function* () {
      yield* wait(race([entity.sleep(100), entity.sleep(1)]));
    });
    expect(sim.run().time).toBe(1);
  });

  it("cancelling the race cancels every input", () => {
    const { entity } = setup();
    const a = entity.future();
    const b = entity.future();
    race([a, b]).cancel();
    expect([a.state, b.state]).toEqual(["cancelled", "cancelled"]);
  });

  it("among already settled inputs the first in array order wins", () => {
    const { sim, entity, note, log } = setup();
    const a = entity.future<string>();
    const b = entity.future<string>();
    b.resolve("b");
    a.resolve("a");
    entity.start(function* () {
      note(yield* wait(race([a, b])));
    });
    sim.run();
    expect(log).toEqual(["0:a"]);
  });
});

describe("timeout", () => {
  it("rejects with TimeoutError when late, and cancels the late future", () => {
    const { sim, entity, note, log } = setup();
    const slow = later(entity, 5, "slow", () => note("slow cancelled"));
    entity.start(function* () {
      try {
        yield* wait(timeout(slow, 2));
      } catch (error) {
        note(`${(error as TimeoutError).name} ${(error as TimeoutError).seconds}`);
      }
    });
    const summary = sim.run();
    expect(log).toEqual(["2:slow cancelled", "2:TimeoutError 2"]);
    expect(summary.time).toBe(2);
    expect(slow.state).toBe("cancelled");
  });

  it("settles like the future when on time, and cancels its timer", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      note(String(yield* wait(timeout(later(entity, 1, "ok"), 100))));
    });
    const summary = sim.run();
    expect(log).toEqual(["1:ok"]);
    expect(summary.time).toBe(1); // not 100: the timer was cancelled
  });

  it("rejects a bad duration", () => {
    const { entity } = setup();
    expect(() => timeout(entity.future(), -1)).toThrow(ConfigError);
  });
});

describe("SimFuture bookkeeping", () => {
  it("reports state", () => {
    const { entity } = setup();
    const future = new SimFuture<number>(entity.sim, entity, "f");
    expect([future.state, future.isPending, future.isSettled]).toEqual(["pending", true, false]);
    future.resolve(3);
    expect([future.state, future.value, future.isSettled]).toEqual(["resolved", 3, true]);
  });
});
