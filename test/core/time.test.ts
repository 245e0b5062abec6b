/**
 * Goal: seconds convert to integer nanoseconds once, by rounding to the nearest, exactly across
 * the range; bad durations are refused with the component, parameter and given value named;
 * times format back to seconds without float noise.
 * Method: direct checks of the helpers on values that are inexact in binary floating point,
 * plus fast-check properties: every integer count of nanoseconds survives the round trip
 * through seconds, and formatTimeNs spells every count exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  durationToNs,
  hours,
  MAX_TIME_NS,
  minutes,
  ms,
  NS_PER_SECOND,
  ns,
  nsToSeconds,
  us,
} from "../../src/core/time.js";
import { ConfigError, formatTimeNs } from "../../src/errors/errors.js";

describe("time helpers", () => {
  it("ms, us and ns divide down to seconds", () => {
    expect(ms(5)).toBe(0.005);
    expect(us(250)).toBe(0.00025);
    expect(ns(100)).toBe(1e-7);
  });

  it("minutes and hours multiply up to seconds", () => {
    expect(minutes(2)).toBe(120);
    expect(hours(1)).toBe(3600);
    expect(hours(1.5)).toBe(minutes(90));
  });

  it("the constants say what they are", () => {
    expect(NS_PER_SECOND).toBe(1e9);
    expect(MAX_TIME_NS).toBe(2 ** 53 - 1);
  });
});

describe("durationToNs", () => {
  it("rounds to the nearest nanosecond", () => {
    expect(durationToNs(4e-10, "c", "p")).toBe(0);
    expect(durationToNs(6e-10, "c", "p")).toBe(1);
    expect(durationToNs(1.4e-9, "c", "p")).toBe(1);
    expect(durationToNs(1.6e-9, "c", "p")).toBe(2);
  });

  it("absorbs float noise: 0.1 + 0.2 is exactly 300 ms", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(durationToNs(0.1 + 0.2, "c", "p")).toBe(300_000_000);
    expect(durationToNs(0.1, "c", "p")).toBe(100_000_000);
  });

  it("agrees with the unit helpers", () => {
    expect(durationToNs(ms(5), "c", "p")).toBe(5_000_000);
    expect(durationToNs(us(3), "c", "p")).toBe(3_000);
    expect(durationToNs(ns(7), "c", "p")).toBe(7);
    expect(durationToNs(hours(24) * 100, "c", "p")).toBe(8.64e15);
    expect(durationToNs(0, "c", "p")).toBe(0);
  });

  it("round-trips every integer nanosecond count through seconds (to 2^50 ns)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (count) => {
        expect(durationToNs(nsToSeconds(count), "c", "p")).toBe(count);
        expect(durationToNs(ns(count), "c", "p")).toBe(count);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts the largest representable duration", () => {
    expect(durationToNs(9_007_199, "c", "p")).toBe(9_007_199_000_000_000);
  });

  it.each([
    ["negative", -1e-9],
    ["NaN", Number.NaN],
    ["+Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["past 2^53 ns", MAX_TIME_NS],
  ])("refuses a %s duration with a ConfigError", (_label, bad) => {
    expect(() => durationToNs(bad, "Server", "serviceTime")).toThrow(ConfigError);
  });

  it("names the component, the parameter, what it expected and the given value", () => {
    let error: unknown;
    try {
      durationToNs(-2, "Server", "serviceTime");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ component: "Server", parameter: "serviceTime", given: -2 });
    expect((error as Error).message).toBe(
      'Server: option "serviceTime" must be a finite duration in seconds >= 0; given -2',
    );
  });
});

describe("nsToSeconds and formatTimeNs", () => {
  it("nsToSeconds divides by 1e9", () => {
    expect(nsToSeconds(1_500_000_000)).toBe(1.5);
    expect(nsToSeconds(0)).toBe(0);
  });

  it("formatTimeNs spells whole and fractional seconds without float noise", () => {
    expect(formatTimeNs(0)).toBe("0s");
    expect(formatTimeNs(1_500_000_000)).toBe("1.5s");
    expect(formatTimeNs(1)).toBe("0.000000001s");
    expect(formatTimeNs(300_000_000)).toBe("0.3s");
    expect(formatTimeNs(123_000_000_007)).toBe("123.000000007s");
    expect(formatTimeNs(MAX_TIME_NS)).toBe("9007199.254740991s");
  });

  it("formatTimeNs is exact for every count: parsing it back gives the same integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME_NS }), (count) => {
        const text = formatTimeNs(count);
        const match = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
        expect(match).not.toBeNull();
        const whole = BigInt(match![1]!);
        const fraction = BigInt((match![2] ?? "").padEnd(9, "0"));
        expect(whole * 1_000_000_000n + fraction).toBe(BigInt(count));
      }),
      { numRuns: 2000 },
    );
  });
});
