/**
 * Goal: a RaftNode acknowledges an entry (to its leader, or to itself as a leader counting its
 * own log) or a vote only once its own disk holds it, also when the disk, not the host, fails:
 * a full disk that refuses the writes, or a disk that loses power (and its unsynced writes)
 * while the node stays up. Such a node's memory is ahead of its disk; it must not answer on
 * the strength of a later sync that covers none of what was lost.
 * Method: a three-node cluster, one follower down, so a commit needs the other follower; that
 * follower's disk fails around a proposal; once the proposal is acknowledged, the follower's
 * host restarts and the old leader goes away for good: the acknowledged write must survive.
 */
import { describe, expect, it } from "vitest";
import { raftFaults, raftModel } from "../../../explore/raft.js";
import {
  Entity,
  explore,
  type KVCommand,
  type KVStateMachine,
  RaftKV,
  type RaftNode,
  randomFaultSchedule,
  Simulation,
} from "../../../src/index.js";

type Node = RaftNode<KVCommand<number>, unknown>;

function peek(node: Node, key: string): number | undefined {
  return (node.stateMachine as unknown as KVStateMachine<number>).peek(key);
}

/**
 * Proposes x = 1 on the leader while one follower is down and `fault` strikes the other's
 * disk; returns whether the acknowledged write outlived the follower's restart and the
 * leader's loss.
 */
function acknowledgedSurvives(fault: "full" | "power" | "process", seed: number) {
  const sim = new Simulation({ seed });
  const kv = new RaftKV<number>(sim, "kv", { nodes: 3, node: { disk: { syncLatency: 0.002 } } });
  let acknowledgedAt = Number.NaN;
  const admin = new Entity(sim, "admin");
  admin.start(function* () {
    yield 1;
    const leader = kv.leader()!;
    const [follower, down] = kv.nodes.filter((n) => n !== leader) as [Node, Node];
    down.crash();
    if (fault === "full") {
      const full = follower.disk.fill();
      admin.after(0.5, () => full.heal());
    } else if (fault === "process") {
      // Its process restarts just after the entry reaches it, before the sync that would keep
      // it: the page cache keeps the entry, so the restarted node reads it back, unsynced.
      const before = follower.lastIndex;
      const watcher = new Entity(sim, "watcher");
      watcher.start(function* () {
        while (follower.lastIndex === before) yield 0.00005;
        follower.crash({ kind: "process" });
        follower.recover();
      });
    } else {
      // Its disk loses power just after the entry reaches it (before the sync that would
      // keep it), and comes back at once; the node itself stays up.
      const before = follower.lastIndex;
      const watcher = new Entity(sim, "watcher");
      watcher.start(function* () {
        while (follower.lastIndex === before) yield 0.00005;
        follower.disk.crash();
        follower.disk.recover();
      });
    }
    yield* leader.propose({ op: "put", key: "x", value: 1 });
    acknowledgedAt = sim.now;
    // The follower's host restarts; the old leader is gone; the third node comes back.
    follower.crash();
    follower.recover();
    leader.crash();
    down.recover();
    yield 3;
    const next = kv.leader();
    expect(next, "a new leader of the two left").not.toBeNull();
    result.x = peek(next as Node, "x");
  });
  const result: { x: number | undefined } = { x: undefined };
  sim.run({ until: 8 });
  expect(Number.isNaN(acknowledgedAt), "the proposal was acknowledged").toBe(false);
  return result.x;
}

describe("RaftNode under disk faults", () => {
  it("never acknowledges an entry its full disk refused", () => {
    expect(acknowledgedSurvives("full", 5)).toBe(1);
  });

  it("never acknowledges an entry its disk lost to a power loss of the disk alone", () => {
    expect(acknowledgedSurvives("power", 5)).toBe(1);
  });

  it("never acknowledges an unsynced entry a process restart read back from the page cache", () => {
    expect(acknowledgedSurvives("process", 5)).toBe(1);
  });
});

describe("RaftNode votes under disk faults", () => {
  it("grants no vote, its own included, that its full disk refused to keep", () => {
    const sim = new Simulation({ seed: 6 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3 });
    let leaderAfter: string | null = "";
    let campaigns = 0;
    const admin = new Entity(sim, "admin");
    admin.start(function* () {
      yield 1;
      const leader = kv.leader()!;
      const [voter, candidate] = kv.nodes.filter((n) => n !== leader) as [Node, Node];
      // The leader is gone: either survivor needs the other's vote and its own, and the
      // voter's disk can keep neither (before, it won on its own unkept vote).
      voter.disk.fill();
      leader.crash();
      yield 2;
      leaderAfter = kv.leader()?.name ?? null;
      campaigns = candidate.stats.elections;
    });
    sim.run({ until: 3.5 });
    expect(leaderAfter).toBeNull();
    expect(campaigns, "the other node campaigned").toBeGreaterThan(0);
  });
});

describe("RaftNode with a disk full for long", () => {
  it("retries its checkpoint in one segment, not a new one per message", () => {
    const sim = new Simulation({ seed: 7 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3 });
    const follower = kv.nodes[1]!;
    const segments: number[] = [];
    const admin = new Entity(sim, "admin");
    admin.start(function* () {
      yield 1;
      const full = follower.disk.fill();
      const client = kv.client("client");
      yield* client.put("x", 1);
      yield 2; // about 40 heartbeats, each a retried checkpoint
      segments.push(follower.log.stats.segments);
      full.heal();
      yield* client.put("x", 2);
      yield 0.1;
      segments.push(follower.log.stats.segments);
    });
    sim.run({ until: 4 });
    expect(segments[0]).toBeLessThanOrEqual(3);
    // Once it has room, the checkpoint lands and the segments before it go.
    expect(segments[1]).toBe(1);
    expect((follower.stateMachine as unknown as KVStateMachine<number>).peek("x")).toBe(2);
  });
});

describe("Raft under the nemesis with disk faults", () => {
  it("passes 100 seeds with full disks and disk power losses added to the nemesis", () => {
    const disks = ["kv-1-disk", "kv-2-disk", "kv-3-disk"];
    const model = raftModel({
      faults: (seed) => {
        const base = raftFaults(seed);
        const extra = randomFaultSchedule({
          seed: seed + 7_000_000,
          horizon: 4,
          classes: [
            {
              name: "disks",
              targets: disks,
              timeBetweenFailures: 1,
              timeToRepair: 0.3,
              maxConcurrent: 2,
              kinds: [{ kind: "disk-full", weight: 2 }, { kind: "crash" }],
            },
          ],
        });
        return { ...base, faults: [...base.faults, ...extra.faults] };
      },
    });
    const result = explore({ ...model, seeds: 100 });
    expect(result.failures.map((f) => `${f.seed}: ${f.violation.name}`)).toEqual([]);
  });
});
