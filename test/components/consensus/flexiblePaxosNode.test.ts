/**
 * Goal: Flexible Paxos enforces Q1 + Q2 > N at construction (a ConfigError naming the option,
 * expected and given), and with Q2 = 2 of 5 a leader goes on committing while three of the five
 * are down, which a majority cluster cannot; a new election then needs Q1 = 4.
 * Method: five-node clusters over a datacenter network.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  conditions,
  Entity,
  FlexiblePaxosNode,
  type FlexiblePaxosNodeOptions,
  type KVCommand,
  type KVResult,
  KVStateMachine,
  Network,
  NetworkLink,
  PaxosKVClient,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

type Node = FlexiblePaxosNode<KVCommand<string>, KVResult<string>>;
const MEMBERS = ["f1", "f2", "f3", "f4", "f5"];

function cluster(sim: Simulation, phase1Quorum?: number, phase2Quorum?: number): Node[] {
  new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
  return MEMBERS.map(
    (name) =>
      new FlexiblePaxosNode(sim, name, {
        members: MEMBERS,
        stateMachine: new KVStateMachine<string>(),
        ...(phase1Quorum === undefined ? {} : { phase1Quorum }),
        ...(phase2Quorum === undefined ? {} : { phase2Quorum }),
      }),
  );
}

describe("FlexiblePaxosNode", () => {
  it("refuses quorums that need not meet: Q1 + Q2 <= N", () => {
    const sim = new Simulation({ seed: 1 });
    const make = (phase1Quorum: number, phase2Quorum: number) =>
      new FlexiblePaxosNode(sim, "f1", {
        members: MEMBERS,
        stateMachine: new KVStateMachine(),
        phase1Quorum,
        phase2Quorum,
      });
    let error: unknown = null;
    try {
      make(3, 2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).parameter).toBe("phase1Quorum");
    expect((error as ConfigError).given).toBe(3);
    expect((error as ConfigError).expected).toMatch(/phase1Quorum \+ phase2Quorum > 5/);
    expect(() => make(4, 0)).toThrow(/"phase2Quorum"/);
    expect(() => make(6, 2)).toThrow(/"phase1Quorum"/);
    expect(sim.entity("f1")).toBeUndefined();
    const node = make(4, 2);
    expect([node.phase1Quorum, node.phase2Quorum]).toEqual([4, 2]);
  });

  it("defaults to majorities, and Q1 = N + 1 - Q2 when only Q2 is given", () => {
    const sim = new Simulation({ seed: 1 });
    const [a] = cluster(sim);
    expect([a!.phase1Quorum, a!.phase2Quorum]).toEqual([3, 3]);
    const b = new FlexiblePaxosNode(new Simulation({ seed: 1 }), "f1", {
      members: MEMBERS,
      stateMachine: new KVStateMachine(),
      phase2Quorum: 2,
    });
    expect(b.phase1Quorum).toBe(4);
  });

  for (const [q1, q2, commits] of [
    [4, 2, true],
    [3, 3, false],
  ] as const) {
    it(`with Q1 = ${q1}, Q2 = ${q2}, a leader ${commits ? "commits" : "cannot commit"} with three of five down`, () => {
      const sim = new Simulation({ seed: 2 });
      const nodes = cluster(sim, q1, q2);
      let committed = false;
      const driver = new Entity(sim, "driver");
      driver.at(1, () => {
        const leader = nodes.find((n) => n.isLeader)!;
        for (const node of nodes.filter((n) => n !== leader).slice(0, 3)) node.crash();
        driver.start(function* () {
          yield* leader.propose({ op: "put", key: "k", value: "v" });
          committed = true;
        });
      });
      sim.run({ until: 1.2 });
      expect(committed).toBe(commits);
    });
  }
});

const LAW_MEMBERS = [SUBJECT, "peer-1", "peer-2", "peer-3", "peer-4"];

function lawOptions() {
  return {
    members: LAW_MEMBERS,
    stateMachine: new KVStateMachine<string>(),
    heartbeatInterval: 0.05,
    electionTimeout: 0.3,
    retryBackoff: 0.05,
    syncLatency: 0.002,
    checkQuorum: false,
    snapshotEvery: 0,
    phase1Quorum: 4,
    phase2Quorum: 2,
  };
}

function lawPeers(sim: Simulation): Node[] {
  return LAW_MEMBERS.slice(1).map((peer) => new FlexiblePaxosNode(sim, peer, lawOptions()));
}

componentLaws<Node>({
  type: FlexiblePaxosNode,
  options: (sim) => {
    lawPeers(sim);
    return lawOptions();
  },
  construct: (sim, name, options) =>
    new FlexiblePaxosNode(
      sim,
      name,
      options as unknown as FlexiblePaxosNodeOptions<KVCommand<string>, KVResult<string>>,
    ),
  invalid: [{ phase1Quorum: 3 }, { phase2Quorum: 6 }, { members: ["x"] }, { phase1Quorum: 1.5 }],
  scenario: (sim) => {
    const subject = new FlexiblePaxosNode(sim, SUBJECT, lawOptions());
    lawPeers(sim);
    const client = new PaxosKVClient<string>(sim, "client", {
      nodes: LAW_MEMBERS,
      attemptTimeout: 0.1,
      maxAttempts: 30,
    });
    const driver = new Entity(sim, "driver");
    driver.start(function* () {
      for (let i = 0; i < 10; i++) {
        try {
          yield* client.put("k", `v${i}`);
        } catch {
          // gave up: the laws look at the node
        }
        yield 0.1;
      }
    });
    return subject as Node;
  },
  crashAt: 0.5,
  recoverAt: 0.8,
});
