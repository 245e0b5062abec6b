/**
 * Goal: the checkers checked. Four small models with a planted bug (a store that acknowledges
 * before replicating, a cache that serves stale reads after a restart, a register with a lost
 * update, a counter that double-counts retries) are each caught by `explore` under random
 * faults, by the checker that fits (AcknowledgedWrites on a final read, linearizability of a
 * recorded history), and shrunk to a handful of operations and at most one fault that still
 * fails the same way; the correct twin of each passes every seed.
 * Method: explore 20 seeds of the buggy model, shrink its first failing seed, replay the
 * shrunk scenario; explore 50 seeds of the correct one.
 */
import { describe, expect, it } from "vitest";
import { explore, replay, shrink } from "../../../src/index.js";
import { ackStore } from "./ackStore.js";
import { doubleCount } from "./doubleCount.js";
import { lostUpdate } from "./lostUpdate.js";
import { staleCache } from "./staleCache.js";
import type { PlantedModel } from "./support.js";

const planted: readonly [string, (correct: boolean) => PlantedModel, number][] = [
  // name, model, most operations (clients x operations) the shrunk scenario may keep
  ["a store that acknowledges before replicating", ackStore, 2],
  ["a cache that serves stale reads", staleCache, 16],
  ["a register with a lost update", lostUpdate, 4],
  ["a counter that double-counts on retry", doubleCount, 6],
];

describe("planted bugs", () => {
  for (const [name, make, mostOperations] of planted) {
    it(`${name}: found, shrunk, replayed`, () => {
      const model = make(false);
      const found = explore({ ...model, seeds: 20 });
      expect(found.failed).toBeGreaterThan(0);
      expect([...found.byInvariant.keys()]).toEqual([model.invariant]);

      const seed = found.failures[0]!.seed;
      const scenario = { seed, params: {}, faults: model.faults(seed), until: model.safety };
      const result = shrink(model, scenario);
      expect(result.violation.name).toBe(model.invariant);
      expect(result.exhausted).toBe(false);
      const shrunk = result.scenario;
      expect(shrunk.faults.faults.length).toBeLessThanOrEqual(1);
      expect(shrunk.faults.faults.length).toBeLessThanOrEqual(scenario.faults.faults.length);
      expect(shrunk.until).toBeLessThan(scenario.until);
      const operations = (shrunk.params.clients as number) * (shrunk.params.operations as number);
      expect(operations).toBeLessThanOrEqual(mostOperations);
      // Every step kept the failure, and the last step is the result.
      for (const step of result.steps) expect(step.violation.name).toBe(model.invariant);
      expect(result.steps.at(-1)?.scenario).toEqual(shrunk);
      expect(replay(model, shrunk).violation).toEqual(result.violation);
    });

    it(`${name}: the correct twin passes every seed`, () => {
      const model = make(true);
      const result = explore({ ...model, seeds: 50 });
      expect(result.failures).toEqual([]);
    });
  }
});
