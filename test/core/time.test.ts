/**
 * Goal: seconds convert to integer nanoseconds once, by rounding, exactly across the range;
 * bad durations are refused with the component and parameter named.
 * Method: direct checks of the helpers, including values that are inexact in binary floating
 * point.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, formatTimeNs } from "../../src/core/errors.js";
import {
  durationToNs,
  hours,
  MAX_TIME_NS,
  minutes,
  ms,
  ns,
  nsToSeconds,
  us,
} from "../../src/core/time.js";

describe("time", () => {
  it("helpers return seconds", () => {
    expect([ms(5), us(250), ns(100), minutes(2), hours(1)]).toEqual([
      0.005, 0.00025, 1e-7, 120, 3600,
    ]);
  });

  it("converts by rounding to the nearest nanosecond", () => {
    expect(durationToNs(0.1, "c", "p")).toBe(100_000_000);
    expect(durationToNs(ms(5), "c", "p")).toBe(5_000_000);
    expect(durationToNs(ns(7), "c", "p")).toBe(7);
    expect(durationToNs(0.1 + 0.2, "c", "p")).toBe(300_000_000);
    expect(durationToNs(4e-10, "c", "p")).toBe(0);
    expect(durationToNs(6e-10, "c", "p")).toBe(1);
    expect(durationToNs(86_400 * 100, "c", "p")).toBe(8.64e15);
    expect(nsToSeconds(1_500_000_000)).toBe(1.5);
  });

  it("refuses negative, NaN, infinite and out-of-range durations", () => {
    for (const bad of [-1e-9, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIME_NS]) {
      expect(() => durationToNs(bad, "Server", "serviceTime")).toThrow(ConfigError);
    }
    expect(() => durationToNs(-2, "Server", "serviceTime")).toThrow(
      'Server: option "serviceTime" must be a finite duration in seconds >= 0; given -2',
    );
  });

  it("formats nanoseconds exactly", () => {
    expect(formatTimeNs(0)).toBe("0s");
    expect(formatTimeNs(1_500_000_000)).toBe("1.5s");
    expect(formatTimeNs(1)).toBe("0.000000001s");
    expect(formatTimeNs(123_000_000_007)).toBe("123.000000007s");
  });
});
