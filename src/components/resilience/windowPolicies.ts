/**
 * The window admission policies of `RateLimiter`: a request is admitted or refused at once by
 * a count of what was admitted in fixed windows of simulated time (edges at whole multiples of
 * the window from time 0). They cannot say when a refused request would fit (a fixed window
 * frees nothing until its edge, a sliding counter's estimate decays at a rate that depends on
 * the previous window), so a limiter using them never queues.
 *
 * `limit` is the limiter's `burst`. Amounts are counted in the limiter's units (millionths of a request), times in nanoseconds.
 */

/** Decides, at one instant, whether `cost` more fits, and counts it if so. */
export interface AdmissionPolicy {
  /** Takes `cost` units at `nowNs` if they fit; false (and nothing counted) otherwise. */
  tryTake(nowNs: number, cost: number): boolean;
  /** Units that would still fit at `nowNs`. */
  remaining(nowNs: number): number;
  /** Forgets everything counted (a recovered limiter starts empty-handed, as a restarted one). */
  reset(): void;
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

  reset(): void {
    this.index = 0;
    this.current = 0;
    this.previous = 0;
  }
}

/**
 * At most `limit` per window, the count starting from zero at each edge. Its known weakness is
 * kept, not hidden: a full window's worth just before an edge and another just after it is
 * twice the limit within an instant.
 */
export class FixedWindow extends WindowCounts {
  protected used(): number {
    return this.current;
  }
}

/**
 * The sliding window counter: the previous window's count, weighted by the share of it still
 * inside a window-long span ending now, plus the current window's count, must stay within
 * `limit`. It assumes the previous window's admissions were spread evenly; they need not have
 * been, so over a window-long span ending a fraction `f` into its window it admits at most
 * `limit + f x previous` (never `2 x limit` within one window's length unless `f` nears 1
 * and the previous window's admissions all fell in its last moments), and within each fixed
 * window at most `limit`.
 */
export class SlidingWindowCounter extends WindowCounts {
  protected used(nowNs: number): number {
    const elapsedNs = nowNs - this.index * this.windowNs;
    return (this.previous * (this.windowNs - elapsedNs)) / this.windowNs + this.current;
  }
}
