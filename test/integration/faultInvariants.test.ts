/**
 * Goal: every existing component survives a randomized fault schedule with its conservation
 * identities intact (issue 15): the whole-model compositions of `./composition.ts` run under a
 * `randomFaultSchedule` mixing host crashes, process crashes (callers reset) and network faults
 * (random partitions of every shape, loss, latency, duplication, reordering, clogs and
 * swizzle-clogs), each healed before the run ends, and every invariant of `./invariants.ts`
 * holds: each component's identities, nothing left behind, determinism, and messages conserved
 * at the network (sent + duplicated = arrived + dropped + held).
 * Method: swarm testing as in `./invariants.test.ts`: fast-check draws a composition, a
 * schedule seed and a mix of fault classes (`faultyModelSpec`); the model runs twice
 * (`checkDeterminism`) and the first run is checked. fast-check's seed is fixed so CI is
 * reproducible; a failure prints the composition, which a regression test can paste.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultyModelSpec } from "./composition.js";
import { runAndCheck } from "./invariants.js";

describe("whole-model invariants under random fault schedules", () => {
  it("hold for every composition and schedule (fixed fast-check seed)", () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(faultyModelSpec, (spec) => {
        const model = runAndCheck(spec);
        for (const row of model.schedule!.rows()) {
          const did = Object.values(row.effects).some((n) => n > 0);
          if (did) seen.set(row.kind, (seen.get(row.kind) ?? 0) + 1);
        }
      }),
      { seed: 20261205, numRuns: 30 },
    );
    // The swarm exercised every kind of fault: each did something in some run.
    expect([...seen.keys()].sort()).toEqual(
      [
        "crash",
        "duplication",
        "latency",
        "loss",
        "partition",
        "process-crash",
        "reordering",
        "swizzle-clog",
        "clog",
      ].sort(),
    );
  }, 180_000);
});
