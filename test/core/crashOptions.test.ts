/**
 * Goal: a misspelt crash or restart option fails at the call, naming the entity and the
 * option, instead of being ignored (`restart({ for: 1 })` used to crash the node for good).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, Entity, Simulation } from "../../src/index.js";

describe("crash and restart options", () => {
  it("refuses an unknown restart option and leaves the entity up", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    expect(() => node.restart({ for: 0.001 } as never)).toThrow(ConfigError);
    expect(() => node.restart({ for: 0.001 } as never)).toThrow(/node\.restart: option "for"/);
    expect(node.isUp).toBe(true);
    node.restart({ downtime: 0.5 });
    expect(node.isUp).toBe(false);
    sim.run({ until: 1 });
    expect(node.isUp).toBe(true);
  });

  it("refuses an unknown crash option", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    expect(() => node.crash({ downtime: 1 } as never)).toThrow(/node\.crash: option "downtime"/);
    expect(node.isUp).toBe(true);
  });
});
