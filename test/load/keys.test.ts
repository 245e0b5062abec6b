/**
 * Goal: key generators stay in [0, population) and produce the skew they describe.
 * Method: frequencies over 100,000 seeded draws, with 5-standard-error bounds.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/errors.js";
import { hotspot, sequential, uniform, zipf } from "../../src/load/keys.js";
import { RandomStream } from "../../src/random/randomStream.js";

const N = 100_000;
const draw = (generator: { begin: (s: RandomStream) => () => number }, seed = 1) => {
  const next = generator.begin(new RandomStream(seed, "keys", "test"));
  return Array.from({ length: N }, next);
};
const within = (observed: number, p: number) =>
  expect(Math.abs(observed / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));

describe("key generators", () => {
  it("uniform covers the population evenly", () => {
    const keys = draw(uniform(10));
    expect(Math.min(...keys)).toBe(0);
    expect(Math.max(...keys)).toBe(9);
    within(keys.filter((k) => k === 3).length, 0.1);
  });

  it("zipf makes key 0 the hottest", () => {
    const keys = draw(zipf(1000, 1));
    const harmonic = Array.from({ length: 1000 }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b);
    within(keys.filter((k) => k === 0).length, 1 / harmonic);
    expect(Math.max(...keys)).toBeLessThan(1000);
  });

  it("hotspot sends hotProbability of requests to the hot keys", () => {
    const keys = draw(hotspot({ population: 1000, hotKeys: 200, hotProbability: 0.8 }));
    within(keys.filter((k) => k < 200).length, 0.8);
    expect(Math.max(...keys)).toBeLessThan(1000);
  });

  it("sequential wraps around", () => {
    const next = sequential(3, 1).begin(new RandomStream(1, "k", "s"));
    expect([next(), next(), next(), next()]).toEqual([1, 2, 0, 1]);
  });

  it("refuses bad options", () => {
    expect(() => uniform(0)).toThrow(ConfigError);
    expect(() => hotspot({ population: 10, hotKeys: 10, hotProbability: 0.5 })).toThrow(/hotKeys/);
    expect(() => hotspot({ population: 10, hotKeys: 2, hotProbability: 2 })).toThrow(
      /hotProbability/,
    );
    expect(() => sequential(5, 5)).toThrow(/start/);
  });
});
