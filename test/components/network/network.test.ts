/**
 * Goal: the network routes each direction through its own link or the default, drops across
 * partitions (symmetric and one-way) until healed and everything between entities while it is
 * crashed, reports each drop to trace listeners with its reason, and refuses bad
 * configuration; it keeps the component laws.
 * Method: recording targets; exact arrival times over deterministic links.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  ConfigError,
  conditions,
  dist,
  Entity,
  Network,
  NetworkLink,
  Simulation,
  SimulationError,
  Source,
  type TraceRecord,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { RecordingTarget } from "../../support/targets.js";

const { constant } = dist;

function setup() {
  const sim = new Simulation({ seed: 1 });
  const a = new Entity(sim, "a");
  const b = new RecordingTarget<number>(sim, "b");
  return { sim, a, b };
}

/** The load and the link of each law scenario, for the conservation identity. */
const scenarioOf = new WeakMap<Network, { load: Source<unknown>; link: NetworkLink }>();

componentLaws({
  type: Network,
  options: (sim) => ({ defaultLink: new NetworkLink(sim, "lan", conditions.local()) }),
  construct: (sim, name, options) => new Network(sim, name, options as never),
  invalid: [{ defaultLink: "lan" }, { defaultLink: { name: "lan" } }, { defaultLink: 5 }],
  scenario(sim) {
    const target = new RecordingTarget(sim, "target");
    const link = new NetworkLink(sim, "lan", {
      latency: constant(0.001),
      bandwidthBps: 8e6,
      lossProbability: 0.05,
    });
    const network = new Network(sim, SUBJECT, { defaultLink: link });
    const load = new Source(sim, "load", {
      target,
      arrivals: arrivals.poisson(300),
      sizeBytes: 500,
      stopAfter: { time: 1 },
    });
    sim.at(0.1, () => network.partition([load], [target]));
    sim.at(0.3, () => network.heal());
    scenarioOf.set(network, { load, link });
    return network;
  },
  crashAt: 0.5,
  recoverAt: 0.7,
  identities: (network) => {
    const { load, link } = scenarioOf.get(network)!;
    return [
      [
        "offered = carried + lost + droppedByPartition + droppedWhileDown + stalled (paused)",
        load.generated,
        link.stats.messagesSent +
          link.stats.messagesDropped +
          network.messagesDroppedByPartition +
          network.counters.droppedWhileDown +
          network.messagesStalled,
      ],
    ];
  },
});

describe("Network", () => {
  it("routes each direction through its own link, others through the default", () => {
    const { sim, a, b } = setup();
    const c = new RecordingTarget<number>(sim, "c");
    const slow = new NetworkLink(sim, "slow", { latency: constant(1) });
    const back = new NetworkLink(sim, "back", { latency: constant(3) });
    const lan = new NetworkLink(sim, "lan", { latency: constant(0.001) });
    const net = new Network(sim, "net", { defaultLink: lan });
    net.addBidirectionalLink(a, b, slow, back);
    a.send(b, "m", 1);
    a.send(c, "m", 2);
    b.send(c, "m", 3);
    sim.run();
    expect(b.timesNs).toEqual([1e9]);
    expect(c.timesNs).toEqual([1e6, 1e6]);
    expect(slow.stats.messagesSent).toBe(1);
  });

  it("drops across a partition, both ways or one way, until healed", () => {
    const { sim, a, b } = setup();
    const echo = new RecordingTarget<number>(sim, "echo");
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", { latency: constant(0.001) }),
    });
    net.partition([a], [b]);
    net.partitionOneWay([b], [echo]);
    expect([
      net.isPartitioned(a, b),
      net.isPartitioned(b, a),
      net.isPartitioned(b, echo),
      net.isPartitioned(echo, b),
    ]).toEqual([true, true, true, false]);
    a.send(b, "m", 1);
    b.send(echo, "m", 2);
    echo.send(b, "m", 3);
    sim.at(5, () => {
      net.heal();
      a.send(b, "m", 4);
    });
    sim.run();
    expect(b.timesNs).toEqual([1e6, 5.001e9]);
    expect(echo.timesNs).toEqual([]);
    expect(net.messagesDroppedByPartition).toBe(2);
  });

  it("self-messages and messages from outside entities skip the network", () => {
    const { sim, b } = setup();
    const net = new Network(sim, "net");
    net.partition([b], [b]);
    sim.send(b, "m", 1, { delay: 2 });
    b.send(b, "m", 2);
    sim.run();
    expect(b.timesNs).toEqual([0, 2e9]);
  });

  it("a message with no link and no default fails, naming both ends", () => {
    const { sim, a, b } = setup();
    new Network(sim, "net");
    expect(() => a.send(b, "m", 1)).toThrow(SimulationError);
    expect(() => a.send(b, "m", 1)).toThrow(/no link from "a" to "b" and no default link/);
  });

  it("a delivery past the exact range of integer nanoseconds fails, naming the sender", () => {
    const { sim, a, b } = setup();
    new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "slow", { latency: constant(9.1e6) }), // > 2^53 ns
    });
    expect(() => a.send(b, "m", 1)).toThrow(/entity "a" at t=0s: cannot schedule past/);
  });

  it("refuses a second network, foreign entities and a shared link for both directions", () => {
    const { sim, a, b } = setup();
    const lan = new NetworkLink(sim, "lan", conditions.local());
    const net = new Network(sim, "net", { defaultLink: lan });
    expect(() => new Network(sim, "net2")).toThrow(/without a network/);
    const other = new Entity(new Simulation({ seed: 2 }), "other");
    expect(() => net.addLink(a, other, lan)).toThrow(/"target"/);
    expect(() => net.addBidirectionalLink(a, b, lan, lan)).toThrow(/its own wire/);
    expect(() => new Network(new Simulation({ seed: 3 }), "n", { defaultLink: lan })).toThrow(
      /defaultLink/,
    );
  });

  it('reports each partition drop to trace listeners as a message dropped for "partition"', () => {
    const { sim, b } = setup();
    const a = new RecordingTarget<number>(sim, "a2");
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", { latency: constant(0.001) }),
    });
    const records: TraceRecord[] = [];
    sim.onTrace((record) => records.push(record));
    net.partitionOneWay([a], [b]);
    a.send(b, "blocked", 1);
    b.send(a, "allowed", 2);
    sim.run();
    expect(records.filter((r) => r.type === "message-dropped")).toEqual([
      {
        type: "message-dropped",
        timeNs: 0,
        messageId: 1,
        kind: "blocked",
        source: "a2",
        target: "b",
        reason: "partition",
      },
    ]);
    expect(net.messagesDroppedByPartition).toBe(1);
  });

  it("while crashed, drops every message between entities; partitions and links survive", () => {
    const { sim, a, b } = setup();
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "lan", { latency: constant(0.001) }),
    });
    const reasons: string[] = [];
    sim.onTrace((r) => {
      if (r.type === "message-dropped") reasons.push(`${r.kind}:${r.reason}`);
    });
    net.partitionOneWay([b], [a]);
    sim.at(1, () => net.crash());
    sim.at(2, () => {
      a.send(b, "down", 1);
      sim.send(b, "outside", 2); // not from an entity: never crosses the network
    });
    sim.at(3, () => net.recover());
    sim.at(4, () => a.send(b, "up", 3));
    sim.run();
    expect(b.payloads).toEqual([2, 3]);
    expect(reasons).toEqual(["down:network-down"]);
    expect(net.counters.droppedWhileDown).toBe(1);
    expect(net.isPartitioned(b, a)).toBe(true);
  });

  it("a refused network leaves its name free and the simulation without a network", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Network(sim, "net", { defaultLink: "lan" as never })).toThrow(ConfigError);
    expect(sim.entity("net")).toBeUndefined();
    expect(sim.transport instanceof Network).toBe(false);
    expect(new Network(sim, "net").name).toBe("net");
  });
});
