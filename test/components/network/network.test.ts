/**
 * Goal: links delay messages by queueing for the wire, transmission time and latency, lose
 * them at the configured rate, and count what they did; the network routes through the right
 * link, falls back to the default, drops across partitions (symmetric and one-way) until
 * healed, and refuses bad configuration.
 * Method: a recording sink; exact arrival times for deterministic links, a 5-standard-error
 * bound for loss.
 */
import { describe, expect, it } from "vitest";
import * as conditions from "../../../src/components/network/conditions.js";
import { Network } from "../../../src/components/network/network.js";
import { NetworkLink } from "../../../src/components/network/networkLink.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError, SimulationError } from "../../../src/errors/errors.js";
import { constant } from "../../../src/random/distributions/closedForm.js";
import { step } from "../../../src/random/profile.js";
import { itReadsExactlyItsKnobs } from "../../support/catalogKnobs.js";

class Sink extends Entity<number> {
  readonly arrivals: number[] = [];
  override handle(_message: Message<number>) {
    this.arrivals.push(this.nowNs);
  }
}

function setup() {
  const sim = new Simulation({ seed: 1 });
  const a = new Entity(sim, "a");
  const b = new Sink(sim, "b");
  return { sim, a, b };
}

itReadsExactlyItsKnobs(NetworkLink, () => ({ ...conditions.internet() }));

itReadsExactlyItsKnobs(Network, (sim, _target) => ({
  defaultLink: new NetworkLink(sim, "lan", conditions.local()),
}));

describe("NetworkLink", () => {
  it("adds latency; with bandwidth, messages queue for the wire", () => {
    const { sim, a, b } = setup();
    // 8 Mbit/s: a 1,000-byte message takes 1 ms on the wire; then 10 ms of latency.
    const link = new NetworkLink(sim, "link", { latency: constant(0.01), bandwidthBps: 8e6 });
    new Network(sim, "net", { defaultLink: link });
    for (let i = 0; i < 3; i++) a.send(b, "m", i, { sizeBytes: 1000 });
    sim.run();
    expect(b.arrivals).toEqual([11e6, 12e6, 13e6]);
    expect(link.stats).toMatchObject({ messagesSent: 3, messagesDropped: 0, bytesSent: 3000 });
    expect(link.stats.utilization).toBeCloseTo(3 / 13, 9);
  });

  it("measures utilization over the link's own lifetime: one created at t=100 s", () => {
    const { sim, a, b } = setup();
    sim.run({ until: 100 });
    // 8 kbit/s: a 1,000-byte message takes 1 s on the wire.
    const link = new NetworkLink(sim, "late", { latency: constant(0), bandwidthBps: 8e3 });
    new Network(sim, "net", { defaultLink: link });
    for (let i = 0; i < 5; i++) a.send(b, "m", i, { sizeBytes: 1000 });
    sim.run({ until: 110 });
    // Busy 5 s of its 10 s, not 5 of 110.
    expect(link.stats.utilization).toBeCloseTo(0.5, 12);
  });

  it("counts only the part of a transmission already done, and restarts at a reset", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", { latency: constant(0), bandwidthBps: 8e3 });
    new Network(sim, "net", { defaultLink: link });
    sim.at(2, () => a.send(b, "m", 0, { sizeBytes: 4000 })); // on the wire from 2 s to 6 s
    sim.run({ until: 4 });
    expect(link.stats.utilization).toBeCloseTo(0.5, 12); // 2 s of 4, not 4 of 4
    sim.resetStats();
    expect(link.stats).toMatchObject({ messagesSent: 0, bytesSent: 0, utilization: 0 });
    sim.run({ until: 8 });
    // Since the reset at 4 s: busy from 4 s to 6 s.
    expect(link.stats.utilization).toBeCloseTo(0.5, 12);
    expect(b.arrivals).toEqual([6e9]);
  });

  it("loses messages at the configured probability", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", conditions.lossy(0.2));
    new Network(sim, "net", { defaultLink: link });
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send(b, "m", i);
    sim.run();
    const lost = link.stats.messagesDropped;
    expect(lost + b.arrivals.length).toBe(n);
    expect(Math.abs(lost / n - 0.2)).toBeLessThan(5 * Math.sqrt((0.2 * 0.8) / n));
  });

  it("follows time-varying parameters", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", {
      latency: constant(0.001),
      lossProbability: step(0, [{ at: 10, value: 1 }]),
    });
    new Network(sim, "net", { defaultLink: link });
    a.send(b, "m", 1);
    sim.at(20, () => a.send(b, "m", 2));
    sim.run();
    expect(b.arrivals).toEqual([1e6]);
    expect(link.stats.messagesDropped).toBe(1);
  });

  it("refuses bad options", () => {
    const { sim } = setup();
    expect(() => new NetworkLink(sim, "x", { latency: 0.01 as never })).toThrow(
      /NetworkLink "x": option "latency"/,
    );
    expect(() => new NetworkLink(sim, "y", { latency: constant(0), bandwidthBps: 0 })).toThrow(
      ConfigError,
    );
    expect(() => new NetworkLink(sim, "z", { latency: constant(0), lossProbability: 1.5 })).toThrow(
      /lossProbability/,
    );
  });

  it("presets describe sensible links", () => {
    for (const preset of [
      conditions.local,
      conditions.datacenter,
      conditions.crossRegion,
      conditions.internet,
      conditions.satellite,
      conditions.mobile4g,
      conditions.mobile3g,
    ]) {
      const options = preset();
      expect(options.latency.mean()).toBeGreaterThan(0);
      expect(options.bandwidthBps).toBeGreaterThan(0);
    }
    expect(conditions.crossRegion().latency.mean()).toBe(0.05);
    expect(conditions.mobile3g()).toMatchObject({ bandwidthBps: 2e6, lossProbability: 0.005 });
  });

  it("slow(): a link sized by hand, its bandwidth possibly a profile", () => {
    const options = conditions.slow({ latency: 0.2, bandwidthBps: 1e6 });
    expect(options.latency.mean()).toBe(0.2);
    const { sim: s2, a, b } = setup();
    new Network(s2, "net", { defaultLink: new NetworkLink(s2, "dsl", options) });
    // 125,000 bytes = 1 Mbit: one second on the wire, plus 200 ms of latency.
    a.send(b, "blob", 0, { sizeBytes: 125_000 });
    s2.run();
    expect(b.arrivals).toEqual([1.2e9]);
    expect(() => conditions.slow({ latency: -1, bandwidthBps: 1e6 })).toThrow(
      /conditions\.slow.*option "latency"/,
    );
  });
});

describe("Network", () => {
  it("routes each direction through its own link, others through the default", () => {
    const { sim, a, b } = setup();
    const c = new Sink(sim, "c");
    const slow = new NetworkLink(sim, "slow", { latency: constant(1) });
    const back = new NetworkLink(sim, "back", { latency: constant(3) });
    const lan = new NetworkLink(sim, "lan", { latency: constant(0.001) });
    const net = new Network(sim, "net", { defaultLink: lan });
    net.addBidirectionalLink(a, b, slow, back);
    a.send(b, "m", 1);
    a.send(c, "m", 2);
    b.send(c, "m", 3);
    sim.run();
    expect(b.arrivals).toEqual([1e9]);
    expect(c.arrivals).toEqual([1e6, 1e6]);
    expect(slow.stats.messagesSent).toBe(1);
  });

  it("drops across a partition, both ways or one way, until healed", () => {
    const { sim, a, b } = setup();
    const echo = new Sink(sim, "echo");
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
    expect(b.arrivals).toEqual([1e6, 5.001e9]);
    expect(echo.arrivals).toEqual([]);
    expect(net.messagesDroppedByPartition).toBe(2);
  });

  it("self-messages and messages from outside entities skip the network", () => {
    const { sim, b } = setup();
    const net = new Network(sim, "net");
    net.partition([b], [b]);
    sim.send(b, "m", 1, { delay: 2 });
    b.send(b, "m", 2);
    sim.run();
    expect(b.arrivals).toEqual([0, 2e9]);
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
});
