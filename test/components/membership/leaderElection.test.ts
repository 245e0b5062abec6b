/**
 * Goal: `LeaderElection` elects one leader every node follows, by each strategy (bully: the
 * highest live member; ring: the highest on the ring; randomized: a majority's vote), re-elects
 * after the leader crashes, refuses an election in a minority (randomized), converges after a
 * partition heals, and refuses bad options. Then the check model explore/leader-election.ts
 * passes 200 seeds per strategy under faults.
 * Method: five SWIM members on a datacenter network, scripted faults; `explore` inline.
 */
import { describe, expect, it } from "vitest";
import { leaderElectionModel } from "../../../explore/leader-election.js";
import {
  ConfigError,
  conditions,
  type ElectionStrategy,
  explore,
  LeaderElection,
  type LeaderElectionOptions,
  MembershipProtocol,
  Network,
  NetworkLink,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function cluster(strategy: ElectionStrategy, seed = 1) {
  const sim = new Simulation({ seed });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const swim = new MembershipProtocol(sim, "swim", { members: 5 });
  const election = new LeaderElection(sim, "election", { membership: swim, strategy });
  return { sim, net, swim, election };
}

const STRATEGIES: readonly ElectionStrategy[] = ["bully", "ring", "randomized"];

describe("LeaderElection", () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: elects a leader all follow, re-elects after it crashes, converges after a partition`, () => {
      const { sim, net, swim, election } = cluster(strategy);
      sim.run({ until: 10 });
      const first = election.leader();
      expect(first).not.toBeNull();
      if (strategy !== "randomized") expect(first!.name).toBe("swim-4");
      for (const member of swim.members) {
        expect(election.leaderOf(member)).toBe(first);
        expect(election.termOf(member)).toBe(election.termOf(first!));
      }
      expect(election.isLeader(first!)).toBe(true);

      sim.at(10, () => first!.crash());
      sim.run({ until: 30 });
      const second = election.leader();
      expect(second).not.toBeNull();
      expect(second).not.toBe(first);
      expect(election.termOf(second!)).toBeGreaterThan(election.termOf(first!));
      if (strategy !== "randomized") expect(second!.name).toBe("swim-3");

      sim.at(30, () => {
        first!.recover();
        net.partition(swim.members.slice(0, 2), swim.members.slice(2), { for: 15 });
      });
      sim.run({ until: 80 });
      const third = election.leader();
      expect(third).not.toBeNull();
      if (strategy === "bully") expect(third!.name).toBe("swim-4");
      // Every change names a leader in the node's term: at most one leader per term.
      const leaders = new Map<number, string>();
      for (const change of election.events) {
        if (change.leader !== change.node) continue;
        expect(leaders.get(change.term) ?? change.node).toBe(change.node);
        leaders.set(change.term, change.node);
      }
      expect(election.stats.electionsWon).toBe(leaders.size);
    });
  }

  it("randomized: a minority side elects no one, the majority side does", () => {
    const { sim, net, swim, election } = cluster("randomized");
    const minority = swim.members.slice(0, 2);
    net.partition(minority, swim.members.slice(2));
    sim.run({ until: 20 });
    for (const member of minority) expect(election.isLeader(member)).toBe(false);
    const majorityLeaders = swim.members.slice(2).filter((m) => election.isLeader(m));
    expect(majorityLeaders.length).toBe(1);
  });

  it("is deterministic: one seed, one history of changes", () => {
    const run = () => {
      const { sim, election } = cluster("randomized", 4);
      sim.run({ until: 15 });
      return JSON.stringify(election.events);
    };
    expect(run()).toBe(run());
  });

  it("refuses bad options with a ConfigError", () => {
    const sim = new Simulation({ seed: 1 });
    const swim = new MembershipProtocol(sim, "swim", { members: 3 });
    const bad: Partial<LeaderElectionOptions>[] = [
      { membership: undefined },
      { strategy: "paxos" as ElectionStrategy },
      { heartbeatInterval: 0 },
      { electionTimeout: 0.1 },
      { answerTimeout: -1 },
    ];
    for (const options of bad) {
      expect(() => new LeaderElection(sim, "election", { membership: swim, ...options })).toThrow(
        ConfigError,
      );
    }
    new LeaderElection(sim, "election", { membership: swim });
    // One election per cluster.
    expect(() => new LeaderElection(sim, "second", { membership: swim })).toThrow(ConfigError);
  });
});

describe("leader election under faults", () => {
  it("randomized: a duplicated vote counts once (seeds where duplication once made two leaders of one term)", () => {
    // Found by 1,000 seeds of npm run explore: a candidate counted a vote message, not a voter.
    const result = explore({ ...leaderElectionModel("randomized"), seeds: [321, 405, 501] });
    expect(result.failures).toEqual([]);
  });

  for (const strategy of STRATEGIES) {
    it(`${strategy}: 200 seeds, at most one leader per term, a leader after heal`, () => {
      const result = explore({ ...leaderElectionModel(strategy), seeds: 200 });
      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(200);
    });
  }
});

componentLaws<LeaderElection>({
  type: LeaderElection,
  options: (sim) => ({
    membership: new MembershipProtocol(sim, "swim", { members: 3 }),
    strategy: "randomized",
    heartbeatInterval: 0.25,
    electionTimeout: 1,
    answerTimeout: 0.2,
    recordEvents: true,
    onChange: () => {},
  }),
  construct: (sim, name, options) =>
    new LeaderElection(sim, name, options as unknown as LeaderElectionOptions),
  invalid: [
    { membership: {} },
    { strategy: "raft" },
    { heartbeatInterval: -1 },
    { electionTimeout: 0.2 },
    { answerTimeout: 0 },
    { recordEvents: "no" },
    { onChange: 3 },
  ],
  scenario: (sim) => {
    new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
    const swim = new MembershipProtocol(sim, "swim", { members: 4, probeInterval: 0.5 });
    const subject = new LeaderElection(sim, SUBJECT, { membership: swim, strategy: "bully" });
    sim.at(3, () => swim.members[3]!.crash());
    sim.at(8, () => swim.members[3]!.recover());
    sim.at(12, () => {});
    return subject;
  },
  crashAt: 2,
  recoverAt: 4,
});
