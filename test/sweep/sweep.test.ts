/**
 * Goal: the browser-safe half of sweeps. Grids parse as the command line types them and fail
 * with a ConfigError naming the axis before anything runs; replication seeds come from one
 * root seed; the merged result (mean, Student-t interval, percentiles, each replication's
 * figures) is the same bytes whatever order runs finish in; a run that throws is reported
 * with its parameters and seed and the sweep goes on (or stops when asked).
 * Method: the fixture model in this folder, run inline; a backend of the test's own that
 * finishes runs in reverse order stands in for a pool's completion order.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  gridPoints,
  inlineBackend,
  parseGrid,
  parseParams,
  replicationSeeds,
  runTask,
  type SweepBackend,
  type SweepProgress,
  studentTQuantile,
  summarizeFigure,
  sweep,
  sweepResultJson,
} from "../../src/index.js";
import * as fixture from "./fixtureModel.js";

describe("grid syntax", () => {
  it("reads ranges, lists and single values in the order given", () => {
    expect(
      parseGrid(["rate=100..300:100", "servers=2,4,8", "mode=fast", "warm=true,false"]),
    ).toEqual({
      rate: [100, 200, 300],
      servers: [2, 4, 8],
      mode: ["fast"],
      warm: [true, false],
    });
  });
  it("counts decimal ranges exactly", () => {
    expect(parseGrid(["p=0.1..0.5:0.1"]).p).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(parseGrid(["n=1..4"]).n).toEqual([1, 2, 3, 4]);
  });
  it.each([
    ["rate", /name=value/],
    ["rate=", /at least one value/],
    ["rate=1000..100:100", /from <= to/],
    ["rate=100..1000:0", /step > 0/],
    ["rate=a..b:1", /from\.\.to:step/],
    ["rate=1,,2", /none empty/],
    ["rate=1,1", /distinct/],
    ["rate=0..1e9:1", /at most 100000 values/],
  ])("refuses %s with a ConfigError", (text, message) => {
    expect(() => parseGrid([text])).toThrow(ConfigError);
    expect(() => parseGrid([text])).toThrow(message);
  });
  it("refuses a parameter given twice", () => {
    expect(() => parseGrid(["a=1", "a=2"])).toThrow(/a is given twice/);
    expect(() => parseParams(["a=1", "a=2"])).toThrow(/a is given twice/);
  });
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "refuses the inherited name %s rather than dropping it",
    (name) => {
      expect(() => parseGrid([`${name}=1,2`])).toThrow(ConfigError);
      expect(() => parseGrid([`${name}=1,2`])).toThrow(/built-in object property/);
      expect(() => parseParams([`${name}=1`])).toThrow(ConfigError);
      const grid = JSON.parse(`{"${name}": [1, 2]}`);
      expect(() => gridPoints(grid)).toThrow(/built-in object property/);
    },
  );
  it("reads --param values as the grid does", () => {
    expect(parseParams(["rate=500", "region=eu", "warm=true", "x=1e3"])).toEqual({
      rate: 500,
      region: "eu",
      warm: true,
      x: 1000,
    });
  });
});

describe("seeds and statistics", () => {
  it("derives distinct replication seeds from the root, the same every time", () => {
    const seeds = replicationSeeds(1, 1000);
    expect(new Set(seeds).size).toBe(1000);
    expect(replicationSeeds(1, 3)).toEqual(seeds.slice(0, 3));
    expect(replicationSeeds(2, 3)).not.toEqual(seeds.slice(0, 3));
    for (const seed of seeds) expect(Number.isSafeInteger(seed) && seed >= 0).toBe(true);
  });
  it("gives Student's t quantiles of the tables", () => {
    expect(studentTQuantile(0.95, 1)).toBeCloseTo(12.7062, 4);
    expect(studentTQuantile(0.95, 9)).toBeCloseTo(2.2622, 4);
    expect(studentTQuantile(0.99, 30)).toBeCloseTo(2.75, 3);
    expect(studentTQuantile(0.95, 10_000)).toBeCloseTo(1.9602, 4);
  });
  it("summarizes replications: mean, interval, percentiles", () => {
    const s = summarizeFigure([1, 2, 3, 4, 5], 0.95);
    expect(s.mean).toBe(3);
    expect(s.stdDev).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.halfWidth).toBeCloseTo((2.7764451 * Math.sqrt(2.5)) / Math.sqrt(5), 6);
    expect([s.min, s.p50, s.max]).toEqual([1, 3, 5]);
    expect(s.p5).toBeCloseTo(1.2, 12);
    expect(Number.isNaN(summarizeFigure([7], 0.95).halfWidth)).toBe(true);
  });
  it("gives a figure that never varied its value, with no spread", () => {
    // Ten times 0.1 sums to 0.9999999999999999: a plain sum / n puts the mean below the
    // value itself and invents a spread of 1e-17.
    const s = summarizeFigure(
      Array.from({ length: 10 }, () => 0.1),
      0.95,
    );
    expect([s.mean, s.stdDev, s.halfWidth, s.ciLow, s.ciHigh]).toEqual([0.1, 0, 0, 0.1, 0.1]);
    const t = summarizeFigure([0.7, 0.7, 0.7], 0.95);
    expect([t.mean, t.stdDev]).toEqual([0.7, 0]);
    expect(summarizeFigure([Infinity, 1], 0.95).mean).toBe(Infinity);
  });
});

/** Runs inline, but reports the outcomes in reverse order, as a pool might finish them. */
const reversedBackend: SweepBackend = {
  name: "reversed",
  async run(job, events) {
    const outcomes = job.tasks.map((task) => runTask(job.model!, task, job.until));
    for (let i = job.tasks.length - 1; i >= 0; i--) {
      await Promise.resolve();
      events.finished(job.tasks[i]!.index, outcomes[i]!);
    }
  },
};

describe("sweep", () => {
  const options = { model: fixture, grid: ["rate=5,10", "servers=1,2"], replications: 4 };

  it("runs every point times every replication and merges in a fixed order", async () => {
    const result = await sweep(options);
    expect(result.points.map((p) => p.params)).toEqual([
      { rate: 5, servers: 1 },
      { rate: 5, servers: 2 },
      { rate: 10, servers: 1 },
      { rate: 10, servers: 2 },
    ]);
    expect(result.runs).toEqual({ total: 16, succeeded: 16, failed: 0, notRun: 0 });
    expect(result.figures).toEqual(["completed", "utilization"]);
    const point = result.points[3]!;
    const values = point.replications.map((r) => ("figures" in r ? r.figures.completed! : NaN));
    expect(point.summary.completed!.mean).toBe(values.reduce((a, b) => a + b) / 4);
    // Twice the load, about twice the work done.
    expect(
      point.summary.completed!.mean / result.points[1]!.summary.completed!.mean,
    ).toBeGreaterThan(1.5);
  });

  it("gives the same bytes whatever order the runs finish in", async () => {
    const inline = sweepResultJson(await sweep(options));
    const reversed = sweepResultJson(await sweep({ ...options, backend: reversedBackend }));
    expect(reversed).toBe(inline);
  });

  it("reports a run that throws with its parameters and seed, and goes on", async () => {
    const seeds = replicationSeeds(1, 4);
    const bad = seeds[2]!;
    const result = await sweep({ ...options, grid: [`failSeed=${bad}`, "rate=5,10"] });
    expect(result.runs).toEqual({ total: 8, succeeded: 6, failed: 2, notRun: 0 });
    expect(result.failures).toEqual([
      {
        params: { failSeed: bad, rate: 5 },
        seed: bad,
        replication: 2,
        error: `seed ${bad} is the bad one`,
      },
      {
        params: { failSeed: bad, rate: 10 },
        seed: bad,
        replication: 2,
        error: `seed ${bad} is the bad one`,
      },
    ]);
    expect(result.points[0]!.summary.completed!.n).toBe(3);
    expect(result.stopped).toBeNull();
  });

  it("stops at the first failure when asked", async () => {
    const bad = replicationSeeds(1, 4)[1]!;
    const result = await sweep({
      ...options,
      grid: [`failSeed=${bad}`, "rate=5,10"],
      stopOnFirstFailure: true,
    });
    expect(result.stopped).toBe("first-failure");
    expect(result.runs).toEqual({ total: 8, succeeded: 1, failed: 1, notRun: 6 });
  });

  it("reports progress up to the total", async () => {
    const seen: SweepProgress[] = [];
    await sweep({ ...options, replications: 2, onProgress: (p) => seen.push(p) });
    const last = seen.at(-1)!;
    expect([last.done, last.total, last.failed, last.running, last.etaSeconds]).toEqual([
      8, 8, 0, 0, 0,
    ]);
    expect(seen.some((p) => p.running === 1)).toBe(true);
  });

  it("takes explicit seeds and a grid object", async () => {
    const result = await sweep({ model: fixture, grid: { rate: [5] }, seeds: [3, 9] });
    expect(result.seeds).toEqual([3, 9]);
    expect(result.rootSeed).toBeNull();
  });

  it("fails before any run on bad options", async () => {
    let built = 0;
    const model = {
      until: fixture.until,
      build: (context: Parameters<typeof fixture.default>[0]) => {
        built++;
        return fixture.default(context);
      },
    };
    await expect(sweep({ model, grid: ["rate=9..1:1"] })).rejects.toThrow(/grid rate/);
    await expect(sweep({ model, replications: 0 })).rejects.toThrow(/replications/);
    await expect(sweep({ model, seeds: [1, 1] })).rejects.toThrow(/distinct/);
    await expect(sweep({ model, confidence: 95 })).rejects.toThrow(/confidence/);
    await expect(sweep({ grid: ["a=1"] })).rejects.toThrow(/modelId/);
    await expect(sweep({ model, backend: inlineBackend(), until: -1 })).rejects.toThrow(/until/);
    expect(built).toBe(0);
  });
});
