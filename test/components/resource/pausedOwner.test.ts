/**
 * Goal: a paused entity runs nothing, even when another entity calls straight into the station
 * it owns: capacity another entity's process frees (`release`), a waiter that gives up and
 * unblocks the line (`remove`), an arrival that finds capacity free (`acquire`), or a raised
 * dynamic limit, starts nothing while the owner is paused; what would have started starts when
 * it resumes, in order. Unpaused, the same calls start work at once, as before.
 * Method: a `Resource` owned by a plain entity that is paused from t=1 to t=3, used by
 * processes of other entities; each grant logged with its simulated time.
 */
import { describe, expect, it } from "vitest";
import { concurrency, Entity, Resource, Simulation } from "../../../src/index.js";

function hospital(capacity: number | ReturnType<typeof concurrency.dynamic>) {
  const sim = new Simulation({ seed: 1 });
  const owner = new Entity(sim, "hospital");
  const beds = new Resource(owner, { name: "beds", capacity });
  const patient = new Entity(sim, "patients");
  const log: string[] = [];
  return { sim, owner, beds, patient, log };
}

describe("a Resource whose owner is paused", () => {
  it("hands a unit another entity's process releases to the next waiter only at the resume", () => {
    const { sim, owner, beds, patient, log } = hospital(1);
    patient.start(function* () {
      const bed = yield* beds.acquire();
      yield 1.5;
      beds.release(bed);
      log.push(`${sim.now}:a released`);
    });
    patient.start(function* () {
      yield 0.5;
      yield* beds.acquire();
      log.push(`${sim.now}:b granted`);
    });
    sim.at(1, () => owner.pause(2));
    sim.run();
    expect(log).toEqual(["1.5:a released", "3:b granted"]);
  });

  it("starts the waiters behind one that gave up only at the resume", () => {
    const { sim, owner, beds, patient, log } = hospital(2);
    patient.start(function* () {
      yield* beds.acquire();
      log.push(`${sim.now}:holder granted`);
    });
    const heavy = patient.start(function* () {
      yield 0.1;
      try {
        yield* beds.acquire({ amount: 2 });
      } finally {
        log.push(`${sim.now}:heavy gave up`);
      }
    });
    patient.start(function* () {
      yield 0.2;
      yield* beds.acquire();
      log.push(`${sim.now}:light granted`);
    });
    sim.at(1, () => owner.pause(2));
    sim.at(1.5, () => heavy.cancel());
    sim.run();
    expect(log).toEqual(["0:holder granted", "1.5:heavy gave up", "3:light granted"]);
  });

  it("grants an acquire that finds a unit free only at the resume; tryAcquire gets nothing", () => {
    const { sim, owner, beds, patient, log } = hospital(1);
    patient.start(function* () {
      yield 1.5;
      log.push(`${sim.now}:try ${beds.tryAcquire() === null ? "refused" : "granted"}`);
      yield* beds.acquire();
      log.push(`${sim.now}:granted`);
    });
    sim.at(1, () => owner.pause(2));
    sim.run();
    expect(log).toEqual(["1.5:try refused", "3:granted"]);
    expect(beds.stats.probabilityOfWaiting).toBe(1);
  });

  it("starts waiters for a raised dynamic limit only at the resume", () => {
    const limit = concurrency.dynamic({ initial: 1, min: 1, max: 4 });
    const { sim, owner, beds, patient, log } = hospital(limit);
    for (const name of ["a", "b"]) {
      patient.start(function* () {
        yield* beds.acquire();
        log.push(`${sim.now}:${name} granted`);
      });
    }
    sim.at(1, () => owner.pause(2));
    sim.at(1.5, () => limit.setLimit(2));
    sim.run();
    expect(log).toEqual(["0:a granted", "3:b granted"]);
  });

  it("unpaused, the same calls start work at once", () => {
    const { sim, beds, patient, log } = hospital(1);
    patient.start(function* () {
      const bed = yield* beds.acquire();
      yield 1.5;
      beds.release(bed);
    });
    patient.start(function* () {
      yield 0.5;
      yield* beds.acquire();
      log.push(`${sim.now}:b granted`);
    });
    sim.run();
    expect(log).toEqual(["1.5:b granted"]);
  });
});
