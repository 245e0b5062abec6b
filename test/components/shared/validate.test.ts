/**
 * Goal: `requireSecondsParam` accepts what `requireSeconds` accepts, with the same message for a
 * bad number, and a profile only if it is a valid duration over its whole range.
 * Method: numbers and profiles on both sides of each bound; the messages compared verbatim.
 */
import { describe, expect, it } from "vitest";
import {
  requireDistribution,
  requireSeconds,
  requireSecondsParam,
} from "../../../src/components/shared/validate.js";
import { Entity } from "../../../src/core/entity.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ClosedLoopClients, dist, NetworkLink, Server } from "../../../src/index.js";
import { fromFunction, ramp, step } from "../../../src/random/profile.js";

/** The message `check` throws, or "" if it throws none. */
function messageOf(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}

describe("requireSecondsParam", () => {
  it("checks a number exactly as requireSeconds does", () => {
    expect(requireSecondsParam("C", "timeout", 0.5)).toBe(0.5);
    expect(requireSecondsParam("C", "delay", 0, true)).toBe(0);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "1", undefined]) {
      const expected = messageOf(() => requireSeconds("C", "timeout", bad));
      expect(expected).not.toBe("");
      expect(messageOf(() => requireSecondsParam("C", "timeout", bad))).toBe(expected);
    }
    expect(messageOf(() => requireSecondsParam("C", "delay", -1, true))).toBe(
      messageOf(() => requireSeconds("C", "delay", -1, true)),
    );
  });

  it("accepts a profile only if it is > 0 (or >= 0 with allowZero) at all times", () => {
    const drops = step(1, [{ at: 10, value: 0.1 }]);
    expect(requireSecondsParam("C", "timeout", drops)).toBe(drops);
    const toZero = step(1, [{ at: 10, value: 0 }]);
    expect(messageOf(() => requireSecondsParam("C", "timeout", toZero))).toBe(
      'C: option "timeout" must be a duration in seconds > 0 at all times; given "step from 1 (1 changes) (ranges over [0, 1])"',
    );
    expect(requireSecondsParam("C", "delay", toZero, true)).toBe(toZero);
    const negative = ramp({ from: 1, to: -1, start: 0, end: 10 });
    expect(messageOf(() => requireSecondsParam("C", "delay", negative, true))).toMatch(
      /must be a duration in seconds >= 0 at all times/,
    );
    const dips = fromFunction((t) => 1 - t / 100, { min: -1, max: 1 });
    expect(messageOf(() => requireSecondsParam("C", "timeout", dips))).toMatch(
      /at all times; given "function in \[-1, 1\]/,
    );
  });
});

describe("requireDistribution: durations never below 0, refused at construction", () => {
  it("refuses a distribution that can produce a negative duration, naming component and option", () => {
    const sim = new Simulation({ seed: 1 });
    // It used to be accepted, and the run failed at the first request naming option "delay".
    expect(() => new Server(sim, "api", { serviceTime: dist.constant(-0.1) })).toThrow(
      'Server "api": option "serviceTime" must be a Distribution of durations, never below 0 (truncate a normal with `min: 0`); given "constant(-0.1), which can produce -0.1"',
    );
    expect(() => new Server(sim, "b", { serviceTime: dist.uniform(-0.01, 0.01) })).toThrow(
      /Server "b": option "serviceTime" .* given "uniform\(-0.01, 0.01\), which can produce -0.01"/,
    );
    // An untruncated normal reaches below 0; truncating it explicitly is accepted.
    expect(
      () => new Server(sim, "c", { serviceTime: dist.normal({ mean: 0.1, sd: 0.01 }) }),
    ).toThrow(/can produce -Infinity/);
    expect(
      () => new Server(sim, "d", { serviceTime: dist.normal({ mean: 0.1, sd: 0.01, min: 0 }) }),
    ).not.toThrow();
    const target = new Entity(sim, "t");
    expect(
      () => new NetworkLink(sim, "l", { latency: dist.constant(0), jitter: dist.constant(-1) }),
    ).toThrow(/NetworkLink "l": option "jitter" must be a Distribution of durations/);
    expect(
      () =>
        new ClosedLoopClients(sim, "u", {
          target,
          users: 1,
          thinkTime: dist.normal({ mean: 1, sd: 1 }),
        }),
    ).toThrow(/ClosedLoopClients "u": option "thinkTime" must be a Distribution of durations/);
  });

  it("accepts distributions bounded at 0 or above, and hand-written ones it cannot check", () => {
    for (const d of [
      dist.exponential(0.1),
      dist.constant(0),
      dist.lognormal({ mean: 0.1, cv: 2 }),
      dist.percentileFitted({ p50: 1, p90: 2, p99: 3, p999: 4 }),
      { ...dist.constant(1), lowerBound: undefined },
    ]) {
      expect(requireDistribution("C", "serviceTime", d)).toBe(d);
    }
  });
});
