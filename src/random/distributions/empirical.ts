/**
 * Empirical: draws one of the recorded samples, each equally likely (a bootstrap). Use it to
 * replay latencies measured in production without fitting a law to them.
 */
import { ConfigError } from "../../errors/errors.js";
import { checkQuantile, type Distribution } from "./distribution.js";

export function empirical(samples: readonly number[]): Distribution {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new ConfigError(
      "dist.empirical",
      "samples",
      "a non-empty array of finite numbers",
      samples,
    );
  }
  samples.forEach((value, i) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ConfigError("dist.empirical", `samples[${i}]`, "a finite number", value);
    }
  });
  const values = Float64Array.from(samples);
  const sorted = Float64Array.from(samples).sort();
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return {
    kind: "distribution",
    description: `empirical(${values.length} samples)`,
    lowerBound: sorted[0]!,
    sample: (stream) => values[Math.floor(stream.next() * values.length)]!,
    mean: () => mean,
    percentile: (q) => {
      checkQuantile("dist.empirical", q);
      const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
      return sorted[rank]!;
    },
  };
}
