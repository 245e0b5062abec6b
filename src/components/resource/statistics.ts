/**
 * Shared by the components built on `SlotPool`, so every server reports its station the same
 * way: the time averages and mean times of a queueing station, and the flat percentile
 * metrics of a histogram, named `p50Wait`, `p90Wait`, `p99Wait`, `p999Wait` (0 while it is
 * empty), and counts by reason (drops, refusals) flattened into metrics the same way.
 */
import type { Histogram } from "../../metrics/histogram.js";
import type { SlotPool } from "./slotPool.js";

/** A station's time averages and mean times, in the order servers report them. */
export function stationStats<T>(slots: SlotPool<T>, sojourn: Histogram) {
  const wait = slots.waitTime;
  const meanQueued = slots.meanQueued;
  return {
    utilization: slots.utilization,
    meanQueued,
    meanInSystem: slots.meanActive + meanQueued,
    probabilityOfWaiting: slots.probabilityOfWaiting,
    meanWait: wait.count > 0 ? wait.mean : 0,
    meanSojourn: sojourn.count > 0 ? sojourn.mean : 0,
  };
}

export function percentiles(suffix: string, histogram: Histogram): Record<string, number> {
  const empty = histogram.count === 0;
  return {
    [`p50${suffix}`]: empty ? 0 : histogram.p50,
    [`p90${suffix}`]: empty ? 0 : histogram.p90,
    [`p99${suffix}`]: empty ? 0 : histogram.p99,
    [`p999${suffix}`]: empty ? 0 : histogram.p999,
  };
}

/** An operation's latency as flat metrics: `mean<op>Latency` and its percentiles (0 when empty). */
export function latencyMetrics(operation: string, histogram: Histogram): Record<string, number> {
  return {
    [`mean${operation}Latency`]: histogram.count > 0 ? histogram.mean : 0,
    ...percentiles(`${operation}Latency`, histogram),
  };
}

/**
 * A queue policy's drops by reason as flat metrics (`dropped.codel`, `dropped.deadline`): none
 * under FIFO or LIFO, which never drop. Each is also counted in the owner's `rejected`.
 */
export function dropsByReason(drops: Readonly<Record<string, number>>): Record<string, number> {
  return flatReasons("dropped", drops);
}

/** Counts by reason as flat metrics `prefix.reason`, reasons sorted (so the order is fixed). */
export function flatReasons(
  prefix: string,
  counts: Readonly<Record<string, number>>,
): Record<string, number> {
  const flat: Record<string, number> = {};
  for (const reason of Object.keys(counts).sort()) flat[`${prefix}.${reason}`] = counts[reason]!;
  return flat;
}

/**
 * An empty record of counts by reason. It has no prototype: a queue policy's reason may be any
 * string, "constructor" or "__proto__" too, and must count like any other.
 */
export function reasonCounts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** Adds one to `reason` in `counts` (made by `reasonCounts`). */
export function countReason(counts: Record<string, number>, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}
