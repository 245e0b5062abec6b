/**
 * Goal: numbers in reports read easily and the same everywhere: grouped thousands, four
 * significant digits, durations in the unit that suits them, long simulated times as a clock,
 * and a metric printed in the unit its name implies.
 * Method: table-driven checks of each formatter, including the edges (NaN is "no data", zero,
 * negative, the unit boundaries).
 */
import { describe, expect, it } from "vitest";
import {
  formatClock,
  formatDuration,
  formatMetric,
  formatNumber,
  formatPercent,
  formatSeconds,
  metricUnit,
} from "../../src/report/format.js";

describe("report number formats", () => {
  it("groups integers in full and rounds others to four significant digits", () => {
    expect(
      [1726218, 0, -1234567, 0.123456, 12.3456, 1234.56, 12345.67, 1e-9, 0.5].map(formatNumber),
    ).toEqual([
      "1,726,218",
      "0",
      "-1,234,567",
      "0.1235",
      "12.35",
      "1,235",
      "12,346",
      "1.000e-9",
      "0.5",
    ]);
    expect(formatNumber(Number.NaN)).toBe("–");
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe("∞");
  });

  it("prints durations in ns, µs, ms or s", () => {
    expect([0, 8.5e-7, 1.25e-5, 0.2041, 0.9999, 1.5, 64800].map(formatSeconds)).toEqual([
      "0 s",
      "850 ns",
      "12.5 µs",
      "204.1 ms",
      "999.9 ms",
      "1.5 s",
      "64,800 s",
    ]);
    expect(formatSeconds(Number.NaN)).toBe("–");
  });

  it("prints shares as percentages", () => {
    expect([0.38123, 1, 0].map(formatPercent)).toEqual(["38.12%", "100%", "0%"]);
  });

  it("prints long times as a clock that does not wrap at 24 hours", () => {
    expect([64800, 90, 1.25, 93_600, 3599.999].map(formatClock)).toEqual([
      "18:00:00",
      "0:01:30",
      "0:00:01.25",
      "26:00:00",
      "0:59:59.999",
    ]);
    expect(formatDuration(42.5)).toBe("42.5 s");
    expect(formatDuration(64800)).toBe("18:00:00 (64,800 s)");
  });

  it("reads a metric's unit from its name, in the statistics vocabulary", () => {
    expect(metricUnit("p99Latency")).toBe("seconds");
    expect(metricUnit("p99FinishedLatency")).toBe("seconds");
    expect(metricUnit("meanWait")).toBe("seconds");
    expect(metricUnit("failureRate")).toBe("share");
    expect(metricUnit("utilization")).toBe("share");
    expect(metricUnit("timedOut")).toBe("count");
    expect(formatMetric("p99Latency", 0.2041)).toBe("204.1 ms");
    expect(formatMetric("failureRate", 0.38)).toBe("38%");
    expect(formatMetric("requests", 1726218)).toBe("1,726,218");
    expect(formatMetric("status", "up")).toBe("up");
  });
});
