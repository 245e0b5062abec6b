/**
 * Goal: a proposal on a leader that is deposed always settles, also when the entries it missed
 * reach it as a snapshot (no apply ever visits its index then). Method: three nodes, snapshots
 * every 2 entries. The leader is cut off and asked to put x = 9 (with a session); the others
 * elect a new leader and commit six puts; after the heal the old leader, far behind, gets
 * InstallSnapshot. Its proposal never reached anyone: it fails with ProposalDroppedError (the
 * snapshot's sessions show it was not applied). It used to wait forever.
 */
import { describe, expect, it } from "vitest";
import { Entity, RaftKV, Simulation } from "../../../src/index.js";

describe("RaftNode proposals a snapshot skips", () => {
  it("settle: dropped when the snapshot's sessions never applied them", () => {
    const sim = new Simulation({ seed: 1 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { snapshotEvery: 2 } });
    sim.run({ until: 1 });
    const old = kv.leader()!;
    const cut = kv.network.isolate(old);
    const admin = new Entity(sim, "admin");
    let outcome = "no answer";
    admin.start(function* () {
      try {
        yield* old.propose({ op: "put", key: "x", value: 9 }, { client: "admin", seq: 1 });
        outcome = "applied";
      } catch (error) {
        outcome = (error as Error).name;
      }
    });
    const client = kv.client("client");
    client.start(function* () {
      yield 0.6;
      for (let i = 0; i < 6; i++) yield* client.put("y", i);
    });
    sim.run({ until: 3 });
    cut.heal();
    sim.run({ until: 6 });
    expect(old.stats.snapshotsInstalled).toBe(1);
    expect(outcome).toBe("ProposalDroppedError");
    expect(old.applied).toBeGreaterThanOrEqual(old.snapshotIndex);
  });
});
