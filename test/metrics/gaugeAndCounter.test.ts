/**
 * Goal: a time-weighted gauge averages over simulated time, not over samples; counters count.
 * Method: levels set by timers at known times, means computed by hand.
 */
import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError } from "../../src/errors/errors.js";
import { Counter } from "../../src/metrics/counter.js";
import { TimeWeightedGauge } from "../../src/metrics/timeWeightedGauge.js";

describe("TimeWeightedGauge", () => {
  it("averages over time: 0 for 1 s, then 4 for 3 s, is 3", () => {
    const sim = new Simulation({ seed: 1 });
    const gauge = new TimeWeightedGauge(sim);
    expect(gauge.mean).toBe(0);
    sim.at(1, () => gauge.set(4));
    sim.at(2, () => gauge.add(0)); // a sample with no change does not weigh
    sim.run({ until: 4 });
    expect(gauge.mean).toBe(3);
    expect(gauge.integral).toBe(12);
    expect([gauge.value, gauge.min, gauge.max]).toEqual([4, 0, 4]);
  });

  it("after reset() averages over [reset, now] only, keeping the level", () => {
    const sim = new Simulation({ seed: 1 });
    const gauge = new TimeWeightedGauge(sim);
    sim.at(1, () => gauge.set(10));
    sim.at(5, () => gauge.set(2));
    sim.run({ until: 4 });
    gauge.reset();
    expect([gauge.value, gauge.min, gauge.max, gauge.mean, gauge.integral]).toEqual([
      10, 10, 10, 10, 0,
    ]);
    sim.run({ until: 8 });
    // 10 over [4, 5), 2 over [5, 8): (10 + 6) / 4.
    expect(gauge.mean).toBe(4);
    expect(gauge.integral).toBe(16);
    expect([gauge.min, gauge.max]).toEqual([2, 10]);
  });

  it("refuses non-finite levels", () => {
    const gauge = new TimeWeightedGauge(new Simulation({ seed: 1 }));
    expect(() => gauge.set(Number.NaN)).toThrow(ConfigError);
  });
});

describe("Counter", () => {
  it("counts and resets; refuses negative amounts", () => {
    const counter = new Counter();
    counter.add();
    counter.add(2.5);
    expect(counter.value).toBe(3.5);
    expect(() => counter.add(-1)).toThrow(/Counter.add/);
    counter.reset();
    expect(counter.value).toBe(0);
  });
});
