/**
 * Goal: `requireSecondsParam` accepts what `requireSeconds` accepts, with the same message for a
 * bad number, and a profile only if it is a valid duration over its whole range.
 * Method: numbers and profiles on both sides of each bound; the messages compared verbatim.
 */
import { describe, expect, it } from "vitest";
import { requireSeconds, requireSecondsParam } from "../../../src/components/shared/validate.js";
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
