/**
 * The admission policies behind `RateLimiter` and the rate meters (ratePolicy.ts), in the units
 * they decide in: amounts in millionths of a request (`UNIT` per request of cost 1), times in
 * nanoseconds, so that every decision is exact. This file holds the interface and the window
 * policies; the buckets are in bucketPolicies.ts.
 *
 * The window policies count what was admitted in windows of simulated time. The fixed window and
 * the sliding window counter use a fixed grid of windows (edges at whole multiples of the window
 * from time 0); the sliding window log keeps the time of each admission and slides exactly.
 */

/** Amounts are counted in millionths: a cost of 0.5 or a rate of 0.1/s stays exact. */
export const UNIT = 1_000_000;
/**
 * The most a bucket or a window can hold, in whole tokens or requests: counted in millionths,
 * anything larger would pass 2^53 and stop being exact.
 */
export const MAX_TOKENS = Math.floor(Number.MAX_SAFE_INTEGER / UNIT);

/** Millionths of `amount`, at least one. */
export function toUnits(amount: number): number {
  return Math.max(1, Math.round(amount * UNIT));
}

/** Decides, at one instant, whether `cost` more fits, and counts it if so. */
export interface AdmissionPolicy {
  /** Takes `cost` units at `nowNs` if they fit; false (and nothing counted) otherwise. */
  tryTake(nowNs: number, cost: number): boolean;
  /** Units that would still fit at `nowNs`. */
  remaining(nowNs: number): number;
  /**
   * The first nanosecond at or after `nowNs` at which `cost` units fit if nothing else is taken
   * meanwhile: `nowNs` if they fit now, Infinity if they never will, NaN if this policy cannot
   * say (its answer would be an estimate's, not a guarantee).
   */
  readyAtNs(nowNs: number, cost: number): number;
  /** Back to the starting state (a recovered limiter starts afresh, as a restarted one). */
  reset(nowNs: number): void;
}

/**
 * Forgives float error far below one unit in the sliding estimate, so that an estimate which is
 * exactly the limit on paper is not refused for its last bit.
 */
const FLOAT_SLACK = 1e-6;

/** Counts per window: `index` is the current window's, `current` what it admitted. */
abstract class WindowCounts implements AdmissionPolicy {
  protected index = 0;
  protected current = 0;
  protected previous = 0;

  constructor(
    protected readonly limitUnits: number,
    protected readonly windowNs: number,
  ) {}

  /** Moves the counts to the window holding `nowNs`. */
  protected roll(nowNs: number): void {
    const index = Math.floor(nowNs / this.windowNs);
    if (index === this.index) return;
    this.previous = index === this.index + 1 ? this.current : 0;
    this.current = 0;
    this.index = index;
  }

  /** Units counted against the limit at `nowNs` (after `roll`). */
  protected abstract used(nowNs: number): number;

  tryTake(nowNs: number, cost: number): boolean {
    this.roll(nowNs);
    if (this.used(nowNs) + cost > this.limitUnits + FLOAT_SLACK) return false;
    this.current += cost;
    return true;
  }

  remaining(nowNs: number): number {
    this.roll(nowNs);
    return Math.max(0, this.limitUnits - this.used(nowNs));
  }

  abstract readyAtNs(nowNs: number, cost: number): number;

  reset(): void {
    this.index = 0;
    this.current = 0;
    this.previous = 0;
  }
}

/**
 * At most `limit` per window, the count starting from zero at each edge. Its known weakness is
 * kept, not hidden: a full window's worth just before an edge and another just after it is
 * twice the limit within an instant. It can say when `cost` fits: now, or at the next edge.
 */
export class FixedWindow extends WindowCounts {
  protected used(): number {
    return this.current;
  }

  readyAtNs(nowNs: number, cost: number): number {
    if (cost > this.limitUnits) return Number.POSITIVE_INFINITY;
    this.roll(nowNs);
    if (this.current + cost <= this.limitUnits + FLOAT_SLACK) return nowNs;
    return (this.index + 1) * this.windowNs;
  }
}

/**
 * The sliding window counter: the previous window's count, weighted by the share of it still
 * inside a window-long span ending now, plus the current window's count, must stay within
 * `limit`. It assumes the previous window's admissions were spread evenly; they need not have
 * been, so over a window-long span ending a fraction `f` into its window it admits at most
 * `limit + f x previous` (never `2 x limit` within one window's length unless `f` nears 1
 * and the previous window's admissions all fell in its last moments), and within each fixed
 * window at most `limit`. When a refused request would fit is where the weighted estimate
 * crosses the limit: an estimate's answer, so it does not give one.
 */
export class SlidingWindowCounter extends WindowCounts {
  protected used(nowNs: number): number {
    const elapsedNs = nowNs - this.index * this.windowNs;
    return (this.previous * (this.windowNs - elapsedNs)) / this.windowNs + this.current;
  }

  readyAtNs(nowNs: number, cost: number): number {
    if (cost > this.limitUnits) return Number.POSITIVE_INFINITY;
    this.roll(nowNs);
    return this.used(nowNs) + cost <= this.limitUnits + FLOAT_SLACK ? nowNs : Number.NaN;
  }
}

/**
 * The sliding window log: the time and cost of every admission still inside the window-long
 * span (now - window, now], and admits while their sum plus `cost` stays within `limit`. Exact:
 * no window-long span, wherever it starts, ever holds more than `limit`. Each request costs at
 * least one (the caller checks), so at most `limit` admissions are ever in the span: the log is
 * a ring buffer of that many entries, allocated once, and an admission allocates nothing.
 */
export class SlidingWindowLog implements AdmissionPolicy {
  private readonly timesNs: Float64Array;
  private readonly costs: Float64Array;
  /** Where the oldest entry is, how many there are, and the sum of their costs. */
  private head = 0;
  private count = 0;
  private usedUnits = 0;

  constructor(
    private readonly limitUnits: number,
    private readonly windowNs: number,
  ) {
    const entries = Math.floor(limitUnits / UNIT);
    this.timesNs = new Float64Array(entries);
    this.costs = new Float64Array(entries);
  }

  /** Drops the entries that have left the span (nowNs - window, nowNs]. */
  private evict(nowNs: number): void {
    const oldestKeptNs = nowNs - this.windowNs;
    const size = this.timesNs.length;
    while (this.count > 0 && this.timesNs[this.head]! <= oldestKeptNs) {
      this.usedUnits -= this.costs[this.head]!;
      this.head = this.head + 1 === size ? 0 : this.head + 1;
      this.count--;
    }
    // Exact integers in float: the sum of whole units comes back to 0 with the last entry.
    if (this.count === 0) this.usedUnits = 0;
  }

  tryTake(nowNs: number, cost: number): boolean {
    this.evict(nowNs);
    if (this.usedUnits + cost > this.limitUnits) return false;
    const size = this.timesNs.length;
    // At most limit / UNIT entries fit by cost, so the slot after the newest is free.
    let slot = this.head + this.count;
    if (slot >= size) slot -= size;
    this.timesNs[slot] = nowNs;
    this.costs[slot] = cost;
    this.count++;
    this.usedUnits += cost;
    return true;
  }

  remaining(nowNs: number): number {
    this.evict(nowNs);
    return this.limitUnits - this.usedUnits;
  }

  readyAtNs(nowNs: number, cost: number): number {
    if (cost > this.limitUnits) return Number.POSITIVE_INFINITY;
    this.evict(nowNs);
    let used = this.usedUnits;
    if (used + cost <= this.limitUnits) return nowNs;
    // The oldest entries leave first, each at its time plus the window: the answer is when
    // enough of them have left.
    const size = this.timesNs.length;
    let slot = this.head;
    for (let left = 0; left < this.count; left++) {
      used -= this.costs[slot]!;
      if (used + cost <= this.limitUnits) return this.timesNs[slot]! + this.windowNs;
      slot = slot + 1 === size ? 0 : slot + 1;
    }
    return Number.POSITIVE_INFINITY; // not reached: with every entry gone, cost <= limit fits
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
    this.usedUnits = 0;
  }
}
