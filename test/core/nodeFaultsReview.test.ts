/**
 * Goal: node faults keep their promises at the corners a review found: a process crash resets
 * each open call once (not a call a race already cancelled during the same crash), and a
 * restart's downtime recovers only its own crash (not a later, unrelated one after something
 * else recovered the entity first).
 * Method: small hand-written entities on a fresh simulation per test, the trace stream and
 * counters.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { race } from "../../src/core/future.js";
import type { Message } from "../../src/core/message.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConnectionResetError } from "../../src/errors/errors.js";

class Slow extends Entity<string, string> {
  override *handle(request: Message<string>) {
    yield 10;
    this.reply(request, "done");
  }
}

describe("process crash resets", () => {
  it("a call a race cancels while the crash resets its sibling is cancelled, not also reset", () => {
    const sim = new Simulation({ seed: 1 });
    const server = new Slow(sim, "server");
    const outcomes: string[] = [];
    sim.onTrace((record) => {
      if (record.type === "call-settled") outcomes.push(`${record.messageId}:${record.outcome}`);
    });
    let caught: unknown = null;
    class Racer extends Entity {
      constructor() {
        super(sim, "racer");
        this.at(0, () => this.start(this.go()));
      }
      *go() {
        try {
          yield race([this.request(server, "a", "1"), this.request(server, "b", "2")] as const);
        } catch (error) {
          caught = error;
        }
      }
    }
    new Racer();
    sim.at(1, () => server.crash({ kind: "process" }));
    sim.run({ until: 5 });
    expect(caught).toBeInstanceOf(ConnectionResetError);
    expect(server.counters.callsReset).toBe(1);
    // Each call settles exactly once: the first reset, the second cancelled by the race.
    expect(outcomes).toEqual(["1:reset", "2:cancelled"]);
  });
});

describe("restart", () => {
  it("its downtime does not recover a later crash after something else recovered it first", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    let fault: ReturnType<Entity["restart"]> | null = null;
    sim.at(0, () => {
      fault = node.restart({ downtime: 10 });
    });
    sim.at(1, () => node.recover());
    sim.at(5, () => node.crash());
    sim.run({ until: 20 });
    expect(node.status).toBe("crashed");
    expect(fault!.active).toBe(false);
    expect(fault!.heal()).toBe(false);
    expect(node.status).toBe("crashed");
  });

  it("heal() after something else recovered it and it crashed again leaves the new crash alone", () => {
    const sim = new Simulation({ seed: 1 });
    const node = new Entity(sim, "node");
    const fault = node.restart();
    node.recover();
    node.crash({ kind: "process" });
    expect(fault.heal()).toBe(true);
    expect(node.status).toBe("crashed");
  });
});
