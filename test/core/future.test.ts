/**
 * Goal: futures deliver values and errors at the `yield`, never lose an error (an unobserved
 * rejection fails the run unless defused), and the combinators settle and cancel exactly as
 * documented: `all` in input order with the first rejection, `any` with the first value or an
 * AggregateError, `race` cancelling its losers, `timeout` cancelling the late future or its own
 * timer, so nothing they abandon keeps a run alive.
 * Method: processes on the fixture's entity wait on futures settled by timers or by other
 * processes; a log stamped with simulated time shows what happened when. The live non-daemon
 * event count (`sim.queue.liveNonDaemon`) and the run's end time show whether an abandoned
 * timer was really cancelled.
 */
import { describe, expect, it } from "vitest";
import type { Entity } from "../../src/core/entity.js";
import { all, any, race, SimFuture, timeout, wait } from "../../src/core/future.js";
import { Simulation } from "../../src/core/simulation.js";
import {
  CancelledError,
  ConfigError,
  SimulationError,
  TimeoutError,
} from "../../src/errors/errors.js";
import { setup } from "../support/fixture.js";

/** The result of a process that sleeps `seconds`, runs `onFinally` as it ends, returns `value`. */
function later<T>(entity: Entity, seconds: number, value: T, onFinally?: () => void) {
  return entity.start(function* () {
    try {
      yield seconds;
      return value;
    } finally {
      onFinally?.();
    }
  }).result;
}

/** Runs `sim` and returns what it threw (failing the test if it did not throw). */
function failure(sim: Simulation): SimulationError {
  try {
    sim.run();
  } catch (error) {
    expect(error).toBeInstanceOf(SimulationError);
    return error as SimulationError;
  }
  throw new Error("expected the run to fail");
}

describe("SimFuture: settling and waiting", () => {
  it("resumes waiters in the order they began waiting, in events at the settle time", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<string>();
    for (const who of ["a", "b", "c"]) {
      entity.start(function* () {
        note(`${who} got ${yield* wait(future)}`);
      });
    }
    sim.at(2, () => {
      future.resolve("x");
      note("resolved"); // settling runs no process synchronously
    });
    sim.run();
    expect(log).toEqual(["2:resolved", "2:a got x", "2:b got x", "2:c got x"]);
  });

  it("a future resolved before anyone waits delivers its value at once", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<number>();
    future.resolve(7);
    sim.at(3, () =>
      entity.start(function* () {
        note(`got ${yield* wait(future)}`);
      }),
    );
    sim.run();
    expect(log).toEqual(["3:got 7"]);
  });

  it("throws a rejection at the yield, where the process can catch it", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<number>();
    entity.start(function* () {
      try {
        yield* wait(future);
        note("not reached");
      } catch (error) {
        note(`caught ${(error as Error).message}`);
      }
    });
    sim.at(1, () => future.reject(new Error("no")));
    sim.run();
    expect(log).toEqual(["1:caught no"]);
  });

  it("cancel() throws CancelledError at the waiters' yield", () => {
    const { sim, entity, note, log } = setup();
    const future = entity.future<number>();
    entity.start(function* () {
      try {
        yield* wait(future);
      } catch (error) {
        note(`${(error as CancelledError).name}: ${(error as CancelledError).reason}`);
      }
    });
    sim.at(1, () => future.cancel("not needed"));
    sim.run();
    expect(log).toEqual(["1:CancelledError: not needed"]);
  });

  it("reports its state", () => {
    const { entity } = setup();
    const future = new SimFuture<number>(entity.sim, entity, "f");
    expect([future.state, future.isPending, future.isSettled]).toEqual(["pending", true, false]);
    future.resolve(3);
    expect([future.state, future.value, future.isPending, future.isSettled]).toEqual([
      "resolved",
      3,
      false,
      true,
    ]);
    expect(future.error).toBeUndefined();
  });
});

describe("SimFuture: unobserved rejections", () => {
  it("a rejection nobody waits for fails the run, naming the owner, the time and the cause", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>("lookup");
    const cause = new Error("gone");
    sim.at(3, () => future.reject(cause));
    const error = failure(sim);
    expect(error.message).toBe(
      'entity "node" at t=3s: unhandled rejection of lookup: gone (wait on the future, or defuse() it)',
    );
    expect(error.entity).toBe("node");
    expect(error.time).toBe(3);
    expect(error.cause).toBe(cause);
    expect(sim.status).toBe("failed");
  });

  it("a future owned by the simulation is named as such", () => {
    const sim = new Simulation({ seed: 1 });
    const future = sim.future<number>("global");
    sim.at(1, () => future.reject(new Error("x")));
    expect(failure(sim).message).toMatch(/^simulation at t=1s: unhandled rejection of global/);
  });

  it("defuse() prevents the failure", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>().defuse();
    sim.at(3, () => future.reject(new Error("fine")));
    expect(sim.run().time).toBe(3);
    expect(future.state).toBe("rejected");
    expect(future.isObserved).toBe(true);
  });

  it("observing it later in the same event (here through all) counts as handling it", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>();
    let combined: SimFuture<number[]> | null = null;
    sim.at(1, () => {
      future.reject(new Error("late but handled"));
      combined = all([future]).defuse();
    });
    expect(sim.run().time).toBe(1);
    expect(combined!.state).toBe("rejected");
  });

  it("the check waits for the end of the instant: a process started then can still catch it", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>();
    let caught = "";
    sim.at(1, () => {
      future.reject(new Error("caught in time"));
      entity.start(function* () {
        try {
          yield* wait(future);
        } catch (error) {
          caught = `${(error as Error).message} at ${entity.now}`;
        }
      });
    });
    sim.at(2, () => {});
    sim.run();
    expect(caught).toBe("caught in time at 1");
  });

  it("a rejection nobody waits on by the end of its instant fails the run at that time", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>();
    sim.at(1, () => future.reject(new Error("too late")));
    sim.at(1, () => {}); // same instant: still nobody waits
    sim.at(2, () => {
      entity.start(function* () {
        yield* wait(future);
      });
    });
    expect(failure(sim).message).toMatch(/at t=1s: unhandled rejection of future: too late/);
  });

  it("a rejection made before the run starts fails the run too", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>("set-up");
    future.reject(new Error("rejected in set-up"));
    expect(failure(sim).message).toMatch(/unhandled rejection of set-up: rejected in set-up/);
  });

  it("cancelling a future nobody waits for does not fail the run", () => {
    const { sim, entity } = setup();
    const future = entity.future<number>();
    sim.at(1, () => future.cancel());
    expect(sim.run().reason).toBe("drained");
  });
});

describe("SimFuture: misuse", () => {
  it("resolving or rejecting a settled future is a bug in the model", () => {
    const { entity } = setup();
    const twice = entity.future<number>("twice");
    twice.resolve(1);
    expect(() => twice.resolve(2)).toThrow(SimulationError);
    expect(() => twice.resolve(2)).toThrow(/tried to resolve a future that is already resolved/);
    expect(() => twice.reject(new Error())).toThrow(/already resolved \(twice\)/);
  });

  it("settling a cancelled future is a no-op that returns false (a late race loser)", () => {
    const { entity } = setup();
    const future = entity.future<number>();
    expect(future.cancel()).toBe(true);
    expect(future.resolve(1)).toBe(false);
    expect(future.reject(new Error())).toBe(false);
    expect(future.cancel()).toBe(false);
    expect(future.error).toBeInstanceOf(CancelledError);
  });

  it("reading the value of an unresolved future throws, naming the owner", () => {
    const { entity } = setup();
    const future = entity.future<number>("pending one");
    expect(() => future.value).toThrow(
      'entity "node" at t=0s: tried to read the value of a pending future (pending one)',
    );
  });

  it("cancel runs the canceller once with the reason; a second canceller is refused", () => {
    const { entity } = setup();
    const reasons: string[] = [];
    const future = entity.future<number>().onCancel((reason) => reasons.push(reason));
    expect(() => future.onCancel(() => {})).toThrow(/second canceller/);
    future.cancel("enough");
    future.cancel("again");
    expect(reasons).toEqual(["enough"]);
  });

  it("a canceller is dropped once the future settles", () => {
    const { entity } = setup();
    let called = false;
    const future = entity.future<number>().onCancel(() => {
      called = true;
    });
    future.resolve(1);
    expect(future.cancel()).toBe(false);
    expect(called).toBe(false);
  });
});

describe("all", () => {
  it("resolves with every value in input order, once the last one arrives", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      const [a, b, c] = yield* wait(
        all([later(entity, 2, "slow"), later(entity, 1, 7), later(entity, 0, true)]),
      );
      note(`${a} ${b} ${c}`);
    });
    sim.run();
    expect(log).toEqual(["2:slow 7 true"]);
  });

  it("rejects with the first error; the others keep running", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<number>();
    const second = entity.future<number>().defuse();
    sim.at(1, () => failing.reject(new Error("first")));
    sim.at(1.5, () => second.reject(new Error("second")));
    entity.start(function* () {
      try {
        yield* wait(all([later(entity, 2, 1, () => note("slow finished")), failing, second]));
      } catch (error) {
        note((error as Error).message);
      }
    });
    sim.run();
    expect(log).toEqual(["1:first", "2:slow finished"]);
  });

  it("of settled futures resolves at once", () => {
    const { entity } = setup();
    const a = entity.future<number>();
    a.resolve(1);
    const result = all([a]);
    expect(result.state).toBe("resolved");
    expect(result.value).toEqual([1]);
  });
});

describe("any", () => {
  it("resolves with the first value, passing over rejections", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<string>();
    sim.at(0.5, () => failing.reject(new Error("x")));
    entity.start(function* () {
      note(yield* wait(any([failing, later(entity, 2, "b"), later(entity, 1, "a")])));
    });
    sim.run();
    expect(log).toEqual(["1:a"]);
  });

  it("rejects with an AggregateError of every error, in input order, if all reject", () => {
    const { sim, entity, note, log } = setup();
    const bad1 = entity.future<number>();
    const bad2 = entity.future<number>();
    sim.at(1, () => bad2.reject(new Error("2")));
    sim.at(2, () => bad1.reject(new Error("1")));
    entity.start(function* () {
      try {
        yield* wait(any([bad1, bad2]));
      } catch (error) {
        const aggregate = error as AggregateError;
        note(`${aggregate.name} ${aggregate.errors.map((e: Error) => e.message).join(",")}`);
      }
    });
    sim.run();
    expect(log).toEqual(["2:AggregateError 1,2"]);
  });
});

describe("race", () => {
  it("settles like the first to settle", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      note(yield* wait(race([later(entity, 5, "slow"), later(entity, 1, "fast")])));
    });
    sim.run();
    expect(log).toEqual(["1:fast"]);
  });

  it("cancels a losing process, so its finally runs at the winner's time", () => {
    const { sim, entity, note, log } = setup();
    const slow = later(entity, 5, "slow", () => note("slow finally"));
    entity.start(function* () {
      yield* wait(race([slow, later(entity, 1, "fast")]));
    });
    const summary = sim.run();
    expect(log).toEqual(["1:slow finally"]);
    expect(slow.state).toBe("cancelled");
    expect(summary.time).toBe(1);
  });

  it("a losing sleep's timer does not keep the run alive", () => {
    const { sim, entity } = setup();
    const loser = entity.sleep(100);
    entity.start(function* () {
      yield* wait(race([loser, entity.sleep(1)]));
    });
    sim.runUntil(() => loser.isSettled);
    expect(loser.state).toBe("cancelled");
    expect(sim.queue.liveNonDaemon).toBe(1); // the waiter's wake-up; the 100 s timer is gone
    expect(sim.run().time).toBe(1);
  });

  it("a rejection that comes first rejects the race", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<string>();
    sim.at(1, () => failing.reject(new Error("first and bad")));
    entity.start(function* () {
      try {
        yield* wait(race([failing, later(entity, 2, "late")]));
      } catch (error) {
        note((error as Error).message);
      }
    });
    sim.run();
    expect(log).toEqual(["1:first and bad"]);
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

  it("cancelling the race cancels every input", () => {
    const { entity } = setup();
    const a = entity.future();
    const b = entity.future();
    race([a, b]).cancel();
    expect([a.state, b.state]).toEqual(["cancelled", "cancelled"]);
  });
});

describe("timeout", () => {
  it("rejects with TimeoutError when the future is late, and cancels the future", () => {
    const { sim, entity, note, log } = setup();
    const slow = later(entity, 5, "slow", () => note("slow cancelled"));
    entity.start(function* () {
      try {
        yield* wait(timeout(slow, 2));
      } catch (error) {
        expect(error).toBeInstanceOf(TimeoutError);
        note(`${(error as TimeoutError).name} ${(error as TimeoutError).seconds}`);
      }
    });
    const summary = sim.run();
    expect(log).toEqual(["2:slow cancelled", "2:TimeoutError 2"]);
    expect(slow.state).toBe("cancelled");
    expect(summary.time).toBe(2); // the 5 s process was cancelled with its future
  });

  it("settles like the future when it is on time, and cancels its timer", () => {
    const { sim, entity, note, log } = setup();
    const onTime = later(entity, 1, "ok");
    const guarded = timeout(onTime, 100);
    entity.start(function* () {
      note(yield* wait(guarded));
    });
    sim.runUntil(() => guarded.isSettled);
    expect(sim.queue.liveNonDaemon).toBe(1); // only the waiter's wake-up; no 100 s timer
    const summary = sim.run();
    expect(log).toEqual(["1:ok"]);
    expect(summary.time).toBe(1); // not 100
  });

  it("passes on a rejection that comes in time, and cancels its timer", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.future<number>();
    sim.at(1, () => failing.reject(new Error("fast failure")));
    entity.start(function* () {
      try {
        yield* wait(timeout(failing, 10));
      } catch (error) {
        note((error as Error).message);
      }
    });
    expect(sim.run().time).toBe(1);
    expect(log).toEqual(["1:fast failure"]);
  });

  it("of a settled future settles at once and leaves no timer behind", () => {
    const { sim, entity } = setup();
    const done = entity.future<number>();
    done.resolve(5);
    const guarded = timeout(done, 10);
    expect(guarded.value).toBe(5);
    expect(sim.queue.liveNonDaemon).toBe(0);
  });

  it("cancelling it cancels the future and the timer", () => {
    const { sim, entity } = setup();
    const inner = entity.future<number>();
    timeout(inner, 10).cancel();
    expect(inner.state).toBe("cancelled");
    expect(sim.queue.liveNonDaemon).toBe(0);
  });

  it("refuses a bad duration, naming the parameter", () => {
    const { entity } = setup();
    expect(() => timeout(entity.future(), -1)).toThrow(ConfigError);
    expect(() => timeout(entity.future(), Number.NaN)).toThrow(/option "seconds"/);
  });
});

describe("combinators: bad arguments", () => {
  it("refuse an empty list", () => {
    expect(() => all([])).toThrow(ConfigError);
    expect(() => any([])).toThrow(ConfigError);
    expect(() => race([])).toThrow(/race: option "futures" must be a non-empty array of SimFuture/);
  });

  it("refuse something that is not a future", () => {
    const { entity } = setup();
    expect(() => any([entity.future(), 3 as never])).toThrow(/any: option "futures"/);
  });

  it("refuse futures of two simulations", () => {
    const one = setup();
    const two = setup();
    expect(() => all([one.entity.future(), two.entity.future()])).toThrow(/one simulation/);
  });
});
