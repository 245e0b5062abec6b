/**
 * Zipf over a finite population: rank r in 1..n with probability proportional to 1 / r^s.
 * Models hot keys: with s near 1 a few keys take most of the traffic. Sampled by inverse CDF
 * over a precomputed table (8 bytes per rank; n is limited to 10,000,000 to keep that bounded)
 * with binary search, so each draw is one uniform and O(log n).
 */
import { ConfigError } from "../../errors/errors.js";
import { pow } from "../portableMath.js";
import { checkQuantile, type Distribution } from "./distribution.js";

export const MAX_ZIPF_POPULATION = 10_000_000;

export function zipf(options: { population: number; exponent: number }): Distribution {
  const n = options?.population;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ZIPF_POPULATION) {
    throw new ConfigError(
      "dist.zipf",
      "population",
      `an integer in [1, ${MAX_ZIPF_POPULATION}]`,
      n,
    );
  }
  const s = options.exponent;
  if (typeof s !== "number" || !(s >= 0) || !Number.isFinite(s)) {
    throw new ConfigError("dist.zipf", "exponent", "a finite number >= 0", s);
  }
  const cdf = new Float64Array(n);
  let total = 0;
  let weightedTotal = 0;
  for (let r = 1; r <= n; r++) {
    const weight = pow(r, -s);
    total += weight;
    weightedTotal += r * weight;
    cdf[r - 1] = total;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= total;
  cdf[n - 1] = 1;
  /** Smallest rank whose CDF reaches u. */
  const rankAt = (u: number) => {
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cdf[middle]! > u) high = middle;
      else low = middle + 1;
    }
    return low + 1;
  };
  const mean = weightedTotal / total;
  return {
    kind: "distribution",
    description: `zipf(population ${n}, exponent ${s})`,
    lowerBound: 1,
    sample: (stream) => rankAt(stream.next()),
    mean: () => mean,
    percentile: (q) => {
      checkQuantile("dist.zipf", q);
      // Nearest rank: the smallest r with P(X <= r) >= q.
      let low = 0;
      let high = n - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (cdf[middle]! >= q) high = middle;
        else low = middle + 1;
      }
      return low + 1;
    },
  };
}
