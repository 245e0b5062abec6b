/**
 * Goal: a probe samples at exactly start + k x interval, never keeps a run alive, stops at
 * maxPoints, resumes on its grid after a crash, and refuses bad options; a run's probes become
 * a report's charts.
 * Method: probes of a value changed by timers; exact times.
 */
import { describe, expect, it } from "vitest";
import { Probe } from "../../../src/components/measure/probe.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { arrivals, Source } from "../../../src/index.js";
import { reportFromRun } from "../../../src/report/fromRun.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { RecordingTarget } from "../../support/targets.js";

const MAX_POINTS = 15;

componentLaws({
  type: Probe,
  options: () => ({ read: () => 1, interval: 0.5, unit: "x", maxPoints: 10 }),
  construct: (sim, name, options) => new Probe(sim, name, options as never),
  invalid: [
    { read: 3 },
    { interval: 0 },
    { interval: -1 },
    { interval: Number.POSITIVE_INFINITY },
    { unit: 5 },
    { maxPoints: 0 },
    { maxPoints: 1.5 },
  ],
  scenario(sim) {
    const target = new RecordingTarget(sim, "target");
    new Source(sim, "load", { target, arrivals: arrivals.poisson(100), stopAfter: { time: 1 } });
    // Few points, so it truncates, and a reset restarts it.
    return new Probe(sim, SUBJECT, {
      read: () => target.timesNs.length,
      interval: 0.05,
      unit: "messages",
      maxPoints: MAX_POINTS,
    });
  },
  crashAt: 0.4,
  recoverAt: 0.6,
  identities: (probe) => [
    ["points <= maxPoints", Math.min(probe.points.length, MAX_POINTS), probe.points.length],
  ],
  // No sample yet since a reset: nothing to report as the last value.
  mayBeNaN: ["last"],
});

describe("Probe", () => {
  it("samples on an exact grid and never keeps the run alive", () => {
    const sim = new Simulation({ seed: 1 });
    let level = 0;
    sim.at(1.05, () => {
      level = 7;
    });
    const probe = new Probe(sim, "level", { read: () => level, interval: 0.1 });
    expect(sim.run().time).toBe(1.05); // drained: the probe is a daemon
    sim.run({ until: 1.3 });
    expect(probe.points.map(([t]) => Math.round(t * 1e9))).toEqual(
      Array.from({ length: 14 }, (_, k) => Math.round(k * 0.1 * 1e9)),
    );
    expect(probe.points.at(-1)).toEqual([1.3, 7]);
  });

  it("stops at maxPoints and resumes on its grid after a crash", () => {
    const sim = new Simulation({ seed: 1 });
    const capped = new Probe(sim, "capped", { read: () => 1, maxPoints: 3 });
    const probe = new Probe(sim, "p", { read: () => 1, interval: 1 });
    sim.at(2.5, () => probe.crash());
    sim.at(4.5, () => probe.recover());
    sim.run({ until: 7 });
    expect(capped.points).toHaveLength(3);
    expect(capped.truncated).toBe(true);
    expect(probe.points.map(([t]) => t)).toEqual([0, 1, 2, 5, 6, 7]);
  });

  it("a refused probe leaves its name free and schedules nothing", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Probe(sim, "p", { read: () => 1, interval: 0 })).toThrow(ConfigError);
    expect(sim.entity("p")).toBeUndefined();
    expect(sim.run({ until: 2 }).eventsProcessed).toBe(0);
  });

  it("refuses bad options and non-finite readings", () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => new Probe(sim, "a", { read: 3 as never })).toThrow(/Probe "a": option "read"/);
    expect(() => new Probe(sim, "b", { read: () => 1, interval: 0 })).toThrow(ConfigError);
    expect(() => new Probe(sim, "c", { read: () => 1, maxPoints: 0 })).toThrow(/maxPoints/);
    new Probe(sim, "d", { read: () => Number.NaN });
    expect(() => sim.run({ until: 1 })).toThrow(/finite numbers/);
  });

  it("reportFromRun charts probes grouped by unit and tabulates entities", () => {
    const sim = new Simulation({ seed: 1 });
    new Probe(sim, "depth", { read: () => 1, unit: "requests" });
    new Probe(sim, "active", { read: () => 2, unit: "requests" });
    new Probe(sim, "latency", { read: () => 3, unit: "ms" });
    const summary = sim.run({ until: 2 });
    const report = reportFromRun(sim, summary, "title", "seed 1");
    expect(report.charts.map((c) => [c.title, c.yLabel, c.series.length])).toEqual([
      ["depth, active", "requests", 2],
      ["latency", "ms", 1],
    ]);
    expect(report.tables![0]!.rows).toHaveLength(3);
  });
});
