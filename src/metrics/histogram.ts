/**
 * `Histogram`: bounded-memory percentiles with a stated relative error (a DDSketch: values go
 * into logarithmic buckets of ratio gamma = (1 + a) / (1 - a), so every value in a bucket is
 * within relative accuracy `a` of the bucket's representative). p99 of a million latencies in a
 * few kilobytes, with `percentile(q)` within `a` of the exact nearest-rank answer, mergeable
 * across entities and runs. Written by hand because `record` is on per-message paths: it
 * allocates nothing and mostly computes no logarithm (see `bucketKeys.ts`).
 *
 * Memory is bounded by `maxBuckets`: past it, the lowest buckets are merged, so the guarantee
 * is kept for the upper percentiles (the ones latency questions are about) and lost first for
 * the smallest values.
 */
import { ConfigError } from "../errors/errors.js";
import { log, pow } from "../random/portableMath.js";
import { type BucketKeys, bucketKeysFor } from "./bucketKeys.js";

export interface HistogramOptions {
  /** Relative accuracy of percentiles, in (0, 1). Default 0.01 (1%). */
  relativeAccuracy?: number;
  /** Most buckets kept; the lowest are merged beyond it. Default 2048 (covers 1 ns to hours at 1%). */
  maxBuckets?: number;
}

/** The buckets of a histogram with no nonzero value yet (never written). */
const NO_COUNTS = new Float64Array(0);

export class Histogram {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  private readonly gamma: number;
  private readonly keys: BucketKeys;
  /** Counts by key, keys [offset, offset + used); allocated at the first nonzero value. */
  private counts = NO_COUNTS;
  /** Size of the first allocation of `counts`. */
  private firstCapacity = 64;
  private offset = 0;
  private used = 0;
  private zeros = 0;
  private total = 0;
  private sum = 0;
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;
  /** Keys below this were merged into it (bucket collapsing). */
  private collapsedBelow = Number.NEGATIVE_INFINITY;

  constructor(options: HistogramOptions = {}) {
    const accuracy = options.relativeAccuracy ?? 0.01;
    if (!(accuracy > 0 && accuracy < 1)) {
      throw new ConfigError("Histogram", "relativeAccuracy", "a number in (0, 1)", accuracy);
    }
    const maxBuckets = options.maxBuckets ?? 2048;
    if (!Number.isSafeInteger(maxBuckets) || maxBuckets < 16) {
      throw new ConfigError("Histogram", "maxBuckets", "an integer >= 16", maxBuckets);
    }
    this.relativeAccuracy = accuracy;
    this.maxBuckets = maxBuckets;
    this.gamma = (1 + accuracy) / (1 - accuracy);
    this.keys = bucketKeysFor(log(this.gamma));
  }

  /** Records a finite value >= 0. */
  record(value: number): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
      throw new ConfigError("Histogram.record", "value", "a finite number >= 0", value);
    }
    this.total++;
    this.sum += value;
    if (value < this.low) this.low = value;
    if (value > this.high) this.high = value;
    if (value === 0) {
      this.zeros++;
      return;
    }
    const key = this.keys.keyOf(value);
    // The common case first: a key inside the buckets already allocated (then it is not
    // below `collapsedBelow`, which is the lowest bucket's key once any collapsed).
    const index = key - this.offset;
    if (index >= 0 && index < this.used) {
      this.counts[index]! += 1;
      return;
    }
    this.addToKey(key < this.collapsedBelow ? this.collapsedBelow : key, 1);
  }

  get count(): number {
    return this.total;
  }
  get mean(): number {
    return this.total > 0 ? this.sum / this.total : Number.NaN;
  }
  /** Exact smallest value recorded (NaN when empty). */
  get min(): number {
    return this.total > 0 ? this.low : Number.NaN;
  }
  /** Exact largest value recorded (NaN when empty). */
  get max(): number {
    return this.total > 0 ? this.high : Number.NaN;
  }
  get p50(): number {
    return this.percentile(0.5);
  }
  get p90(): number {
    return this.percentile(0.9);
  }
  get p99(): number {
    return this.percentile(0.99);
  }
  get p999(): number {
    return this.percentile(0.999);
  }

  /** The q-quantile (nearest rank), within `relativeAccuracy` of the exact one; NaN when empty. */
  percentile(q: number): number {
    if (!(q >= 0 && q <= 1))
      throw new ConfigError("Histogram.percentile", "q", "a number in [0, 1]", q);
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    if (rank <= this.zeros) return 0;
    let seen = this.zeros;
    for (let i = 0; i < this.used; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const key = this.offset + i;
        // The bucket (gamma^(key-1), gamma^key] is represented by the point of least relative error.
        const estimate = (2 * pow(this.gamma, key)) / (this.gamma + 1);
        return Math.min(this.high, Math.max(this.low, estimate));
      }
    }
    return this.high;
  }

  /**
   * Forgets every value (a warm-up's end): the histogram reads as new. The buckets already
   * allocated are kept and zeroed, so memory stays bounded by `maxBuckets` however often it is
   * reset.
   */
  reset(): void {
    this.counts.fill(0, 0, this.used);
    this.offset = 0;
    this.used = 0;
    this.zeros = 0;
    this.total = 0;
    this.sum = 0;
    this.low = Number.POSITIVE_INFINITY;
    this.high = Number.NEGATIVE_INFINITY;
    this.collapsedBelow = Number.NEGATIVE_INFINITY;
  }

  /** Adds everything recorded in `other` (which must have the same relative accuracy). */
  merge(other: Histogram): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new ConfigError(
        "Histogram.merge",
        "other",
        `a histogram of relative accuracy ${this.relativeAccuracy}`,
        other.relativeAccuracy,
      );
    }
    if (other.total === 0) return;
    this.total += other.total;
    this.sum += other.sum;
    this.zeros += other.zeros;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
    for (let i = 0; i < other.used; i++) {
      const n = other.counts[i]!;
      if (n > 0) this.addToKey(Math.max(other.offset + i, this.collapsedBelow), n);
    }
  }

  private addToKey(key: number, n: number): void {
    if (this.used === 0) {
      this.ensure(1);
      this.offset = key;
      this.used = 1;
      this.counts[0] = n;
      return;
    }
    if (key < this.offset) {
      const shift = this.offset - key;
      this.ensure(this.used + shift);
      this.counts.copyWithin(shift, 0, this.used);
      this.counts.fill(0, 0, shift);
      this.offset = key;
      this.used += shift;
    } else if (key >= this.offset + this.used) {
      const needed = key - this.offset + 1;
      this.ensure(needed);
      this.counts.fill(0, this.used, needed);
      this.used = needed;
    }
    this.counts[key - this.offset]! += n;
    if (this.used > this.maxBuckets) this.collapseLowest();
  }

  private ensure(size: number): void {
    if (size <= this.counts.length) return;
    const grown = new Float64Array(Math.max(size, this.counts.length * 2, this.firstCapacity));
    grown.set(this.counts.subarray(0, this.used));
    this.counts = grown;
  }

  /**
   * @internal Sizes the first allocation of the buckets (a time series passes the size its
   * previous window grew to, so each window allocates once instead of growing several times;
   * a typed array's buffer costs microseconds to create). Capacity only: no result changes.
   */
  _expectBuckets(capacity: number): void {
    this.firstCapacity = capacity;
  }

  /** @internal Buckets allocated now (0 before the first nonzero value). */
  get _bucketCapacity(): number {
    return this.counts.length;
  }

  /** Merges the lowest buckets into one so at most maxBuckets remain. */
  private collapseLowest(): void {
    const excess = this.used - this.maxBuckets;
    let merged = 0;
    for (let i = 0; i <= excess; i++) merged += this.counts[i]!;
    this.counts.copyWithin(0, excess, this.used);
    this.counts[0] = merged;
    this.offset += excess;
    this.used = this.maxBuckets;
    this.collapsedBelow = this.offset;
  }
}
