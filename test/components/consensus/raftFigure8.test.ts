/**
 * Goal: the commit rule's current-term condition matters. Raft's figure 8, driven by hooks on
 * five nodes: an entry of an old term reaches a majority under a new leader and, if the leader
 * commits it by counting replicas (the planted `CommitOldTerm`), a later leader that never had
 * it overwrites it: a committed entry is lost. The correct RaftNode, driven the same way, only
 * commits it with its own term's no-op, which the later leader cannot then win against.
 * Method: one leader L is cut off with one follower and given a write (old term); the other
 * side's winner X is cut off as it wins (its no-op on it alone) and crashed; after the heal L
 * or its follower (Y) wins; when Y applies the old write, Y and its follower are cut off and
 * X comes back. "committed entries agree" compares what every node applied at each index.
 */
import { describe, expect, it } from "vitest";
import {
  Entity,
  type KVCommand,
  RaftKV,
  type RaftLogEntry,
  type RaftNode,
  Simulation,
} from "../../../src/index.js";
import { createCommitOldTerm } from "./raftPlanted.js";

type Node = RaftNode<KVCommand<number>, unknown>;

function figure8(buggy: boolean): { divergence: string | null; trace: string[] } {
  const sim = new Simulation({ seed: 11 });
  const kv = new RaftKV<number>(sim, "kv", {
    nodes: 5,
    node: { maxBatch: 1 },
    ...(buggy ? { createNode: createCommitOldTerm } : {}),
  });
  const net = kv.network;
  const nodes = kv.nodes as unknown as Node[];
  const trace: string[] = [];
  const applied: RaftLogEntry<KVCommand<number>>[] = [];
  let divergence: string | null = null;
  for (const node of nodes) {
    node.onApplied = (index, entry) => {
      const first = applied[index];
      if (first === undefined) applied[index] = entry;
      else if (first.term !== entry.term && divergence === null) {
        divergence = `${node.name} applied term ${entry.term} at ${index}, another node term ${first.term}`;
      }
    };
  }
  const admin = new Entity(sim, "admin");
  sim.run({ until: 1 });
  const leader = nodes.find((n) => n.isLeader)!;
  const follower = nodes.find((n) => n !== leader)!;
  const others = nodes.filter((n) => n !== leader && n !== follower);
  const oldIndex = leader.lastIndex + 1;
  trace.push(`L ${leader.name} term ${leader.term}; old write at ${oldIndex}`);
  const cut = net.partition([leader, follower], others);
  admin.start(function* () {
    try {
      yield* leader.propose({ op: "put", key: "x", value: 1 });
    } catch {
      // Its leadership may end first.
    }
  });
  let x: Node | null = null;
  for (const node of others) {
    node.observeLeader = (term, name) => {
      if (x !== null) return;
      x = node;
      trace.push(`X ${name} leads term ${term}, cut off at once`);
      net.isolate(node);
      sim.after(0.01, () => node.crash());
    };
  }
  sim.run({ until: 2 });
  for (const node of others) node.observeLeader = null;
  expect(x).not.toBeNull();
  const crashed = x as unknown as Node;
  cut.heal();
  net.heal();
  let y: Node | null = null;
  for (const node of nodes) {
    const previous = node.onApplied!;
    node.onApplied = (index, entry) => {
      previous(index, entry);
      if (index === oldIndex && node.isLeader && y === null) {
        y = node;
        const partner = node === leader ? follower : leader;
        trace.push(
          `Y ${node.name} applied the old write (term ${entry.term}) in term ${node.term}`,
        );
        net.isolate(node);
        net.isolate(partner);
        sim.after(0.01, () => crashed.recover());
      }
    };
  }
  sim.run({ until: 5 });
  trace.push(`divergence: ${divergence ?? "none"}`);
  return { divergence, trace };
}

describe("Raft figure 8", () => {
  it("a leader that commits an old-term entry by counting replicas loses it", () => {
    const { divergence, trace } = figure8(true);
    expect(divergence, trace.join("\n")).not.toBeNull();
  });

  it("the correct commit rule keeps every node's applied entries the same", () => {
    const { divergence, trace } = figure8(false);
    expect(divergence, trace.join("\n")).toBeNull();
  });
});
