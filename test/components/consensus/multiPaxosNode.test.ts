/**
 * Goal: Multi-Paxos elects a stable leader that skips phase 1 per command, applies commands
 * in slot order on every node, redirects proposals made elsewhere, survives a leader crash
 * (a new leader, nothing applied lost, holes filled), and a restart rebuilds the state machine
 * from its log; the KV client finds the leader; plus the law suites.
 * Method: three-node clusters over a datacenter network, driven from processes.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  conditions,
  Entity,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  MultiPaxosNode,
  type MultiPaxosNodeOptions,
  Network,
  NetworkLink,
  NotLeaderError,
  PaxosKVClient,
  type PaxosKVClientOptions,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Node = MultiPaxosNode<KVCommand<string>, KVResult<string>>;
const MEMBERS = ["m1", "m2", "m3"];

function cluster(sim: Simulation, members = MEMBERS): Node[] {
  new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
  return members.map(
    (name) =>
      new MultiPaxosNode(sim, name, { members, stateMachine: new KVStateMachine<string>() }),
  );
}

const leaderOf = (nodes: readonly Node[]) => nodes.filter((n) => n.isLeader);

/** Runs `body` in a process of a fresh entity at `at`. */
function run(sim: Simulation, at: number, body: () => Generator<unknown, void, unknown>) {
  const driver = new Entity(sim, `driver-${sim.entities.length}`);
  driver.at(at, () => driver.start(body as never));
}

describe("MultiPaxosNode", () => {
  it("elects one leader, which commits each command with phase 2 alone", () => {
    const sim = new Simulation({ seed: 1 });
    const nodes = cluster(sim);
    const results: unknown[] = [];
    const elections = () => nodes.reduce((sum, n) => sum + n.stats.electionsStarted, 0);
    let electionsBefore = -1;
    run(sim, 1, function* () {
      electionsBefore = elections();
      const leader = leaderOf(nodes)[0]!;
      for (let i = 0; i < 5; i++) yield* leader.propose({ op: "put", key: "k", value: `v${i}` });
      results.push(yield* leader.propose({ op: "get", key: "k" }));
    });
    sim.run({ until: 2 });
    expect(leaderOf(nodes)).toHaveLength(1);
    expect(results).toEqual(["v4"]);
    // No phase 1 for any of the six commands: the leader's one election covered every slot.
    expect(elections()).toBe(electionsBefore);
    for (const node of nodes) {
      expect(node.appliedCount).toBe(6);
      expect((node.stateMachine as KVStateMachine<string>).peek("k")).toBe("v4");
    }
  });

  it("redirects a proposal made to a follower with NotLeaderError naming the leader", () => {
    const sim = new Simulation({ seed: 2 });
    const nodes = cluster(sim);
    let error: unknown = null;
    run(sim, 1, function* () {
      const follower = nodes.find((n) => !n.isLeader)!;
      try {
        yield* follower.propose({ op: "get", key: "k" });
      } catch (e) {
        error = e;
      }
    });
    sim.run({ until: 1.5 });
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as NotLeaderError).leader).toBe(leaderOf(nodes)[0]!.name);
  });

  it("replaces a crashed leader; applied commands stay, and the old leader catches up on restart", () => {
    const sim = new Simulation({ seed: 3 });
    const nodes = cluster(sim);
    let first: Node | null = null;
    run(sim, 1, function* () {
      first = leaderOf(nodes)[0]!;
      yield* first.propose({ op: "put", key: "a", value: "1" });
      first.crash();
    });
    let second: Node | null = null;
    run(sim, 2, function* () {
      second = leaderOf(nodes)[0]!;
      yield* second.propose({ op: "put", key: "b", value: "2" });
    });
    sim.at(2.5, () => first!.recover());
    sim.run({ until: 3.5 });
    expect(second).not.toBe(first);
    expect(second).not.toBeNull();
    for (const node of nodes) {
      const kv = node.stateMachine as KVStateMachine<string>;
      expect([kv.peek("a"), kv.peek("b")]).toEqual(["1", "2"]);
    }
    expect(first!.stats.electionsWon).toBe(1);
  });

  /** Three nodes; at 1 s the followers can no longer reach the leader (it still reaches them). */
  function oneWayCut(checkQuorum: boolean) {
    const sim = new Simulation({ seed: 5 });
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
    });
    const nodes: Node[] = MEMBERS.map(
      (name) =>
        new MultiPaxosNode(sim, name, {
          members: MEMBERS,
          stateMachine: new KVStateMachine<string>(),
          checkQuorum,
        }),
    );
    let cutOff: Node | null = null;
    const leadersSeen = new Set<string>();
    sim.at(1, () => {
      cutOff = leaderOf(nodes)[0]!;
      net.partitionOneWay(
        nodes.filter((n) => n !== cutOff),
        [cutOff],
      );
    });
    // Who leads, sampled while the cut lasts (after the successor had time to win).
    for (let t = 2.5; t < 4; t += 0.1) {
      sim.at(t, () => {
        for (const n of leaderOf(nodes)) leadersSeen.add(n.name);
      });
    }
    const committed: string[] = [];
    run(sim, 2.5, function* () {
      const leader = leaderOf(nodes).find((n) => n !== cutOff);
      if (leader === undefined) return;
      yield* leader.propose({ op: "put", key: "k", value: "after-cut" });
      committed.push(leader.name);
    });
    sim.run({ until: 4 });
    return { nodes, cutOff: cutOff! as Node, leadersSeen, committed };
  }

  it("without checkQuorum, a leader cut off one way keeps its followers from electing another", () => {
    const { nodes, cutOff, leadersSeen, committed } = oneWayCut(false);
    // Its heartbeats still arrive, so nobody suspects it; it hears no acceptance, so nothing commits.
    expect([...leadersSeen]).toEqual([cutOff.name]);
    expect(committed).toEqual([]);
    expect(nodes.every((n) => n.stats.electionsStarted <= 1)).toBe(true);
  });

  it("with checkQuorum, a leader cut off one way steps down, a successor commits and keeps leading", () => {
    const { nodes, cutOff, leadersSeen, committed } = oneWayCut(true);
    expect(cutOff.stats.quorumLost).toBe(1);
    expect(cutOff.isLeader).toBe(false);
    // One successor for the whole cut: the deaf old leader's prepares are ignored, not promised.
    expect(leadersSeen.size).toBe(1);
    expect(leadersSeen.has(cutOff.name)).toBe(false);
    expect(committed).toEqual([...leadersSeen]);
    expect(cutOff.stats.electionsStarted).toBeGreaterThan(1);
    const others = nodes.filter((n) => n !== cutOff);
    expect(others.reduce((sum, n) => sum + n.stats.preparesIgnored, 0)).toBeGreaterThan(0);
    for (const node of others) {
      expect((node.stateMachine as KVStateMachine<string>).peek("k")).toBe("after-cut");
    }
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const make = (options: Partial<MultiPaxosNodeOptions<unknown, unknown>>) =>
      new MultiPaxosNode(sim, "m1", {
        members: MEMBERS,
        stateMachine: new KVStateMachine(),
        ...options,
      });
    expect(() => make({ members: ["x"] })).toThrow(/"members"/);
    expect(() => make({ stateMachine: {} as never })).toThrow(/"stateMachine"/);
    expect(() => make({ heartbeatInterval: 0.5, electionTimeout: 0.2 })).toThrow(
      /"electionTimeout"/,
    );
    expect(() => make({ heartbeatInterval: 0 })).toThrow(ConfigError);
    expect(() => make({ checkQuorum: "yes" as never })).toThrow(/"checkQuorum"/);
  });
});

describe("PaxosKVClient", () => {
  it("finds the leader, follows it after a crash, and reads its own writes", () => {
    const sim = new Simulation({ seed: 4 });
    const nodes = cluster(sim);
    const client = new PaxosKVClient<string>(sim, "client", { nodes: MEMBERS });
    const reads: (string | undefined)[] = [];
    run(sim, 0, function* () {
      yield* client.put("x", "1");
      reads.push(yield* client.get("x"));
      leaderOf(nodes)[0]!.crash();
      expect(yield* client.cas("x", "1", "2")).toBe(true);
      reads.push(yield* client.get("x"));
    });
    sim.run({ until: 5 });
    expect(reads).toEqual(["1", "2"]);
    expect(client.stats.succeeded).toBe(4);
    expect(client.stats.redirects + client.stats.timeouts).toBeGreaterThan(0);
  });

  it("follows a redirect to a named leader at once, without waiting its retry backoff", () => {
    const sim = new Simulation({ seed: 4 });
    const nodes = cluster(sim);
    let doneAt = -1;
    let client: PaxosKVClient<string> | null = null;
    sim.at(1, () => {
      const leader = leaderOf(nodes)[0]!.name;
      // A follower first: the first attempt is refused with the leader's name.
      const order = [...MEMBERS.filter((n) => n !== leader), leader];
      client = new PaxosKVClient<string>(sim, "client", { nodes: order, retryBackoff: 1 });
      run(sim, 1, function* () {
        yield* client!.put("x", "1");
        doneAt = sim.now;
      });
    });
    sim.run({ until: 5 });
    expect(client!.stats.redirects).toBe(1);
    expect(client!.stats.retries).toBe(1);
    // A backoff of 1 s waits at least 0.5 s; a redirect followed at once takes round trips.
    expect(doneAt - 1).toBeGreaterThan(0);
    expect(doneAt - 1).toBeLessThan(0.05);
  });

  it("refuses a second operation while one is in progress (a session is a sequence)", () => {
    const sim = new Simulation({ seed: 5 });
    cluster(sim);
    const client = new PaxosKVClient<string>(sim, "client", { nodes: MEMBERS });
    let error: unknown = null;
    run(sim, 0, function* () {
      yield* client.put("x", "1");
    });
    run(sim, 0, function* () {
      try {
        yield* client.get("x");
      } catch (e) {
        error = e;
      }
    });
    sim.run({ until: 2 });
    expect(String(error)).toMatch(/one at a time/);
  });
});

function lawOptions(members: readonly string[]) {
  return {
    members,
    stateMachine: new KVStateMachine<string>(),
    heartbeatInterval: 0.05,
    electionTimeout: 0.3,
    retryBackoff: 0.05,
    syncLatency: 0.002,
    checkQuorum: false,
    snapshotEvery: 0,
  };
}

componentLaws<Node>({
  type: MultiPaxosNode,
  options: (sim) => {
    // The peers the subject elects itself with.
    const members = [SUBJECT, "peer-1", "peer-2"];
    for (const peer of members.slice(1)) {
      new MultiPaxosNode(sim, peer, { members, stateMachine: new KVStateMachine<string>() });
    }
    return lawOptions(members);
  },
  construct: (sim, name, options) =>
    new MultiPaxosNode(
      sim,
      name,
      options as unknown as MultiPaxosNodeOptions<KVCommand<string>, KVResult<string>>,
    ),
  invalid: [
    { members: [] },
    { stateMachine: null },
    { heartbeatInterval: -1 },
    { electionTimeout: 0.01 },
    { snapshotEvery: -1 },
  ],
  scenario: (sim) => {
    const members = [SUBJECT, "peer-1", "peer-2"];
    const nodes = members.map(
      (name) =>
        new MultiPaxosNode(sim, name, { members, stateMachine: new KVStateMachine<string>() }),
    );
    const client = new PaxosKVClient<string>(sim, "client", {
      nodes: members,
      attemptTimeout: 0.1,
      maxAttempts: 30,
    });
    run(sim, 0, function* () {
      for (let i = 0; i < 10; i++) {
        try {
          yield* client.put("k", `v${i}`);
        } catch {
          // gave up: the laws look at the node
        }
        yield 0.1;
      }
    });
    return nodes[0]!;
  },
  crashAt: 0.5,
  recoverAt: 0.8,
});

componentLaws<PaxosKVClient<string>>({
  type: PaxosKVClient,
  options: () => ({ nodes: ["m1"], attemptTimeout: 0.5, maxAttempts: 3, retryBackoff: 0.02 }),
  construct: (sim, name, options) =>
    new PaxosKVClient<string>(sim, name, options as unknown as PaxosKVClientOptions),
  invalid: [{ nodes: [] }, { attemptTimeout: 0 }, { maxAttempts: 0 }, { retryBackoff: -1 }],
  scenario: (sim) => {
    cluster(sim);
    const client = new PaxosKVClient<string>(sim, SUBJECT, { nodes: MEMBERS, attemptTimeout: 0.1 });
    run(sim, 0, function* () {
      for (let i = 0; i < 10; i++) {
        try {
          yield* client.put("k", `v${i}`);
        } catch {
          // crashed meanwhile
        }
        yield 0.1;
      }
    });
    return client;
  },
  crashAt: 0.5,
  recoverAt: 0.8,
  identities: (c) => [
    [
      "requests = succeeded + gaveUp + lostToCrash + inFlight",
      c.stats.requests,
      c.stats.succeeded + c.stats.gaveUp + c.stats.lostToCrash + c.stats.inFlight,
    ],
  ],
});
