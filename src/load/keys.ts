/**
 * Key generators: which key a request touches. Stores behave very differently under uniform
 * access and under skew (a hot partition, a cache that fits the hot set), so the workload's
 * key distribution is a first-class choice. Each generator is a description; `begin(stream)`
 * starts one, drawing from the caller's stream. Keys are integers in [0, population).
 */
import { ConfigError } from "../errors/errors.js";
import { zipf as zipfDistribution } from "../random/distributions/zipf.js";
import type { RandomStream } from "../random/randomStream.js";

export interface KeyGenerator {
  readonly kind: "keys";
  readonly description: string;
  readonly population: number;
  /** Starts a generator drawing from `stream`; each call returns the next key. */
  begin(stream: RandomStream): () => number;
}

function checkPopulation(api: string, population: unknown): number {
  if (!Number.isSafeInteger(population) || (population as number) < 1) {
    throw new ConfigError(api, "population", "an integer >= 1", population);
  }
  return population as number;
}

/** Every key equally likely. */
export function uniform(population: number): KeyGenerator {
  const n = checkPopulation("keys.uniform", population);
  return {
    kind: "keys",
    description: `uniform over ${n} keys`,
    population: n,
    begin: (stream) => () => Math.floor(stream.next() * n),
  };
}

/** Key k (0-based) with probability proportional to 1 / (k + 1)^exponent: a few hot keys. */
export function zipf(population: number, exponent = 1): KeyGenerator {
  const n = checkPopulation("keys.zipf", population);
  const ranks = zipfDistribution({ population: n, exponent });
  return {
    kind: "keys",
    description: `zipf(${exponent}) over ${n} keys`,
    population: n,
    begin: (stream) => () => ranks.sample(stream) - 1,
  };
}

/**
 * A hot set: with probability `hotProbability` one of the first `hotKeys` keys, otherwise one
 * of the rest, each uniformly ("20% of keys get 80% of traffic" is hotKeys = 0.2 n,
 * hotProbability = 0.8).
 */
export function hotspot(options: {
  population: number;
  hotKeys: number;
  hotProbability: number;
}): KeyGenerator {
  const n = checkPopulation("keys.hotspot", options?.population);
  const hot = options.hotKeys;
  if (!Number.isSafeInteger(hot) || hot < 1 || hot >= n) {
    throw new ConfigError("keys.hotspot", "hotKeys", `an integer in [1, population (${n}))`, hot);
  }
  const p = options.hotProbability;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new ConfigError("keys.hotspot", "hotProbability", "a probability in [0, 1]", p);
  }
  return {
    kind: "keys",
    description: `hotspot: ${hot} of ${n} keys get ${p * 100}% of requests`,
    population: n,
    begin: (stream) => () =>
      stream.next() < p
        ? Math.floor(stream.next() * hot)
        : hot + Math.floor(stream.next() * (n - hot)),
  };
}

/** 0, 1, 2, ... wrapping around at the population (a scan, a bulk load). */
export function sequential(population: number, start = 0): KeyGenerator {
  const n = checkPopulation("keys.sequential", population);
  if (!Number.isSafeInteger(start) || start < 0 || start >= n) {
    throw new ConfigError(
      "keys.sequential",
      "start",
      `an integer in [0, population (${n}))`,
      start,
    );
  }
  return {
    kind: "keys",
    description: `sequential over ${n} keys from ${start}`,
    population: n,
    begin: () => {
      let next = start;
      return () => {
        const key = next;
        next = next + 1 === n ? 0 : next + 1;
        return key;
      };
    },
  };
}
