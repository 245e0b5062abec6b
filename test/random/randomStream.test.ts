/**
 * Goal: random streams are reproducible, independent of each other, and draw from the
 * distributions they claim.
 * Method: reproducibility and independence by comparing sequences across simulations that
 * differ in what else exists; distributions by moments (tolerance 5 standard errors, so a
 * correct sampler fails about once in 1.7 million runs), Kolmogorov-Smirnov at alpha = 0.001
 * and chi-square at the 0.999 quantile, on fixed seeds.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { ConfigError } from "../../src/core/errors.js";
import { Simulation } from "../../src/core/simulation.js";
import { RandomStream } from "../../src/random/randomStream.js";
import {
  chiSquareUniform,
  ksCritical,
  ksStatistic,
  mean,
  variance,
} from "../support/statistics.js";

const N = 200_000;
const draws = (count: number, draw: () => number) => Array.from({ length: count }, draw);

describe("RandomStream: reproducibility and independence", () => {
  it("the same (seed, owner, stream) gives the same sequence", () => {
    const a = new RandomStream(7, "server", "service");
    const b = new RandomStream(7, "server", "service");
    expect(draws(100, () => a.next())).toEqual(draws(100, () => b.next()));
  });

  it("adding entities and streams, or drawing from them, does not shift another stream", () => {
    const first = new Simulation({ seed: 11 });
    const lone = new Entity(first, "server").random("service");
    const expected = draws(50, () => lone.next());

    const second = new Simulation({ seed: 11 });
    const noisy = new Entity(second, "noisy");
    const server = new Entity(second, "server");
    const extra = server.random("other");
    const stream = server.random("service");
    const interleaved: number[] = [];
    for (let i = 0; i < 50; i++) {
      noisy.random().next();
      extra.next();
      second.random("global").next();
      interleaved.push(stream.next());
    }
    expect(interleaved).toEqual(expected);
  });

  it("different seeds, owners or stream names give different sequences", () => {
    const base = draws(5, () => 0);
    const sequences = [
      new RandomStream(1, "a", "s"),
      new RandomStream(2, "a", "s"),
      new RandomStream(1, "b", "s"),
      new RandomStream(1, "a", "t"),
    ].map((stream) => base.map(() => stream.next()).join());
    expect(new Set(sequences).size).toBe(4);
  });
});

describe("RandomStream: distributions", () => {
  it("next() is uniform on [0, 1): range, moments, KS", () => {
    const stream = new RandomStream(1, "t", "uniform");
    const sample = draws(N, () => stream.next());
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...sample)).toBeLessThan(1);
    // Mean 1/2, sd of a draw sqrt(1/12): standard error 0.2887 / sqrt(N).
    expect(Math.abs(mean(sample) - 0.5)).toBeLessThan((5 * 0.2887) / Math.sqrt(N));
    expect(Math.abs(variance(sample) - 1 / 12)).toBeLessThan(0.002);
    expect(ksStatistic(sample, (x) => x)).toBeLessThan(ksCritical(N, 0.001));
  });

  it("uniform(low, high) has the right range and mean", () => {
    const stream = new RandomStream(2, "t", "uniform");
    const sample = draws(N, () => stream.uniform(-3, 5));
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...sample)).toBeLessThan(5);
    expect(Math.abs(mean(sample) - 1)).toBeLessThan((5 * (8 / Math.sqrt(12))) / Math.sqrt(N));
    expect(ksStatistic(sample, (x) => (x + 3) / 8)).toBeLessThan(ksCritical(N, 0.001));
  });

  it("exponential(mean): mean, variance and KS against 1 - exp(-x / mean)", () => {
    const stream = new RandomStream(3, "t", "exponential");
    const m = 0.25;
    const sample = draws(N, () => stream.exponential(m));
    // sd of an exponential equals its mean: standard error m / sqrt(N).
    expect(Math.abs(mean(sample) - m)).toBeLessThan((5 * m) / Math.sqrt(N));
    expect(Math.abs(variance(sample) / (m * m) - 1)).toBeLessThan(0.03);
    expect(ksStatistic(sample, (x) => 1 - Math.exp(-x / m))).toBeLessThan(ksCritical(N, 0.001));
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(0);
  });

  it("integer(bound) covers [0, bound) evenly (chi-square, 9 degrees of freedom)", () => {
    const stream = new RandomStream(4, "t", "integer");
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < N; i++) counts[stream.integer(10)]!++;
    // 0.999 quantile of chi-square with 9 degrees of freedom is 27.88.
    expect(chiSquareUniform(counts)).toBeLessThan(27.88);
    expect(stream.integer(1)).toBe(0);
  });

  it("bernoulli(p) hits p; pick and shuffle use every element", () => {
    const stream = new RandomStream(5, "t", "misc");
    const hits = draws(N, () => (stream.bernoulli(0.3) ? 1 : 0));
    expect(Math.abs(mean(hits) - 0.3)).toBeLessThan((5 * Math.sqrt(0.21)) / Math.sqrt(N));
    expect(stream.bernoulli(0)).toBe(false);
    expect(stream.bernoulli(1)).toBe(true);
    const picked = new Set(Array.from({ length: 1000 }, () => stream.pick(["a", "b", "c"])));
    expect([...picked].sort()).toEqual(["a", "b", "c"]);
    const shuffled = stream.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stream.nextUint32()).toBeGreaterThanOrEqual(0);
  });

  it("rejects bad arguments, naming method and parameter", () => {
    const stream = new RandomStream(6, "t", "bad");
    expect(() => stream.exponential(0)).toThrow(ConfigError);
    expect(() => stream.exponential(-1)).toThrow(/RandomStream.exponential: option "mean"/);
    expect(() => stream.exponential(Number.NaN)).toThrow(ConfigError);
    expect(() => stream.uniform(2, 1)).toThrow(/RandomStream.uniform/);
    expect(() => stream.integer(0)).toThrow(ConfigError);
    expect(() => stream.integer(2.5)).toThrow(ConfigError);
    expect(() => stream.bernoulli(1.5)).toThrow(ConfigError);
    expect(() => stream.pick([])).toThrow(ConfigError);
  });
});
