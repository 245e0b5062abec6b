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
import { type ChainReplication, explore } from "../../src/index.js";

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
});
