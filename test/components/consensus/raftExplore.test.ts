/**
 * Goal: a key-value store on Raft stays correct under the nemesis (crash/restart of both
 * kinds, pauses, clock drift and steps, random partitions, one-way cuts, loss, duplication):
 * at most one leader per term, every node applies the same entry at each index, and the
 * clients' history is linearizable; and the checks have teeth: a Raft that grants votes
 * without the log check is caught and shrunk to a short reproduction.
 * Method: explore 200 seeds of explore/raft.ts inline (3 nodes, 3 clients of 6 operations, 8
 * simulated seconds each); explore the planted variant (test/components/consensus/raftPlanted.ts),
 * shrink the failing seed with the fewest faults and replay the result.
 */
import { describe, expect, it } from "vitest";
import { raftModel } from "../../../explore/raft.js";
import { explore, replay, shrink } from "../../../src/index.js";
import { createVoteWithoutLogCheck } from "./raftPlanted.js";

describe("Raft under the nemesis", () => {
  it("passes 200 seeds: one leader per term, committed entries agree, linearizable", () => {
    const result = explore({ ...raftModel(), seeds: 200 });
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(200);
  });

  it("catches a Raft that grants votes without the log check, and shrinks it", () => {
    const model = raftModel({ createNode: createVoteWithoutLogCheck });
    const found = explore({ ...model, seeds: 60 });
    expect(found.failed).toBeGreaterThan(0);
    expect([...found.byInvariant.keys()]).toContain("committed entries agree");
    // The failing seed with the fewest faults: which seeds fail moves with any change to the
    // node's timing, and a seed caught only under many faults can shrink poorly.
    const failure = found.failures.reduce((best, f) =>
      model.faults(f.seed).faults.length < model.faults(best.seed).faults.length ? f : best,
    );
    const scenario = {
      seed: failure.seed,
      params: {},
      faults: model.faults(failure.seed),
      until: model.safety,
    };
    const result = shrink(model, scenario, { maxRuns: 200 });
    expect(result.violation.name).toBe(failure.violation.name);
    const shrunk = result.scenario;
    expect(shrunk.faults.faults.length).toBeLessThan(scenario.faults.faults.length);
    expect(shrunk.faults.faults.length).toBeLessThanOrEqual(3);
    expect(shrunk.until).toBeLessThan(scenario.until);
    // Measured (seed 31): 3 faults, 3 clients x 6 operations, 8 s → 1 fault, one operation, 0.4 s.
    const operations = (shrunk.params.clients as number) * (shrunk.params.operations as number);
    expect(operations).toBeLessThanOrEqual(3);
    expect(replay(model, shrunk).violation).toEqual(result.violation);
  });
});
