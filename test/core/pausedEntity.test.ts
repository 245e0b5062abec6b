/**
 * Goal: a paused entity runs nothing until it resumes, even when another entity reaches into it
 * directly: a process of it that someone else cancels runs its `finally` blocks when the pause
 * ends (in order with the entity's other held events), not during it; it stays alive until
 * then; a crash during the pause still cancels at once; an unpaused entity's process is
 * cancelled at once, as before.
 * Method: a hand-written entity whose process sleeps inside try/finally, paused from t=1 to
 * t=3, cancelled from a simulation timer; the log stamped with simulated time.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import type { Process } from "../../src/core/process.js";
import { Simulation } from "../../src/core/simulation.js";
import { dist, Server } from "../../src/index.js";

function sleeper() {
  const sim = new Simulation({ seed: 1 });
  const node = new Entity(sim, "node");
  const log: string[] = [];
  const process: Process<void> = node.start(function* () {
    try {
      yield 10;
      log.push(`${sim.now}:woke`);
    } finally {
      log.push(`${sim.now}:finally`);
    }
  });
  return { sim, node, log, process };
}

describe("cancelling a paused entity's process", () => {
  it("runs its finally blocks when the pause ends, not during it", () => {
    const { sim, node, log, process } = sleeper();
    const seen: string[] = [];
    sim.at(1, () => node.pause(2));
    sim.at(1.5, () => {
      expect(process.cancel("stop")).toBe(true);
      seen.push(`${sim.now}:alive ${process.isAlive}`);
    });
    // Another of its held events, due before the cancel: it runs first at the resume.
    sim.at(0.5, () => node.after(1, () => log.push(`${sim.now}:timer`)));
    sim.run();
    expect(log).toEqual(["3:timer", "3:finally"]);
    expect(seen).toEqual(["1.5:alive true"]);
    expect(process.status).toBe("cancelled");
  });

  it("a crash during the pause cancels it at once; unpaused, a cancel is at once", () => {
    const crashed = sleeper();
    crashed.sim.at(1, () => crashed.node.pause(2));
    crashed.sim.at(1.5, () => crashed.process.cancel());
    crashed.sim.at(2, () => crashed.node.crash());
    crashed.sim.run();
    expect(crashed.log).toEqual(["2:finally"]);

    const running = sleeper();
    running.sim.at(1.5, () => running.process.cancel());
    running.sim.run();
    expect(running.log).toEqual(["1.5:finally"]);
  });
});

describe("a paused caller whose callee has a process crash", () => {
  it("learns of the reset when its pause ends, not during it, even without a network", () => {
    const sim = new Simulation({ seed: 1 });
    const next = new Server(sim, "next", { serviceTime: dist.constant(5) });
    const stage = new Server(sim, "stage", { serviceTime: dist.constant(0.1), next });
    const client = new Entity(sim, "client");
    const log: string[] = [];
    const stageSent: number[] = [];
    sim.onTrace((record) => {
      if (record.type === "message-sent" && record.source === "stage") stageSent.push(sim.now);
    });
    client.start(function* () {
      try {
        yield* client.call(stage, "req", 1);
        log.push(`${sim.now}:ok`);
      } catch (error) {
        log.push(`${sim.now}:${(error as Error).name}`);
      }
    });
    sim.at(1, () => stage.pause(2));
    sim.at(2, () => next.crash({ kind: "process" }));
    sim.run();
    // The stage relays the reset as its failure only once it runs again, at 3.
    expect(stageSent).toEqual([0.1, 3]);
    expect(log).toEqual(["3:RemoteError"]);
    expect(next.counters.callsReset).toBe(1);
  });
});
