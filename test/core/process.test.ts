/**
 * Goal: processes sleep, wait and end exactly as documented. Numbers are sleeps, futures and
 * processes are waited on; `interrupt` throws at the current `yield` (catch and finally run;
 * uncaught, the process ends "interrupted" without failing the run; several arrive in order);
 * `cancel` closes the generator so `finally` runs and cancels the result; bad yields and
 * unobserved failures fail the run with the entity's name and the simulated time.
 * Method: processes on the fixture's entity ("node"), logging what ran at which simulated time.
 * Both ways a sleep resumes are covered: the first step (a Resume event) and later numeric
 * sleeps, which the loop resumes on its fast path.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { wait } from "../../src/core/future.js";
import type { Process } from "../../src/core/process.js";
import { Simulation } from "../../src/core/simulation.js";
import { setGeneratorLocator } from "../../src/core/sourceLocation.js";
import { CancelledError, InterruptError, type SimulationError } from "../../src/errors/errors.js";
import { installGeneratorLocator } from "../../src/node/generatorLocator.js";
import { setup } from "../support/fixture.js";

/** Runs `sim` and returns the SimulationError it threw (failing the test if it did not throw). */
function failure(sim: Simulation): SimulationError {
  try {
    sim.run();
  } catch (error) {
    expect((error as Error).name).toBe("SimulationError");
    return error as SimulationError;
  }
  throw new Error("expected the run to fail");
}

describe("Process: sleeping and finishing", () => {
  it("a yielded number is a sleep of that many simulated seconds", () => {
    const { sim, entity, note, log } = setup();
    entity.start(function* () {
      yield 1;
      note("a");
      yield 0.25;
      note("b");
      yield 0;
      note("c");
    });
    sim.run();
    expect(log).toEqual(["1:a", "1.25:b", "1.25:c"]);
  });

  it("a hundred sleeps of 0.1 s end at exactly 10 s (integer nanoseconds, no drift)", () => {
    const { sim, entity } = setup();
    entity.start(function* () {
      for (let i = 0; i < 100; i++) yield 0.1;
    });
    sim.run();
    expect(sim.nowNs).toBe(10_000_000_000);
  });

  it("yield 0 resumes after the events already scheduled for the same time", () => {
    const { sim, entity, note, log } = setup();
    sim.at(1, () => {
      sim.at(1, () => note("scheduled first"));
    });
    entity.start(function* () {
      yield 1;
      yield 0;
      note("process");
    });
    sim.run();
    expect(log).toEqual(["1:scheduled first", "1:process"]);
  });

  it("the first step runs in an event at the current time, after the code that started it", () => {
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

  it("returns a value through its result future", () => {
    const { sim, entity, note, log } = setup();
    const child = entity.start(function* () {
      yield 1;
      return 42;
    });
    const result = child.result;
    entity.start(function* () {
      note(`got ${yield* wait(result)}`);
    });
    sim.run();
    expect(log).toEqual(["1:got 42"]);
    expect(result.value).toBe(42);
  });

  it("yielding a process waits for it and resumes with its return value", () => {
    const { sim, entity, note, log } = setup();
    const child = entity.start(function* () {
      yield 2;
      return "child value";
    });
    entity.start(function* () {
      note(String(yield child));
    });
    sim.run();
    expect(log).toEqual(["2:child value"]);
  });

  it("a finished process can still be waited on", () => {
    const { sim, entity, note, log } = setup();
    const child = entity.start(function* () {
      yield 0;
      return 5;
    });
    sim.at(3, () =>
      entity.start(function* () {
        note(`again ${yield child}`);
      }),
    );
    sim.run();
    expect(log).toEqual(["3:again 5"]);
  });

  it("goes through scheduled, running, suspended and done", () => {
    const { sim, entity } = setup();
    const seen: string[] = [];
    let self: Process<unknown> | null = null;
    self = entity.start(function* () {
      seen.push(self!.status);
      yield 1;
      seen.push(self!.status);
    });
    seen.push(self.status);
    sim.step();
    seen.push(self.status);
    sim.run();
    seen.push(self.status);
    expect(seen).toEqual(["scheduled", "running", "suspended", "running", "done"]);
    expect(self.isAlive).toBe(false);
  });

  it("is counted among its entity's live processes until it ends", () => {
    const { sim, entity } = setup();
    entity.start(function* () {
      yield 1;
    });
    entity.start(function* () {
      yield 2;
    });
    expect(entity.liveProcessCount).toBe(2);
    sim.run({ until: 1 });
    expect(entity.liveProcessCount).toBe(1);
    sim.run();
    expect(entity.liveProcessCount).toBe(0);
  });

  it("takes a generator function or a generator, and is named after it or the option", () => {
    const { entity } = setup();
    function* named() {
      yield 1;
    }
    expect(entity.start(named).name).toBe("named");
    expect(entity.start(named(), { name: "custom" }).name).toBe("custom");
    expect(entity.start(named()).name).toBe("process");
    expect(entity.start(named, { daemon: true }).daemon).toBe(true);
  });

  it("calls a generator function with the entity as this", () => {
    const { sim, entity } = setup();
    let self: unknown = null;
    entity.start(function* (this: typeof entity) {
      self = this;
      yield 0;
    });
    sim.run();
    expect(self).toBe(entity);
  });

  it("refuses a body that is not a generator, naming the parameter", () => {
    const { entity } = setup();
    expect(() => entity.start(42 as never)).toThrow(
      /node.start: option "body" must be a generator/,
    );
    expect(() => entity.start((() => 1) as never)).toThrow(/option "body"/);
  });
});

describe("Process: interrupt", () => {
  it("throws InterruptError at the yield; catch and finally run; the sleep is abandoned", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 1;
        yield 10; // resumed on the loop's fast path, interrupted there
        note("woke normally");
      } catch (error) {
        expect(error).toBeInstanceOf(InterruptError);
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
    expect(summary.time).toBe(4); // the abandoned 10 s sleep does not keep the run alive
    expect(worker.status).toBe("done");
  });

  it("uncaught, it ends the process as interrupted, runs finally, and does not fail the run", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        note("finally");
      }
    });
    sim.at(1, () => worker.interrupt());
    const summary = sim.run();
    expect(summary.reason).toBe("drained");
    expect(summary.time).toBe(1);
    expect(worker.status).toBe("interrupted");
    expect(log).toEqual(["1:finally"]);
  });

  it("uncaught, it does not fail the run even when someone holds the result", () => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      yield 10;
    });
    const result = worker.result;
    sim.at(1, () => worker.interrupt("stop"));
    expect(sim.run().time).toBe(1);
    expect(result.state).toBe("rejected");
    expect(result.error).toBeInstanceOf(InterruptError);
  });

  it("a process waiting on an interrupted one gets the InterruptError", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      yield 10;
    });
    entity.start(function* () {
      try {
        yield worker;
      } catch (error) {
        note(`${(error as Error).name} ${(error as InterruptError).reason}`);
      }
    });
    sim.at(1, () => worker.interrupt("stop"));
    sim.run();
    expect(log).toEqual(["1:InterruptError stop"]);
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
      note("done");
    });
    sim.at(1, () => {
      worker.interrupt("a");
      worker.interrupt("b");
      worker.interrupt("c");
    });
    sim.run();
    expect(log).toEqual(["1:a", "1:b", "1:c", "1:done"]);
  });

  it("an interrupt left over when the process ends is dropped", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } catch {
        note("caught one");
      }
    });
    sim.at(1, () => {
      worker.interrupt("a");
      worker.interrupt("b");
    });
    expect(sim.run().reason).toBe("drained");
    expect(log).toEqual(["1:caught one"]);
    expect(worker.status).toBe("done");
  });

  it("interrupting a finished process returns false", () => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      yield 1;
    });
    sim.run();
    expect(worker.interrupt()).toBe(false);
    expect(worker.status).toBe("done");
  });

  it("a process waiting on a future stops waiting; the future is not cancelled", () => {
    const { sim, entity, note, log } = setup();
    const never = entity.future<number>("never");
    const worker = entity.start(function* () {
      try {
        yield* wait(never);
      } catch {
        note("interrupted");
      }
      yield 5;
      note("slept");
    });
    sim.at(1, () => worker.interrupt());
    sim.at(2, () => never.resolve(1)); // must not resume the process a second time
    sim.run();
    expect(log).toEqual(["1:interrupted", "6:slept"]);
    expect(never.state).toBe("resolved");
  });

  it("a process interrupted before its first step ends without running its body", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      note("body");
      yield 1;
    });
    worker.interrupt("early");
    sim.run();
    expect(worker.status).toBe("interrupted");
    expect(log).toEqual([]);
  });

  it("a process cannot interrupt itself", () => {
    const { sim, entity } = setup();
    let self: Process<unknown> | null = null;
    self = entity.start(function* () {
      yield 1;
      self!.interrupt();
    });
    const error = failure(sim);
    expect(error.message).toMatch(/entity "node" at t=1s: process ".*" tried to interrupt itself/);
  });

  it("an interrupt sent while the process's step is running (from a finally it triggered) waits for its next yield", () => {
    // The parent cancels a child; the child's finally interrupts the parent, whose step is still
    // on the stack. The interrupt must arrive at the parent's next yield, exactly once.
    const { sim, entity, note, log } = setup();
    let parent: Process<unknown> | null = null;
    const child = entity.start(function* () {
      try {
        yield 100;
      } finally {
        parent!.interrupt("child gone");
      }
    });
    parent = entity.start(function* () {
      yield 1;
      child.cancel();
      try {
        yield 5;
        note("slept 5");
      } catch (error) {
        note(`caught ${(error as InterruptError).reason}`);
      }
      yield 50;
      note("slept 50");
    });
    sim.run();
    expect(log).toEqual(["1:caught child gone", "51:slept 50"]);
    expect(parent.status).toBe("done");
  });
});

describe("Process: cancel", () => {
  it("closes the generator so finally runs, and the result becomes cancelled", () => {
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
    expect((result.error as CancelledError).reason).toBe("no longer needed");
    expect(summary.time).toBe(2); // its 10 s sleep was cancelled with it
    expect(entity.liveProcessCount).toBe(0);
  });

  it("runs nested finally blocks, innermost first", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        try {
          yield 10;
        } finally {
          note("inner");
        }
      } finally {
        note("outer");
      }
    });
    sim.at(1, () => worker.cancel());
    sim.run();
    expect(log).toEqual(["1:inner", "1:outer"]);
  });

  it("returns false the second time, and for a finished process", () => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      yield 10;
    });
    const quick = entity.start(function* () {});
    sim.run({ until: 1 });
    expect(worker.cancel()).toBe(true);
    expect(worker.cancel()).toBe(false);
    expect(quick.cancel()).toBe(false);
  });

  it("a process waiting on a cancelled process gets CancelledError", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      yield 10;
    });
    entity.start(function* () {
      try {
        yield worker;
      } catch (error) {
        expect(error).toBeInstanceOf(CancelledError);
        note((error as Error).name);
      }
    });
    sim.at(1, () => worker.cancel());
    sim.run();
    expect(log).toEqual(["1:CancelledError"]);
  });

  it("cancelling the result future cancels the process", () => {
    const { sim, entity, note, log } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        note("finally");
      }
    });
    sim.at(1, () => worker.result.cancel("via result"));
    sim.run();
    expect(worker.status).toBe("cancelled");
    expect(log).toEqual(["1:finally"]);
  });

  it("a finally block that yields while being cancelled is an error", () => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      try {
        yield 10;
      } finally {
        yield 1;
      }
    });
    sim.at(1, () => worker.cancel());
    expect(failure(sim).message).toMatch(/yielded from a finally block while being cancelled/);
  });

  it("a process cannot cancel itself", () => {
    const { sim, entity } = setup();
    let self: Process<unknown> | null = null;
    self = entity.start(function* () {
      yield 1;
      self!.cancel();
    });
    expect(failure(sim).message).toMatch(/tried to cancel itself/);
  });

  it("cancelling a process whose step is still running (from a finally it triggered) is refused", () => {
    const { sim, entity } = setup();
    let parent: Process<unknown> | null = null;
    const child = entity.start(function* () {
      try {
        yield 100;
      } finally {
        parent!.cancel();
      }
    });
    parent = entity.start(function* () {
      yield 1;
      child.cancel();
    });
    const error = failure(sim);
    expect(error.message).toMatch(/entity "node" at t=1s: .*while its step is running/);
  });
});

describe("Process: failures and bad yields", () => {
  const badValues: [string, unknown][] = [
    ["a string", "soon"],
    ["undefined", undefined],
    ["a negative number", -1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a plain object", { seconds: 1 }],
    ["a promise", Promise.resolve(1)],
  ];

  it.each(badValues)("yielding %s in the first step fails the run naming the entity", (_l, bad) => {
    const { sim, entity } = setup();
    entity.start(function* worker() {
      yield bad as never;
    });
    const error = failure(sim);
    expect(error.entity).toBe("node");
    expect(error.message).toMatch(/^entity "node" at t=0s: process "worker" yielded /);
  });

  it.each(badValues)("yielding %s after a sleep fails the run at that time", (_l, bad) => {
    const { sim, entity } = setup();
    const worker = entity.start(function* () {
      yield 1;
      yield 0.5;
      yield bad as never;
    });
    const error = failure(sim);
    expect(error.entity).toBe("node");
    expect(error.time).toBe(1.5);
    expect(worker.status).toBe("failed");
  });

  it("a bad yield names the code the process runs: a generator method, or the function given to start", () => {
    class Worker extends Entity<number> {
      override *handle() {
        yield "soon" as never;
      }
    }
    const sim = new Simulation({ seed: 1 });
    const worker = new Worker(sim, "worker");
    sim.send(worker, "job", 1);
    expect(failure(sim).message).toMatch(
      /process "job" yielded "soon";.* The process runs Worker\.handle: \*handle\(\)\s*\{.*, started while handling message 1$/,
    );
    const { sim: other, entity } = setup();
    entity.start(function* pump() {
      yield 1;
      yield "later" as never;
    });
    expect(failure(other).message).toMatch(/The process runs function\s*\* ?pump\(\)/);
  });

  it("with the Node locator installed, a bad yield names its file, line and column", () => {
    installGeneratorLocator();
    try {
      const { sim, entity } = setup();
      entity.start(function* pump() {
        yield 1;
        yield "later" as never; // the line the error must name
      });
      const line = new Error().stack!.split("\n")[1]!.match(/:(\d+):\d+\)?$/)![1];
      const expected = Number(line) - 2;
      expect(failure(sim).message).toMatch(
        new RegExp(
          `yielded "later" at /.*/test/core/process\\.test\\.ts:${expected}:\\d+; a process may yield`,
        ),
      );
    } finally {
      setGeneratorLocator(null);
    }
  });

  it("a sleep ending past the exact range of integer nanoseconds fails the run", () => {
    const { sim, entity } = setup();
    entity.start(function* () {
      yield 9_000_000;
      yield 9_000_000; // would end at 1.8e16 ns, past 2^53
    });
    expect(failure(sim).message).toMatch(/entity "node" at t=9000000s: .*yielded 9000000/);
  });

  it("a process yielding a generator (a forgotten *) is told to delegate with yield*", () => {
    class App extends Entity<number> {
      *lookup() {
        yield 1;
      }
      override *handle() {
        yield this.lookup() as never;
      }
    }
    const sim = new Simulation({ seed: 1 });
    sim.send(new App(sim, "app"), "work", 1);
    const message = failure(sim).message;
    expect(message).toMatch(/process "work" yielded a generator object: did you mean yield\*/);
    expect(message).not.toContain(" instance");
    // The horizon is news only for a number too large.
    expect(message).not.toContain("waking by");
  });

  it("only a number too large is told the horizon a wait must wake by", () => {
    const { sim, entity } = setup();
    entity.start(function* () {
      yield 1e10;
    });
    expect(failure(sim).message).toMatch(/yielded 10000000000: too far; a wait must wake by t=/);
    const { sim: other, entity: node } = setup();
    node.start(function* () {
      yield -1;
    });
    expect(failure(other).message).not.toContain("wake by");
  });

  it("with the file and line known, the message leaves out the method's source text", () => {
    installGeneratorLocator();
    try {
      class Worker extends Entity<number> {
        override *handle() {
          yield "soon" as never;
        }
      }
      const sim = new Simulation({ seed: 1 });
      sim.send(new Worker(sim, "worker"), "job", 1);
      const message = failure(sim).message;
      expect(message).toMatch(/yielded "soon" at .*process\.test\.ts:\d+:\d+;/);
      expect(message).toMatch(/The process runs Worker\.handle, started while handling message 1$/);
    } finally {
      setGeneratorLocator(null);
    }
  });

  it("an error nobody waits for fails the run at its simulated time, with the cause", () => {
    const { sim, entity } = setup();
    const cause = new Error("disk on fire");
    entity.start(function* failing() {
      yield 1.25;
      throw cause;
    });
    const error = failure(sim);
    expect(error.message).toBe('entity "node" at t=1.25s: process "failing" failed: disk on fire');
    expect(error.cause).toBe(cause);
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
    expect(sim.run().reason).toBe("drained");
    expect(log).toEqual(["1:bad"]);
    expect(failing.status).toBe("failed");
  });

  it("an error in a process whose result is held but never waited on still fails the run", () => {
    const { sim, entity } = setup();
    const failing = entity.start(function* () {
      yield 1;
      throw new Error("ignored?");
    });
    void failing.result;
    expect(failure(sim).message).toMatch(/at t=1s: unhandled rejection of process .*: ignored\?/);
  });
});
