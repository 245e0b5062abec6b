/**
 * Goal: single-decree Paxos chooses one value, keeps it through restarts, and takes the
 * highest-ballot accepted value over its own; plus the law suite.
 * Method: small clusters driven by hand, a crash between promise and restart, and the laws.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  conditions,
  Entity,
  Network,
  NetworkLink,
  PaxosNode,
  type PaxosNodeOptions,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

const MEMBERS = ["a", "b", "c"];

function cluster(sim: Simulation, members = MEMBERS): PaxosNode<string>[] {
  new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
  return members.map((name) => new PaxosNode<string>(sim, name, { members }));
}

/** Runs `node.propose(value)` from a process of a fresh entity; the answer lands in `out`. */
function propose(sim: Simulation, node: PaxosNode<string>, value: string, at = 0) {
  const out: { value?: string; error?: unknown } = {};
  const driver = new Entity(sim, `driver-${node.name}-${value}`);
  driver.at(at, () =>
    driver.start(function* () {
      try {
        out.value = yield* node.propose(value);
      } catch (error) {
        out.error = error;
      }
    }),
  );
  return out;
}

describe("PaxosNode", () => {
  it("chooses the one proposed value, and every node learns it", () => {
    const sim = new Simulation({ seed: 1 });
    const nodes = cluster(sim);
    const answer = propose(sim, nodes[0]!, "x");
    sim.run({ until: 1 });
    expect(answer.value).toBe("x");
    for (const node of nodes) expect(node.decided).toBe("x");
    expect(nodes[0]!.stats.ballotsStarted).toBe(1);
  });

  it("lets duelling proposers agree on one value", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sim = new Simulation({ seed });
      const nodes = cluster(sim);
      const answers = nodes.map((node, i) => propose(sim, node, `v${i}`, i * 0.0005));
      sim.run({ until: 5 });
      const values = new Set(answers.map((a) => a.value));
      expect(values.size).toBe(1);
      expect(["v0", "v1", "v2"]).toContain([...values][0]);
      expect(new Set(nodes.map((n) => n.decided))).toEqual(values);
    }
  });

  it("proposes the highest-ballot accepted value, not its own, once one was accepted", () => {
    const sim = new Simulation({ seed: 2 });
    const nodes = cluster(sim);
    // c is down while a and b choose "first", so it never hears the decision.
    nodes[2]!.crash();
    const first = propose(sim, nodes[0]!, "first");
    sim.run({ until: 1 });
    expect(first.value).toBe("first");
    nodes[2]!.recover();
    expect(nodes[2]!.hasLearned).toBe(false);
    // Its own ballot's promises carry "first": it proposes that, not its own value.
    const late = propose(sim, nodes[2]!, "second", 1.1);
    sim.run({ until: 2 });
    expect(late.value).toBe("first");
  });

  it("keeps its promises and acceptances across a restart (durable before it answers)", () => {
    const sim = new Simulation({ seed: 3 });
    const nodes = cluster(sim);
    propose(sim, nodes[0]!, "kept");
    sim.run({ until: 1 });
    const before = nodes[1]!.acceptorState;
    nodes[1]!.crash();
    nodes[1]!.recover();
    expect(nodes[1]!.acceptorState).toEqual(before);
    expect(nodes[1]!.decided).toBe("kept");
  });

  it("fails a waiting proposal with CancelledError when its node crashes", () => {
    const sim = new Simulation({ seed: 4 });
    const nodes = cluster(sim);
    // b and c are down: no quorum, the proposal waits.
    nodes[1]!.crash();
    nodes[2]!.crash();
    const answer = propose(sim, nodes[0]!, "x");
    sim.at(0.5, () => nodes[0]!.crash());
    sim.run({ until: 1 });
    expect((answer.error as Error).name).toBe("CancelledError");
  });

  it("refuses bad options with a ConfigError naming the option", () => {
    const sim = new Simulation({ seed: 1 });
    const make = (options: Partial<PaxosNodeOptions>) =>
      new PaxosNode(sim, "a", { members: MEMBERS, ...options });
    expect(() => make({ members: ["b", "c"] })).toThrow(/"members"/);
    expect(() => make({ members: ["a", "a"] })).toThrow(ConfigError);
    expect(() => make({ phaseTimeout: 0 })).toThrow(/"phaseTimeout"/);
    expect(() => make({ retryBackoff: -1 })).toThrow(/"retryBackoff"/);
  });
});

componentLaws<PaxosNode<string>>({
  type: PaxosNode,
  options: () => ({
    members: [SUBJECT, "peer-1", "peer-2"],
    phaseTimeout: 0.1,
    retryBackoff: 0.05,
    syncLatency: 0.002,
  }),
  construct: (sim, name, options) =>
    new PaxosNode<string>(sim, name, options as unknown as PaxosNodeOptions),
  invalid: [{ members: [] }, { phaseTimeout: 0 }, { retryBackoff: "x" }, { syncLatency: -1 }],
  scenario: (sim) => {
    const members = [SUBJECT, "peer-1", "peer-2"];
    const nodes = members.map((name) => new PaxosNode<string>(sim, name, { members }));
    for (let i = 0; i < 3; i++) propose(sim, nodes[i]!, `v${i}`, 0.01 * i);
    return nodes[0]!;
  },
  crashAt: 0.005,
  recoverAt: 0.2,
});
