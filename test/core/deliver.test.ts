/**
 * Goal: `Simulation.deliver(message, atNs)`, the public hook a transport (the network, later
 * the fault layer) delivers through: the target handles the message at exactly `atNs`, as
 * often as it is delivered and in delivery-time order, a crashed target drops it, and a time in
 * the past or between nanoseconds is refused.
 * Method: a transport that records messages instead of delivering them, then delivers them by
 * hand (twice, out of order, to a crashed target).
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { SimulationError } from "../../src/errors/errors.js";

class Recorder extends Entity<string> {
  readonly seen: string[] = [];
  override handle(message: Message<string>): void {
    this.seen.push(`${message.payload}@${this.sim.nowNs}`);
  }
}

function withHeldMessages() {
  const sim = new Simulation({ seed: 1 });
  const held: Message<unknown>[] = [];
  sim.transport = { transmit: (message) => held.push(message) };
  const target = new Recorder(sim, "target");
  return { sim, held, target };
}

describe("Simulation.deliver", () => {
  it("delivers at the given absolute time, duplicated and reordered as asked", () => {
    const { sim, held, target } = withHeldMessages();
    sim.send(target, "m", "first");
    sim.send(target, "m", "second");
    expect(held).toHaveLength(2);
    sim.deliver(held[0]!, 3_000);
    sim.deliver(held[1]!, 1_000); // sent later, arrives earlier
    sim.deliver(held[0]!, 5_000); // a duplicate
    sim.run();
    expect(target.seen).toEqual(["second@1000", "first@3000", "first@5000"]);
    expect(target.counters.received).toBe(3);
  });

  it("a crashed target drops the delivered message", () => {
    const { sim, held, target } = withHeldMessages();
    sim.send(target, "m", "lost");
    target.crash();
    sim.deliver(held[0]!, 10);
    sim.run();
    expect(target.seen).toEqual([]);
    expect(target.counters.droppedWhileDown).toBe(1);
  });

  it("refuses a time before now or between nanoseconds", () => {
    const { sim, held, target } = withHeldMessages();
    sim.send(target, "m", "x");
    sim.run({ until: 1e-6 });
    expect(() => sim.deliver(held[0]!, 999)).toThrow(SimulationError);
    expect(() => sim.deliver(held[0]!, 999)).toThrow(/expected an integer time >= now/);
    expect(() => sim.deliver(held[0]!, 1_000.5)).toThrow(SimulationError);
    sim.deliver(held[0]!, 1_000); // now itself is fine
    sim.run();
    expect(target.seen).toEqual(["x@1000"]);
  });
});
