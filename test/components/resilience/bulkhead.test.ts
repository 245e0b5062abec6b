/**
 * Goal: a bulkhead forwards at most maxConcurrent requests, lets maxWaiting wait in FIFO order
 * for at most maxWait, refuses the rest at once, hands a freed slot straight to the oldest
 * waiter, and recovers from a crash with its slots free.
 * Method: a scripted target with exact durations.
 */
import { describe, expect, it } from "vitest";
import { Bulkhead } from "../../../src/components/resilience/bulkhead.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { callAt, type Job, Scripted } from "./support.js";

function setup(options: { maxWaiting?: number; maxWait?: number; timeout?: number } = {}) {
  const sim = new Simulation({ seed: 1 });
  const target = new Scripted(sim, "target");
  const caller = new Entity(sim, "caller");
  const bulkhead = new Bulkhead<Job, string>(sim, "bulkhead", {
    target,
    maxConcurrent: 2,
    ...options,
  });
  return { sim, target, caller, bulkhead, outcomes: [] as string[] };
}

describe("Bulkhead", () => {
  it("forwards up to maxConcurrent and refuses the rest at once when nobody may wait", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup();
    for (const id of ["a", "b", "c"]) callAt(sim, caller, bulkhead, 0, { id, takes: 1 }, outcomes);
    callAt(sim, caller, bulkhead, 1.5, { id: "d", takes: 1 }, outcomes);
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b", "1.5:d"]);
    expect(outcomes).toEqual([
      "c:RemoteError(bulkhead failed the request: bulkhead full)@0",
      "a:target:a@1",
      "b:target:b@1",
      "d:target:d@2.5",
    ]);
    expect(bulkhead.stats).toMatchObject({ forwarded: 3, rejected: 1, active: 0, waiting: 0 });
  });

  it("lets maxWaiting wait in FIFO order; a freed slot goes straight to the oldest waiter", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({ maxWaiting: 2 });
    for (const id of ["a", "b", "c", "d", "e"]) {
      callAt(sim, caller, bulkhead, 0, { id, takes: 1 }, outcomes);
    }
    sim.at(0.5, () => expect(bulkhead.stats).toMatchObject({ active: 2, waiting: 2 }));
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b", "1:c", "1:d"]);
    expect(outcomes[0]).toBe("e:RemoteError(bulkhead failed the request: bulkhead full)@0");
    expect(outcomes.slice(3)).toEqual(["c:target:c@2", "d:target:d@2"]);
  });

  it("refuses a request that waited maxWait for a slot", () => {
    const { sim, target, caller, bulkhead, outcomes } = setup({ maxWaiting: 5, maxWait: 0.5 });
    for (const id of ["a", "b", "c"]) callAt(sim, caller, bulkhead, 0, { id, takes: 1 }, outcomes);
    sim.run();
    expect(target.log).toEqual(["0:a", "0:b"]);
    expect(outcomes[0]).toBe(
      "c:RemoteError(bulkhead failed the request: bulkhead wait timed out)@0.5",
    );
    expect(bulkhead.stats).toMatchObject({ timedOutWaiting: 1, waiting: 0, active: 0 });
  });

  it("passes the target's failures and timeouts on, and frees the slot", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ timeout: 0.5 });
    callAt(sim, caller, bulkhead, 0, { id: "x", takes: 0.1, rejects: "nope" }, outcomes);
    callAt(sim, caller, bulkhead, 0, { id: "y", takes: 2 }, outcomes);
    callAt(sim, caller, bulkhead, 0.6, { id: "z", takes: 0.1 }, outcomes);
    sim.run();
    expect(outcomes).toEqual([
      "x:RemoteError(bulkhead failed the request: nope)@0.1",
      "y:RemoteError(bulkhead failed the request: timed out)@0.5",
      "z:target:z@0.7",
    ]);
    expect(bulkhead.stats).toMatchObject({ failed: 2, succeeded: 1, active: 0 });
  });

  it("a crash abandons what it holds; afterwards every slot is free", () => {
    const { sim, caller, bulkhead, outcomes } = setup({ maxWaiting: 2 });
    for (const id of ["a", "b", "c"]) {
      callAt(sim, caller, bulkhead, 0, { id, takes: 1 }, outcomes, 3);
    }
    sim.at(0.5, () => bulkhead.crash());
    sim.at(0.6, () => bulkhead.recover());
    sim.at(0.7, () => expect(bulkhead.stats).toMatchObject({ active: 0, waiting: 0 }));
    for (const id of ["d", "e"]) callAt(sim, caller, bulkhead, 0.7, { id, takes: 0.1 }, outcomes);
    sim.run();
    expect(outcomes.slice(0, 2)).toEqual(["d:target:d@0.8", "e:target:e@0.8"]);
    expect(outcomes.slice(2).every((o) => o.includes("TimeoutError"))).toBe(true);
  });

  it("refuses bad options", () => {
    const sim = new Simulation({ seed: 1 });
    const target = new Scripted(sim, "t");
    expect(() => new Bulkhead(sim, "b1", { target, maxConcurrent: 0 })).toThrow(
      /Bulkhead "b1": option "maxConcurrent"/,
    );
    expect(() => new Bulkhead(sim, "b2", { target, maxConcurrent: 1, maxWaiting: -1 })).toThrow(
      /maxWaiting/,
    );
    expect(() => new Bulkhead(sim, "b3", { target, maxConcurrent: 1, maxWait: 1 })).toThrow(
      /"maxWait" must be unset when maxWaiting is 0/,
    );
    expect(() => new Bulkhead(sim, "b4", { target: {} as never, maxConcurrent: 1 })).toThrow(
      /target/,
    );
  });
});
