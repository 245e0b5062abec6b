/**
 * Goal: `Barrier` releases all parties together when the last arrives (each gets its arrival
 * index), then starts the next round (generation counts rounds); a waiting party that times
 * out or is cancelled breaks it: the others fail with BrokenBarrierError, and so does every
 * wait until reset(); the owner's crash fails the waiters with RemoteError and starts a fresh
 * round; statistics count trips, breaks and waits; bad input is a ConfigError.
 * Method: scripted parties on their own entities, outcomes logged with the simulated time.
 */
import { describe, expect, it } from "vitest";
import { Barrier } from "../../../src/components/resource/barrier.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { BrokenBarrierError, ConfigError } from "../../../src/errors/errors.js";

function setup(parties = 3) {
  const sim = new Simulation({ seed: 1 });
  const coordinator = new Entity(sim, "coordinator");
  const step = new Barrier(coordinator, { name: "step", parties });
  const log: string[] = [];
  /** A party that works `work[k]` seconds before each arrival k. */
  const party = (id: string, work: number[], maxWait?: number) => {
    const entity = new Entity(sim, id);
    entity.start(function* () {
      for (const seconds of work) {
        yield seconds;
        try {
          const index = yield* step.wait(maxWait === undefined ? undefined : { maxWait });
          log.push(`${id}:#${index} gen ${step.generation}@${sim.now}`);
        } catch (error) {
          log.push(`${id}:${(error as Error).name}@${sim.now}`);
          return;
        }
      }
    });
    return entity;
  };
  return { sim, coordinator, step, log, party };
}

describe("Barrier", () => {
  it("releases every party when the last arrives, round after round", () => {
    const { sim, step, log, party } = setup();
    party("a", [1, 1]);
    party("b", [2, 3]);
    party("c", [3, 1]);
    sim.run();
    expect(log).toEqual([
      "c:#2 gen 1@3", // the last to arrive goes on without sleeping
      "a:#0 gen 1@3",
      "b:#1 gen 1@3",
      "b:#2 gen 2@6", // c (at 4) and a (at 4) came first this round
      "c:#0 gen 2@6",
      "a:#1 gen 2@6",
    ]);
    const s = step.stats;
    expect(s).toMatchObject({ parties: 3, trips: 2, broken: 0, waiting: 0 });
    // Round 1: a waited 2, b 1, c 0; round 2: c 2, a 2, b 0.
    expect(s.meanWait).toBeCloseTo((2 + 1 + 0 + 2 + 2 + 0) / 6, 12);
    expect(step.generation).toBe(2);
  });

  it("a party that times out breaks it: the others get BrokenBarrierError, later waits too", () => {
    const { sim, step, log, party } = setup();
    party("a", [0]);
    party("b", [0.5], 1);
    party("c", [5]);
    sim.run();
    expect(log).toEqual([
      "b:TimeoutError@1.5",
      "a:BrokenBarrierError@1.5",
      "c:BrokenBarrierError@5",
    ]);
    expect(step.isBroken).toBe(true);
    expect(step.stats).toMatchObject({ broken: 1, timedOut: 1, trips: 0 });
  });

  it("a party whose process is cancelled breaks it", () => {
    const { sim, step, log, party } = setup();
    party("a", [0]);
    const b = party("b", [0]);
    sim.at(1, () => b.crash());
    sim.run();
    expect(log).toEqual(["a:BrokenBarrierError@1"]);
    expect(step.stats.broken).toBe(1);
  });

  it("reset() fails the waiting parties and makes a broken barrier usable again", () => {
    const { sim, step, log, party } = setup(2);
    party("a", [0]);
    sim.at(1, () => step.reset());
    party("b", [2]);
    party("c", [3]);
    sim.run();
    expect(log).toEqual(["a:BrokenBarrierError@1", "c:#1 gen 1@3", "b:#0 gen 1@3"]);
    expect(step.isBroken).toBe(false);
  });

  it("the owner's crash fails the waiters with RemoteError and starts a fresh round", () => {
    const { sim, coordinator, step, log, party } = setup(2);
    party("a", [0]);
    sim.at(1, () => coordinator.crash());
    sim.at(2, () => coordinator.recover());
    party("b", [3]);
    party("c", [4]);
    sim.run();
    expect(log).toEqual(["a:RemoteError@1", "c:#1 gen 1@4", "b:#0 gen 1@4"]);
    expect(step.stats).toMatchObject({ lostToCrash: 1, broken: 0, trips: 1 });
  });

  it("a deadline timer does not outlive a broken round", () => {
    const { sim, log, party } = setup();
    party("a", [0], 100);
    party("b", [1], 1);
    sim.run();
    expect(log).toEqual(["b:TimeoutError@2", "a:BrokenBarrierError@2"]);
    // a's 100 s deadline was cancelled with the round: the run ends at 2, not 100.
    expect(sim.now).toBe(2);
  });

  it("one party: every wait goes straight through", () => {
    const { sim, step, log, party } = setup(1);
    party("a", [1, 1]);
    sim.run();
    expect(log).toEqual(["a:#0 gen 1@1", "a:#0 gen 2@2"]);
    expect(step.stats.meanWait).toBe(0);
  });

  it("statistics restart with sim.resetStats(); BrokenBarrierError names the barrier", () => {
    const { sim, step, party } = setup(2);
    party("a", [1]);
    party("b", [1]);
    sim.at(2, () => sim.resetStats());
    sim.run();
    expect(step.stats).toMatchObject({ trips: 0, broken: 0, meanWait: 0 });
    expect(new BrokenBarrierError("step", "reset").message).toBe('barrier "step" is broken: reset');
  });

  it("refuses bad input with ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Entity(sim, "owner");
    for (const parties of [0, 1.5, -2, undefined]) {
      expect(() => new Barrier(owner, { parties } as { parties: number })).toThrow(ConfigError);
    }
    expect(() => new Barrier(owner, { name: "b", parties: 0 })).toThrow(
      'Barrier "b": option "parties" must be an integer >= 1; given 0',
    );
    expect(() => new Barrier({} as Entity, { parties: 2 })).toThrow(ConfigError);
  });
});
