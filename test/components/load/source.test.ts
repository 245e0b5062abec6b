/**
 * Goal: sources generate exactly the arrivals their process describes: constant spacing with
 * no drift, Poisson counts and gaps that match theory, non-homogeneous Poisson counts that
 * follow the integral of the rate profile, bursts and replays at their exact times, and stop
 * when told.
 * Method: a recording target; statistical checks use 5-standard-error bounds on counts and a
 * Kolmogorov-Smirnov test at alpha = 0.001 on gaps.
 */
import { describe, expect, it } from "vitest";
import { Source } from "../../../src/components/load/source.js";
import { Entity } from "../../../src/core/entity.js";
import type { Message } from "../../../src/core/message.js";
import { Simulation } from "../../../src/core/simulation.js";
import { ConfigError } from "../../../src/errors/errors.js";
import { bursts, constant, poisson, replay } from "../../../src/load/arrivals.js";
import { fromFunction, ramp, sine, spike, step } from "../../../src/random/profile.js";
import { componentLaws, SUBJECT } from "../../support/laws.js";
import { ksCritical, ksStatistic } from "../../support/statistics.js";
import { RecordingTarget } from "../../support/targets.js";

function setup(seed = 1) {
  const sim = new Simulation({ seed });
  return { sim, sink: new RecordingTarget(sim, "sink") };
}

const countIn = (timesNs: number[], from: number, to: number) =>
  timesNs.filter((t) => t >= from * 1e9 && t < to * 1e9).length;

componentLaws({
  type: Source,
  options: (sim) => ({
    target: new RecordingTarget(sim, "target"),
    arrivals: constant(10),
    kind: "job",
    payload: (index: number) => index,
    sizeBytes: 100,
    start: 0,
    stopAfter: { count: 5, time: 10 },
  }),
  construct: (sim, name, options) => new Source(sim, name, options as never),
  invalid: [
    { target: {} },
    { arrivals: 5 },
    { kind: 3 },
    { payload: "index" },
    { sizeBytes: 1.5 },
    { sizeBytes: -1 },
    { start: -1 },
    { start: Number.NaN },
    { stopAfter: { count: -1 } },
    { stopAfter: { time: -1 } },
  ],
  scenario(sim) {
    const target = new RecordingTarget(sim, "target");
    return new Source(sim, SUBJECT, {
      target,
      arrivals: poisson(200),
      sizeBytes: 10,
      stopAfter: { time: 1 },
    });
  },
  crashAt: 0.4,
  recoverAt: 0.6,
});

describe("constant arrivals", () => {
  it("arrival k is at exactly start + k / rate, rounded once (no drift)", () => {
    const { sim, sink } = setup();
    new Source(sim, "load", {
      target: sink,
      arrivals: constant(3),
      start: 1,
      stopAfter: { count: 30_000 },
    });
    sim.run();
    expect(sink.timesNs).toHaveLength(30_000);
    expect(sink.timesNs).toEqual(sink.timesNs.map((_, i) => Math.round((1 + (i + 1) / 3) * 1e9)));
  });

  it("with a ramp, the k-th arrival is where the rate's integral reaches k", () => {
    const { sim, sink } = setup();
    const rate = ramp({ from: 0, to: 10, start: 0, end: 10 }); // integral t^2 / 2 on [0, 10]
    new Source(sim, "load", { target: sink, arrivals: constant(rate), stopAfter: { time: 10 } });
    sim.run();
    expect(sink.timesNs).toHaveLength(50);
    expect(sink.timesNs).toEqual(
      sink.timesNs.map((_, i) => Math.round(Math.sqrt(2 * (i + 1)) * 1e9)),
    );
  });
});

describe("Poisson arrivals", () => {
  it("counts and gaps match a Poisson process of rate 50/s", () => {
    const { sim, sink } = setup(2);
    new Source(sim, "load", { target: sink, arrivals: poisson(50) });
    sim.run({ until: 2000 });
    const n = sink.timesNs.length;
    expect(Math.abs(n - 100_000)).toBeLessThan(5 * Math.sqrt(100_000));
    const gaps = sink.timesNs.slice(1).map((t, i) => (t - sink.timesNs[i]!) / 1e9);
    expect(ksStatistic(gaps, (x) => 1 - Math.exp(-50 * x))).toBeLessThan(
      ksCritical(gaps.length, 0.001),
    );
  });

  for (const [name, rate] of [
    [
      "step",
      step(10, [
        { at: 100, value: 40 },
        { at: 200, value: 0 },
        { at: 250, value: 20 },
      ]),
    ],
    ["spike", spike({ base: 5, peak: 60, start: 50, duration: 30 })],
    ["sine", sine({ mean: 20, amplitude: 15, period: 60 })],
    [
      "function, by thinning",
      fromFunction((t) => 30 + 25 * Math.cos(t / 20) * Math.exp(-t / 400), { min: 5, max: 55 }),
    ],
  ] as const) {
    it(`non-homogeneous (${name}): counts in each interval follow the rate's integral`, () => {
      const replications = 20;
      const windows = [
        [0, 50],
        [50, 80],
        [80, 150],
        [150, 260],
        [260, 300],
      ] as const;
      const totals = windows.map(() => 0);
      for (let r = 0; r < replications; r++) {
        const { sim, sink } = setup(100 + r);
        new Source(sim, "load", { target: sink, arrivals: poisson(rate) });
        sim.run({ until: 300 });
        windows.forEach(([a, b], i) => {
          totals[i]! += countIn(sink.timesNs, a, b);
        });
      }
      windows.forEach(([a, b], i) => {
        const expected = rate.integral(a, b) * replications;
        // Poisson: variance equals the mean.
        expect(Math.abs(totals[i]! - expected)).toBeLessThanOrEqual(
          5 * Math.sqrt(Math.max(expected, 1)),
        );
      });
    });
  }

  it("thinning refuses to spin forever on a function rate that stays at zero", () => {
    const { sim, sink } = setup();
    new Source(sim, "load", {
      target: sink,
      arrivals: poisson(fromFunction((t) => (t < 1 ? 100 : 0), { min: 0, max: 1000 })),
    });
    expect(() => sim.run({ until: 1e6 })).toThrow(/thinning against max 1000\/s stalled/);
    expect(sink.timesNs.length).toBeGreaterThan(50);
  });

  it("a rate that drops to zero for good ends the source", () => {
    const { sim, sink } = setup();
    const source = new Source(sim, "load", {
      target: sink,
      arrivals: poisson(step(10, [{ at: 5, value: 0 }])),
      stopAfter: { count: 1_000_000 },
    });
    sim.run();
    expect(source.stopped).toBe(true);
    expect(Math.max(...sink.timesNs)).toBeLessThan(5e9);
  });
});

describe("bursts and replay", () => {
  it("bursts arrive together every period, or spread within it", () => {
    const { sim, sink } = setup();
    new Source(sim, "load", {
      target: sink,
      arrivals: bursts({ size: 3, every: 2 }),
      stopAfter: { count: 6 },
    });
    sim.run();
    expect(sink.timesNs).toEqual([2e9, 2e9, 2e9, 4e9, 4e9, 4e9]);
    const spread = setup();
    new Source(spread.sim, "load", {
      target: spread.sink,
      arrivals: bursts({ size: 100, every: 10, spread: 1 }),
      stopAfter: { count: 100 },
    });
    spread.sim.run();
    expect(Math.min(...spread.sink.timesNs)).toBeGreaterThanOrEqual(10e9);
    expect(Math.max(...spread.sink.timesNs)).toBeLessThan(11e9);
  });

  it("replay sends at the recorded times after the start", () => {
    const { sim, sink } = setup();
    new Source(sim, "load", {
      target: sink,
      arrivals: replay([0, 0.5, 0.5, 3]),
      start: 1,
      stopAfter: { count: 10 },
    });
    sim.run();
    expect(sink.timesNs).toEqual([1e9, 1.5e9, 1.5e9, 4e9]);
  });
});

describe("Source options", () => {
  it("builds payloads, sets kind and size", () => {
    const { sim, sink } = setup();
    const seen: Message<unknown>[] = [];
    const target = new (class extends Entity<string> {
      override handle(message: Message<string>) {
        seen.push(message);
      }
    })(sim, "target");
    new Source<string>(sim, "load", {
      target,
      arrivals: constant(1),
      kind: "put",
      sizeBytes: 512,
      payload: (index, time) => `${index}@${time}`,
      stopAfter: { count: 2 },
    });
    sim.run();
    expect(seen.map((m) => [m.kind, m.payload, m.sizeBytes])).toEqual([
      ["put", "0@1", 512],
      ["put", "1@2", 512],
    ]);
    expect(sink.timesNs).toEqual([]);
  });

  it("without stopAfter it is a daemon; with stopAfter.time it stops there", () => {
    const { sim, sink } = setup();
    new Source(sim, "load", { target: sink, arrivals: constant(10) });
    expect(sim.run().time).toBe(0);
    const timed = setup();
    const source = new Source(timed.sim, "load", {
      target: timed.sink,
      arrivals: constant(10),
      stopAfter: { time: 2 },
    });
    expect(timed.sim.run().time).toBe(2);
    expect(source.generated).toBe(20);
  });

  it("a refused source leaves its name free and schedules nothing", () => {
    const { sim, sink } = setup();
    expect(
      () => new Source(sim, "load", { target: sink, arrivals: constant(1), sizeBytes: -1 }),
    ).toThrow(ConfigError);
    expect(sim.entity("load")).toBeUndefined();
    expect(sim.run({ until: 5 }).eventsProcessed).toBe(0);
    new Source(sim, "load", { target: sink, arrivals: constant(1), stopAfter: { count: 1 } });
    sim.run();
    expect(sink.timesNs).toEqual([6e9]);
  });

  it("a crashed source loses the arrivals that fall while it is down", () => {
    const { sim, sink } = setup();
    const source = new Source(sim, "load", {
      target: sink,
      arrivals: constant(1),
      stopAfter: { time: 10 },
    });
    sim.at(3.5, () => source.crash());
    sim.at(6.5, () => source.recover());
    sim.run();
    expect(sink.timesNs.map((t) => t / 1e9)).toEqual([1, 2, 3, 7, 8, 9, 10]);
  });

  it("refuses bad options, naming the source and the option", () => {
    const { sim, sink } = setup();
    const ok = { target: sink, arrivals: constant(1) };
    expect(() => new Source(sim, "a", { ...ok, target: {} as never })).toThrow(
      /Source "a": option "target"/,
    );
    expect(() => new Source(sim, "b", { ...ok, arrivals: 5 as never })).toThrow(/"arrivals"/);
    expect(() => new Source(sim, "c", { ...ok, stopAfter: { count: -1 } })).toThrow(
      /stopAfter.count/,
    );
    expect(() => new Source(sim, "d", { ...ok, start: 5, stopAfter: { time: 1 } })).toThrow(
      /stopAfter.time/,
    );
    expect(() => new Source(sim, "e", { ...ok, sizeBytes: 1.5 })).toThrow(/sizeBytes/);
    expect(() => poisson(-1)).toThrow(ConfigError);
    expect(() => constant(ramp({ from: 1, to: -1, start: 0, end: 1 }))).toThrow(/at all times/);
    expect(() => bursts({ size: 0, every: 1 })).toThrow(/size/);
    expect(() => bursts({ size: 1, every: 1, spread: 2 })).toThrow(/spread/);
    expect(() => replay([1, 0])).toThrow(/times\[1\]/);
  });
});
