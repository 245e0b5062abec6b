/**
 * Shared by the components built on `SlotPool`: the flat percentile metrics of a histogram,
 * named `p50Wait`, `p90Wait`, `p99Wait`, `p999Wait` (0 while it is empty), so every server
 * reports its wait and sojourn times the same way.
 */
import type { Histogram } from "../../metrics/histogram.js";

export function percentiles(suffix: string, histogram: Histogram): Record<string, number> {
  const empty = histogram.count === 0;
  return {
    [`p50${suffix}`]: empty ? 0 : histogram.p50,
    [`p90${suffix}`]: empty ? 0 : histogram.p90,
    [`p99${suffix}`]: empty ? 0 : histogram.p99,
    [`p999${suffix}`]: empty ? 0 : histogram.p999,
  };
}
