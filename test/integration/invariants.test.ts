/**
 * Goal: whole-model invariants hold for every composition of the load, client, resilience,
 * balancing, server and network components, under crashes and lossy links: conservation of
 * requests at every component, nothing left behind when a run drains, counters that are
 * numbers and never negative, bounded fractions, proxies that respect their limits, circuit
 * breaker logs with only legal transitions, and determinism (the same composition and seed
 * give the same trace hash and the same statistics).
 * Method: swarm testing. fast-check draws a composition and its seed (`./composition.ts`),
 * the model is built and run twice with `checkDeterminism`, and the first run is checked
 * against `./invariants.ts`. fast-check's seed is fixed so CI is reproducible; on a failure it
 * prints the seed, the path and the shrunk composition, which a regression test can paste.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { modelSpec } from "./composition.js";
import { runAndCheck } from "./invariants.js";

describe("whole-model invariants over random compositions", () => {
  it("hold for every composition (fixed fast-check seed)", () => {
    fc.assert(
      fc.property(modelSpec, (spec) => {
        runAndCheck(spec);
      }),
      { seed: 20261130, numRuns: 150 },
    );
    // 150 whole models, each checked every simulated millisecond: about 25 s on a quiet
    // 2-core machine, over a minute when it is shared.
  }, 180_000);
});
