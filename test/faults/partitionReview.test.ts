/**
 * Goal: a schedule's partition fault heals its own cuts only: a partition the model made on the
 * network itself (or any other network fault) stays until its own heal.
 * Method: a network with a partition of the model's, a scheduled partition of two other nodes,
 * and the network's own view of what is cut after the fault healed.
 */
import { describe, expect, it } from "vitest";
import { dist, Entity, FaultSchedule, Network, NetworkLink, Simulation } from "../../src/index.js";

describe("partition fault", () => {
  it("healing it leaves the model's own partitions of the network cut", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "link", { latency: dist.constant(0.001) }),
    });
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => new Entity(sim, name)) as [
      Entity,
      Entity,
      Entity,
      Entity,
    ];
    const own = net.partition([a], [b]);
    new FaultSchedule(sim, {
      faults: [
        { kind: "partition", targets: ["net"], at: 1, for: 1, params: { groups: [["c"], ["d"]] } },
      ],
    });
    sim.run({ until: 1.5 });
    expect(net.isPartitioned(c, d)).toBe(true);
    sim.run({ until: 3 });
    expect(net.isPartitioned(c, d)).toBe(false);
    expect(net.isPartitioned(a, b)).toBe(true);
    expect(own.active).toBe(true);
    expect(net.activeFaults).toEqual([own]);
  });
});
