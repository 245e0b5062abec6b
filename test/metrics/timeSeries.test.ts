import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/errors.js";
import { TimeSeries } from "../../src/metrics/timeSeries.js";

describe("TimeSeries", () => {
  it("after reset(origin) starts empty, with window 0 at origin and the configured width", () => {
    const series = new TimeSeries({ window: 1, maxWindows: 4 });
    for (let t = 0; t < 10; t += 0.5) series.record(t, t);
    expect(series.window).toBe(4); // coarsened twice
    series.reset(10.5);
    expect(series.count).toBe(0);
    expect(series.windows()).toEqual([]);
    expect(series.series("rate")).toEqual([]);
    expect([series.window, series.origin, series.dropped]).toEqual([1, 10.5, 0]);
    series.record(10, 1); // before the reset: not in the measured window
    series.record(11, 2);
    series.record(12.75, 3);
    expect(series.dropped).toBe(1);
    expect(series.series("count")).toEqual([
      [10.5, 1],
      [11.5, 0],
      [12.5, 1],
    ]);
    expect(series.series("rate", { until: 14 })).toHaveLength(4);
    expect(() => series.reset(Number.NaN)).toThrow(ConfigError);
  });

  it("buckets observations into windows, a boundary belonging to the later window", () => {
    const ts = new TimeSeries({ window: 2 });
    ts.record(0, 1);
    ts.record(1.999, 3);
    ts.record(2, 10);
    const [first, second] = ts.windows();
    expect(first).toMatchObject({ start: 0, count: 2, sum: 4, mean: 2, min: 1, max: 3, rate: 1 });
    expect(second).toMatchObject({ start: 2, count: 1, mean: 10, min: 10, max: 10, rate: 0.5 });
    expect(ts.count).toBe(3);
  });

  it("reports silent windows as count 0 and NaN statistics, not as missing points", () => {
    const ts = new TimeSeries({ window: 1 });
    ts.record(0.5, 1);
    ts.record(3.5, 2);
    expect(ts.series("count")).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
    expect(ts.series("mean").map(([, v]) => v)).toEqual([1, Number.NaN, Number.NaN, 2]);
    expect(ts.series("p99")[1]![1]).toBeNaN();
  });

  it("reports the silent windows after the last observation up to `until`", () => {
    const ts = new TimeSeries({ window: 1 });
    ts.record(0.5, 1);
    ts.record(1.5, 2);
    // Watched until 4.5 s: windows 2, 3 and 4 were silent (4 only in part: still silent).
    expect(ts.series("rate", { until: 4.5 })).toEqual([
      [0, 1],
      [1, 1],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    // A window starting exactly at `until` was never watched.
    expect(ts.series("count", { until: 3 }).map(([t]) => t)).toEqual([0, 1, 2]);
    expect(ts.series("mean", { until: 3 })[2]![1]).toBeNaN();
    // `until` inside the observed range changes nothing; skipEmpty leaves silence out.
    expect(ts.series("count", { until: 1 })).toEqual(ts.series("count"));
    expect(ts.series("rate", { until: 10, skipEmpty: true })).toHaveLength(2);
    const empty = new TimeSeries({ window: 2, origin: 1 });
    expect(empty.series("count", { until: 5.5 })).toEqual([
      [1, 0],
      [3, 0],
      [5, 0],
    ]);
    expect(() => ts.series("rate", { until: Number.NaN })).toThrow(ConfigError);
  });

  it("gives per-window percentiles within the stated relative accuracy", () => {
    const ts = new TimeSeries({ window: 1, relativeAccuracy: 0.01 });
    for (let i = 1; i <= 1000; i++) ts.record(0.5, i);
    for (let i = 1; i <= 1000; i++) ts.record(1.5, i * 10);
    const p99 = ts.series("p99");
    expect(Math.abs(p99[0]![1] - 990) / 990).toBeLessThanOrEqual(0.01);
    expect(Math.abs(p99[1]![1] - 9900) / 9900).toBeLessThanOrEqual(0.01);
    expect(ts.series("p100").map(([, v]) => v)).toEqual([1000, 10000]);
    expect(ts.series("p50")[0]![1]).toBeCloseTo(500, -1);
    expect(ts.series("p99.9")[1]![1]).toBeCloseTo(ts.series("p999")[1]![1]);
    expect(ts.merged().count).toBe(2000);
    expect(ts.merged().max).toBe(10000);
  });

  it("stays within maxWindows on any run length by merging windows in pairs", () => {
    const ts = new TimeSeries({ window: 1, origin: 10, maxWindows: 4 });
    ts.record(9.99, 1); // before the origin: dropped
    for (let t = 10; t < 18; t++) ts.record(t + 0.5, t - 9); // values 1..8, one per second
    expect(ts.dropped).toBe(1);
    expect(ts.window).toBe(2);
    expect(ts.windows().map((w) => [w.start, w.count, w.sum, w.min, w.max, w.rate])).toEqual([
      [10, 2, 3, 1, 2, 1],
      [12, 2, 7, 3, 4, 1],
      [14, 2, 11, 5, 6, 1],
      [16, 2, 15, 7, 8, 1],
    ]);
    ts.record(100, 50); // far past the end: coarsens as often as needed
    expect(ts.windows().length).toBeLessThanOrEqual(4);
    expect(ts.window).toBe(32);
    expect(ts.count).toBe(9);
    expect(ts.merged().max).toBe(50);
    expect(ts.windows()[0]).toMatchObject({ start: 10, count: 8, min: 1, max: 8 });
    expect(Math.abs(ts.windows()[0]!.percentile(1) - 8) / 8).toBeLessThanOrEqual(0.01);
  });

  it("rejects bad configuration and bad observations with typed errors", () => {
    expect(() => new TimeSeries({ window: 0 })).toThrow(ConfigError);
    expect(() => new TimeSeries({ window: Number.POSITIVE_INFINITY })).toThrow(/window/);
    expect(() => new TimeSeries({ origin: Number.NaN })).toThrow(/origin/);
    expect(() => new TimeSeries({ relativeAccuracy: 1 })).toThrow(/relativeAccuracy/);
    expect(() => new TimeSeries({ maxWindows: 0 })).toThrow(/maxWindows/);
    expect(() => new TimeSeries({ maxWindows: 5 })).toThrow(/an even integer/);
    const ts = new TimeSeries();
    expect(() => ts.record(0, -1)).toThrow(/value/);
    expect(() => ts.record(0, Number.NaN)).toThrow(/value/);
    expect(() => ts.record(Number.NaN, 1)).toThrow(/time/);
    expect(() => ts.series("p0" as never)).toThrow(/statistic/);
    expect(() => ts.series("median" as never)).toThrow(/statistic/);
  });
});
