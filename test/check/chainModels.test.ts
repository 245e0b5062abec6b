/**
 * Goal: chain replication's reads and writes stay linearizable under the nemesis (node
 * crashes, restarts and pauses with the chain repaired by the master, partitions one-way
 * included, loss, duplication, clock drift), with reads at the tail and with CRAQ reads at any
 * node, over 200 seeds each (explore/chain-replication.ts), removed nodes rejoining the chain
 * (at the tail, after copying their predecessor's state) in most seeds; once the faults heal,
 * the chain serves again within 3 s.
 * Method: explore the model inline; the history of each seed is checked with the kv model.
 */
import { describe, expect, it } from "vitest";
import * as chainModel from "../../explore/chain-replication.js";
import { type ChainReplication, explore, replay, type Scenario } from "../../src/index.js";

describe("ChainReplication under faults", () => {
  for (const craq of [1, 0]) {
    it(`is linearizable over 200 seeds (${craq === 1 ? "CRAQ reads at any node" : "reads at the tail"})`, () => {
      let rejoined = 0;
      const result = explore({
        build: ({ seed, params }) => {
          const sim = chainModel.buildChain(seed, { ...params, craq });
          // Rejoins by the end of the safety phase: the model exercises them.
          sim.at(chainModel.safety, () => {
            rejoined += (sim.entity("chain") as ChainReplication<number>).stats.rejoined;
          });
          return sim;
        },
        faults: chainModel.faults,
        safety: chainModel.safety,
        liveness: chainModel.liveness,
        seeds: 200,
      });
      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(200);
      expect(rejoined).toBeGreaterThan(100);
    });
  }

  // Seed 3095 of 5,000, shrunk: the head accepted a put, was removed and rejoined (discarding
  // what it held), and then refused the network's copy of that put as "not the head"; the
  // client took the refusal for "not applied" while the write, passed on before the removal,
  // committed and was read.
  it("answers no copy of an accepted put with a refusal (seed 3095, shrunk)", () => {
    const scenario: Scenario = {
      seed: 3095,
      params: { clients: 3, operations: 34 },
      faults: {
        faults: [
          {
            kind: "partition-one-way",
            targets: ["net"],
            at: 0.26206,
            for: 0.139,
            params: { from: ["chain"], to: ["chain-2"] },
          },
          {
            kind: "partition",
            targets: ["net"],
            at: 0.521225,
            for: 0.289,
            params: { shape: "majority-ring", nodes: ["chain", "chain-2", "chain-0", "chain-1"] },
          },
          {
            kind: "duplication",
            targets: ["net"],
            at: 0.973477,
            for: 0.135,
            params: { probability: 0.3, delay: 0.01 },
          },
        ],
      },
      until: 1.871,
    };
    expect(replay({ ...chainModel, build: chainModel.default }, scenario).violation).toBeNull();
  });
});
