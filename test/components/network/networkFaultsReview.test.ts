/**
 * Goal: `healAll()` heals every network fault, a swizzle-clog under way included: nothing is
 * clogged after it, now or later.
 * Method: a swizzle over three nodes, `healAll()` after its first clog, the network's active
 * faults and the swizzle's handle after the swizzle's later steps would have run.
 */
import { describe, expect, it } from "vitest";
import { dist, Entity, Network, NetworkLink, Simulation } from "../../../src/index.js";

describe("healAll", () => {
  it("stops a swizzle-clog under way: no clog begins after it", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network(sim, "net", {
      defaultLink: new NetworkLink(sim, "link", { latency: dist.constant(0.001) }),
    });
    const nodes = ["a", "b", "c"].map((name) => new Entity(sim, name));
    const swizzle = net.swizzleClog(nodes, { interval: 1 });
    sim.run({ until: 0.5 });
    expect(net.activeFaults).toHaveLength(1);
    net.healAll();
    expect(net.activeFaults).toHaveLength(0);
    expect(swizzle.active).toBe(false);
    sim.run({ until: 10 });
    expect(net.activeFaults).toHaveLength(0);
    expect(swizzle.clogs).toHaveLength(1);
  });
});
