import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { TimeSeries } from "../../src/metrics/timeSeries.js";

describe("TimeSeries", () => {
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

  it("counts observations outside its windows as dropped instead of growing without bound", () => {
    const ts = new TimeSeries({ window: 1, origin: 10, maxWindows: 2 });
    ts.record(9.99, 1);
    ts.record(10, 1);
    ts.record(11.5, 1);
    ts.record(12, 1);
    expect(ts.windows()).toHaveLength(2);
    expect(ts.dropped).toBe(2);
  });

  it("rejects bad configuration and bad observations with typed errors", () => {
    expect(() => new TimeSeries({ window: 0 })).toThrow(ConfigError);
    expect(() => new TimeSeries({ window: Number.POSITIVE_INFINITY })).toThrow(/window/);
    expect(() => new TimeSeries({ origin: Number.NaN })).toThrow(/origin/);
    expect(() => new TimeSeries({ relativeAccuracy: 1 })).toThrow(/relativeAccuracy/);
    expect(() => new TimeSeries({ maxWindows: 0 })).toThrow(/maxWindows/);
    const ts = new TimeSeries();
    expect(() => ts.record(0, -1)).toThrow(/value/);
    expect(() => ts.record(0, Number.NaN)).toThrow(/value/);
    expect(() => ts.record(Number.NaN, 1)).toThrow(/time/);
    expect(() => ts.series("p0" as never)).toThrow(/statistic/);
    expect(() => ts.series("median" as never)).toThrow(/statistic/);
  });
});
