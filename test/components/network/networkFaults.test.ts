/**
 * Goal: the network's faults do exactly what they say and count it. Every partition shape
 * drops exactly the directions it cuts and nothing else, and healing one of two overlapping
 * partitions leaves the other; loss, duplication, reordering and clogs never invent or lose a
 * message beyond what the faults count (delivered = sent - dropped + duplicated, whatever the
 * settings); clogged messages arrive after the unclog in the order they were held; seeded
 * shapes are the same for one seed and differ across seeds; each fault writes its activated
 * and healed records; bad options are refused.
 * Method: a full mesh of recording nodes sending one message on every directed pair, checked
 * against the pairs each shape's groups say are cut (two views of one fault); trace records
 * counted by message id; fast-check over random fault settings.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  dist,
  Entity,
  type FaultHandle,
  type FaultRecord,
  type Message,
  Network,
  type NetworkFault,
  NetworkLink,
  Simulation,
  type TraceRecord,
} from "../../../src/index.js";

const { constant } = dist;

/** Records who it heard from. */
class Node extends Entity<string> {
  readonly heard: string[] = [];
  readonly timesNs: number[] = [];
  override handle(message: Message<string>) {
    this.heard.push(message.payload);
    this.timesNs.push(this.nowNs);
  }
}

function mesh(
  size: number,
  seed = 1,
  link: ConstructorParameters<typeof NetworkLink>[2] = { latency: constant(0.001) },
) {
  const sim = new Simulation({ seed });
  const lan = new NetworkLink(sim, "lan", link);
  const net = new Network(sim, "net", { defaultLink: lan });
  const nodes = Array.from({ length: size }, (_, i) => new Node(sim, `n${i}`));
  return { sim, net, lan, nodes };
}

/** Sends one message on every directed pair; returns the pairs delivered, as "a>b". */
function delivered(sim: Simulation, nodes: readonly Node[]): Set<string> {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.send(b, "ping", a.name);
  const before = nodes.map((n) => n.heard.length);
  sim.run();
  const out = new Set<string>();
  nodes.forEach((b, i) => {
    for (const from of b.heard.slice(before[i])) out.add(`${from}>${b.name}`);
  });
  return out;
}

function allPairs(nodes: readonly Node[]): string[] {
  const out: string[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b) out.push(`${a.name}>${b.name}`);
  return out;
}

const cross = (from: readonly { name: string }[], to: readonly { name: string }[]) =>
  from.flatMap((a) => to.filter((b) => b !== a).map((b) => `${a.name}>${b.name}`));

function faultRecords(sim: Simulation): FaultRecord[] {
  const records: FaultRecord[] = [];
  sim.onTrace((r) => {
    if (r.type === "fault") records.push(r);
  });
  return records;
}

describe("Network partitions", () => {
  /** Each shape, and the directed pairs its groups say it cuts. */
  const shapes: [
    string,
    (net: Network, nodes: Node[]) => NetworkFault,
    (f: NetworkFault) => string[],
  ][] = [
    [
      "symmetric",
      (net, [a, b, c]) => net.partition([a!, b!], [c!]),
      (f) => [...cross(f.groups[0]!, f.groups[1]!), ...cross(f.groups[1]!, f.groups[0]!)],
    ],
    [
      "one-way",
      (net, [a, b, c]) => net.partitionOneWay([a!], [b!, c!]),
      (f) => cross(f.groups[0]!, f.groups[1]!),
    ],
    [
      "isolated node",
      (net, [a]) => net.isolate(a!),
      (f) => [...cross(f.groups[0]!, f.groups[1]!), ...cross(f.groups[1]!, f.groups[0]!)],
    ],
    [
      "random halves",
      (net, nodes) => net.partitionRandomHalves(nodes),
      (f) => [...cross(f.groups[0]!, f.groups[1]!), ...cross(f.groups[1]!, f.groups[0]!)],
    ],
    [
      "bridge",
      (net, nodes) => net.partitionBridge(nodes),
      (f) => [...cross(f.groups[0]!, f.groups[1]!), ...cross(f.groups[1]!, f.groups[0]!)],
    ],
  ];

  for (const [shape, make, cutOf] of shapes) {
    it(`${shape}: drops exactly the cut directions and nothing else, and counts them`, () => {
      const { sim, net, nodes } = mesh(5);
      const drops: string[] = [];
      sim.onTrace((r) => {
        if (r.type === "message-dropped") drops.push(`${r.source}>${r.target}:${r.reason}`);
      });
      const fault = make(net, nodes);
      const cut = new Set(cutOf(fault));
      expect(cut.size).toBeGreaterThan(0);
      const got = delivered(sim, nodes);
      expect([...got].sort()).toEqual(
        allPairs(nodes)
          .filter((p) => !cut.has(p))
          .sort(),
      );
      expect(drops.sort()).toEqual([...cut].map((p) => `${p}:partition`).sort());
      for (const a of nodes)
        for (const b of nodes) {
          if (a !== b) expect(net.isPartitioned(a, b)).toBe(cut.has(`${a.name}>${b.name}`));
        }
      expect(fault.counts.dropped).toBe(cut.size);
      expect(net.messagesDroppedByPartition).toBe(cut.size);
      expect(net.metrics().partitionedPairs).toBe(cut.size);
    });
  }

  it("a bridge node reaches both halves, which do not reach each other", () => {
    const { sim, net, nodes } = mesh(5);
    const fault = net.partitionBridge(nodes);
    const [a, b] = fault.groups;
    const bridge = nodes.find((n) => !a!.includes(n) && !b!.includes(n))!;
    expect(a!.length + b!.length).toBe(4);
    const got = delivered(sim, nodes);
    for (const n of nodes) {
      if (n === bridge) continue;
      expect(got.has(`${bridge.name}>${n.name}`) && got.has(`${n.name}>${bridge.name}`)).toBe(true);
    }
  });

  for (const size of [4, 5, 6, 7, 9]) {
    it(`majority ring of ${size}: symmetric, every node reaches a majority, no two the same`, () => {
      const { sim, net, nodes } = mesh(size);
      net.partitionMajorityRing(nodes);
      const got = delivered(sim, nodes);
      const majority = Math.floor(size / 2) + 1;
      const views = new Set<string>();
      for (const n of nodes) {
        const sees = nodes.filter((m) => m === n || got.has(`${m.name}>${n.name}`));
        for (const m of sees) if (m !== n) expect(got.has(`${n.name}>${m.name}`)).toBe(true);
        expect(sees.length).toBeGreaterThanOrEqual(majority);
        expect(sees.length).toBeLessThan(size);
        views.add(sees.map((m) => m.name).join());
      }
      expect(views.size).toBe(size);
    });
  }

  it("healing one of two overlapping partitions leaves the other", () => {
    const { sim, net, nodes } = mesh(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const first = net.partition([a], [b, c]);
    const second = net.partition([a, b], [c]);
    expect(net.activeFaults).toEqual([first, second]);
    first.heal();
    expect(first.active).toBe(false);
    expect(second.active).toBe(true);
    const got = delivered(sim, nodes);
    // a-c is cut by both: still cut by the second; a-b only by the first: healed.
    expect([...got].sort()).toEqual(["n0>n1", "n1>n0"]);
    expect(first.counts.dropped).toBe(0);
    expect(second.counts.dropped).toBe(4);
    first.heal(); // a second heal does nothing
    net.heal();
    expect(second.active).toBe(false);
    expect(delivered(sim, nodes).size).toBe(6);
  });

  it("the oldest partition cutting a direction counts its drops", () => {
    const { sim, net, nodes } = mesh(2);
    const [a, b] = nodes as [Node, Node];
    const older = net.partitionOneWay([a], [b]);
    const newer = net.partition([a], [b]);
    delivered(sim, nodes);
    expect([older.counts.dropped, newer.counts.dropped]).toEqual([1, 1]);
  });

  it("random halves: identical for one seed, different across seeds", () => {
    const halves = (seed: number) => {
      const { net, nodes } = mesh(10, seed);
      return net.partitionRandomHalves(nodes).groups.map((g) => g.map((n) => n.name).join());
    };
    expect(halves(7)).toEqual(halves(7));
    const seen = new Set([1, 2, 3, 4, 5].map((seed) => halves(seed).join("|")));
    expect(seen.size).toBeGreaterThan(1);
    // Halves of 10 are 5 and 5, together every node once.
    const [a, b] = halves(3);
    expect([...a!.split(","), ...b!.split(",")].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `n${i}`).sort(),
    );
  });

  it("writes activated and healed fault records, and heals itself after `for`", () => {
    const { sim, net, nodes } = mesh(3);
    const records = faultRecords(sim);
    const [a, b] = nodes as [Node, Node];
    const fault = net.partition([a], [b], { for: 2 });
    sim.at(1, () => a.send(b, "m", "late"));
    sim.at(3, () => a.send(b, "m", "after"));
    sim.run();
    expect(b.heard).toEqual(["after"]);
    expect(fault.active).toBe(false);
    expect(records).toEqual([
      {
        type: "fault",
        timeNs: 0,
        faultId: fault.id,
        fault: "partition",
        phase: "activated",
        targets: ["n0", "n1"],
        detail: "between [n0] and [n1]",
      },
      {
        type: "fault",
        timeNs: 2e9,
        faultId: fault.id,
        fault: "partition",
        phase: "healed",
        targets: ["n0", "n1"],
        detail: "dropped 1 messages",
      },
    ]);
  });

  it("isolate cuts a node off from every other entity, or from those named", () => {
    const { sim, net, nodes } = mesh(4);
    const [a, b, c] = nodes as [Node, Node, Node];
    const fault = net.isolate(a, { from: [b] });
    expect(fault.groups.map((g) => g.map((n) => n.name))).toEqual([["n0"], ["n1"]]);
    const got = delivered(sim, nodes);
    expect(got.has("n0>n1") || got.has("n1>n0")).toBe(false);
    expect(got.has("n0>n2") && got.has("n2>n0")).toBe(true);
    fault.heal();
    const all = net.isolate(c);
    expect(all.groups[1]!.map((n) => n.name)).toEqual(["n0", "n1", "n3"]);
  });
});

describe("Network link faults", () => {
  it("addLatency adds its delay (and jitter) to the messages in scope only", () => {
    const { sim, net, nodes } = mesh(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const fault = net.addLatency({
      latency: 0.5,
      jitter: constant(0.25),
      between: [[a], [b]],
      oneWay: true,
    });
    a.send(b, "m", "slow");
    a.send(c, "m", "fast");
    b.send(a, "m", "back");
    sim.run();
    expect(b.timesNs).toEqual([0.751e9]);
    expect(c.timesNs).toEqual([1e6]);
    expect(a.timesNs).toEqual([1e6]);
    expect(fault.counts.delayed).toBe(1);
    expect(net.faultStats.delayed).toBe(1);
  });

  it("addLoss drops with its probability, counted and traced as fault-loss", () => {
    const { sim, net, nodes } = mesh(2);
    const [a, b] = nodes as [Node, Node];
    const reasons: string[] = [];
    sim.onTrace((r) => {
      if (r.type === "message-dropped") reasons.push(r.reason);
    });
    const all = net.addLoss({ probability: 1, nodes: [b] });
    a.send(b, "m", "x");
    sim.run();
    all.heal();
    const some = net.addLoss({ probability: 0.3 });
    for (let i = 0; i < 1000; i++) a.send(b, "m", "y");
    sim.run();
    expect(all.counts.dropped).toBe(1);
    expect(some.counts.dropped).toBeGreaterThan(230);
    expect(some.counts.dropped).toBeLessThan(370);
    expect(b.heard.length).toBe(1000 - some.counts.dropped);
    expect(reasons.every((r) => r === "fault-loss")).toBe(true);
    expect(net.faultStats.droppedByLossFault).toBe(1 + some.counts.dropped);
  });

  it("addDuplication delivers the same message twice, the copy after its delay", () => {
    const { sim, net, nodes } = mesh(2);
    const [a, b] = nodes as [Node, Node];
    const fault = net.addDuplication({ probability: 1, delay: 0.5 });
    a.send(b, "m", "twice");
    sim.run();
    expect(b.heard).toEqual(["twice", "twice"]);
    expect(b.timesNs).toEqual([1e6, 0.501e9]);
    expect(fault.counts.duplicated).toBe(1);
  });

  it("addReordering delays within its window, so later messages overtake earlier ones", () => {
    const { sim, net, nodes } = mesh(2);
    const [a, b] = nodes as [Node, Node];
    const fault = net.addReordering({ window: 1 });
    for (let i = 0; i < 50; i++) sim.at(i * 0.01, () => a.send(b, "m", String(i)));
    sim.run();
    const order = b.heard.map(Number);
    expect(order.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).not.toEqual(order.slice().sort((x, y) => x - y));
    expect(fault.counts.reordered).toBe(50);
    expect(Math.max(...b.timesNs)).toBeLessThan(0.49e9 + 1e9 + 1e6 + 1);
  });

  it("cutBandwidth multiplies a link's bandwidth until healed; cuts multiply", () => {
    const { sim, net, lan, nodes } = mesh(2, 1, { latency: constant(0), bandwidthBps: 8000 });
    const [a, b] = nodes as [Node, Node];
    const half = net.cutBandwidth({ factor: 0.5 });
    const quarter = net.cutBandwidth({ factor: 0.5, links: [lan] });
    a.send(b, "m", "cut", { sizeBytes: 1000 }); // 8000 bits at 2000 bps: 4 s
    sim.run();
    expect(b.timesNs).toEqual([4e9]);
    quarter.heal();
    a.send(b, "m", "half", { sizeBytes: 1000 }); // at 4000 bps: 2 s
    sim.run();
    half.heal();
    a.send(b, "m", "full", { sizeBytes: 1000 });
    sim.run();
    expect(b.timesNs).toEqual([4e9, 6e9, 7e9]);
    expect([half.counts.delayed, quarter.counts.delayed]).toEqual([2, 1]);
  });

  it("a clog holds messages, loses none, and releases them in the order it held them", () => {
    const { sim, net, nodes } = mesh(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const records = faultRecords(sim);
    const clog = net.clog({ nodes: [b], for: 5 });
    for (let i = 0; i < 5; i++) sim.at(i, () => a.send(b, "m", `a${i}`));
    sim.at(2.5, () => c.send(b, "m", "c"));
    sim.at(1, () => a.send(c, "m", "free"));
    sim.at(3.5, () => expect(clog.heldNow).toBe(5));
    sim.run();
    expect(c.heard).toEqual(["free"]);
    expect(b.heard).toEqual(["a0", "a1", "a2", "c", "a3", "a4"]);
    expect(b.timesNs.every((t) => t === 5.001e9)).toBe(true);
    expect(clog.counts.held).toBe(6);
    expect(clog.heldNow).toBe(0);
    expect(records.map((r) => `${r.phase}:${r.detail}`)).toEqual([
      "activated:hold from or to [n1]",
      "healed:held 6 messages, released 6",
    ]);
  });

  it("swizzleClog clogs one by one, unclogs in another seeded order, and loses nothing", () => {
    const { sim, net, nodes } = mesh(4);
    const records = faultRecords(sim);
    const swizzle = net.swizzleClog(nodes, { interval: 1, holdFor: 2 });
    expect(swizzle.unclogOrder).not.toEqual(swizzle.clogOrder);
    const names = (list: readonly { name: string }[]) => list.map((n) => n.name);
    expect(names(swizzle.unclogOrder).sort()).toEqual(names(swizzle.clogOrder).sort());
    for (let t = 0; t < 12; t += 0.5) sim.at(t, () => nodes[0]!.send(nodes[1]!, "m", "x"));
    // Which targets are clogged half a second after each step.
    const clogged: string[][] = [];
    for (let t = 0.5; t < 9; t++) {
      sim.at(t, () => clogged.push(net.activeFaults.map((f) => f.targets[0]!)));
    }
    sim.run();
    expect(swizzle.active).toBe(false);
    const clogOrder = swizzle.clogOrder.map((n) => n.name);
    const unclogOrder = swizzle.unclogOrder.map((n) => n.name);
    expect(swizzle.clogs.map((c) => c.targets[0])).toEqual(clogOrder);
    // Clogged at 0, 1, 2, 3; unclogged at 5, 6, 7, 8 in the unclog order.
    const left = (k: number) => clogOrder.filter((name) => !unclogOrder.slice(0, k).includes(name));
    expect(clogged).toEqual([
      clogOrder.slice(0, 1),
      clogOrder.slice(0, 2),
      clogOrder.slice(0, 3),
      clogOrder,
      clogOrder,
      left(1),
      left(2),
      left(3),
      [],
    ]);
    expect(nodes[1]!.heard.length).toBe(24);
    // One fault, one pair of records: its clogs are part of it (its id) and write none.
    expect(records.map((r) => [r.fault, r.phase, r.faultId])).toEqual([
      ["swizzle-clog", "activated", swizzle.id],
      ["swizzle-clog", "healed", swizzle.id],
    ]);
    expect(swizzle.clogs.every((c) => c.faultId === swizzle.id)).toBe(true);
  });

  it("a swizzle is a FaultHandle: faultId, kind and targets as its trace records have them", () => {
    const { sim, net, nodes } = mesh(3);
    const records = faultRecords(sim);
    const swizzle: FaultHandle = net.swizzleClog(nodes, { interval: 1 });
    sim.run();
    const activated = records[0]!;
    expect([swizzle.faultId, swizzle.kind, swizzle.targets]).toEqual([
      activated.faultId,
      activated.fault,
      activated.targets,
    ]);
    expect(swizzle.active).toBe(false);
  });

  it("swizzle orders are the same for one seed and differ across seeds", () => {
    const orders = (seed: number) => {
      const { net, nodes } = mesh(6, seed);
      const s = net.swizzleClog(nodes, { interval: 1 });
      return `${s.clogOrder.map((n) => n.name)}|${s.unclogOrder.map((n) => n.name)}`;
    };
    expect(orders(4)).toBe(orders(4));
    expect(new Set([1, 2, 3, 4].map(orders)).size).toBeGreaterThan(1);
  });

  it("healAll heals every kind; heal() only partitions; faults survive a network crash", () => {
    const { sim, net, nodes } = mesh(2);
    const [a, b] = nodes as [Node, Node];
    const cut = net.partition([a], [b]);
    const slow = net.addLatency({ latency: 1 });
    net.crash();
    net.recover();
    net.heal();
    expect([cut.active, slow.active]).toEqual([false, true]);
    net.healAll();
    expect(net.activeFaults).toEqual([]);
    a.send(b, "m", "x");
    sim.run();
    expect(b.timesNs).toEqual([1e6]);
  });

  it("lists fault counts in metrics only once a fault has been used", () => {
    const { net, nodes } = mesh(2);
    expect(Object.keys(net.metrics())).toEqual(["droppedByPartition", "partitionedPairs"]);
    net.addLoss({ probability: 0.5, nodes: [nodes[0]!] });
    expect(net.metrics()).toEqual({
      droppedByPartition: 0,
      partitionedPairs: 0,
      activeFaults: 1,
      droppedByLossFault: 0,
      duplicated: 0,
      delayed: 0,
      reordered: 0,
      held: 0,
      heldNow: 0,
    });
  });

  it("refuses bad options, naming the method and the option", () => {
    const { net, nodes, sim } = mesh(3);
    const other = new Entity(new Simulation({ seed: 2 }), "other");
    const cases: [() => unknown, RegExp][] = [
      [() => net.addLoss({ probability: 2 }), /addLoss: option "probability"/],
      [
        () => net.addLoss({ probability: 0.1, links: [], nodes: [nodes[0]!] }),
        /at most one of links, nodes and between/,
      ],
      [
        () => net.addLoss({ probability: 0.1, nodes: [other] }),
        /option "nodes" must be an entity of this simulation/,
      ],
      [() => net.addLatency({ latency: -1 }), /addLatency: option "latency"/],
      [() => net.addReordering({ window: 0 }), /addReordering: option "window"/],
      [
        () => net.cutBandwidth({ factor: 0 }),
        /cutBandwidth: option "factor" must be a number in \(0, 1\]/,
      ],
      [() => net.clog({ oneWay: true }), /option "oneWay"/],
      [() => net.partition([nodes[0]!], [nodes[1]!], { for: 0 }), /partition: option "for"/],
      [() => net.partitionBridge(nodes.slice(0, 2)), /at least 3 distinct entities/],
      [() => net.partitionMajorityRing(nodes), /at least 4 distinct entities/],
      [() => net.partitionRandomHalves(nodes, { stream: "" }), /option "stream"/],
      [() => net.swizzleClog([], { interval: 1 }), /option "targets"/],
      [() => net.swizzleClog(nodes, { interval: -1 }), /option "interval"/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(message);
    }
    expect(net.activeFaults).toEqual([]);
    expect(sim.eventsProcessed).toBe(0);
  });
});

describe("Network faults never invent or lose a message", () => {
  it("delivered = sent - dropped + duplicated, each id at most 1 + duplications times", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.nat(1000),
          loss: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
          duplicate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
          duplicateTwice: fc.boolean(),
          reorderWindow: fc.option(fc.double({ min: 0.001, max: 2, noNaN: true }), {
            nil: undefined,
          }),
          latency: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
          clogUntil: fc.option(fc.double({ min: 0.1, max: 3, noNaN: true }), { nil: undefined }),
          partitionUntil: fc.option(fc.double({ min: 0.1, max: 3, noNaN: true }), {
            nil: undefined,
          }),
          messages: fc.integer({ min: 1, max: 60 }),
        }),
        (s) => {
          const { sim, net, nodes } = mesh(4, s.seed, {
            latency: constant(0.001),
            jitter: dist.exponential(0.01),
            lossProbability: 0.05,
          });
          const [a, b, c] = nodes as [Node, Node, Node];
          const faults: NetworkFault[] = [];
          let duplications = 0;
          if (s.loss !== undefined)
            faults.push(net.addLoss({ probability: s.loss, between: [[a], [b, c]] }));
          if (s.duplicate !== undefined) {
            faults.push(
              net.addDuplication({ probability: s.duplicate, delay: dist.uniform(0, 0.1) }),
            );
            duplications++;
            if (s.duplicateTwice) {
              faults.push(net.addDuplication({ probability: s.duplicate, nodes: [b] }));
              duplications++;
            }
          }
          if (s.reorderWindow !== undefined)
            faults.push(net.addReordering({ window: s.reorderWindow }));
          if (s.latency !== undefined)
            faults.push(net.addLatency({ latency: s.latency, nodes: [c] }));
          if (s.clogUntil !== undefined) faults.push(net.clog({ nodes: [b], for: s.clogUntil }));
          if (s.partitionUntil !== undefined)
            faults.push(net.partitionOneWay([a], [c], { for: s.partitionUntil }));
          const sent = new Set<number>();
          const deliveries = new Map<number, number>();
          const dropped = new Set<number>();
          sim.onTrace((r: TraceRecord) => {
            if (r.type === "message-sent") sent.add(r.messageId);
            if (r.type === "message-delivered")
              deliveries.set(r.messageId, (deliveries.get(r.messageId) ?? 0) + 1);
            if (r.type === "message-dropped") dropped.add(r.messageId);
          });
          for (let i = 0; i < s.messages; i++) {
            const from = nodes[i % 4]!;
            const to = nodes[(i * 7 + 1) % 4]!;
            if (from !== to) sim.at(i * 0.05, () => from.send(to, "m", from.name));
          }
          sim.at(4, () => net.healAll());
          sim.run();
          const stats = net.faultStats;
          const counted = faults.reduce(
            (sum, f) => ({
              dropped: sum.dropped + f.counts.dropped,
              duplicated: sum.duplicated + f.counts.duplicated,
            }),
            { dropped: 0, duplicated: 0 },
          );
          const linkLost = (sim.entity("lan") as NetworkLink).stats.messagesDropped;
          let total = 0;
          for (const [id, times] of deliveries) {
            total += times;
            expect(sent.has(id)).toBe(true);
            expect(dropped.has(id)).toBe(false);
            expect(times).toBeLessThanOrEqual(1 + duplications);
          }
          expect(dropped.size).toBe(counted.dropped + linkLost);
          expect(total).toBe(sent.size - dropped.size + counted.duplicated);
          expect(counted.duplicated).toBe(stats.duplicated);
          expect(counted.dropped).toBe(stats.droppedByPartition + stats.droppedByLossFault);
          expect(stats.heldNow).toBe(0);
        },
      ),
      { seed: 15, numRuns: 150 },
    );
  });

  it("the same seed gives the same run with faults drawing; another seed differs", () => {
    const run = (seed: number) => {
      const { sim, net, nodes } = mesh(3, seed);
      net.addLoss({ probability: 0.3 });
      net.addDuplication({ probability: 0.3 });
      net.addReordering({ window: 0.5 });
      for (let i = 0; i < 30; i++)
        sim.at(i * 0.01, () => nodes[i % 3]!.send(nodes[(i + 1) % 3]!, "m", String(i)));
      sim.run();
      return `${sim.traceHash} ${nodes.map((n) => n.heard.join()).join("|")}`;
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });
});
