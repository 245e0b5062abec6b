/**
 * Goal: `MembershipProtocol` (SWIM) detects a crash within its bound, refutes false
 * suspicions (a pause, loss), heals a partition, takes joins and leaves, adapts its ack timeout
 * with phi, is deterministic, and refuses bad options with a ConfigError.
 * Method: small clusters on a datacenter network with scripted faults; the events log says who
 * saw what when.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  conditions,
  dist,
  Entity,
  type MembershipOptions,
  MembershipProtocol,
  Network,
  NetworkLink,
  Simulation,
} from "../../../src/index.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";

function cluster(options: Partial<MembershipOptions> = {}, seed = 1) {
  const sim = new Simulation({ seed });
  const net = new Network(sim, "net", {
    defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()),
  });
  const swim = new MembershipProtocol(sim, "swim", { members: 5, ...options });
  return { sim, net, swim };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `swim-${i}`);

describe("MembershipProtocol", () => {
  it("every live member declares a crashed one dead: suspected first, dead a suspicion timeout later", () => {
    const { sim, swim } = cluster();
    const victim = swim.members[2]!;
    sim.at(10, () => victim.crash());
    sim.run({ until: 30 });
    const died = swim.events.filter((e) => e.kind === "died" && e.member === victim.name);
    expect(died.map((e) => e.observer).sort()).toEqual(names(5).filter((n) => n !== victim.name));
    for (const death of died) {
      const suspected = swim.events.find(
        (e) => e.kind === "suspected" && e.observer === death.observer && e.member === victim.name,
      )!;
      expect(suspected.time).toBeGreaterThan(10);
      // Gossip may bring the verdict earlier than the observer's own timer.
      expect(death.time - suspected.time).toBeLessThanOrEqual(5 + 1e-9);
      expect(death.time - 10).toBeLessThan(2 * 5 + 5 + 1);
    }
    for (const member of swim.members) {
      if (member === victim) continue;
      expect(member.viewOf(victim)).toEqual({ name: victim.name, state: "dead", incarnation: 0 });
      expect(member.liveView()).toEqual(names(5).filter((n) => n !== victim.name));
    }
    expect(swim.stats.deaths).toBe(4);
  });

  it("a restarted member comes back above the death claim, and everyone sees it alive", () => {
    const { sim, swim } = cluster();
    const victim = swim.members[2]!;
    sim.at(10, () => victim.crash());
    sim.at(30, () => victim.recover());
    sim.run({ until: 50 });
    for (const member of swim.members) expect(member.liveView()).toEqual(names(5));
    expect(victim.incarnation).toBeGreaterThan(0);
    expect(swim.events.filter((e) => e.kind === "alive").length).toBeGreaterThanOrEqual(4);
  });

  it("a paused member is suspected, refutes with a bumped incarnation, and is never declared dead", () => {
    const { sim, swim } = cluster();
    const paused = swim.members[1]!;
    sim.at(10, () => paused.pause(2.5));
    sim.run({ until: 40 });
    const about = swim.events.filter((e) => e.member === paused.name);
    expect(about.some((e) => e.kind === "suspected")).toBe(true);
    expect(about.some((e) => e.kind === "refuted" && e.observer === paused.name)).toBe(true);
    expect(about.some((e) => e.kind === "died")).toBe(false);
    expect(paused.incarnation).toBeGreaterThan(0);
    for (const member of swim.members) expect(member.liveView()).toEqual(names(5));
  });

  it("after a partition heals, both sides refute the other's death claim and views converge", () => {
    const { sim, net, swim } = cluster();
    const [a, b] = [swim.members.slice(0, 2), swim.members.slice(2)];
    sim.at(5, () => net.partition(a, b, { for: 20 }));
    sim.run({ until: 25 });
    expect(a[0]!.liveView()).toEqual(names(2));
    expect(b[0]!.liveView()).toEqual(names(5).slice(2));
    sim.run({ until: 60 });
    for (const member of swim.members) {
      expect(member.view().every((v) => v.state === "alive")).toBe(true);
      expect(member.liveView()).toEqual(names(5));
    }
  });

  it("a one-way partition: the member that cannot be heard is suspected, refutes after heal", () => {
    const { sim, net, swim } = cluster();
    const mute = swim.members[0]!;
    sim.at(5, () => net.partitionOneWay([mute], swim.members.slice(1), { for: 15 }));
    sim.run({ until: 20 });
    expect(swim.members[1]!.viewOf(mute)!.state).not.toBe("alive");
    sim.run({ until: 60 });
    for (const member of swim.members) expect(member.liveView()).toEqual(names(5));
  });

  it("a member joins through another; everyone learns of it. A member leaves; everyone learns it left", () => {
    const { sim, swim } = cluster();
    let joiner = swim.members[0]!;
    sim.at(5, () => {
      joiner = swim.join("late", swim.members[3]!);
    });
    sim.at(20, () => swim.members[4]!.leave());
    sim.run({ until: 40 });
    expect(joiner.name).toBe("late");
    const expected = [...names(4), "late"];
    for (const member of swim.members) {
      if (member.hasLeft) continue;
      expect(member.liveView()).toEqual(expected);
      expect(member.viewOf("swim-4")!.state).toBe("left");
    }
    const joined = swim.events.filter((e) => e.kind === "joined" && e.member === "late");
    // swim-4 may have learned of it before it left.
    expect(joined.length).toBeGreaterThanOrEqual(4);
  });

  it("with phi, the ack timeout follows the measured round trips: no false suspicion on a steady network, crashes still found", () => {
    const { sim, swim } = cluster({ phi: { threshold: 8, minStdDeviationSeconds: 0.0005 } });
    sim.at(10, () => swim.members[2]!.crash());
    sim.run({ until: 30 });
    const suspicions = swim.events.filter((e) => e.kind === "suspected");
    expect(suspicions.every((e) => e.member === "swim-2")).toBe(true);
    expect(swim.events.filter((e) => e.kind === "died").length).toBe(4);
  });

  it("under jitter near the probe period a fixed timeout suspects live members falsely; refutation keeps them alive", () => {
    const sim = new Simulation({ seed: 3 });
    new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "wan", {
        latency: dist.constant(0.01),
        jitter: dist.exponential(0.25),
      }),
    });
    const swim = new MembershipProtocol(sim, "swim", { members: 6, ackTimeout: 0.03 });
    sim.run({ until: 60 });
    expect(swim.stats.suspicions).toBeGreaterThan(0);
    expect(swim.stats.refutations).toBeGreaterThan(0);
    for (const member of swim.members) expect(member.liveView().length).toBe(6);
  });

  it("is deterministic: one seed, one event log", () => {
    const run = (seed: number) => {
      const { sim, net, swim } = cluster({}, seed);
      sim.at(3, () => net.addLoss({ probability: 0.3, for: 10 }));
      sim.at(8, () => swim.members[1]!.crash());
      sim.run({ until: 30 });
      return JSON.stringify(swim.events);
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it("piggybacks at most maxPiggyback updates per message", () => {
    const { sim, swim } = cluster({ members: 12, maxPiggyback: 2 });
    let most = 0;
    for (const member of swim.members) {
      const send = member.send.bind(member);
      member.send = ((target, kind, payload, options) => {
        const updates = (payload as { updates: number[] | null }).updates;
        // The entry telling the recipient how it is seen rides beside the piggybacked ones.
        if (kind !== "state" && updates !== null) most = Math.max(most, updates.length / 2);
        return send(target, kind, payload, options);
      }) as typeof member.send;
    }
    sim.at(5, () => swim.members[0]!.crash());
    sim.at(6, () => swim.members[1]!.crash());
    sim.at(7, () => swim.members[2]!.crash());
    sim.run({ until: 30 });
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
  });

  it("a message from outside the cluster fails the run, naming the member and the sender", () => {
    const { sim, swim } = cluster();
    const stranger = new Entity(sim, "stranger");
    sim.at(1, () =>
      stranger.send(swim.members[0]!, "ping", {
        seq: 1,
        incarnation: 0,
        target: 0,
        origin: -1,
        updates: null,
      }),
    );
    expect(() => sim.run({ until: 2 })).toThrow(/"stranger", not a member of its cluster/);
  });

  it("refuses bad options with a ConfigError naming them", () => {
    const sim = new Simulation({ seed: 1 });
    const bad: Partial<MembershipOptions>[] = [
      { members: 0 },
      { members: ["a", "a"] },
      { probeInterval: 0 },
      { ackTimeout: 2 },
      { indirectProbes: -1 },
      { suspicionTimeout: -1 },
      { retransmitMultiplier: 0.5 },
      { maxPiggyback: 0 },
      { reprobeDeadEvery: 1.5 },
      { phi: { threshold: -1 } },
      { recordEvents: "yes" as unknown as boolean },
    ];
    for (const options of bad) {
      expect(() => new MembershipProtocol(sim, "swim", { members: 3, ...options })).toThrow(
        ConfigError,
      );
    }
    // A bad phi option is named as the cluster's option, not the detector's inside it.
    for (const [phi, parameter] of [
      [{ threshold: -1 }, "phi.threshold"],
      [{ windowSize: 0 }, "phi.windowSize"],
    ] as const) {
      expect(() => new MembershipProtocol(sim, "swim", { members: 3, phi })).toThrow(
        `MembershipProtocol "swim": option "${parameter}" must be`,
      );
    }
    // A refused cluster leaves its name free.
    expect(() => new MembershipProtocol(sim, "swim", { members: 3 })).not.toThrow();
  });
});

componentLaws<MembershipProtocol>({
  type: MembershipProtocol,
  options: () => ({
    members: 4,
    probeInterval: 0.5,
    ackTimeout: 0.1,
    indirectProbes: 2,
    suspicionTimeout: 2,
    retransmitMultiplier: 3,
    maxPiggyback: 4,
    reprobeDeadEvery: 5,
    phi: { threshold: 8 },
    recordEvents: true,
    onEvent: () => {},
  }),
  construct: (sim, name, options) =>
    new MembershipProtocol(sim, name, options as unknown as MembershipOptions),
  invalid: [
    { members: 0 },
    { members: [] },
    { probeInterval: -1 },
    { ackTimeout: 0.5 },
    { indirectProbes: 1.5 },
    { suspicionTimeout: 0 },
    { retransmitMultiplier: Number.NaN },
    { maxPiggyback: 0 },
    { reprobeDeadEvery: -1 },
    { phi: 8 },
    { recordEvents: 1 },
    { onEvent: "log" },
  ],
  scenario: (sim) => {
    new Network(sim, "net", { defaultLink: new NetworkLink(sim, "lan", conditions.datacenter()) });
    const subject = new MembershipProtocol(sim, SUBJECT, { members: 4, probeInterval: 0.5 });
    // Members crash and come back while the run lasts (its timers are daemons: the run lasts
    // as long as this script).
    sim.at(1, () => subject.members[1]!.crash());
    sim.at(6, () => subject.members[1]!.recover());
    sim.at(12, () => {});
    return subject;
  },
  crashAt: 2,
  recoverAt: 4,
});
