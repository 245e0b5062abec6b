/**
 * A distribution fitted to observed percentiles (p50, p90, p99, p999, optionally p9999), the
 * numbers a latency dashboard shows. It passes through every given percentile exactly: the
 * inverse CDF is linear between them (from `min` at q = 0), and beyond the last one the tail
 * is exponential with the log-survival slope of the last interval, so the tail keeps going
 * rather than stopping at p999. A single exponential cannot do this: its p99/p50 ratio is fixed
 * at 6.64, while real services show 3 or 30.
 */
import { ConfigError } from "../../errors/errors.js";
import { log } from "../portableMath.js";
import { checkQuantile, type Distribution } from "./distribution.js";

export interface FittedPercentiles {
  /** Value at or below which the distribution starts (q = 0). Default 0. */
  min?: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999?: number;
}

export function percentileFitted(percentiles: FittedPercentiles): Distribution {
  const api = "dist.percentileFitted";
  const given: [string, number, unknown][] = [
    ["min", 0, percentiles?.min ?? 0],
    ["p50", 0.5, percentiles.p50],
    ["p90", 0.9, percentiles.p90],
    ["p99", 0.99, percentiles.p99],
    ["p999", 0.999, percentiles.p999],
  ];
  if (percentiles.p9999 !== undefined) given.push(["p9999", 0.9999, percentiles.p9999]);
  const qs: number[] = [];
  const vs: number[] = [];
  for (const [name, q, value] of given) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(api, name, "a finite number >= 0", value);
    }
    const previous = vs[vs.length - 1];
    if (previous !== undefined && !(value > previous)) {
      throw new ConfigError(
        api,
        name,
        `a value above the previous percentile (${previous}); percentiles must increase`,
        value,
      );
    }
    qs.push(q);
    vs.push(value);
  }
  const last = qs.length - 1;
  const tailQ = qs[last]!;
  const tailV = vs[last]!;
  // Exponential tail scale: the last interval's drop in log-survival, per unit of value.
  const tailScale = (tailV - vs[last - 1]!) / log((1 - qs[last - 1]!) / (1 - tailQ));

  const inverse = (u: number): number => {
    if (u >= tailQ) return tailV + tailScale * log((1 - tailQ) / (1 - u));
    let i = 0;
    while (u >= qs[i + 1]!) i++;
    return vs[i]! + ((vs[i + 1]! - vs[i]!) * (u - qs[i]!)) / (qs[i + 1]! - qs[i]!);
  };

  let mean = (1 - tailQ) * (tailV + tailScale);
  for (let i = 0; i < last; i++) mean += ((qs[i + 1]! - qs[i]!) * (vs[i]! + vs[i + 1]!)) / 2;

  return {
    kind: "distribution",
    description: `percentileFitted(p50 ${percentiles.p50}, p99 ${percentiles.p99}, p999 ${percentiles.p999})`,
    lowerBound: vs[0]!,
    sample: (stream) => inverse(stream.next()),
    mean: () => mean,
    percentile: (q) => {
      checkQuantile(api, q);
      return q === 1 ? Number.POSITIVE_INFINITY : inverse(q);
    },
  };
}
