/**
 * Goal: the network fault kinds (partition shapes, latency, loss, duplication, reordering,
 * bandwidth, clog, swizzle-clog) do through a schedule exactly what the network's handles do,
 * heal just their own fault, count what they did in the summary row, and refuse a bad fault
 * naming faults[i].field before anything is scheduled.
 * Method: a small mesh of nodes pinging each other every 0.1 s; each fault's row is compared
 * with the network's own per-fault counts, and which pairs got through is compared with the cut.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  dist,
  Entity,
  FaultSchedule,
  type FaultSpec,
  faultScheduleJson,
  type Message,
  Network,
  NetworkLink,
  parseFaultSchedule,
  Simulation,
} from "../../src/index.js";

class Node extends Entity<string> {
  readonly heard: { from: string; at: number }[] = [];
  override handle(message: Message<string>) {
    this.heard.push({ from: message.payload, at: this.now });
  }
}

/** n nodes; from 0.05 s each sends every other one a message every 0.1 s until `until`. */
function mesh(size: number, until = 10, seed = 1) {
  const sim = new Simulation({ seed });
  const lan = new NetworkLink(sim, "lan", { latency: dist.constant(0.001), bandwidthBps: 1e6 });
  const net = new Network(sim, "net", { defaultLink: lan });
  const nodes = Array.from({ length: size }, (_, i) => new Node(sim, `n${i}`));
  for (let t = 0.05; t < until; t += 0.1) {
    sim.at(t, () => {
      for (const a of nodes)
        for (const b of nodes) if (a !== b) a.send(b, "ping", a.name, { sizeBytes: 100 });
    });
  }
  return { sim, net, lan, nodes };
}

/** The directed pairs "a>b" heard between `from` and `to` seconds (arrival times). */
function pairsHeard(nodes: readonly Node[], from: number, to: number): Set<string> {
  const out = new Set<string>();
  for (const b of nodes)
    for (const h of b.heard) if (h.at > from && h.at < to) out.add(`${h.from}>${b.name}`);
  return out;
}

function allPairs(nodes: readonly Node[]): string[] {
  return nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => `${a.name}>${b.name}`));
}

describe("network fault kinds", () => {
  it("partition shapes cut exactly what the network's shapes cut, in the order given", () => {
    const cases: [Record<string, unknown>, (pair: string) => boolean][] = [
      // n0 isolated from the other listed nodes only.
      [{ shape: "isolate", nodes: ["n0", "n1", "n2"] }, (p) => /n0>n[12]|n[12]>n0/.test(p)],
      // Halves [n0, n1] | [n2, n3, n4].
      [
        { shape: "halves", nodes: ["n0", "n1", "n2", "n3", "n4"] },
        (p) => /n[01]>n[234]|n[234]>n[01]/.test(p),
      ],
      // Bridge: [n0, n1] | [n3, n4], with n2 reaching everyone.
      [
        { shape: "bridge", nodes: ["n0", "n1", "n2", "n3", "n4"] },
        (p) => /n[01]>n[34]|n[34]>n[01]/.test(p),
      ],
      // Ring n0 - n1 - n2 - n3 - n4: each reaches one neighbour on each side.
      [
        { shape: "majority-ring", nodes: ["n0", "n1", "n2", "n3", "n4"] },
        (p) => {
          const [a, b] = p.split(">").map((n) => Number(n.slice(1))) as [number, number];
          const apart = Math.min(Math.abs(a - b), 5 - Math.abs(a - b));
          return apart > 1;
        },
      ],
    ];
    for (const [params, cut] of cases) {
      const { sim, net, nodes } = mesh(5, 4);
      const schedule = new FaultSchedule(sim, {
        faults: [{ kind: "partition", targets: ["net"], at: 1, for: 2, params: params as never }],
      });
      sim.run();
      const during = pairsHeard(nodes, 1.01, 2.99);
      const expected = allPairs(nodes).filter((p) => !cut(p));
      expect([...during].sort(), JSON.stringify(params)).toEqual(expected.sort());
      expect(pairsHeard(nodes, 3.01, 4).size).toBe(20);
      const dropped = schedule.rows()[0]!.effects.messagesDropped;
      expect(dropped).toBe(net.messagesDroppedByPartition);
      expect(dropped).toBe((20 - expected.length) * 20);
    }
  });

  it("heals only its own cuts: a partition made by hand, and another fault's, stay", () => {
    const { sim, net, nodes } = mesh(3, 6);
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const byHand = net.partitionOneWay([n2], [n0]);
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          for: 1,
          params: { groups: [["n0"], ["n1"]] },
        },
        {
          kind: "partition",
          targets: ["net"],
          at: 1.5,
          for: 3,
          params: { shape: "isolate", nodes: ["n1", "n2"] },
        },
      ],
    });
    sim.run({ until: 2.5 });
    expect(byHand.active).toBe(true);
    expect(net.isPartitioned(n0, n1)).toBe(false);
    expect(net.isPartitioned(n1, n2)).toBe(true);
    expect(net.isPartitioned(n2, n0)).toBe(true);
    sim.run();
    const [pair, isolate] = schedule.rows();
    // n0 <-> n1 from 1 to 2 s: 2 directions x 10 rounds; n1 <-> n2 from 1.5 to 4.5 s: 2 x 30.
    expect(pair!.effects).toEqual({ messagesDropped: 20 });
    expect(isolate!.effects).toEqual({ messagesDropped: 60 });
    expect(byHand.counts.dropped).toBe(60);
  });

  it("message faults: each row counts what its handle did, and the network agrees", () => {
    const { sim, net, nodes } = mesh(3, 6);
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "latency",
          targets: ["net"],
          at: 1,
          for: 1,
          params: { latency: 0.05, jitter: 0.01, nodes: ["n0"] },
        },
        {
          kind: "loss",
          targets: ["net"],
          at: 1,
          for: 1,
          params: { probability: 0.5, between: [["n1"], ["n2"]], oneWay: true },
        },
        {
          kind: "duplication",
          targets: ["net"],
          at: 2,
          for: 1,
          params: { probability: 1, delay: 0.01 },
        },
        {
          kind: "reordering",
          targets: ["net"],
          at: 3,
          for: 1,
          params: { window: 0.2, links: ["lan"] },
        },
        { kind: "bandwidth", targets: ["net"], at: 4, for: 0.5, params: { factor: 0.1 } },
        { kind: "clog", targets: ["net"], at: 5, for: 0.5, params: { nodes: ["n2"] } },
      ],
    });
    sim.run();
    const [latency, loss, duplication, reordering, bandwidth, clog] = schedule
      .rows()
      .map((r) => r.effects);
    // n0's 4 messages a round (2 out, 2 in), 10 rounds.
    expect(latency).toEqual({ messagesDelayed: 40 });
    expect(loss!.messagesDropped).toBeGreaterThan(0);
    expect(loss!.messagesDropped).toBeLessThan(10);
    expect(duplication).toEqual({ messagesDuplicated: 60 });
    expect(reordering).toEqual({ messagesReordered: 60 });
    expect(bandwidth).toEqual({ messagesDelayed: 30 });
    expect(clog).toEqual({ messagesHeld: 20 });
    const stats = net.faultStats;
    expect(stats.activeFaults).toBe(0);
    expect(stats.droppedByLossFault).toBe(loss!.messagesDropped);
    expect(stats.duplicated).toBe(60);
    expect(stats.delayed).toBe(70);
    expect(stats.heldNow).toBe(0);
    expect(schedule.table()).toContain("messagesHeld 20");
    // Every message arrived but those lost, plus the copies.
    const heard = nodes.reduce((n, node) => n + node.heard.length, 0);
    expect(heard).toBe(6 * 60 - loss!.messagesDropped! + 60);
  });

  it("swizzle-clog clogs one by one and unclogs in another order; the fault's end unclogs the rest", () => {
    const { sim, nodes } = mesh(4, 8);
    const schedule = new FaultSchedule(sim, {
      faults: [
        {
          kind: "swizzle-clog",
          targets: ["net"],
          at: 1,
          params: { nodes: ["n0", "n1", "n2", "n3"], interval: 0.5, holdFor: 1 },
        },
        {
          kind: "swizzle-clog",
          targets: ["net"],
          at: 6,
          for: 0.7,
          params: { nodes: ["n0", "lan"], interval: 0.5 },
        },
      ],
    });
    sim.run();
    const [whole, cut] = schedule.rows();
    expect(whole!.detail).toMatch(/^clog n\d(,n\d){3}; unclog n\d(,n\d){3}$/);
    expect(whole!.effects.messagesHeld).toBeGreaterThan(0);
    expect(cut!.status).toBe("healed");
    expect(cut!.healedAt).toBe(6.7);
    // Nothing lost: every message sent arrived.
    expect(nodes.reduce((n, node) => n + node.heard.length, 0)).toBe(12 * 80);
  });

  it("a schedule of every network kind round-trips through JSON and replays the same run", () => {
    const faults: FaultSpec[] = [
      {
        kind: "partition",
        targets: ["net"],
        at: 0.5,
        for: 1,
        params: { shape: "halves", nodes: ["n0", "n1", "n2", "n3"], shuffle: true },
      },
      {
        kind: "partition-one-way",
        targets: ["net"],
        at: 1,
        for: 1,
        params: { from: ["n0"], to: ["n1"] },
      },
      { kind: "latency", targets: ["net"], at: 1, for: 1, params: { latency: 0.01 } },
      { kind: "loss", targets: ["net"], at: 2, for: 1, params: { probability: 0.2 } },
      { kind: "duplication", targets: ["net"], at: 2, for: 1, params: { probability: 0.2 } },
      { kind: "reordering", targets: ["net"], at: 2, for: 1, params: { window: 0.05 } },
      {
        kind: "bandwidth",
        targets: ["net"],
        at: 3,
        for: 1,
        params: { factor: 0.5, links: ["lan"] },
      },
      { kind: "clog", targets: ["net"], at: 3, for: 0.3, params: {} },
      {
        kind: "swizzle-clog",
        targets: ["net"],
        at: 3.5,
        for: 1,
        params: { nodes: ["n1", "n2"], interval: 0.2 },
      },
    ];
    const run = (spec: { faults: readonly FaultSpec[] }) => {
      const { sim } = mesh(4, 5, 9);
      const schedule = new FaultSchedule(sim, spec);
      const summary = sim.run();
      return { hash: summary.traceHash, rows: schedule.rows() };
    };
    const first = run({ faults });
    const replay = run(parseFaultSchedule(faultScheduleJson({ faults })));
    expect(replay).toEqual(first);
    expect(first.rows.every((r) => r.status === "healed")).toBe(true);
  });

  it("refuses a bad network fault naming the field, with nothing scheduled", () => {
    const bad: [FaultSpec, string, string][] = [
      [
        { kind: "loss", targets: ["n0"], at: 1, params: { probability: 0.1 } },
        "faults[0].targets",
        "a Network",
      ],
      [
        { kind: "loss", targets: ["net"], at: 1, params: { probability: 1.5 } },
        "faults[0].params.probability",
        "<= 1",
      ],
      [
        {
          kind: "loss",
          targets: ["net"],
          at: 1,
          params: { probability: 0.1, nodes: ["n0"], links: ["lan"] },
        },
        "faults[0].params.links",
        "at most one",
      ],
      [
        { kind: "loss", targets: ["net"], at: 1, params: { probability: 0.1, oneWay: true } },
        "faults[0].params.oneWay",
        "with between",
      ],
      [
        { kind: "latency", targets: ["net"], at: 1, params: { latency: 0.1, nodes: ["lan"] } },
        "faults[0].params.nodes[0]",
        "a node",
      ],
      [
        { kind: "latency", targets: ["net"], at: 1, params: { latency: -1 } },
        "faults[0].params.latency",
        ">= 0",
      ],
      [
        { kind: "latency", targets: ["net"], at: 1, params: { latency: 0.1, jitter: "0.1" } },
        "faults[0].params.jitter",
        "> 0",
      ],
      [
        { kind: "reordering", targets: ["net"], at: 1, params: { window: 0 } },
        "faults[0].params.window",
        "> 0",
      ],
      [
        { kind: "bandwidth", targets: ["net"], at: 1, params: { factor: 0.5, links: ["n0"] } },
        "faults[0].params.links[0]",
        "a NetworkLink",
      ],
      [
        { kind: "bandwidth", targets: ["net"], at: 1, params: { factor: 0 } },
        "faults[0].params.factor",
        "> 0",
      ],
      [
        { kind: "clog", targets: ["net"], at: 1, params: { between: [["n0"]] } },
        "faults[0].params.between",
        "two arrays",
      ],
      [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          params: { shape: "ring", nodes: ["n0", "n1"] },
        },
        "faults[0].params.shape",
        "majority-ring",
      ],
      [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          params: { shape: "bridge", nodes: ["n0", "n1"] },
        },
        "faults[0].params.nodes",
        "at least 3",
      ],
      [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          params: { shape: "halves", nodes: ["n0", "n0"] },
        },
        "faults[0].params.nodes[1]",
        "not listed before",
      ],
      [
        {
          kind: "partition",
          targets: ["net"],
          at: 1,
          params: { shape: "halves", nodes: ["n0", "n1"], groups: [] },
        },
        "faults[0].params.shape",
        "absent when groups is given",
      ],
      [
        { kind: "swizzle-clog", targets: ["net"], at: 1, params: { nodes: ["n0"] } },
        "faults[0].params.interval",
        "> 0",
      ],
      [
        { kind: "swizzle-clog", targets: ["net"], at: 1, params: { nodes: ["net"], interval: 1 } },
        "faults[0].params.nodes[0]",
        "not the network",
      ],
    ];
    for (const [fault, field, expected] of bad) {
      const { sim } = mesh(2, 1);
      let error: unknown;
      try {
        new FaultSchedule(sim, { faults: [fault] });
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(fault)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).parameter, JSON.stringify(fault)).toBe(field);
      expect((error as ConfigError).expected, JSON.stringify(fault)).toContain(expected);
      // Nothing scheduled: no fault id was taken.
      expect(sim.nextFaultId()).toBe(1);
    }
  });
});
