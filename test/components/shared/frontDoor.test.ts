/**
 * Goal: a front door's books keep `requests = completed + failed + rejected + lostToCrash +
 * active` at every instant: a served call completes, a `RemoteError` fails it, a call while
 * the owner is down is rejected at once, a crash moves what is in progress to lostToCrash and
 * rejects its callers' futures with "front door crashed", a statistics reset counts what is
 * in progress as requests again, and a message request is answered or failed.
 * Method: a front door on a bare entity whose serving waits a given time, then answers or
 * throws; the owner's crash and `sim.resetStats()` reach it through its lifecycle hook.
 */
import { describe, expect, it } from "vitest";
import { FrontDoor, type Serving } from "../../../src/components/shared/frontDoor.js";
import { Entity } from "../../../src/core/entity.js";
import type { SimFuture } from "../../../src/core/future.js";
import { Simulation } from "../../../src/core/simulation.js";
import { RemoteError } from "../../../src/errors/errors.js";

class Door extends Entity<unknown, string> {
  readonly door = new FrontDoor<string>(this);

  *serving(seconds: number, fails = false): Serving<string> {
    yield this.sleepFuture(seconds);
    if (fails) throw new RemoteError("refused", this.name);
    return "ok";
  }

  private sleepFuture(seconds: number): SimFuture<unknown> {
    const future = this.future<unknown>("wait");
    this.after(seconds, () => future.resolve(undefined));
    return future;
  }

  override *handle(message: Parameters<Entity<unknown, string>["handle"]>[0]) {
    yield* this.door.answer(message, this.serving(0.1, message.kind === "bad"));
  }
}

function identity(door: FrontDoor<string>) {
  const c = door.counts();
  return c.requests - (c.completed + c.failed + c.rejected + c.lostToCrash + c.active);
}

describe("FrontDoor", () => {
  it("counts completed, failed and rejected calls and keeps its identity", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Door(sim, "door");
    const settled: string[] = [];
    const track = (future: SimFuture<string>) =>
      future.addListener({
        futureSettled: () =>
          settled.push(future.state === "rejected" ? "failed" : String(future.value)),
      });
    sim.at(0, () => {
      track(owner.door.submit("put", owner.serving(0.1)));
      track(owner.door.submit("put", owner.serving(0.1, true)));
      expect(owner.door.counts()).toMatchObject({ requests: 2, active: 2 });
    });
    sim.run({ until: 1 });
    expect(settled).toEqual(["ok", "failed"]);
    expect(owner.door.counts()).toEqual({
      requests: 2,
      completed: 1,
      failed: 1,
      rejected: 0,
      lostToCrash: 0,
      active: 0,
    });
  });

  it("rejects calls while down, loses those in progress to a crash, recounts on a reset", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Door(sim, "door");
    const reasons: string[] = [];
    const track = (future: SimFuture<string>) =>
      future.addListener({
        futureSettled: () =>
          reasons.push((future.error as RemoteError | undefined)?.reason ?? "ok"),
      });
    sim.at(0, () => {
      track(owner.door.submit("get", owner.serving(0.5)));
      track(owner.door.submit("get", owner.serving(0.5)));
    });
    sim.at(0.1, () => {
      sim.resetStats();
      expect(owner.door.counts()).toMatchObject({ requests: 2, active: 2 });
      owner.crash();
      track(owner.door.submit("get", owner.serving(0.5)));
    });
    sim.run({ until: 1 });
    expect(reasons).toEqual(["front door crashed", "front door crashed", "front door is down"]);
    expect(owner.door.counts()).toMatchObject({ requests: 3, lostToCrash: 2, rejected: 1 });
    expect(identity(owner.door)).toBe(0);
  });

  it("answers or fails a message request", () => {
    const sim = new Simulation({ seed: 1 });
    const owner = new Door(sim, "door");
    const caller = new Entity(sim, "caller");
    const outcomes: string[] = [];
    caller.start(function* () {
      outcomes.push(String(yield* caller.call(owner, "good", {}, { timeout: 1 })));
      try {
        yield* caller.call(owner, "bad", {}, { timeout: 1 });
      } catch (error) {
        outcomes.push((error as RemoteError).reason);
      }
    });
    sim.run({ until: 2 });
    expect(outcomes).toEqual(["ok", "refused"]);
    expect(owner.door.counts()).toMatchObject({ requests: 2, completed: 1, failed: 1 });
  });
});
