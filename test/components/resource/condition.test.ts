/**
 * Goal: `Condition` gives the mutex up while a process waits and takes it back (in the
 * mutex's FIFO turn) before `wait` returns; notify wakes the oldest waiters, notifyAll all of
 * them; the re-check loop is needed (a process queued on the mutex before the notify takes the
 * state first) and suffices; maxWait throws TimeoutError with the mutex held again; a
 * cancelled waiter's release is ignored; the owner's crash fails the waiters; misuse and bad
 * input are typed errors.
 * Method: scripted producers and consumers over one mutex, outcomes logged with the
 * simulated time.
 */
import { describe, expect, it } from "vitest";
import { Condition } from "../../../src/components/resource/condition.js";
import { Mutex } from "../../../src/components/resource/mutex.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  const shop = new Entity(sim, "shop");
  const mutex = new Mutex(shop, { name: "queue lock" });
  const notEmpty = new Condition(mutex, { name: "not empty" });
  const queue: string[] = [];
  const log: string[] = [];
  /** Takes one job, waiting (in the re-check loop) while there is none. */
  const consumer = (id: string, at: number, maxWait?: number) => {
    const entity = new Entity(sim, id);
    sim.at(at, () =>
      entity.start(function* () {
        const hold = yield* mutex.acquire();
        try {
          while (queue.length === 0) {
            log.push(`${id}:waits@${sim.now}`);
            yield* notEmpty.wait(hold, maxWait === undefined ? undefined : { maxWait });
          }
          log.push(`${id}:took ${queue.shift()}@${sim.now}`);
        } catch (error) {
          log.push(`${id}:${(error as Error).name}, locked ${mutex.isLocked}@${sim.now}`);
        } finally {
          mutex.release(hold);
        }
      }),
    );
    return entity;
  };
  /** Puts jobs in at `at`, notifying `notify` waiters (or all), holding the mutex `hold` s. */
  const producer = (jobs: string[], at: number, notify: number | "all", hold = 0) => {
    const entity = new Entity(sim, `producer@${at}`);
    sim.at(at, () =>
      entity.start(function* () {
        const held = yield* mutex.acquire();
        try {
          queue.push(...jobs);
          if (notify === "all") notEmpty.notifyAll();
          else notEmpty.notify(notify);
          yield hold;
        } finally {
          mutex.release(held);
        }
      }),
    );
  };
  return { sim, shop, mutex, notEmpty, queue, log, consumer, producer };
}

describe("Condition", () => {
  it("a waiter gives the mutex up, and notify wakes the oldest waiter", () => {
    const { sim, mutex, notEmpty, log, consumer, producer } = setup();
    consumer("c1", 0);
    consumer("c2", 0.5);
    sim.at(0.7, () => log.push(`locked ${mutex.isLocked}, waiting ${notEmpty.waiting}`));
    producer(["j1"], 1, 1);
    producer(["j2"], 2, 1);
    sim.run();
    expect(log).toEqual([
      "c1:waits@0",
      "c2:waits@0.5",
      "locked false, waiting 2",
      "c1:took j1@1",
      "c2:took j2@2",
    ]);
    expect(notEmpty.stats).toMatchObject({ waits: 2, notified: 2, waiting: 0, timedOut: 0 });
    expect(notEmpty.stats.meanWait).toBeCloseTo((1 + 1.5) / 2, 12);
  });

  it("notifyAll wakes every waiter; they take the mutex back one at a time", () => {
    const { sim, notEmpty, log, consumer, producer } = setup();
    consumer("c1", 0);
    consumer("c2", 0.1);
    consumer("c3", 0.2);
    producer(["j1", "j2"], 1, "all", 0.5);
    sim.run();
    // All three wake; c1 and c2 find a job; c3 finds none and waits again.
    expect(log).toEqual([
      "c1:waits@0",
      "c2:waits@0.1",
      "c3:waits@0.2",
      "c1:took j1@1.5",
      "c2:took j2@1.5",
      "c3:waits@1.5",
    ]);
    expect(notEmpty.stats).toMatchObject({ notified: 3, waiting: 1 });
  });

  it("the re-check loop: a process queued on the mutex before the notify takes the job first", () => {
    const { sim, mutex, queue, log, consumer, producer } = setup();
    consumer("c", 0);
    producer(["j1"], 1, 1, 1); // holds the mutex from 1 to 2, notifies at 1
    const barger = new Entity(sim, "barger");
    // The barger asks for the mutex at 1, in an event scheduled before the consumer's
    // wake-up: it queues on the mutex ahead of the woken consumer.
    sim.at(1, () =>
      barger.start(function* () {
        const hold = yield* mutex.acquire();
        try {
          log.push(`barger:took ${queue.shift()}@${sim.now}`);
        } finally {
          mutex.release(hold);
        }
      }),
    );
    producer(["j2"], 3, 1);
    sim.run();
    expect(log).toEqual([
      "c:waits@0",
      "barger:took j1@2",
      "c:waits@2", // woken, but the job is gone: an `if` would have taken undefined
      "c:took j2@3",
    ]);
  });

  it("maxWait: TimeoutError with the mutex held again, so the caller's release is right", () => {
    const { sim, mutex, notEmpty, log, consumer } = setup();
    consumer("c", 0, 2);
    sim.run();
    expect(log).toEqual(["c:waits@0", "c:TimeoutError, locked true@2"]);
    expect(mutex.isLocked).toBe(false);
    expect(notEmpty.stats.timedOut).toBe(1);
  });

  it("a cancelled waiter leaves the line; its release in finally is ignored", () => {
    const { sim, mutex, notEmpty, log, consumer, producer } = setup();
    const c = consumer("c", 0);
    sim.at(1, () => c.crash());
    consumer("d", 2);
    producer(["j"], 3, 1);
    sim.run();
    expect(log).toEqual(["c:waits@0", "d:waits@2", "d:took j@3"]);
    expect(mutex.isLocked).toBe(false);
    expect(notEmpty.stats).toMatchObject({ waits: 2, notified: 1 });
  });

  it("the owner's crash fails the waiters with RemoteError, counted in lostToCrash", () => {
    const { sim, shop, mutex, notEmpty, log, consumer } = setup();
    consumer("c1", 0);
    consumer("c2", 0);
    sim.at(1, () => shop.crash());
    sim.run();
    expect(log).toEqual([
      "c1:waits@0",
      "c2:waits@0",
      "c1:RemoteError, locked false@1",
      "c2:RemoteError, locked false@1",
    ]);
    expect(mutex.isLocked).toBe(false);
    expect(notEmpty.stats.lostToCrash).toBe(2);
  });

  it("wait while the owner is down fails with RemoteError at once", () => {
    const { sim, shop, mutex, notEmpty } = setup();
    const hold = mutex.tryAcquire()!;
    sim.at(1, () => shop.crash());
    const user = new Entity(sim, "user");
    let caught: unknown = null;
    sim.at(2, () =>
      user.start(function* () {
        try {
          yield* notEmpty.wait(hold);
        } catch (error) {
          caught = error;
        }
        mutex.release(hold); // taken by the crash: ignored
      }),
    );
    sim.run();
    expect((caught as Error).message).toBe(
      'shop failed the request: condition "not empty" is down',
    );
    expect(notEmpty.waiting).toBe(0);
  });

  it("wait without holding the mutex is a SimulationError; bad input a ConfigError", () => {
    const { sim, shop, mutex, notEmpty } = setup();
    const other = new Mutex(shop, { name: "other" });
    const user = new Entity(sim, "user");
    const caught: unknown[] = [];
    user.start(function* () {
      const foreign = yield* other.acquire();
      const hold = yield* mutex.acquire();
      mutex.release(hold);
      for (const attempt of [
        () => notEmpty.wait(foreign),
        () => notEmpty.wait(hold),
        () => notEmpty.wait(hold, { maxWait: -1 }),
      ]) {
        try {
          yield* attempt();
        } catch (error) {
          caught.push(error);
        }
      }
      other.release(foreign);
    });
    sim.run();
    expect(caught[0]).toBeInstanceOf(SimulationError);
    expect((caught[0] as Error).message).toMatch(/not a hold of this condition's mutex/);
    expect(caught[1]).toBeInstanceOf(SimulationError);
    expect((caught[1] as Error).message).toMatch(/Mutex "queue lock".*not held/);
    expect(caught[2]).toBeInstanceOf(ConfigError);
    expect(() => new Condition({} as Mutex)).toThrow(ConfigError);
    expect(() => notEmpty.notify(-1)).toThrow(ConfigError);
  });

  it("statistics restart with sim.resetStats()", () => {
    const { sim, notEmpty, consumer, producer } = setup();
    consumer("c", 0);
    producer(["j"], 1, 1);
    sim.at(2, () => sim.resetStats());
    sim.run();
    expect(notEmpty.stats).toMatchObject({ waits: 0, notified: 0, meanWait: 0 });
  });
});
