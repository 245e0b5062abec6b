/**
 * Goal: processes sleep, wait, and end exactly as documented: interrupts arrive at the yield
 * and run catch/finally; cancel closes the generator so finally runs; bad yields fail loudly
 * with the entity's name; an unobserved failure fails the run at its simulated time.
 * Method: processes on one entity, logging what ran and when.
 */
import { describe, expect, it } from "vitest";
import { CancelledError, type InterruptError, SimulationError } from "../../src/core/errors.js";
import { wait } from "../../src/core/future.js";
import type { Process } from "../../src/core/process.js";
import { setup } from "../support/fixture.js";

describe("Process: sleeping and results", () => {
  it("yields numbers as sleeps and returns a value through result", () => {
    const { sim, entity, note, log } = setup();
    const child = entity.start(function* () {
      yield 1;
      note("child");
      return 42;
    });
    const result = child.result;
    entity.start(function* () {
      const value = yield* wait(result);
      note(`got ${value}`);
      const again = yield child; // a finished process can be waited on too
      note(`again ${again}`);
    });
    sim.run();
    expect(log).toEqual(["1:child", "1:got 42", "1:again 42"]);
    expect(child.status).toBe("done");
    expect(child.isAlive).toBe(false);
  });

  it("the first step of a started process runs in an event at the current time", () => {
    const { sim, entity, note, log } = setup();
    sim.at(2, () => {
      entity.start(function* () {
        note("started");
        yield 0;
      });
      note("after start");
    });
    sim.run();
    expect(log).toEqual(["2:after start", "2:started"]);
  });

  it("accepts a generator object and names processes", () => {
    const { entity } = setup();
    function* named() {
      yield 1;
    }
    expect(entity.start(named).name).toBe("named");
    expect(entity.start(named(), { name: "custom" }).name).toBe("custom");
    expect(() => entity.start(42 as never)).toThrow(/generator/);
  });
});

describe("Process: interrupt", () => {
  it("throws InterruptError at the yield; catch and finally run; the sleep is abandoned", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
        note("woke normally");
      } catch (error) {
        note(`caught ${(error as InterruptError).reason}`);
        yield 1;
        note("went on");
      } finally {
        note("finally");
      }
    });
    sim.at(3, () => expect(worker.interrupt("stop")).toBe(true));
    const summary = sim.run();
    expect(log).toEqual(["3:caught stop", "4:went on", "4:finally"]);
    expect(summary.time).toBe(4); // the abandoned 10 s sleep did not keep the run alive
    expect(worker.status).toBe("done");
  });

  it("an uncaught interrupt ends the process as interrupted without failing the run", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        note("finally");
      }
    });
    sim.at(1, () => worker.interrupt());
    sim.run();
    expect(worker.status).toBe("interrupted");
    expect(log).toEqual(["1:finally"]);
    expect(worker.interrupt()).toBe(false);
  });

  it("delivers several interrupts one at a time, in order", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      for (let i = 0; i < 3; i++) {
        try {
          yield 10;
        } catch (error) {
          note(String((error as InterruptError).reason));
        }
      }
    });
    sim.at(1, () => {
      worker.interrupt("a");
      worker.interrupt("b");
      worker.interrupt("c");
    });
    sim.run();
    expect(log).toEqual(["1:a", "1:b", "1:c"]);
  });

  it("interrupts a process waiting on a future, which then no longer waits for it", () => {
    const { sim, entity, note, log } = setup();
    const never = entity.future<number>("never");
    const worker = entity.start(function* () {
      try {
        yield* wait(never);
      } catch {
        note("interrupted");
      }
    });
    sim.at(1, () => worker.interrupt());
    sim.at(2, () => never.resolve(1));
    sim.run();
    expect(log).toEqual(["1:interrupted"]);
  });

  it("a process cannot interrupt or cancel itself", () => {
    const { sim, entity } = setup();
    let self: Process<unknown> | null = null;
    self = entity.start(function* () {
      yield 0;
      self!.interrupt();
    });
    expect(() => sim.run()).toThrow(/interrupt itself/);
  });
});

describe("Process: cancel", () => {
  it("closes the generator so finally runs, and cancels its result", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        note("finally");
      }
    });
    const result = worker.result;
    sim.at(2, () => expect(worker.cancel("no longer needed")).toBe(true));
    const summary = sim.run();
    expect(log).toEqual(["2:finally"]);
    expect(worker.status).toBe("cancelled");
    expect(result.state).toBe("cancelled");
    expect(result.error).toBeInstanceOf(CancelledError);
    expect(summary.time).toBe(2);
    expect(worker.cancel()).toBe(false);
    expect(entity.liveProcessCount).toBe(0);
  });

  it("a waiter on a cancelled process gets CancelledError", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      yield 10;
    });
    entity.start(function* () {
      try {
        yield worker;
      } catch (error) {
        note((error as Error).name);
      }
    });
    sim.at(1, () => worker.cancel());
    sim.run();
    expect(log).toEqual(["1:CancelledError"]);
  });

  it("a finally block that yields during cancel is an error", () => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        yield 1;
      }
    });
    sim.at(1, () => worker.cancel());
    expect(() => sim.run()).toThrow(/yielded from a finally block/);
  });
});

describe("Process: failures and bad yields", () => {
  for (const [label, value] of [
    ["a string", "soon"],
    ["undefined", undefined],
    ["a negative number", -1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a plain object", { seconds: 1 }],
  ] as const) {
    it(`yielding ${label} fails the run naming the entity`, () => {
      const { sim, entity } = setup();
      entity.start(function* () {
        yield 1;
        yield value as never;
      });
      expect(() => sim.run()).toThrow(SimulationError);
      const fresh = setup();
      fresh.entity.start(function* () {
        yield value as never;
      });
      expect(() => fresh.sim.run()).toThrow(/entity "node" at t=0s: process ".*" yielded/);
    });
  }

  it("an error nobody waits for fails the run at its simulated time", () => {
    const { sim, entity } = setup();
    entity.start(function* failing() {
      yield 1.25;
      throw new Error("disk on fire");
    });
    expect(() => sim.run()).toThrow(
      'entity "node" at t=1.25s: process "failing" failed: disk on fire',
    );
  });

  it("an error someone waits for is theirs to handle", () => {
    const { sim, entity, note, log } = setup();
    const failing = entity.start(function* () {
      yield 1;
      throw new Error("bad");
    });
    entity.start(function* () {
      try {
        yield failing;
      } catch (error) {
        note((error as Error).message);
      }
    });
    sim.run();
    expect(log).toEqual(["1:bad"]);
    expect(failing.status).toBe("failed");
  });
});
