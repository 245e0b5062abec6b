/**
 * Goal: a link delays messages by queueing for the wire, transmission time and latency, loses
 * them at the configured rate (each loss a "message-dropped" trace record with reason "loss"),
 * drops everything offered to it while crashed, counts what it did, and refuses bad
 * configuration; it keeps the component laws.
 * Method: a recording target behind a network; exact arrival times for deterministic links, a
 * 5-standard-error bound for loss.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  conditions,
  dist,
  Entity,
  Network,
  NetworkLink,
  profile,
  Simulation,
  Source,
  type TraceRecord,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { RecordingTarget } from "../../support/targets.js";

const { constant, exponential } = dist;

function setup() {
  const sim = new Simulation({ seed: 1 });
  const a = new Entity(sim, "a");
  const b = new RecordingTarget<number>(sim, "b");
  return { sim, a, b };
}

/** The load each law scenario offers its link, for the conservation identity. */
const offeredBy = new WeakMap<NetworkLink, Source<unknown>>();

componentLaws({
  type: NetworkLink,
  options: () => ({ ...conditions.internet() }),
  construct: (sim, name, options) => new NetworkLink(sim, name, options as never),
  invalid: [
    { latency: 0.01 },
    { latency: constant(-1) },
    { jitter: 0.001 },
    { bandwidthBps: 0 },
    { bandwidthBps: Number.POSITIVE_INFINITY },
    { lossProbability: 1.5 },
    { lossProbability: -0.1 },
  ],
  scenario(sim) {
    const target = new RecordingTarget(sim, "target");
    // 8 Mbit/s and 1,000-byte messages: 1 ms on the wire each, so bursts queue.
    const link = new NetworkLink(sim, SUBJECT, {
      latency: constant(0.002),
      jitter: exponential(0.001),
      bandwidthBps: 8e6,
      lossProbability: 0.1,
    });
    new Network(sim, "net", { defaultLink: link });
    const load = new Source(sim, "load", {
      target,
      arrivals: arrivals.poisson(300),
      sizeBytes: 1000,
      stopAfter: { time: 1 },
    });
    offeredBy.set(link, load);
    return link;
  },
  crashAt: 0.4,
  recoverAt: 0.6,
  identities: (link) => [
    [
      "offered = messagesSent + messagesDropped + droppedWhileDown + stalled (paused)",
      offeredBy.get(link)!.generated,
      link.stats.messagesSent +
        link.stats.messagesDropped +
        link.counters.droppedWhileDown +
        link.messagesStalled,
    ],
  ],
});

describe("NetworkLink", () => {
  it("adds latency; with bandwidth, messages queue for the wire", () => {
    const { sim, a, b } = setup();
    // 8 Mbit/s: a 1,000-byte message takes 1 ms on the wire; then 10 ms of latency.
    const link = new NetworkLink(sim, "link", { latency: constant(0.01), bandwidthBps: 8e6 });
    new Network(sim, "net", { defaultLink: link });
    for (let i = 0; i < 3; i++) a.send(b, "m", i, { sizeBytes: 1000 });
    sim.run();
    expect(b.timesNs).toEqual([11e6, 12e6, 13e6]);
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
    expect(b.timesNs).toEqual([6e9]);
  });

  it("loses messages at the configured probability", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", conditions.lossy(0.2));
    new Network(sim, "net", { defaultLink: link });
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send(b, "m", i);
    sim.run();
    const lost = link.stats.messagesDropped;
    expect(lost + b.timesNs.length).toBe(n);
    expect(Math.abs(lost / n - 0.2)).toBeLessThan(5 * Math.sqrt((0.2 * 0.8) / n));
  });

  it("follows time-varying parameters", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", {
      latency: constant(0.001),
      lossProbability: profile.step(0, [{ at: 10, value: 1 }]),
    });
    new Network(sim, "net", { defaultLink: link });
    a.send(b, "m", 1);
    sim.at(20, () => a.send(b, "m", 2));
    sim.run();
    expect(b.timesNs).toEqual([1e6]);
    expect(link.stats.messagesDropped).toBe(1);
  });

  it("refuses bad options, naming the link and the option", () => {
    const { sim } = setup();
    expect(() => new NetworkLink(sim, "x", { latency: 0.01 as never })).toThrow(
      /NetworkLink "x": option "latency"/,
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
    expect(b.timesNs).toEqual([1.2e9]);
    expect(() => conditions.slow({ latency: -1, bandwidthBps: 1e6 })).toThrow(
      /conditions\.slow.*option "latency"/,
    );
  });

  it('reports each loss to trace listeners as a message dropped for "loss"', () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", {
      latency: constant(0.001),
      lossProbability: profile.step(0, [{ at: 1, value: 1 }]),
    });
    new Network(sim, "net", { defaultLink: link });
    const records: TraceRecord[] = [];
    sim.onTrace((record) => records.push(record));
    a.send(b, "kept", 1);
    sim.at(2, () => a.send(b, "lost", 2));
    sim.run();
    const dropped = records.filter((r) => r.type === "message-dropped");
    expect(dropped).toEqual([
      {
        type: "message-dropped",
        timeNs: 2e9,
        messageId: 2,
        kind: "lost",
        source: "a",
        target: "b",
        reason: "loss",
      },
    ]);
    expect(link.stats.messagesDropped).toBe(1);
  });

  it("drops what is offered while it is crashed, and carries again once recovered", () => {
    const { sim, a, b } = setup();
    const link = new NetworkLink(sim, "link", { latency: constant(0.5) });
    new Network(sim, "net", { defaultLink: link });
    const reasons: string[] = [];
    sim.onTrace((r) => {
      if (r.type === "message-dropped") reasons.push(`${r.kind}:${r.reason}`);
    });
    a.send(b, "on the wire", 0);
    sim.at(0.25, () => link.crash());
    sim.at(0.3, () => a.send(b, "while down", 1));
    sim.at(1, () => link.recover());
    sim.at(2, () => a.send(b, "after", 2));
    sim.run();
    // What was already on the wire arrives; what was offered to the cut wire is gone.
    expect(b.payloads).toEqual([0, 2]);
    expect(b.timesNs).toEqual([0.5e9, 2.5e9]);
    expect(reasons).toEqual(["while down:link-down"]);
    expect(link.counters.droppedWhileDown).toBe(1);
    expect(link.stats).toMatchObject({ messagesSent: 2, messagesDropped: 0 });
  });
});
