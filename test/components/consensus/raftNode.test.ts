/**
 * Goal: RaftNode elects one leader, replicates and applies a log in the same order on every
 * node, refuses clients off the leader with a typed redirect, keeps term, vote and log across
 * a restart (and loses exactly what was not synced), compacts its log into snapshots and
 * catches a follower up with InstallSnapshot, changes membership one server at a time, and
 * serves linearizable reads through the leader (read index, lease). Bad options fail loudly.
 * Method: small clusters on a datacenter network, driven by scripted clients; the nodes' logs,
 * applied state and statistics are compared after each scenario.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  conditions,
  Entity,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  Network,
  NetworkLink,
  NotLeaderError,
  RaftKV,
  type RaftKVNodeOptions,
  RaftNode,
  type RaftNodeOptions,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Node = RaftNode<KVCommand<number>, KVResult<number>>;

function cluster(seed: number, nodes = 3, node: RaftKVNodeOptions<number> = {}) {
  const sim = new Simulation({ seed });
  const kv = new RaftKV<number>(sim, "kv", { nodes, node });
  return { sim, kv };
}

function leaderOf(kv: RaftKV<number>): Node {
  const leader = kv.leader();
  if (leader === null) throw new Error("no leader");
  return leader;
}

function appliedLogs(nodes: readonly Node[]): string[] {
  return nodes.map((n) => {
    const terms: number[] = [];
    for (let i = n.snapshotIndex + 1; i <= n.applied; i++) terms.push(n.termAt(i)!);
    return terms.join(",");
  });
}

describe("RaftNode", () => {
  it("elects one leader and replicates writes to every node in the same order", () => {
    const { sim, kv } = cluster(1, 5);
    const client = kv.client("client");
    const seen: (number | null)[] = [];
    client.start(function* () {
      for (let i = 1; i <= 10; i++) {
        yield* client.put(`k${i % 3}`, i);
        seen.push(yield* client.get(`k${i % 3}`));
      }
    });
    sim.run({ until: 2 });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const leaders = kv.nodes.filter((n) => n.role === "leader");
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    for (const node of kv.nodes) {
      expect(node.term).toBe(leader.term);
      expect(node.leader).toBe(leader.name);
      expect(node.committed).toBe(leader.lastIndex);
      expect((node.stateMachine as KVStateMachine<number>).peek("k1")).toBe(10);
    }
    expect(new Set(appliedLogs(kv.nodes)).size).toBe(1);
    expect(leader.stats.leaderships).toBe(1);
    expect(leader.stats.meanCommitLatency).toBeGreaterThan(0);
  });

  it("refuses a proposal off the leader with a redirect naming the leader", () => {
    const { sim, kv } = cluster(2);
    sim.run({ until: 1 });
    const leader = leaderOf(kv);
    const follower = kv.nodes.find((n) => n !== leader)!;
    let error: unknown;
    const probe = new Entity(sim, "probe");
    probe.start(function* () {
      try {
        yield* follower.propose({ op: "put", key: "x", value: 1 });
      } catch (e) {
        error = e;
      }
    });
    sim.run({ until: 1.1 });
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as NotLeaderError).leader).toBe(leader.name);
    expect(follower.stats.redirects).toBe(1);
  });

  it("elects a new leader after the leader crashes, and the old one catches up on restart", () => {
    const { sim, kv } = cluster(3);
    const client = kv.client("client");
    client.start(function* () {
      for (let i = 1; i <= 20; i++) {
        yield* client.put("x", i);
        yield 0.1;
      }
    });
    sim.run({ until: 0.8 });
    const first = leaderOf(kv);
    first.crash();
    sim.run({ until: 1.5 });
    const second = leaderOf(kv);
    expect(second).not.toBe(first);
    expect(second.term).toBeGreaterThan(first.term);
    first.recover();
    sim.run({ until: 4 });
    expect(first.role).toBe("follower");
    expect(first.term).toBe(second.term);
    expect(first.committed).toBe(second.committed);
    expect((first.stateMachine as KVStateMachine<number>).peek("x")).toBe(20);
    expect(new Set(appliedLogs(kv.nodes)).size).toBe(1);
    // Rebuilding its state from the log is not committing the entries again.
    expect(first.stats.entriesCommitted).toBe(first.committed);
    expect(first.stats.commandsApplied).toBe(20);
  });

  it("keeps term, vote and synced log across a restart; loses exactly what was not synced", () => {
    const { sim, kv } = cluster(4);
    const client = kv.client("client");
    client.start(function* () {
      for (let i = 1; i <= 5; i++) yield* client.put("x", i);
    });
    sim.run({ until: 1 });
    const node = kv.nodes.find((n) => n.role === "follower")!;
    const { term, lastIndex } = node;
    // Its log is segment 1 of "raft" (no snapshot started another).
    const synced = node.disk.records("raft.1", "synced").length;
    expect(synced).toBeGreaterThan(0);
    expect(synced).toBe(node.disk.records("raft.1").length);
    node.crash();
    node.recover();
    expect(node.term).toBe(term);
    expect(node.lastIndex).toBe(lastIndex);
    // Applied state is rebuilt as the leader tells it the commit index again.
    sim.run({ until: 1.5 });
    expect((node.stateMachine as KVStateMachine<number>).peek("x")).toBe(5);

    // Writes the disk had not synced are gone after a host crash.
    const lonely = new Simulation({ seed: 5 });
    const solo = new RaftNode(lonely, "solo", {
      members: ["solo"],
      stateMachine: new KVStateMachine<number>(),
      disk: { syncLatency: 0.2 },
    });
    lonely.run({ until: 1 });
    expect(solo.role).toBe("leader");
    expect(solo.term).toBe(1);
    const probe = new Entity(lonely, "probe");
    probe.start(function* () {
      yield* solo.propose({ op: "put", key: "y", value: 1 });
    });
    lonely.run({ until: 1.1 });
    const before = solo.lastIndex;
    expect(solo.committed).toBeLessThan(before);
    solo.crash();
    solo.recover();
    expect(solo.lastIndex).toBe(before - 1);
    expect(solo.term).toBe(1);
  });

  it("compacts its log into snapshots and installs one on a follower that fell behind", () => {
    const { sim, kv } = cluster(6, 3, { snapshotEvery: 5 });
    const client = kv.client("client");
    const lagging = kv.nodes[2]!;
    sim.at(0.5, () => lagging.crash());
    sim.at(2, () => lagging.recover());
    client.start(function* () {
      yield 0.6;
      for (let i = 1; i <= 30; i++) yield* client.put(`k${i % 4}`, i);
    });
    sim.run({ until: 3 });
    const leader = leaderOf(kv);
    expect(leader.snapshotIndex).toBeGreaterThan(0);
    expect(leader.stats.snapshotsTaken).toBeGreaterThan(0);
    expect(lagging.stats.snapshotsInstalled).toBeGreaterThan(0);
    for (const node of kv.nodes) {
      expect(node.committed).toBe(leader.committed);
      expect((node.stateMachine as KVStateMachine<number>).snapshot()).toEqual(
        (leader.stateMachine as KVStateMachine<number>).snapshot(),
      );
    }
  });

  it("adds and removes a server one at a time through the log", () => {
    const sim = new Simulation({ seed: 7 });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 3 });
    const joiner = new RaftNode(sim, "kv-4", {
      members: [],
      stateMachine: new KVStateMachine<number>(),
    });
    const admin = new Entity(sim, "admin");
    const client = kv.client("client");
    client.start(function* () {
      for (let i = 1; i <= 5; i++) yield* client.put("x", i);
    });
    let removed = "";
    admin.start(function* () {
      yield 1;
      const leader = leaderOf(kv);
      yield* leader.addServer("kv-4");
      yield 0.5;
      const victim = kv.nodes.find((n) => n !== leader)!;
      removed = victim.name;
      yield* leader.removeServer(victim.name);
    });
    sim.run({ until: 3 });
    const leader = leaderOf(kv);
    const expected = ["kv-1", "kv-2", "kv-3", "kv-4"].filter((n) => n !== removed);
    expect([...leader.members].sort()).toEqual(expected);
    expect([...joiner.members].sort()).toEqual(expected);
    expect(joiner.committed).toBe(leader.committed);
    expect((joiner.stateMachine as KVStateMachine<number>).peek("x")).toBe(5);
  });

  it("serves reads through the read index, and on the lease with check-quorum", () => {
    for (const node of [{}, { checkQuorum: true, leaseReads: true }]) {
      const { sim, kv } = cluster(8, 3, node);
      const client = kv.client("client");
      const reads: (number | null)[] = [];
      client.start(function* () {
        yield* client.put("x", 1);
        for (let i = 0; i < 5; i++) reads.push(yield* client.get("x"));
      });
      sim.run({ until: 2 });
      expect(reads).toEqual([1, 1, 1, 1, 1]);
      const leader = leaderOf(kv);
      expect(leader.stats.reads).toBe(5);
      expect(leader.stats.leaseReads).toBe("leaseReads" in node ? 5 : 0);
    }
  });

  it("with check-quorum, a leader cut off from its majority steps down", () => {
    const { sim, kv } = cluster(9, 3, { checkQuorum: true, preVote: true });
    sim.run({ until: 1 });
    const leader = leaderOf(kv);
    const others = kv.nodes.filter((n) => n !== leader);
    kv.network.partition([leader], others);
    sim.run({ until: 3 });
    expect(leader.role).toBe("follower");
    const next = leaderOf(kv);
    expect(next).not.toBe(leader);
    kv.network.heal();
    sim.run({ until: 4 });
    // Pre-vote: the old leader coming back does not depose the new one.
    expect(leaderOf(kv)).toBe(next);
    expect(leader.term).toBe(next.term);
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const stateMachine = new KVStateMachine<number>();
    const bad: [string, object][] = [
      ["members", { members: ["other"] }],
      ["members", { members: ["a", "a"] }],
      ["stateMachine", { stateMachine: {} }],
      ["electionTimeoutMax", { electionTimeoutMin: 0.3, electionTimeoutMax: 0.2 }],
      ["heartbeatInterval", { heartbeatInterval: 0.2 }],
      ["leaseReads", { leaseReads: true }],
      ["snapshotEvery", { snapshotEvery: -1 }],
      ["maxBatch", { maxBatch: 0 }],
      ["leaseDriftBound", { leaseDriftBound: 0.6 }],
    ];
    for (const [parameter, options] of bad) {
      expect(
        () => new RaftNode(sim, "a", { members: ["a"], stateMachine, ...options }),
        parameter,
      ).toThrow(ConfigError);
      try {
        new RaftNode(sim, "a", { members: ["a"], stateMachine, ...options });
      } catch (error) {
        expect((error as ConfigError).parameter).toBe(parameter);
      }
    }
  });

  it("a RaftKV client refuses a second operation while one is in progress (its session is a sequence)", () => {
    const { sim, kv } = cluster(1);
    const client = kv.client("client");
    const outcomes: string[] = [];
    sim.at(1, () => {
      for (const key of ["a", "b"]) {
        new Entity(sim, `writer-${key}`).start(function* () {
          try {
            yield* client.put(key, 1);
            outcomes.push(`${key} acknowledged`);
          } catch (error) {
            outcomes.push(`${key} ${(error as Error).name}`);
          }
        });
      }
    });
    sim.run({ until: 3 });
    // Before: both acknowledged, and "a" (answered from the session after "b") never applied.
    expect(outcomes).toEqual(["b SimulationError", "a acknowledged"]);
    for (const node of kv.nodes) {
      expect((node.stateMachine as KVStateMachine<number>).peek("a")).toBe(1);
    }
  });

  it("RaftKV joins the simulation's own Network, and refuses nodes and members that disagree", () => {
    const sim = new Simulation({ seed: 3 });
    const network = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
    });
    const kv = new RaftKV<number>(sim, "kv", { nodes: 5 });
    expect(kv.network).toBe(network);
    const client = kv.client("client");
    let read: number | null = null;
    client.start(function* () {
      yield* client.put("x", 7);
      read = yield* client.get("x");
    });
    sim.run({ until: 2 });
    expect(read).toBe(7);
    expect(sim.entity("kv-net")).toBeUndefined();

    const other = new Simulation({ seed: 3 });
    const foreign = new Network(new Simulation({ seed: 4 }), "elsewhere");
    const bad: [string, object][] = [
      ["nodes", { nodes: 5, members: ["a", "b", "c"] }],
      ["network", { network: foreign }],
    ];
    for (const [parameter, options] of bad) {
      expect(() => new RaftKV<number>(other, "kv", options), parameter).toThrow(ConfigError);
      try {
        new RaftKV<number>(other, "kv", options);
      } catch (error) {
        expect((error as ConfigError).parameter).toBe(parameter);
      }
    }
  });
});

componentLaws<Node>({
  type: RaftNode,
  options: () => ({
    members: [SUBJECT],
    stateMachine: new KVStateMachine<number>(),
    electionTimeoutMin: 0.15,
    electionTimeoutMax: 0.3,
    heartbeatInterval: 0.05,
    preVote: true,
    checkQuorum: true,
    leaseReads: false,
    leaseDriftBound: 0.01,
    snapshotEvery: 4,
    maxBatch: 16,
    catchUpLearners: true,
    catchUpLag: 8,
    catchUpTimeout: 2,
    disk: { syncLatency: 0.001 },
    clock: { driftPpm: 20 },
  }),
  construct: (sim, name, options) =>
    new RaftNode(
      sim,
      name,
      options as unknown as RaftNodeOptions<KVCommand<number>, KVResult<number>>,
    ),
  invalid: [
    { members: ["other"] },
    { electionTimeoutMax: 0.1 },
    { heartbeatInterval: 0.5 },
    { snapshotEvery: 1.5 },
    { catchUpLag: -1 },
    { catchUpTimeout: 0 },
    { catchUpLearners: "yes" },
    { stateMachine: null },
  ],
  scenario: (sim) => {
    const kv = new RaftKV<number>(sim, "kv", {
      members: [SUBJECT, "peer-1", "peer-2"],
      node: { snapshotEvery: 4 },
    });
    const client = kv.client("client", { giveUpAfter: 1 });
    client.start(function* () {
      for (let i = 1; i <= 20; i++) {
        try {
          yield* client.put("x", i);
          yield* client.get("x");
        } catch {
          // Indeterminate or refused while the subject is down: go on.
        }
        yield 0.05;
      }
    });
    return kv.nodes[0]!;
  },
  crashAt: 0.5,
  recoverAt: 0.9,
});
