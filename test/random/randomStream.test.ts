/**
 * Goal: random streams are reproducible (same seed, owner and stream name: same sequence),
 * independent (adding entities or streams, or drawing from them, never shifts another stream;
 * different names or seeds give different sequences), and draw from the distributions they
 * claim. Bad arguments throw a ConfigError naming the method and the parameter.
 * Method: sequences compared across simulations that differ in what else exists. Distributions
 * are checked on fixed seeds with N = 200,000 draws:
 * - means within 5 standard errors (a correct sampler fails about once in 1.7 million runs);
 *   variances within 5 standard errors of the sample variance, sqrt((mu4 - sigma^4) / N);
 * - one-sample Kolmogorov-Smirnov at alpha = 0.001: D_N < 1.9495 / sqrt(N) (the asymptotic
 *   critical value sqrt(-ln(alpha / 2) / 2) / sqrt(N); N is large enough for it to be exact
 *   to three digits). The statistic is computed here, in test/support/statistics.ts;
 * - chi-square against equal counts below the 0.999 quantile for the degrees of freedom.
 * The statistics helpers are themselves checked on samples with known answers, including one
 * that must fail, so the tolerances are not vacuous.
 */
import { describe, expect, it } from "vitest";
import { Entity } from "../../src/core/entity.js";
import { Simulation } from "../../src/core/simulation.js";
import { ConfigError } from "../../src/errors/errors.js";
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
/** Five standard errors of a sample mean of N draws with standard deviation `sd`. */
const fiveSe = (sd: number) => (5 * sd) / Math.sqrt(N);
/** 0.999 quantiles of chi-square (scipy.stats.chi2.ppf(0.999, df)). */
const CHI2_999: Record<number, number> = { 2: 13.816, 6: 22.458, 9: 27.877 };

function countsOf(bound: number, draw: () => number): number[] {
  const counts = new Array<number>(bound).fill(0);
  for (let i = 0; i < N; i++) counts[draw()]!++;
  return counts;
}

function rangeOf(sample: readonly number[]): [number, number] {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const x of sample) {
    if (x < low) low = x;
    if (x > high) high = x;
  }
  return [low, high];
}

describe("RandomStream: reproducibility", () => {
  it("the same (seed, owner, stream) gives the same sequence", () => {
    const a = new RandomStream(7, "server", "service");
    const b = new RandomStream(7, "server", "service");
    expect(draws(1000, () => a.next())).toEqual(draws(1000, () => b.next()));
  });

  it("an entity's stream is the same in two simulations of one seed", () => {
    const first = new Entity(new Simulation({ seed: 5 }), "server").random("service");
    const second = new Entity(new Simulation({ seed: 5 }), "server").random("service");
    expect(draws(100, () => first.exponential(1))).toEqual(draws(100, () => second.exponential(1)));
  });

  it("is pinned: golden first draws of one stream (computed once, pasted in)", () => {
    const stream = new RandomStream(42, "server", "service");
    const firstDraws = draws(3, () => stream.nextUint32());
    expect(firstDraws).toEqual(GOLDEN_UINT32);
  });
});

describe("RandomStream: independence", () => {
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

  it("does not depend on when the stream is created", () => {
    const early = new Simulation({ seed: 3 });
    const earlyStream = new Entity(early, "e").random("s");
    const late = new Simulation({ seed: 3 });
    const e = new Entity(late, "e");
    for (let i = 0; i < 100; i++) e.random("other").next();
    expect(draws(20, () => e.random("s").next())).toEqual(draws(20, () => earlyStream.next()));
  });

  it("different seeds, owners or stream names give different sequences", () => {
    const sequences = [
      new RandomStream(1, "a", "s"),
      new RandomStream(2, "a", "s"),
      new RandomStream(2 ** 32 + 1, "a", "s"), // the high half of the seed counts too
      new RandomStream(1, "b", "s"),
      new RandomStream(1, "a", "t"),
      new RandomStream(1, "", "a/s"),
    ].map((stream) => draws(5, () => stream.next()).join());
    expect(new Set(sequences).size).toBe(sequences.length);
  });

  it("owner and stream names cannot run into each other", () => {
    const one = new RandomStream(1, "ab", "c");
    const two = new RandomStream(1, "a", "bc");
    expect(one.next()).not.toBe(two.next());
  });

  it("streams of neighbouring seeds are uncorrelated", () => {
    const a = new RandomStream(100, "e", "s");
    const b = new RandomStream(101, "e", "s");
    const xs = draws(N, () => a.next());
    const ys = draws(N, () => b.next());
    let covariance = 0;
    for (let i = 0; i < N; i++) covariance += (xs[i]! - 0.5) * (ys[i]! - 0.5);
    const correlation = covariance / N / (1 / 12);
    // Under independence the sample correlation has standard error 1 / sqrt(N).
    expect(Math.abs(correlation)).toBeLessThan(5 / Math.sqrt(N));
  });
});

describe("the statistics helpers have power", () => {
  it("ksStatistic of the midpoint grid is 1 / (2n)", () => {
    const n = 1000;
    const grid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    expect(ksStatistic(grid, (x) => x)).toBeCloseTo(1 / (2 * n), 12);
  });

  it("the KS test rejects a uniform sample squeezed by 1%", () => {
    const stream = new RandomStream(1, "t", "power");
    const squeezed = draws(N, () => 0.99 * stream.next());
    expect(ksStatistic(squeezed, (x) => x)).toBeGreaterThan(ksCritical(N, 0.001));
  });

  it("the chi-square test rejects counts with one value 5% too frequent", () => {
    const counts = Array.from({ length: 10 }, (_, i) => (i === 0 ? 21_000 : 19_889));
    expect(chiSquareUniform(counts)).toBeGreaterThan(CHI2_999[9]!);
  });
});

describe("RandomStream.next", () => {
  const stream = new RandomStream(1, "t", "uniform");
  const sample = draws(N, () => stream.next());

  it("lies in [0, 1)", () => {
    const [low, high] = rangeOf(sample);
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThan(1);
  });

  it("has more than 32 bits of resolution", () => {
    expect(sample.some((x) => !Number.isInteger(x * 2 ** 32))).toBe(true);
  });

  it("has mean 1/2 and variance 1/12", () => {
    // sd of a draw sqrt(1/12); sd of (U - 1/2)^2 is sqrt(1/80 - 1/144) = sqrt(1/180).
    expect(Math.abs(mean(sample) - 0.5)).toBeLessThan(fiveSe(Math.sqrt(1 / 12)));
    expect(Math.abs(variance(sample) - 1 / 12)).toBeLessThan(fiveSe(Math.sqrt(1 / 180)));
  });

  it("passes Kolmogorov-Smirnov against U(0, 1) at alpha = 0.001", () => {
    expect(ksStatistic(sample, (x) => x)).toBeLessThan(ksCritical(N, 0.001));
  });
});

describe("RandomStream.uniform", () => {
  const low = -3;
  const high = 5;
  const width = high - low;
  const stream = new RandomStream(2, "t", "uniform");
  const sample = draws(N, () => stream.uniform(low, high));

  it("lies in [low, high)", () => {
    const [min, max] = rangeOf(sample);
    expect(min).toBeGreaterThanOrEqual(low);
    expect(max).toBeLessThan(high);
  });

  it("has mean (low + high) / 2 and variance (high - low)^2 / 12", () => {
    expect(Math.abs(mean(sample) - 1)).toBeLessThan(fiveSe(width / Math.sqrt(12)));
    expect(Math.abs(variance(sample) - width ** 2 / 12)).toBeLessThan(
      fiveSe(width ** 2 * Math.sqrt(1 / 180)),
    );
  });

  it("passes Kolmogorov-Smirnov against its CDF at alpha = 0.001", () => {
    expect(ksStatistic(sample, (x) => (x - low) / width)).toBeLessThan(ksCritical(N, 0.001));
  });

  it("uniform(x, x) is x", () => {
    expect(new RandomStream(2, "t", "point").uniform(4, 4)).toBe(4);
  });
});

describe("RandomStream.exponential", () => {
  const m = 0.25;
  const stream = new RandomStream(3, "t", "exponential");
  const sample = draws(N, () => stream.exponential(m));

  it("is finite and non-negative", () => {
    const [min, max] = rangeOf(sample);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(max)).toBe(true);
  });

  it("has the given mean, within 5 standard errors (sd = mean: 5 * 0.25 / sqrt(200000))", () => {
    expect(Math.abs(mean(sample) - m)).toBeLessThan(fiveSe(m));
  });

  it("has variance mean^2", () => {
    // Central fourth moment 9 m^4, so the sd of (X - m)^2 is sqrt(9 - 1) m^2.
    expect(Math.abs(variance(sample) - m * m)).toBeLessThan(fiveSe(Math.sqrt(8) * m * m));
  });

  it("passes Kolmogorov-Smirnov against 1 - exp(-x / mean) at alpha = 0.001", () => {
    expect(ksStatistic(sample, (x) => 1 - Math.exp(-x / m))).toBeLessThan(ksCritical(N, 0.001));
  });
});

describe("RandomStream.integer", () => {
  it("covers [0, 10) evenly: chi-square with 9 degrees of freedom below 27.877", () => {
    const stream = new RandomStream(4, "t", "integer");
    const counts = countsOf(10, () => stream.integer(10));
    expect(chiSquareUniform(counts)).toBeLessThan(CHI2_999[9]!);
  });

  it("covers [0, 7) evenly: chi-square with 6 degrees of freedom below 22.458", () => {
    const stream = new RandomStream(4, "t", "seven");
    const counts = countsOf(7, () => stream.integer(7));
    expect(chiSquareUniform(counts)).toBeLessThan(CHI2_999[6]!);
  });

  it("returns integers in [0, bound), up to bound 2^53", () => {
    const stream = new RandomStream(4, "t", "big");
    expect(stream.integer(1)).toBe(0);
    for (const bound of [2, 1e9, 2 ** 53]) {
      for (let i = 0; i < 1000; i++) {
        const value = stream.integer(bound);
        expect(Number.isInteger(value) && value >= 0 && value < bound).toBe(true);
      }
    }
  });
});

describe("RandomStream: other draws", () => {
  it("nextUint32 is an integer in [0, 2^32) and uses the top bit", () => {
    const stream = new RandomStream(5, "t", "uint");
    const sample = draws(1000, () => stream.nextUint32());
    expect(sample.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    expect(sample.some((x) => x >= 2 ** 31)).toBe(true);
  });

  it("bernoulli(p) is true with probability p", () => {
    const stream = new RandomStream(5, "t", "bernoulli");
    const hits = draws(N, () => (stream.bernoulli(0.3) ? 1 : 0));
    expect(Math.abs(mean(hits) - 0.3)).toBeLessThan(fiveSe(Math.sqrt(0.3 * 0.7)));
  });

  it("bernoulli(0) is never true and bernoulli(1) always", () => {
    const stream = new RandomStream(5, "t", "edges");
    for (let i = 0; i < 1000; i++) {
      expect(stream.bernoulli(0)).toBe(false);
      expect(stream.bernoulli(1)).toBe(true);
    }
  });

  it("pick chooses each element equally often (chi-square, 2 degrees of freedom)", () => {
    const stream = new RandomStream(5, "t", "pick");
    const items = [0, 1, 2] as const;
    expect(chiSquareUniform(countsOf(3, () => stream.pick(items)))).toBeLessThan(CHI2_999[2]!);
  });

  it("shuffle returns the same array, permuted, with every element kept", () => {
    const stream = new RandomStream(5, "t", "shuffle");
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = stream.shuffle(items);
    expect(shuffled).toBe(items);
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("shuffle puts each element in each position equally often", () => {
    // 4 elements x 4 positions; each of the 4 counts for element 0 is chi-square tested.
    const stream = new RandomStream(5, "t", "positions");
    const counts = countsOf(4, () => stream.shuffle([0, 1, 2, 3]).indexOf(0));
    expect(chiSquareUniform(counts)).toBeLessThan(16.266); // chi2.ppf(0.999, 3)
  });
});

describe("RandomStream: bad arguments", () => {
  /** The ConfigError `action` throws. */
  function configError(action: () => unknown): ConfigError {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error("expected a ConfigError");
  }
  const stream = new RandomStream(6, "t", "bad");

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("exponential(%s) names mean", (bad) => {
    expect(configError(() => stream.exponential(bad))).toMatchObject({
      component: "RandomStream.exponential",
      parameter: "mean",
    });
  });

  it.each([
    [2, 1],
    [0, Number.POSITIVE_INFINITY],
    [0, Number.NaN],
  ])("uniform(%s, %s) names high", (low, high) => {
    expect(configError(() => stream.uniform(low, high))).toMatchObject({
      component: "RandomStream.uniform",
      parameter: "high",
    });
  });

  it.each([0, -1, 2.5, Number.NaN, 2 ** 53 + 2])("integer(%s) names bound", (bad) => {
    const error = configError(() => stream.integer(bad));
    expect(error.parameter).toBe("bound");
    expect(error.message).toMatch(/^RandomStream.integer: option "bound" must be an integer/);
  });

  it.each([-0.1, 1.5, Number.NaN])("bernoulli(%s) names probability", (bad) => {
    expect(configError(() => stream.bernoulli(bad)).parameter).toBe("probability");
  });

  it("pick([]) names items", () => {
    expect(configError(() => stream.pick([])).parameter).toBe("items");
  });
});

const GOLDEN_UINT32 = [3362148192, 2066446992, 824284210];
