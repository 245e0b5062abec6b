/**
 * Goal: a learner (a server being added, catching up) counts in no quorum: its acks commit
 * nothing, confirm no read index, hold no lease and keep no leader in office under
 * check-quorum; and a learner that hears no leader starts no election.
 * Method: a three-node cluster whose two followers crash just after the leader starts adding a
 * fourth server, so the leader and the learner are all that answer: a majority of the old
 * configuration (two of three) if the learner counted, none if it does not.
 */
import { describe, expect, it } from "vitest";
import { Entity, KVStateMachine, RaftKV, RaftNode, Simulation } from "../../../src/index.js";

describe("RaftNode learners count in no quorum", () => {
  for (const leaseReads of [false, true]) {
    it(`commits nothing, answers no read and steps down on the learner's acks alone (leaseReads ${leaseReads})`, () => {
      const sim = new Simulation({ seed: 41 });
      const options = { checkQuorum: true, leaseReads, catchUpLag: 0, catchUpTimeout: 5 };
      const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: options });
      const joiner = new RaftNode(sim, "kv-4", {
        members: [],
        stateMachine: new KVStateMachine<number>(),
        ...options,
      });
      const seen = { committedBefore: -1, committedAfter: -1, read: false, steppedDownAt: -1 };
      let leaderName = "";
      const admin = new Entity(sim, "admin");
      admin.start(function* () {
        const client = kv.client("client");
        yield* client.put("x", 1);
        const leader = kv.leader()!;
        leaderName = leader.name;
        admin.start(leader.addServer("kv-4")).result.defuse();
        for (const node of kv.nodes) if (node !== leader) node.crash();
        seen.committedBefore = leader.committed;
        // Proposals and a read the learner's acks alone must not settle.
        for (let i = 0; i < 5; i++) {
          admin.start(leader.propose({ op: "put", key: "y", value: i })).result.defuse();
        }
        admin
          .start(
            (function* () {
              // Past the lease the followers' last acks gave (0.147 s), within check-quorum's 0.3 s.
              yield 0.2;
              expect(leader.isLeader).toBe(true);
              yield* leader.read({ op: "get", key: "x" });
              seen.read = true;
            })(),
          )
          .result.defuse();
        while (leader.isLeader) yield 0.01;
        seen.steppedDownAt = sim.now;
        seen.committedAfter = leader.committed;
      });
      sim.run({ until: 4 });
      const leader = kv.nodes.find((n) => n.name === leaderName)!;
      expect(joiner.lastIndex, "the learner was sent the log").toBeGreaterThan(
        seen.committedBefore,
      );
      expect(seen.committedAfter).toBe(seen.committedBefore);
      expect(leader.committed).toBe(seen.committedBefore);
      expect(seen.read).toBe(false);
      // Check-quorum deposes it within about an election timeout (0.3 s) past its start.
      expect(seen.steppedDownAt).toBeGreaterThan(0);
      expect(seen.steppedDownAt).toBeLessThan(1.5);
      // The learner itself starts no election (and, a member by its log if promoted, wins none).
      expect(joiner.stats.leaderships).toBe(0);
      expect(kv.nodes.every((n) => n === leader || !n.isUp)).toBe(true);
    });
  }
});
