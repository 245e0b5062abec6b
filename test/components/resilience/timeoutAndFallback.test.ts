/**
 * Goal: a timeout wrapper bounds every request's wait and passes rejections on; a fallback
 * answers from its second source (entity or function) when the primary rejects or is too
 * slow, and fails only when that fails too.
 * Method: scripted targets with exact durations.
 */
import { describe, expect, it } from "vitest";
import { Fallback } from "../../../src/components/resilience/fallback.js";
import { TimeoutWrapper } from "../../../src/components/resilience/timeoutWrapper.js";
import { Entity } from "../../../src/core/entity.js";
import { RemoteError } from "../../../src/core/errors.js";
import { Simulation } from "../../../src/core/simulation.js";
import { callAt, type Job, Scripted } from "./support.js";

function setup() {
  const sim = new Simulation({ seed: 1 });
  return {
    sim,
    primary: new Scripted(sim, "primary"),
    backup: new Scripted(sim, "backup"),
    caller: new Entity(sim, "caller"),
    outcomes: [] as string[],
  };
}

describe("TimeoutWrapper", () => {
  it("answers in time, fails at the deadline, and passes rejections on", () => {
    const { sim, primary, caller, outcomes } = setup();
    const bounded = new TimeoutWrapper<Job, string>(sim, "deadline", {
      target: primary,
      timeout: 0.25,
    });
    callAt(sim, caller, bounded, 0, { id: "ok", takes: 0.1 }, outcomes);
    callAt(sim, caller, bounded, 0, { id: "hung", takes: Number.POSITIVE_INFINITY }, outcomes);
    callAt(sim, caller, bounded, 0, { id: "no", takes: 0.2, rejects: "busy" }, outcomes);
    sim.run();
    expect(outcomes).toEqual([
      "ok:primary:ok@0.1",
      "no:RemoteError(deadline failed the request: busy)@0.2",
      "hung:RemoteError(deadline failed the request: timed out after 0.25s)@0.25",
    ]);
    expect(bounded.stats).toEqual({ forwarded: 3, succeeded: 1, timeouts: 1, rejections: 1 });
  });

  it("refuses a missing or zero timeout", () => {
    const { sim, primary } = setup();
    expect(() => new TimeoutWrapper(sim, "t", { target: primary, timeout: 0 })).toThrow(
      /TimeoutWrapper "t": option "timeout"/,
    );
    expect(() => new TimeoutWrapper(sim, "u", { target: primary } as never)).toThrow(/timeout/);
  });
});

describe("Fallback", () => {
  it("answers from a function when the primary rejects or times out", () => {
    const { sim, primary, caller, outcomes } = setup();
    const reasons: string[] = [];
    const guarded = new Fallback<Job, string>(sim, "prices", {
      primary,
      timeout: 0.5,
      fallback: (request, error) => {
        reasons.push(error instanceof RemoteError ? error.reason : error.name);
        return `cached:${request.payload.id}`;
      },
    });
    callAt(sim, caller, guarded, 0, { id: "ok", takes: 0.1 }, outcomes);
    callAt(sim, caller, guarded, 0, { id: "down", takes: 0.2, rejects: "503" }, outcomes);
    callAt(sim, caller, guarded, 0, { id: "slow", takes: 2 }, outcomes);
    sim.run();
    expect(outcomes).toEqual(["ok:primary:ok@0.1", "down:cached:down@0.2", "slow:cached:slow@0.5"]);
    expect(reasons).toEqual(["503", "TimeoutError"]);
    expect(guarded.stats).toEqual({
      requests: 3,
      primarySucceeded: 1,
      fallbacksUsed: 2,
      failed: 0,
    });
  });

  it("calls a fallback entity, and fails only when it fails too", () => {
    const { sim, primary, backup, caller, outcomes } = setup();
    const guarded = new Fallback<Job, string>(sim, "reads", {
      primary,
      fallback: backup,
      fallbackTimeout: 1,
    });
    primary.durations = [0.1, 0.1];
    backup.durations = [0.2, 5];
    callAt(sim, caller, guarded, 0, { id: "a", takes: 0, rejects: "down" }, outcomes);
    callAt(sim, caller, guarded, 1, { id: "b", takes: 0, rejects: "down" }, outcomes);
    sim.run();
    expect(outcomes[0]).toBe("a:RemoteError(reads failed the request: down)@0.3");
    expect(outcomes[1]).toBe("b:RemoteError(reads failed the request: timed out)@2.1");
    expect(guarded.stats).toMatchObject({ fallbacksUsed: 0, failed: 2 });
  });

  it("refuses bad options", () => {
    const { sim, primary } = setup();
    expect(() => new Fallback(sim, "f1", { primary, fallback: 3 as never })).toThrow(
      /Fallback "f1": option "fallback"/,
    );
    expect(
      () => new Fallback(sim, "f2", { primary, fallback: () => "x", fallbackTimeout: 1 }),
    ).toThrow(/fallbackTimeout/);
    expect(() => new Fallback(sim, "f3", { primary, fallback: () => "x", timeout: -1 })).toThrow(
      /timeout/,
    );
  });
});
