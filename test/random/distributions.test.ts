/**
 * Goal: every distribution samples the law it names, and its mean and percentiles are right.
 * Method: for each sampler, 100,000 seeded draws; the sample mean must be within 5 standard
 * errors of the theoretical mean (a correct sampler fails about once in 1.7 million runs), and
 * the Kolmogorov-Smirnov statistic against the theoretical CDF (built from the distribution's
 * own percentile function where that is exact) must be below the alpha = 0.001 critical value.
 * Discrete and resampling laws are checked by frequencies instead.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/errors.js";
import {
  bimodal,
  constant,
  type Distribution,
  empirical,
  exponential,
  gamma,
  lognormal,
  mixture,
  normal,
  pareto,
  percentileFitted,
  uniform,
  weibull,
  zipf,
} from "../../src/random/distributions/index.js";
import { ramp } from "../../src/random/profile.js";
import { RandomStream } from "../../src/random/randomStream.js";
import { ksCritical, ksStatistic, mean, variance } from "../support/statistics.js";

const N = 100_000;

function draw(distribution: Distribution, seed: number, time = 0): number[] {
  const stream = new RandomStream(seed, "test", distribution.description);
  return Array.from({ length: N }, () => distribution.sample(stream, time));
}

/** The CDF at x from an exact percentile function, by bisection on q. */
function cdfFromPercentile(distribution: Distribution, x: number): number {
  let low = 0;
  let high = 1;
  for (let i = 0; i < 60; i++) {
    const middle = (low + high) / 2;
    if (distribution.percentile(middle)! <= x) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** Mean within 5 standard errors, and (if `cdf`) KS below the 0.001 critical value. */
function expectLaw(sample: number[], theoryMean: number, sd: number, cdf?: (x: number) => number) {
  expect(Math.abs(mean(sample) - theoryMean)).toBeLessThan((5 * sd) / Math.sqrt(sample.length));
  if (cdf) expect(ksStatistic(sample, cdf)).toBeLessThan(ksCritical(sample.length, 0.001));
}

describe("closed-form distributions", () => {
  it("constant", () => {
    const d = constant(0.01);
    expect(new Set(draw(d, 1).slice(0, 100))).toEqual(new Set([0.01]));
    expect([d.mean(), d.percentile(0.99)]).toEqual([0.01, 0.01]);
  });

  it("uniform", () => {
    const d = uniform(2, 6);
    expectLaw(draw(d, 2), 4, 4 / Math.sqrt(12), (x) => (x - 2) / 4);
    expect([d.mean(), d.percentile(0.25)]).toEqual([4, 3]);
  });

  it("exponential", () => {
    const d = exponential(0.1);
    expectLaw(draw(d, 3), 0.1, 0.1, (x) => 1 - Math.exp(-x / 0.1));
    expect(d.percentile(0.5)).toBeCloseTo(0.1 * Math.LN2, 12);
  });

  it("normal, and an explicit truncation", () => {
    const d = normal({ mean: 5, sd: 2 });
    const sample = draw(d, 4);
    expectLaw(sample, 5, 2, (x) => cdfFromPercentile(d, x));
    expect(Math.abs(Math.sqrt(variance(sample)) - 2)).toBeLessThan(0.03);
    expect(d.percentile(0.975)).toBeCloseTo(5 + 2 * 1.959964, 5);
    const truncated = normal({ mean: 0.01, sd: 0.01, min: 0 });
    expect(Math.min(...draw(truncated, 5))).toBeGreaterThanOrEqual(0);
    expect(truncated.mean()).toBeUndefined();
  });

  it("lognormal", () => {
    const d = lognormal({ median: 0.05, sigma: 0.5 });
    const sd = 0.05 * Math.sqrt((Math.exp(0.25) - 1) * Math.exp(0.25));
    expectLaw(draw(d, 6), d.mean()!, sd, (x) => cdfFromPercentile(d, x));
    expect(d.mean()).toBeCloseTo(0.05 * Math.exp(0.125), 12);
    expect(d.percentile(0.5)).toBeCloseTo(0.05, 9);
  });

  it("lognormal from its mean and coefficient of variation", () => {
    const d = lognormal({ mean: 0.1, cv: 0.5 });
    const sample = draw(d, 61);
    // sigma^2 = ln(1 + cv^2); median = mean / sqrt(1 + cv^2).
    expect(d.percentile(0.5)).toBeCloseTo(0.1 / Math.sqrt(1.25), 9);
    expectLaw(sample, 0.1, 0.05, (x) => cdfFromPercentile(d, x));
    // The sample cv: its standard error is sqrt((excess kurtosis + 2) / 4n) ~ 0.42% here
    // (excess kurtosis 5.03); 5 standard errors.
    const cv = Math.sqrt(variance(sample)) / mean(sample);
    expect(Math.abs(cv / 0.5 - 1)).toBeLessThan(0.021);
    expect(d.mean()).toBe(0.1);
    // A heavy tail (cv 3): the mean still holds; the median is far below it.
    const heavy = lognormal({ mean: 0.02, cv: 3 });
    expectLaw(draw(heavy, 62), 0.02, 0.06);
    expect(heavy.percentile(0.5)).toBeCloseTo(0.02 / Math.sqrt(10), 12);
    expect(lognormal({ mean: 0.5, cv: 0 }).sample(new RandomStream(1, "a", "b"))).toBeCloseTo(
      0.5,
      12,
    );
  });

  it("lognormal through two percentiles", () => {
    const d = lognormal({ p50: 0.02, p99: 0.2 });
    expect(d.percentile(0.5)).toBeCloseTo(0.02, 9);
    expect(d.percentile(0.99)! / 0.2).toBeCloseTo(1, 8);
    const sample = draw(d, 63);
    expectLaw(sample, d.mean()!, Math.sqrt(variance(sample)), (x) => cdfFromPercentile(d, x));
    const sorted = [...sample].sort((a, b) => a - b);
    // Nearest-rank sample quantiles: within 2% at p50 and 5% at p99 (several standard errors
    // of an order statistic at n = 100,000).
    expect(Math.abs(sorted[Math.ceil(0.5 * N) - 1]! / 0.02 - 1)).toBeLessThan(0.02);
    expect(Math.abs(sorted[Math.ceil(0.99 * N) - 1]! / 0.2 - 1)).toBeLessThan(0.05);
    const other = lognormal({ p90: 0.05, p999: 0.5 });
    expect(other.percentile(0.9)! / 0.05).toBeCloseTo(1, 8);
    expect(other.percentile(0.999)! / 0.5).toBeCloseTo(1, 8);
  });

  it("lognormal refuses mixed, incomplete or out-of-order options", () => {
    const bad = (options: unknown) => () => lognormal(options as never);
    expect(bad({ median: 1, sigma: 1, cv: 1 })).toThrow(
      /one of \{ median, sigma \}, \{ mean, cv \}/,
    );
    expect(bad({})).toThrow(ConfigError);
    expect(bad({ p50: 1 })).toThrow(/exactly two percentiles/);
    expect(bad({ p50: 1, p90: 2, p99: 3 })).toThrow(/exactly two percentiles/);
    expect(bad({ p50: 1, p99: 1 })).toThrow('option "p99" must be a value above p50 (1)');
    expect(bad({ mean: 0, cv: 1 })).toThrow('option "mean" must be a finite number > 0');
    expect(bad({ mean: 1, cv: -1 })).toThrow('option "cv" must be a finite number >= 0');
    expect(bad({ mean: 1 })).toThrow(/option "cv"/);
  });

  it("lognormal from mean and cv follows profiles", () => {
    const d = lognormal({ mean: ramp({ from: 0.1, to: 0.2, start: 0, end: 10 }), cv: 0.5 });
    expect(d.mean(10)).toBe(0.2);
    expect(d.percentile(0.5, 10)).toBeCloseTo(0.2 / Math.sqrt(1.25), 9);
    expectLaw(draw(d, 64, 10), 0.2, 0.1);
  });

  it("knows the lower bound of its support where it is known", () => {
    expect(constant(-0.1).lowerBound).toBe(-0.1);
    expect(uniform(-1, 2).lowerBound).toBe(-1);
    expect(uniform(ramp({ from: 1, to: -2, start: 0, end: 1 }), 3).lowerBound).toBe(-2);
    expect(exponential(1).lowerBound).toBe(0);
    expect(normal({ mean: 1, sd: 1 }).lowerBound).toBe(Number.NEGATIVE_INFINITY);
    expect(normal({ mean: 1, sd: 1, min: 0 }).lowerBound).toBe(0);
    expect(lognormal({ median: 1, sigma: 1 }).lowerBound).toBe(0);
    expect(pareto({ scale: 2, shape: 3 }).lowerBound).toBe(2);
    expect(gamma({ shape: 2, scale: 1 }).lowerBound).toBe(0);
    expect(empirical([3, -1, 2]).lowerBound).toBe(-1);
    expect(percentileFitted({ min: 0.001, p50: 1, p90: 2, p99: 3, p999: 4 }).lowerBound).toBe(
      0.001,
    );
    expect(zipf({ population: 10, exponent: 1 }).lowerBound).toBe(1);
    expect(bimodal(constant(0.5), normal({ mean: 1, sd: 1 }), 0.1).lowerBound).toBe(
      Number.NEGATIVE_INFINITY,
    );
    expect(mixture([{ weight: 1, distribution: exponential(1) }]).lowerBound).toBe(0);
    const handWritten = { ...constant(1), lowerBound: undefined };
    expect(mixture([{ weight: 1, distribution: handWritten }]).lowerBound).toBeUndefined();
  });

  it("weibull", () => {
    const d = weibull({ shape: 1.5, scale: 2 });
    // Var = scale^2 (Gamma(1 + 2/k) - Gamma(1 + 1/k)^2); Gamma(2.333..) = 1.190639, Gamma(1.666..) = 0.902745.
    const sd = 2 * Math.sqrt(1.190639 - 0.902745 ** 2);
    expectLaw(draw(d, 7), 2 * 0.902745, sd, (x) => 1 - Math.exp(-((x / 2) ** 1.5)));
    expect(d.mean()).toBeCloseTo(2 * 0.9027452929509336, 9);
  });

  it("pareto", () => {
    const d = pareto({ scale: 1, shape: 3 });
    // Mean 1.5, variance 3 / ((3-1)^2 (3-2)) = 0.75.
    expectLaw(draw(d, 8), 1.5, Math.sqrt(0.75), (x) => (x < 1 ? 0 : 1 - x ** -3));
    expect(pareto({ scale: 1, shape: 1 }).mean()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("gamma", () => {
  for (const shape of [0.5, 1, 2.5, 9]) {
    it(`shape ${shape}: mean and variance`, () => {
      const d = gamma({ shape, scale: 0.2 });
      const sample = draw(d, 9 + shape);
      expectLaw(sample, shape * 0.2, Math.sqrt(shape) * 0.2);
      expect(Math.abs(variance(sample) / (shape * 0.04) - 1)).toBeLessThan(0.05);
    });
  }
  it("shape 1 is exponential (KS)", () => {
    const sample = draw(gamma({ shape: 1, scale: 0.5 }), 10);
    expect(ksStatistic(sample, (x) => 1 - Math.exp(-x / 0.5))).toBeLessThan(ksCritical(N, 0.001));
  });
});

describe("zipf", () => {
  it("rank frequencies follow 1 / r^s", () => {
    const d = zipf({ population: 100, exponent: 1 });
    const sample = draw(d, 11);
    const harmonic = Array.from({ length: 100 }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b);
    for (const rank of [1, 2, 10]) {
      const p = 1 / rank / harmonic;
      const observed = sample.filter((r) => r === rank).length / N;
      expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    expect(Math.min(...sample)).toBe(1);
    expect(Math.max(...sample)).toBeLessThanOrEqual(100);
    expect(Math.abs(mean(sample) - d.mean()!)).toBeLessThan(0.5);
    expect(d.percentile(0)).toBe(1);
    expect(zipf({ population: 5, exponent: 0 }).percentile(0.4)).toBe(2);
  });
  it("refuses a bad population or exponent", () => {
    expect(() => zipf({ population: 0, exponent: 1 })).toThrow(ConfigError);
    expect(() => zipf({ population: 1e8, exponent: 1 })).toThrow(/population/);
    expect(() => zipf({ population: 10, exponent: -1 })).toThrow(/exponent/);
  });
});

describe("empirical", () => {
  it("resamples the recorded values equally often", () => {
    const d = empirical([1, 2, 2, 10]);
    const sample = draw(d, 12);
    expect(Math.abs(sample.filter((v) => v === 2).length / N - 0.5)).toBeLessThan(0.01);
    expect(d.mean()).toBe(3.75);
    expect([d.percentile(0.5), d.percentile(1)]).toEqual([2, 10]);
    expect(() => empirical([])).toThrow(ConfigError);
    expect(() => empirical([1, Number.NaN])).toThrow(/samples\[1\]/);
  });
});

describe("percentileFitted", () => {
  const observed = { p50: 0.02, p90: 0.05, p99: 0.3, p999: 1.2 };

  it("reproduces each given percentile within 2%, which a single exponential cannot", () => {
    const d = percentileFitted(observed);
    const sorted = draw(d, 13).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.ceil(q * N) - 1]!;
    for (const [q, value] of [
      [0.5, 0.02],
      [0.9, 0.05],
      [0.99, 0.3],
      [0.999, 1.2],
    ] as const) {
      expect(d.percentile(q)).toBeCloseTo(value, 12);
      expect(Math.abs(at(q) / value - 1)).toBeLessThan(0.02 + (q === 0.999 ? 0.06 : 0)); // p999 from 100k draws has ~5% sampling error
    }
    // The best single exponential (matching p50) misses p99 by far more than 2%.
    const single = exponential(0.02 / Math.LN2);
    expect(Math.abs(single.percentile(0.99)! / 0.3 - 1)).toBeGreaterThan(0.3);
  });

  it("has an exponential tail beyond the last percentile and a finite mean", () => {
    const d = percentileFitted(observed);
    expect(d.percentile(0.9999)!).toBeGreaterThan(1.2);
    expect(d.percentile(1)).toBe(Number.POSITIVE_INFINITY);
    expectLaw(draw(d, 14), d.mean()!, 0.25);
  });

  it("rejects percentiles that do not increase", () => {
    expect(() => percentileFitted({ p50: 0.02, p90: 0.01, p99: 0.3, p999: 1 })).toThrow(
      /"p90" must be a value above the previous percentile \(0.02\)/,
    );
    expect(() => percentileFitted({ p50: -1, p90: 1, p99: 2, p999: 3 })).toThrow(ConfigError);
  });
});

describe("mixtures", () => {
  it("bimodal mixes by weight", () => {
    const d = bimodal(constant(1), constant(100), 0.1);
    const sample = draw(d, 15);
    expect(Math.abs(sample.filter((v) => v === 100).length / N - 0.1)).toBeLessThan(0.005);
    expect(d.mean()).toBeCloseTo(10.9, 12);
    expect(() => bimodal(constant(1), constant(2), 1)).toThrow(ConfigError);
    expect(() => mixture([{ weight: 0, distribution: constant(1) }])).toThrow(/weight/);
    expect(() => mixture([{ weight: 1, distribution: 3 as never }])).toThrow(/distribution/);
  });
});

describe("time-varying parameters", () => {
  it("sample and mean read the profile at the given time", () => {
    const d = exponential(ramp({ from: 0.01, to: 0.1, start: 0, end: 100 }));
    expect(d.mean(0)).toBe(0.01);
    expect(d.mean(100)).toBe(0.1);
    expectLaw(draw(d, 16, 50), 0.055, 0.055);
  });

  it("refuses a profile that leaves the parameter's range at any time", () => {
    expect(() => exponential(ramp({ from: 1, to: 0, start: 0, end: 1 }))).toThrow(/at all times/);
    expect(() => uniform(5, 1)).toThrow(ConfigError);
    expect(() => lognormal({ median: 0, sigma: 1 })).toThrow(ConfigError);
  });
});
