/**
 * Goal: one fault is one pair of `fault` trace records with one `faultId`, whatever drives it.
 * A schedule's fault writes its activation and its heal (or its cancellation) under its row's
 * id, and nothing else does: the handles its kind opens on the targets (an entity's pause, a
 * network's partition, a disk's fill, a swizzle's clogs, the power loss of a disk whose owner
 * it crashes) share that id and write none of their own. A fault started by hand keeps its own
 * pair.
 * Method: a model with every kind of target (servers, a network of pinging nodes, a disk with
 * its owner, a node clock) under a schedule of every built-in kind, some on several targets,
 * one cancelled; every record is matched to its row by id. Then the same fault methods by hand.
 */
import { describe, expect, it } from "vitest";
import {
  arrivals,
  Disk,
  dist,
  Entity,
  type FaultRecord,
  FaultSchedule,
  type FaultSpec,
  type Message,
  Network,
  NetworkLink,
  NodeClock,
  Server,
  Simulation,
  Source,
} from "../../src/index.js";

function faultRecords(sim: Simulation): FaultRecord[] {
  const records: FaultRecord[] = [];
  sim.onTrace((record) => {
    if (record.type === "fault") records.push(record);
  });
  return records;
}

class Node extends Entity<string> {
  override handle(_message: Message<string>) {}
}

/** Appends to its disk every 10 ms and syncs every fifth write, so a crash finds some unsynced. */
class Writer extends Entity {
  constructor(
    sim: Simulation,
    name: string,
    private readonly disk: Disk<number>,
  ) {
    super(sim, name);
    this.begin();
  }
  protected override onRecover(): void {
    this.begin();
  }
  private begin() {
    this.start(function* (this: Writer) {
      for (let i = 0; ; i++) {
        yield 0.01;
        try {
          yield* this.disk.append("log", i, { checksum: true });
          if (i % 5 === 4) yield* this.disk.sync();
          if (i % 3 === 0 && this.disk.stats.syncedWrites > 0) yield* this.disk.read("log", 0);
        } catch {
          // Faults make operations fail: that is what they are for.
        }
      }
    });
  }
}

function model(seed = 3) {
  const sim = new Simulation({ seed });
  const lan = new NetworkLink(sim, "lan", { latency: dist.constant(0.001), bandwidthBps: 1e6 });
  const net = new Network(sim, "net", { defaultLink: lan });
  const nodes = Array.from({ length: 4 }, (_, i) => new Node(sim, `n${i}`));
  for (let t = 0.05; t < 10; t += 0.1) {
    sim.at(t, () => {
      for (const a of nodes)
        for (const b of nodes) if (a !== b) a.send(b, "ping", a.name, { sizeBytes: 100 });
    });
  }
  const server = new Server(sim, "s1", { concurrency: 2, serviceTime: dist.exponential(0.01) });
  new NodeClock(server);
  new Source(sim, "load", {
    target: server,
    arrivals: arrivals.poisson(80),
    stopAfter: { time: 9 },
  });
  const host = new Entity(sim, "host");
  const disk = new Disk<number>(sim, "disk", {
    owner: host,
    syncLatency: dist.exponential(0.003),
  });
  new Writer(sim, "writer", disk);
  return { sim, net, nodes, server, host, disk };
}

const EVERY_KIND: FaultSpec[] = [
  { kind: "crash", targets: ["s1"], at: 0.5, for: 0.3, params: { kind: "process" } },
  {
    kind: "crash-loop",
    targets: ["n3"],
    at: 1,
    for: 2,
    params: { downSeconds: 0.3, upSeconds: 0.4 },
  },
  { kind: "pause", targets: ["s1", "n0"], at: 1, for: 0.2 },
  { kind: "slow", targets: ["s1", "n1"], at: 2, for: 1, params: { factor: 4 } },
  { kind: "capacity", targets: ["s1"], at: 3, for: 1, params: { fraction: 0.5 } },
  {
    kind: "fault-point",
    targets: ["s1"],
    at: 4,
    for: 1,
    params: { point: "server.stall", probability: 0.5, delaySeconds: 0.01 },
  },
  { kind: "crash", targets: ["host"], at: 5.5, for: 0.5 },
  { kind: "crash-on-event", targets: ["s1"], at: 6, for: 1, params: { nth: 3, downSeconds: 0.1 } },
  {
    kind: "partition",
    targets: ["net"],
    at: 1,
    for: 1,
    params: {
      groups: [
        ["n0", "n1"],
        ["n2", "n3"],
      ],
    },
  },
  {
    kind: "partition",
    targets: ["net"],
    at: 2.5,
    for: 0.5,
    params: { shape: "halves", nodes: ["n0", "n1", "n2", "n3"] },
  },
  {
    kind: "partition-one-way",
    targets: ["net"],
    at: 3,
    for: 0.5,
    params: { from: ["n0"], to: ["n1"] },
  },
  { kind: "latency", targets: ["net"], at: 4, for: 1, params: { latency: 0.01, nodes: ["n2"] } },
  { kind: "loss", targets: ["net"], at: 5, for: 0.5, params: { probability: 0.3 } },
  { kind: "duplication", targets: ["net"], at: 6, for: 0.5, params: { probability: 0.3 } },
  { kind: "reordering", targets: ["net"], at: 6.5, for: 0.5, params: { window: 0.01 } },
  { kind: "bandwidth", targets: ["net"], at: 7, for: 0.5, params: { factor: 0.5 } },
  { kind: "clog", targets: ["net"], at: 7.5, for: 0.3, params: { nodes: ["n1"] } },
  {
    kind: "swizzle-clog",
    targets: ["net"],
    at: 8,
    for: 1.5,
    params: { nodes: ["n0", "n1", "n2"], interval: 0.2 },
  },
  { kind: "disk-slow", targets: ["disk"], at: 1, for: 1, params: { factor: 5 } },
  { kind: "disk-full", targets: ["disk"], at: 2.5, for: 0.2 },
  { kind: "disk-read-errors", targets: ["disk"], at: 3, for: 0.5, params: { probability: 0.5 } },
  { kind: "disk-corrupt", targets: ["disk"], at: 4 },
  { kind: "disk-lie-on-sync", targets: ["disk"], at: 5, for: 1 },
  { kind: "clock-step", targets: ["s1"], at: 1, for: 1, params: { by: 0.25 } },
  { kind: "clock-slew", targets: ["s1"], at: 3, for: 1, params: { by: -0.01 } },
  { kind: "clock-drift", targets: ["s1"], at: 5, for: 2, params: { ppm: -50, correction: "step" } },
  // Called off before it fires: one record, "cancelled".
  { kind: "crash", targets: ["n2"], at: 9.5, for: 0.1 },
];

describe("one fault, one pair of trace records", () => {
  it("a schedule's fault of every kind writes one pair under its row's id, and nothing else writes", () => {
    const { sim } = model();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, { faults: EVERY_KIND });
    sim.at(9, () => schedule.cancel(EVERY_KIND.length - 1));
    sim.run({ until: 10 });
    const rows = schedule.rows();
    expect(new Set(rows.map((row) => row.faultId)).size).toBe(rows.length);
    for (const row of rows) {
      const own = records.filter((r) => r.faultId === row.faultId);
      const expected =
        row.status === "cancelled"
          ? ["cancelled"]
          : row.healedAt === null
            ? ["activated"]
            : ["activated", "healed"];
      expect(
        own.map((r) => r.phase),
        `#${row.index} ${row.kind}`,
      ).toEqual(expected);
      expect(own.every((r) => r.fault === row.kind && r.targets === row.targets)).toBe(true);
      if (row.activatedAt !== null) expect(own[0]!.timeNs).toBe(Math.round(row.activatedAt * 1e9));
    }
    // Every record belongs to a row: no handle, clog or power loss wrote one of its own.
    const ids = new Set(rows.map((row) => row.faultId));
    expect(records.filter((r) => !ids.has(r.faultId))).toEqual([]);
    expect(records.length).toBe(
      rows.reduce(
        (sum, row) => sum + (row.status === "cancelled" ? 1 : row.healedAt === null ? 1 : 2),
        0,
      ),
    );
    // Each fault did act (the pairs are not pairs of nothing).
    const byKind = (index: number) => rows[index]!.effects;
    expect(byKind(2).pauses).toBe(2);
    expect(byKind(3).slowed).toBe(2);
    expect(byKind(17).messagesHeld).toBeGreaterThan(0);
  });

  it("the handles a schedule's fault opens carry its id; a host crash's power loss is in its row", () => {
    const { sim, net, disk } = model();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          for: 1,
          params: { groups: [["n0"], ["n1"]] },
        },
        { kind: "crash", targets: ["host"], at: 2.02, for: 0.5 },
      ],
    });
    let partitionId = -1;
    sim.at(1.5, () => {
      partitionId = net.activeFaults[0]!.faultId;
    });
    sim.run({ until: 3 });
    const [partition, crash] = schedule.rows();
    expect(partitionId).toBe(partition!.faultId);
    expect(disk.stats.powerLosses).toBe(1);
    expect(disk.stats.lostWrites).toBeGreaterThan(0);
    // The disk's loss is the crash's doing: counted in its row, not a fault record of its own.
    expect(crash!.effects["disk.lostWrites"]).toBe(disk.stats.lostWrites);
    expect(records.some((r) => r.fault === "disk-power-loss")).toBe(false);
    expect(records.map((r) => `${r.fault} ${r.phase}`)).toEqual([
      "partition activated",
      "partition healed",
      "crash activated",
      "crash healed",
    ]);
  });

  it("a fault started by hand keeps its own pair, beside a schedule's", () => {
    const { sim, net, nodes, server, host, disk } = model();
    const records = faultRecords(sim);
    const schedule = new FaultSchedule(sim, {
      faults: [{ kind: "pause", targets: ["s1"], at: 1, for: 1 }],
    });
    const byHand: { faultId: number; kind: string }[] = [];
    sim.at(1.5, () => {
      byHand.push(server.pause(0.2));
      byHand.push(net.partition([nodes[0]!], [nodes[1]!], { for: 0.2 }));
      byHand.push(disk.fill());
      const swizzle = net.swizzleClog([nodes[2]!, nodes[3]!], { interval: 0.1 });
      byHand.push({ faultId: swizzle.id, kind: "swizzle-clog" });
    });
    sim.at(2.5, () => host.crash());
    sim.run({ until: 3 });
    const row = schedule.rows()[0]!;
    const ids = byHand.map((handle) => handle.faultId);
    expect(new Set([...ids, row.faultId]).size).toBe(5);
    expect(records.filter((r) => r.faultId === row.faultId).map((r) => r.phase)).toEqual([
      "activated",
      "healed",
    ]);
    for (const [i, id] of ids.entries()) {
      const own = records.filter((r) => r.faultId === id).map((r) => r.phase);
      // The disk stays full: it never heals.
      expect(own, byHand[i]!.kind).toEqual(i === 2 ? ["activated"] : ["activated", "healed"]);
    }
    // A crash by hand: the disk's power loss is a record of its own, as before.
    expect(records.filter((r) => r.fault === "disk-power-loss").map((r) => r.phase)).toEqual([
      "activated",
    ]);
  });
});
